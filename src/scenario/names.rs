//! The names a scenario gives its two sides and their instruments, and how every output uses
//! them. Code names metrics and weekly series by one canonical spelling, that of the article's
//! scenarios (`tariff_us`, `peak_tariff_cn`, `controls_us`: side 0 is `us`, side 1 is `cn`);
//! every file a user reads goes through [`Names::column`], which writes the scenario's own keys and
//! instrument words (`tariff_eu`, `anti_coercion_eu`); a name a user types (`--metric`,
//! `--outcome`) is looked up among those output names. For the US–China scenarios it is the
//! identity.

use std::borrow::Cow;

use super::schema::{Side, SideName, US_CHINA as CANONICAL};

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
    /// Its level's and stock's instrument names, as declared (`tariffs`, `anti_coercion`; the
    /// stock's is empty when it has none).
    pub moves: [String; 2],
    /// Column word of its commitment instrument (`purchases`; `commitment` if it has none).
    pub commitment_word: String,
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
                    moves: [
                        s.instruments.level.name.clone(),
                        if s.instruments.has_stock {
                            s.instruments.stock.name.clone()
                        } else {
                            String::new()
                        },
                    ],
                    commitment_word: s
                        .instruments
                        .commitment
                        .as_ref()
                        .map_or_else(|| "commitment".into(), |c| c.column.clone()),
                }
            }),
        }
    }

    /// Whether every name is the canonical one (the article's scenarios: `us`, `cn`, tariffs and
    /// controls).
    pub fn is_canonical(&self) -> bool {
        self.sides.iter().zip(CANONICAL).all(|(s, c)| {
            s.naming.key == c && s.level_word == "tariff" && s.stock_word == "controls"
        })
    }

    /// The output name of a canonical metric or series name: `peak_tariff_cn` becomes
    /// `peak_tariff_eu`, `controls_cn` becomes `anti_coercion_eu`; names without a side suffix
    /// are unchanged.
    pub fn column(&self, canonical: &'static str) -> Cow<'static, str> {
        if self.is_canonical() {
            return Cow::Borrowed(canonical);
        }
        let side = canonical
            .rsplit_once('_')
            .and_then(|(stem, side)| Some((stem, CANONICAL.iter().position(|c| *c == side)?)));
        let Some((stem, i)) = side else {
            return self.both_levels(canonical);
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

    /// The word both sides' levels share (`tariff`), or `level` when they differ.
    fn shared_level(&self) -> &str {
        let [a, b] = &self.sides;
        if a.level_word == b.level_word {
            &a.level_word
        } else {
            "level"
        }
    }

    /// A name without a side: its `tariff` words (the tariff rule, the largest tariff moves) name
    /// the level both sides share.
    fn both_levels(&self, canonical: &'static str) -> Cow<'static, str> {
        let word = self.shared_level();
        if word == "tariff" || !canonical.split('_').any(|t| t == "tariff") {
            return Cow::Borrowed(canonical);
        }
        let parts: Vec<&str> = canonical
            .split('_')
            .map(|t| if t == "tariff" { word } else { t })
            .collect();
        Cow::Owned(parts.join("_"))
    }

    /// The name of a model event (`events.csv`'s `kind`): instrument moves are named by the
    /// acting side's instrument words (`anti_coercion_added`); every other kind is unchanged.
    pub fn event(&self, kind: &'static str, side: Option<usize>) -> Cow<'static, str> {
        let Some(w) = side.and_then(|i| self.sides.get(i)) else {
            return Cow::Borrowed(kind);
        };
        let Some((stem, rest)) = kind.split_once('_') else {
            return Cow::Borrowed(kind);
        };
        let word = match stem {
            "tariff" => &w.level_word,
            "controls" => &w.stock_word,
            "purchases" => &w.commitment_word,
            _ => return Cow::Borrowed(kind),
        };
        if word == stem {
            Cow::Borrowed(kind)
        } else {
            Cow::Owned(format!("{word}_{rest}"))
        }
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
            _ => {
                let word = self.shared_level().replace('_', " ");
                if word == "tariff" || !description.contains("tariff") {
                    Cow::Borrowed(description)
                } else {
                    Cow::Owned(description.replace("tariff", &word))
                }
            }
        }
    }

    /// The levels' label: the one both sides share ("average tariff"), or both ("work to
    /// rule / wage gap").
    pub fn levels_label(&self) -> String {
        let [a, b] = &self.sides;
        if a.level_label == b.level_label {
            a.level_label.clone()
        } else {
            format!("{} / {}", a.level_label, b.level_label)
        }
    }

    /// The levels in a title: "Average tariffs" for the article's tariffs, else the label
    /// capitalised.
    pub fn levels_title(&self) -> String {
        let l = self.levels_label();
        if l == "average tariff" {
            return "Average tariffs".into();
        }
        let mut c = l.chars();
        c.next()
            .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
    }

    /// The levels in a phrase: "tariff" (the word both share) or "level".
    pub fn level_word(&self) -> String {
        self.shared_level().replace('_', " ")
    }

    /// The instruments whose rise is an escalation, for a legend: "tariffs/controls".
    pub fn escalation_moves(&self) -> String {
        let mut out: Vec<String> = Vec::new();
        for k in 0..2 {
            for w in &self.sides {
                let m = w.moves[k].replace('_', " ");
                if !m.is_empty() && !out.contains(&m) {
                    out.push(m);
                }
            }
        }
        out.join("/")
    }

    /// "peak US tariff": side `i`'s peak level, for a panel title.
    pub fn peak_level(&self, i: usize) -> String {
        let w = &self.sides[i];
        format!(
            "peak {} {}",
            w.naming.adjective,
            w.level_word.replace('_', " ")
        )
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
