//! A scenario's claim registry: the claims its values encode, with ids, short titles and where
//! each comes from. A scenario names its registry file in `[meta] claims`; every `source` that is
//! not a provenance tag must be one of the registry's ids. The US–China scenarios share
//! `scenarios/claims/us_china_2025.toml` (the article's P1..P14, docs/CLAIMS.md).
//!
//! ```toml
//! [registry]
//! title = "US-EU tariff talks, 2025"
//! document = "scenarios/examples/us_eu_2025.md"
//! reading = "the reading of the talks in public reporting"
//!
//! [[claims]]
//! id = "E1"
//! title = "threats as leverage before deadlines"
//! cites = "https://..."
//! ```
//!
//! This file holds the registry as data; `claims_file.rs` reads one from its file.

/// One claim of a registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// Its id, as values cite it (`P4`, `E2`).
    pub id: String,
    /// A few words, for charts and tables.
    pub title: String,
    /// Where it comes from (a document, a paragraph, an address); may be empty.
    pub cites: String,
}

/// A claim registry (empty when the scenario declares none: then values can cite only tags).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    /// What the claims are about.
    pub title: String,
    /// The document that states them in full.
    pub document: String,
    /// Whose claims they are, for sentences ("the article"), if one author.
    pub author: Option<String>,
    /// How the report names the view the claims take ("the article's reading of the talks").
    pub reading: String,
    /// The claims, in the order ids are ranked and listed.
    pub claims: Vec<Claim>,
}

/// Most claims a registry may hold.
pub const MAX_CLAIMS: usize = 1_000;

impl Registry {
    /// Position of `id` in the registry.
    pub fn index(&self, id: &str) -> Option<usize> {
        self.claims.iter().position(|c| c.id == id)
    }

    /// Whether `id` is one of the registry's claims.
    pub fn contains(&self, id: &str) -> bool {
        self.index(id).is_some()
    }

    /// The short title of claim `id`.
    pub fn title_of(&self, id: &str) -> Option<&str> {
        self.index(id).map(|i| self.claims[i].title.as_str())
    }

    /// The ids, in registry order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.claims.iter().map(|c| c.id.as_str())
    }

    /// "P1..P14": the first and last ids (or the one id, or "no claims").
    pub fn span(&self) -> String {
        match (self.claims.first(), self.claims.last()) {
            (Some(a), Some(b)) if a.id != b.id => format!("{}..{}", a.id, b.id),
            (Some(a), _) => a.id.clone(),
            _ => "no claims".into(),
        }
    }
}
