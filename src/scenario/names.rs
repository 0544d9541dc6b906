//! The names a scenario gives its two sides and their instruments, and how every output uses
//! them. Code names metrics and weekly series by one canonical spelling, that of the article's
//! scenarios (`tariff_us`, `peak_tariff_cn`, `controls_us`: side 0 is `us`, side 1 is `cn`);
//! every file a user reads goes through [`Names::column`], which writes the scenario's own keys and
//! instrument words (`tariff_eu`, `anti_coercion_eu`), and every name a user types goes back
//! through [`Names::canonical`]. For the US–China scenarios both are the identity.

use std::borrow::Cow;

use super::schema::{Side, SideName};

/// The canonical side suffixes, side 0 then side 1.
const CANONICAL: [&str; 2] = ["us", "cn"];

/// A side's words for outputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SideWords {
    /// Its names (key, label, short, name, adjective, possessive).
    pub naming: SideName,
    /// Column word of its level instrument (`tariff`).
    pub level_word: String,
    /// Its level instrument in a sentence ("average tariff").
    pub level_label: String,
    /// Column word of its stock instrument (`controls`, `anti_coercion`).
    pub stock_word: String,
    /// Its stock instrument in a sentence ("controls", "anti-coercion measures").
    pub stock_label: String,
}

/// Both sides' words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Names {
    /// Side 0 and side 1, in file order.
    pub sides: [SideWords; 2],
}

impl Names {
    /// The words of a scenario's sides.
    pub fn of(sides: &[Side; 2]) -> Names {
        Names {
            sides: [0, 1].map(|i| {
                let s = &sides[i];
                SideWords {
                    naming: s.naming.clone(),
                    level_word: s.instruments.level.column.clone(),
                    level_label: s.instruments.level.label.clone(),
                    stock_word: s.instruments.stock.column.clone(),
                    stock_label: s.instruments.stock.label.clone(),
                }
            }),
        }
    }

    /// Whether every name is the canonical one (the article's scenarios).
    fn canonical_sides(&self) -> bool {
        self.sides.iter().zip(CANONICAL).all(|(s, c)| {
            s.naming.key == c && s.level_word == "tariff" && s.stock_word == "controls"
        })
    }

    /// The output name of a canonical metric or series name: `peak_tariff_cn` becomes
    /// `peak_tariff_eu`, `controls_cn` becomes `anti_coercion_eu`; names without a side suffix
    /// are unchanged.
    pub fn column(&self, canonical: &'static str) -> Cow<'static, str> {
        if self.canonical_sides() {
            return Cow::Borrowed(canonical);
        }
        let Some((stem, side)) = canonical.rsplit_once('_') else {
            return Cow::Borrowed(canonical);
        };
        let Some(i) = CANONICAL.iter().position(|c| *c == side) else {
            return Cow::Borrowed(canonical);
        };
        let w = &self.sides[i];
        let stem = match stem.rsplit_once('_') {
            Some((pre, "tariff")) => format!("{pre}_{}", w.level_word),
            None if stem == "tariff" => w.level_word.clone(),
            None if stem == "controls" => w.stock_word.clone(),
            _ => stem.to_string(),
        };
        Cow::Owned(format!("{stem}_{}", w.naming.key))
    }

    /// The canonical name among `candidates` whose output name is `user`.
    pub fn canonical(
        &self,
        user: &str,
        candidates: impl IntoIterator<Item = &'static str>,
    ) -> Option<&'static str> {
        candidates.into_iter().find(|c| self.column(c) == user)
    }

    /// The description of a canonical metric in this scenario's words (the four tariff metrics
    /// name their sides; every other description is unchanged).
    pub fn describe(
        &self,
        canonical: &'static str,
        description: &'static str,
    ) -> Cow<'static, str> {
        let [a, b] = &self.sides;
        let on = |x: &SideWords, y: &SideWords| {
            format!(
                "{} {} on {}",
                x.naming.adjective, x.level_label, y.naming.name
            )
        };
        match canonical {
            "peak_tariff_us" => Cow::Owned(format!("highest {}, %", on(a, b))),
            "peak_tariff_cn" => Cow::Owned(format!("highest {}, %", on(b, a))),
            "final_tariff_us" => Cow::Owned(format!("{} at the horizon, %", on(a, b))),
            "final_tariff_cn" => Cow::Owned(format!("{} at the horizon, %", on(b, a))),
            _ => Cow::Borrowed(description),
        }
    }

    /// "US on China": side `i`'s level on the other side, for legends.
    pub fn on(&self, i: usize) -> String {
        format!(
            "{} on {}",
            self.sides[i].naming.short,
            self.sides[1 - i].naming.short
        )
    }
}
