//! Typed reading of a spanned tree with validation that collects every problem.
//!
//! A reader ([`Obj`]) walks one table: each typed getter declares the key it reads, checks type and
//! range, records the value and its provenance in the parameter registry, and on `finish` reports
//! every key that no getter declared as unknown, with a "did you mean" hint.

use super::date::Date;
use super::diag::{Diagnostic, closest, unknown_key_message};
use super::tree::{Node, Origin, Table, Value, format_float};
use super::uncertain::{Prior, Uncertain};

/// Longest horizon a scenario file may ask for, in weeks (about 1,900 years).
pub const MAX_WEEKS: i64 = 100_000;

/// Other provenance tags a value may carry instead of a claim id.
pub const PROVENANCE_TAGS: [&str; 7] = [
    "assumption",
    "data",
    "calibration",
    "design",
    "literature",
    "sweep",
    "set",
];

/// Where a value comes from: a claim id or a tag, and a short note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provenance {
    /// A claim id of the scenario's registry, or one of [`PROVENANCE_TAGS`].
    pub source: String,
    /// A short human note (may be empty).
    pub note: String,
}

impl Provenance {
    /// True if the source is a claim id (checked against the registry when read), not a tag.
    pub fn is_claim(&self) -> bool {
        !PROVENANCE_TAGS.contains(&self.source.as_str())
    }
}

/// One parameter as read: its path, value, provenance and documentation.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamRecord {
    /// Dotted path (list items addressed by name), e.g. `channels.official.authority`.
    pub path: String,
    /// The value as text.
    pub value: String,
    /// The numeric value, for numeric parameters.
    pub number: Option<f64>,
    /// Provenance, when the file gave one (directly or from its enclosing list item).
    pub provenance: Option<Provenance>,
    /// Where the value was written; `None` when the default was used.
    pub origin: Option<Origin>,
    /// Unit (empty for dimensionless or non-numeric values).
    pub unit: &'static str,
    /// One-line documentation.
    pub doc: &'static str,
    /// The plausible range or prior the file declared for the value, if any.
    pub uncertain: Option<Uncertain>,
}

/// Largest magnitude any parameter may take: larger values are absurd for every quantity of the
/// model and would only overflow week arithmetic or allocations.
pub const MAX_MAGNITUDE: f64 = 1e6;

/// Allowed range of a number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bounds {
    /// Closed interval `[lo, hi]`.
    Closed(f64, f64),
    /// At least `lo` (and at most [`MAX_MAGNITUDE`]).
    AtLeast(f64),
    /// Strictly positive (and at most [`MAX_MAGNITUDE`]).
    Positive,
}

impl Bounds {
    /// True if `x` is allowed.
    pub fn contains(self, x: f64) -> bool {
        match self {
            Bounds::Closed(lo, hi) => x >= lo && x <= hi,
            Bounds::AtLeast(lo) => x >= lo && x <= MAX_MAGNITUDE,
            Bounds::Positive => x > 0.0 && x <= MAX_MAGNITUDE,
        }
    }

    /// "a number in [0, 1]" and the like.
    pub fn describe(self) -> String {
        match self {
            Bounds::Closed(lo, hi) => format!("a number in [{}, {}]", trim(lo), trim(hi)),
            Bounds::AtLeast(lo) => format!("a number >= {} (at most 1e6)", trim(lo)),
            Bounds::Positive => "a number > 0 (at most 1e6)".to_string(),
        }
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

/// Specification of a numeric parameter: key, default, range, unit and doc line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NumSpec<'k> {
    /// The key in its table.
    pub key: &'k str,
    /// Default when absent; `None` makes the key required.
    pub default: Option<f64>,
    /// Allowed range.
    pub bounds: Bounds,
    /// Unit, e.g. `per year`, `pp`, or empty.
    pub unit: &'static str,
    /// One-line documentation.
    pub doc: &'static str,
}

/// Validation context: collected diagnostics and the parameter registry.
#[derive(Debug, Default)]
pub struct Cx {
    /// Every problem found so far.
    pub diags: Vec<Diagnostic>,
    /// Overlay changes without provenance: reported after every key and type error, and not at
    /// all for a key that does not exist (its "unknown key" error says what to fix instead).
    pub provenance: Vec<Diagnostic>,
    /// Every parameter read so far, in reading order.
    pub params: Vec<ParamRecord>,
    /// The claim registry that `source` ids are checked against.
    pub claims: std::sync::Arc<super::claims::Registry>,
}

impl Cx {
    /// A `source` to suggest in a message: the registry's first claim id ("P1", "E1"), or the
    /// `assumption` tag when the scenario declares no claims.
    pub fn source_example(&self) -> String {
        self.claims
            .claims
            .first()
            .map_or_else(|| "assumption".into(), |c| c.id.clone())
    }

    /// Records a problem.
    pub fn error(&mut self, origin: Option<Origin>, path: &str, message: impl Into<String>) {
        self.diags.push(Diagnostic {
            origin,
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// Records a missing-provenance problem of an overlay change (see [`Cx::provenance`]).
    pub fn provenance_error(
        &mut self,
        origin: Option<Origin>,
        path: &str,
        message: impl Into<String>,
    ) {
        self.provenance.push(Diagnostic {
            origin,
            path: path.to_string(),
            message: message.into(),
        });
    }
}

static EMPTY: Table = Table {
    entries: Vec::new(),
};

/// A reader over one table of the document.
#[derive(Debug)]
pub struct Obj<'a> {
    path: String,
    table: &'a Table,
    origin: Option<Origin>,
    known: Vec<String>,
    inherited: Option<Provenance>,
}

/// What a `source` may be besides a tag: the registry's ids, or how to declare some.
fn claim_expectation(r: &super::claims::Registry) -> String {
    if r.claims.is_empty() {
        "a claim id of the scenario's registry (this scenario declares none: name a claims file in [meta] claims, docs/CLAIMS.md)".into()
    } else {
        format!("a claim id {} of '{}'", r.span(), r.title)
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl<'a> Obj<'a> {
    /// A reader over `node`, which must be a table (otherwise an error and an empty reader).
    pub fn new(cx: &mut Cx, node: &'a Node, path: &str) -> Obj<'a> {
        match &node.value {
            Value::Table(t) => Obj {
                path: path.into(),
                table: t,
                origin: Some(node.origin),
                known: vec![],
                inherited: None,
            },
            other => {
                cx.error(
                    Some(node.origin),
                    path,
                    format!("expected a table, found {}", other.type_name()),
                );
                Obj::empty(path, Some(node.origin))
            }
        }
    }

    fn empty(path: &str, origin: Option<Origin>) -> Obj<'a> {
        Obj {
            path: path.into(),
            table: &EMPTY,
            origin,
            known: vec![],
            inherited: None,
        }
    }

    /// The dotted path of this table.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Where this table was written (if it was).
    pub fn origin(&self) -> Option<Origin> {
        self.origin
    }

    /// The table's keys with where each was written, in file order (overlay additions last).
    pub fn keys(&self) -> Vec<(String, Origin)> {
        self.table
            .entries
            .iter()
            .map(|e| (e.key.clone(), e.key_origin))
            .collect()
    }

    /// Whether the table holds `key` (declares it as known).
    pub fn has(&mut self, key: &str) -> bool {
        self.known.push(key.to_string());
        self.table.get(key).is_some()
    }

    fn take(&mut self, key: &str) -> Option<&'a Node> {
        self.known.push(key.to_string());
        self.table.get(key)
    }

    /// Reads the item-level `source` and `note` keys of a list item; parameters read later from
    /// this table inherit that provenance unless they carry their own.
    pub fn item_provenance(&mut self, cx: &mut Cx) -> Option<Provenance> {
        let source = self.take("source");
        let note = self.take("note");
        let p = self.provenance_from(cx, source, note);
        self.inherited = p.clone();
        p
    }

    fn provenance_from(
        &self,
        cx: &mut Cx,
        source: Option<&Node>,
        note: Option<&Node>,
    ) -> Option<Provenance> {
        let note_text = match note {
            Some(Node {
                value: Value::Str(s),
                ..
            }) => s.clone(),
            Some(n) => {
                cx.error(
                    Some(n.origin),
                    &join(&self.path, "note"),
                    format!("expected a string, found {}", n.value.type_name()),
                );
                String::new()
            }
            None => String::new(),
        };
        let source = source?;
        let path = join(&self.path, "source");
        match &source.value {
            Value::Str(s) if cx.claims.contains(s) || PROVENANCE_TAGS.contains(&s.as_str()) => {
                Some(Provenance {
                    source: s.clone(),
                    note: note_text,
                })
            }
            Value::Str(s) => {
                let all: Vec<&str> = cx
                    .claims
                    .ids()
                    .chain(PROVENANCE_TAGS.iter().copied())
                    .collect();
                let hint = closest(s, all.iter().copied())
                    .map(|c| format!(" (did you mean '{c}'?)"))
                    .unwrap_or_default();
                cx.error(
                    Some(source.origin),
                    &path,
                    format!(
                        "unknown source '{s}'{hint}; expected {} or one of: {}",
                        claim_expectation(&cx.claims),
                        PROVENANCE_TAGS.join(", ")
                    ),
                );
                None
            }
            other => {
                cx.error(
                    Some(source.origin),
                    &path,
                    format!(
                        "expected a string such as \"P4\", found {}",
                        other.type_name()
                    ),
                );
                None
            }
        }
    }

    /// Unwraps `{ value = .., source = .., note = .. }`; returns the value node and provenance.
    /// A range or prior is for numbers only (see [`Obj::num`]): here it is an error.
    fn scalar(&mut self, cx: &mut Cx, key: &str) -> Option<(&'a Node, Option<Provenance>)> {
        let (node, prov, written) = self.uncertain_scalar(cx, key)?;
        if let Some((k, n)) = written.first() {
            cx.error(
                Some(n.origin),
                &join(&join(&self.path, key), k),
                format!("only a number can carry a range or prior, and '{key}' is not a number"),
            );
        }
        Some((node, prov))
    }

    /// [`Obj::scalar`] that also returns the uncertainty keys written beside the value.
    fn uncertain_scalar(
        &mut self,
        cx: &mut Cx,
        key: &str,
    ) -> Option<(&'a Node, Option<Provenance>, Written<'a>)> {
        let node = self.take(key)?;
        let path = join(&self.path, key);
        if let Value::Table(t) = &node.value {
            let mut inner = Obj {
                path: path.clone(),
                table: t,
                origin: Some(node.origin),
                known: vec![],
                inherited: None,
            };
            let value = inner.take("value");
            let (s, n) = (inner.take("source"), inner.take("note"));
            let prov = inner.provenance_from(cx, s, n);
            let written = Written {
                range: inner.take("range"),
                prior: inner.take("prior"),
                shape: inner.take("shape"),
                note: inner.take("range_note"),
            };
            inner.finish(cx);
            match value {
                Some(v) => Some((v, prov.or_else(|| self.inherited.clone()), written)),
                None => {
                    cx.error(Some(node.origin), &path, "a table here needs a 'value' key: write { value = ..., source = \"P4\", note = \"...\" }");
                    None
                }
            }
        } else {
            Some((node, self.inherited.clone(), Written::default()))
        }
    }

    /// Records a parameter: its value, (provenance, origin) and (unit, doc).
    fn record(
        &self,
        cx: &mut Cx,
        key: &str,
        value: String,
        number: Option<f64>,
        src: (Option<Provenance>, Option<Origin>),
        docs: (&'static str, &'static str),
    ) {
        let ((prov, origin), (unit, doc)) = (src, docs);
        cx.params.push(ParamRecord {
            path: join(&self.path, key),
            value,
            number,
            provenance: prov,
            origin,
            unit,
            doc,
            uncertain: None,
        });
    }

    /// Reads a number according to `spec` (integers are accepted as numbers).
    // long: every accepted shape of a numeric key (plain, table with provenance) with its own error.
    pub fn num(&mut self, cx: &mut Cx, spec: &NumSpec<'_>) -> f64 {
        let path = join(&self.path, spec.key);
        let fallback = spec.default.unwrap_or(match spec.bounds {
            Bounds::Closed(lo, _) | Bounds::AtLeast(lo) => lo,
            Bounds::Positive => 1.0,
        });
        let Some((node, prov, written)) = self.uncertain_scalar(cx, spec.key) else {
            if spec.default.is_none() && self.table.get(spec.key).is_none() {
                cx.error(
                    self.origin,
                    &path,
                    format!(
                        "missing required key: expected {}{}",
                        spec.bounds.describe(),
                        unit_suffix(spec.unit)
                    ),
                );
            }
            self.record(
                cx,
                spec.key,
                format_float(fallback),
                Some(fallback),
                (None, None),
                (spec.unit, spec.doc),
            );
            return fallback;
        };
        let x = match &node.value {
            Value::Float(f) => *f,
            Value::Int(i) => *i as f64,
            other => {
                cx.error(
                    Some(node.origin),
                    &path,
                    format!(
                        "expected {}{}, found {}",
                        spec.bounds.describe(),
                        unit_suffix(spec.unit),
                        other.type_name()
                    ),
                );
                return fallback;
            }
        };
        if !x.is_finite() {
            cx.error(
                Some(node.origin),
                &path,
                format!(
                    "{} is not a finite number: expected {}",
                    format_float(x),
                    spec.bounds.describe()
                ),
            );
            return fallback;
        }
        if !spec.bounds.contains(x) {
            cx.error(
                Some(node.origin),
                &path,
                format!(
                    "{} is out of range: expected {}{}",
                    format_float(x),
                    spec.bounds.describe(),
                    unit_suffix(spec.unit)
                ),
            );
            return fallback;
        }
        // -0.0 means 0.0 everywhere in the model; normalise it so outputs never show "-0".
        let x = if x == 0.0 { 0.0 } else { x };
        let uncertain = written.check(cx, &path, spec.bounds);
        self.record(
            cx,
            spec.key,
            format_float(x),
            Some(x),
            (prov, Some(node.origin)),
            (spec.unit, spec.doc),
        );
        if let Some(last) = cx.params.last_mut() {
            last.uncertain = uncertain;
        }
        x
    }

    /// Reads an integer in `[min, max]`, with an optional default.
    pub fn int(
        &mut self,
        cx: &mut Cx,
        key: &str,
        default: Option<i64>,
        min: i64,
        max: i64,
        doc: &'static str,
    ) -> i64 {
        let path = join(&self.path, key);
        let fallback = default.unwrap_or(min);
        let Some((node, prov)) = self.scalar(cx, key) else {
            if default.is_none() && self.table.get(key).is_none() {
                cx.error(
                    self.origin,
                    &path,
                    format!("missing required key: expected an integer in [{min}, {max}]"),
                );
            }
            return fallback;
        };
        match node.value {
            Value::Int(i) if (min..=max).contains(&i) => {
                self.record(
                    cx,
                    key,
                    i.to_string(),
                    Some(i as f64),
                    (prov, Some(node.origin)),
                    ("", doc),
                );
                i
            }
            Value::Int(i) => {
                cx.error(
                    Some(node.origin),
                    &path,
                    format!("{i} is out of range: expected an integer in [{min}, {max}]"),
                );
                fallback
            }
            ref other => {
                cx.error(
                    Some(node.origin),
                    &path,
                    format!(
                        "expected an integer in [{min}, {max}], found {}",
                        other.type_name()
                    ),
                );
                fallback
            }
        }
    }

    /// Reads a string; `None` (and an error if `required`) when absent or of the wrong type.
    pub fn string(&mut self, cx: &mut Cx, key: &str, required: bool) -> Option<String> {
        let path = join(&self.path, key);
        match self.scalar(cx, key) {
            Some((
                Node {
                    value: Value::Str(s),
                    ..
                },
                _,
            )) => Some(s.clone()),
            Some((n, _)) => {
                cx.error(
                    Some(n.origin),
                    &path,
                    format!("expected a string, found {}", n.value.type_name()),
                );
                None
            }
            None => {
                if required && self.table.get(key).is_none() {
                    cx.error(
                        self.origin,
                        &path,
                        "missing required key: expected a string",
                    );
                }
                None
            }
        }
    }

    /// Reads a boolean with a default.
    pub fn boolean(&mut self, cx: &mut Cx, key: &str, default: bool, doc: &'static str) -> bool {
        let path = join(&self.path, key);
        match self.scalar(cx, key) {
            Some((
                Node {
                    value: Value::Bool(b),
                    origin,
                },
                prov,
            )) => {
                self.record(
                    cx,
                    key,
                    b.to_string(),
                    None,
                    (prov, Some(*origin)),
                    ("", doc),
                );
                *b
            }
            Some((n, _)) => {
                cx.error(
                    Some(n.origin),
                    &path,
                    format!("expected true or false, found {}", n.value.type_name()),
                );
                default
            }
            None => {
                self.record(cx, key, default.to_string(), None, (None, None), ("", doc));
                default
            }
        }
    }

    /// Reads one of a fixed set of words; returns its index.
    pub fn choice(
        &mut self,
        cx: &mut Cx,
        key: &str,
        options: &[&str],
        default: Option<usize>,
        doc: &'static str,
    ) -> usize {
        let path = join(&self.path, key);
        let expected = format!(
            "one of: {}",
            options
                .iter()
                .map(|o| format!("\"{o}\""))
                .collect::<Vec<_>>()
                .join(", ")
        );
        match self.scalar(cx, key) {
            Some((
                Node {
                    value: Value::Str(s),
                    origin,
                },
                prov,
            )) => match options.iter().position(|o| o == s) {
                Some(i) => {
                    self.record(cx, key, s.clone(), None, (prov, Some(*origin)), ("", doc));
                    i
                }
                None => {
                    let hint = closest(s, options.iter().copied())
                        .map(|c| format!(" (did you mean \"{c}\"?)"))
                        .unwrap_or_default();
                    cx.error(
                        Some(*origin),
                        &path,
                        format!("unknown value \"{s}\"{hint}: expected {expected}"),
                    );
                    default.unwrap_or(0)
                }
            },
            Some((n, _)) => {
                cx.error(
                    Some(n.origin),
                    &path,
                    format!("expected {expected}, found {}", n.value.type_name()),
                );
                default.unwrap_or(0)
            }
            None => {
                if default.is_none() && self.table.get(key).is_none() {
                    cx.error(
                        self.origin,
                        &path,
                        format!("missing required key: expected {expected}"),
                    );
                }
                default.unwrap_or(0)
            }
        }
    }

    /// Reads a date (TOML local date or a "YYYY-MM-DD" string); the node's origin is returned too.
    pub fn date(&mut self, cx: &mut Cx, key: &str, required: bool) -> Option<(Date, Origin)> {
        let path = join(&self.path, key);
        match self.scalar(cx, key) {
            Some((
                Node {
                    value: Value::Date(d),
                    origin,
                },
                prov,
            )) => {
                self.record(
                    cx,
                    key,
                    d.to_string(),
                    None,
                    (prov, Some(*origin)),
                    ("", ""),
                );
                Some((*d, *origin))
            }
            Some((
                Node {
                    value: Value::Str(s),
                    origin,
                },
                prov,
            )) => match s.parse::<Date>() {
                Ok(d) => {
                    self.record(
                        cx,
                        key,
                        d.to_string(),
                        None,
                        (prov, Some(*origin)),
                        ("", ""),
                    );
                    Some((d, *origin))
                }
                Err(e) => {
                    cx.error(Some(*origin), &path, e.to_string());
                    None
                }
            },
            Some((n, _)) => {
                cx.error(
                    Some(n.origin),
                    &path,
                    format!(
                        "expected a date such as 2025-10-23, found {} ({})",
                        n.value.type_name(),
                        n.value.display()
                    ),
                );
                None
            }
            None => {
                if required && self.table.get(key).is_none() {
                    cx.error(
                        self.origin,
                        &path,
                        "missing required key: expected a date such as 2025-10-23",
                    );
                }
                None
            }
        }
    }

    /// Reads a list of words from a fixed set; returns their indices.
    pub fn choices(&mut self, cx: &mut Cx, key: &str, options: &[&str]) -> Vec<usize> {
        let path = join(&self.path, key);
        let Some((node, _)) = self.scalar(cx, key) else {
            return Vec::new();
        };
        let Value::Array(items) = &node.value else {
            cx.error(
                Some(node.origin),
                &path,
                format!(
                    "expected a list such as [\"{}\"], found {}",
                    options[0],
                    node.value.type_name()
                ),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for it in items {
            match &it.value {
                Value::Str(s) => match options.iter().position(|o| o == s) {
                    Some(i) if !out.contains(&i) => out.push(i),
                    Some(_) => cx.error(Some(it.origin), &path, format!("\"{s}\" is listed twice")),
                    None => {
                        let hint = closest(s, options.iter().copied())
                            .map(|c| format!(" (did you mean \"{c}\"?)"))
                            .unwrap_or_default();
                        cx.error(
                            Some(it.origin),
                            &path,
                            format!(
                                "unknown value \"{s}\"{hint}: expected any of {}",
                                options.join(", ")
                            ),
                        );
                    }
                },
                other => cx.error(
                    Some(it.origin),
                    &path,
                    format!("expected a string, found {}", other.type_name()),
                ),
            }
        }
        out
    }

    /// A reader over the sub-table `key` (an empty reader if absent).
    pub fn table(&mut self, cx: &mut Cx, key: &str) -> Obj<'a> {
        let path = join(&self.path, key);
        match self.take(key) {
            Some(n) => Obj::new(cx, n, &path),
            None => Obj::empty(&path, self.origin),
        }
    }

    /// Readers over each table of the array of tables `key`, paired with their `name` key when
    /// they have one (used to build paths like `channels.official.authority`).
    pub fn tables(&mut self, cx: &mut Cx, key: &str) -> Vec<Obj<'a>> {
        let path = join(&self.path, key);
        let Some(node) = self.take(key) else {
            return Vec::new();
        };
        let Value::Array(items) = &node.value else {
            cx.error(
                Some(node.origin),
                &path,
                format!(
                    "expected a list of tables ([[{path}]]), found {}",
                    node.value.type_name()
                ),
            );
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .map(|(i, it)| {
                let item_path = match &it.value {
                    Value::Table(t) => match t.get("name").map(|n| &n.value) {
                        Some(Value::Str(s)) => join(&path, s),
                        _ => format!("{path}[{i}]"),
                    },
                    _ => format!("{path}[{i}]"),
                };
                Obj::new(cx, it, &item_path)
            })
            .collect()
    }

    /// Reports keys that no getter declared.
    pub fn finish(self, cx: &mut Cx) {
        for e in &self.table.entries {
            if !self.known.contains(&e.key) {
                let mut valid: Vec<&str> = self.known.iter().map(String::as_str).collect();
                valid.sort_unstable();
                valid.dedup();
                cx.error(
                    Some(e.key_origin),
                    &join(&self.path, &e.key),
                    unknown_key_message(&e.key, "key", &valid),
                );
            }
        }
    }
}

fn unit_suffix(unit: &str) -> String {
    if unit.is_empty() {
        String::new()
    } else {
        format!(" ({unit})")
    }
}

/// Declares a group of behavioural constants: a struct with one `f64` field per constant, its
/// defaults, ranges, units and doc lines, and a reader. The spec table is the single source for
/// validation, defaults and the generated parameter reference.
#[macro_export]
macro_rules! param_group {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( #[doc = $doc:literal] $field:ident : $default:expr, $bounds:expr, $unit:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name {
            $( #[doc = $doc] pub $field: f64, )*
        }

        impl $name {
            /// Specification of every constant of this group, in declaration order.
            pub const SPECS: &'static [$crate::scenario::read::NumSpec<'static>] = &[
                $( $crate::scenario::read::NumSpec {
                    key: stringify!($field),
                    default: Some($default),
                    bounds: $bounds,
                    unit: $unit,
                    doc: $doc,
                }, )*
            ];

            /// Reads the group from a table, using defaults for absent keys.
            pub fn read(obj: &mut $crate::scenario::read::Obj<'_>, cx: &mut $crate::scenario::read::Cx) -> Self {
                let mut specs = Self::SPECS.iter();
                $( let $field = match specs.next() { Some(s) => obj.num(cx, s), None => $default }; )*
                Self { $( $field, )* }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self { $( $field: $default, )* }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::super::tree::{Sources, parse};
    use super::*;

    fn read_with(text: &str, f: impl FnOnce(&mut Obj<'_>, &mut Cx)) -> (Cx, Sources) {
        let mut s = Sources::default();
        let id = s.add("t.toml", text);
        let mut cx = Cx {
            claims: std::sync::Arc::new(super::super::claims::Registry {
                claims: ["P4", "P5"]
                    .map(|id| super::super::claims::Claim {
                        id: id.into(),
                        title: String::new(),
                        cites: String::new(),
                    })
                    .to_vec(),
                ..Default::default()
            }),
            ..Cx::default()
        };
        let root = parse(text, id, &mut cx.diags);
        let mut o = Obj::new(&mut cx, &root, "");
        f(&mut o, &mut cx);
        o.finish(&mut cx);
        (cx, s)
    }

    const P: NumSpec<'static> = NumSpec {
        key: "p",
        default: Some(0.5),
        bounds: Bounds::Closed(0.0, 1.0),
        unit: "",
        doc: "a probability",
    };

    #[test]
    fn reads_value_with_provenance() {
        let (cx, _) = read_with(
            "p = { value = 0.2, source = \"P4\", note = \"n\" }",
            |o, cx| {
                assert_eq!(o.num(cx, &P), 0.2);
            },
        );
        assert!(cx.diags.is_empty(), "{:?}", cx.diags);
        assert_eq!(
            cx.params[0].provenance.as_ref().map(|p| p.source.as_str()),
            Some("P4")
        );
    }

    #[test]
    fn out_of_range_and_unknown_keys_are_all_reported() {
        let (cx, s) = read_with("p = 1.3\ncordination = 1\n", |o, cx| {
            let _ = o.num(cx, &P);
            o.has("coordination");
        });
        assert_eq!(cx.diags.len(), 2);
        let msgs: Vec<String> = cx.diags.iter().map(|d| d.message.clone()).collect();
        assert!(
            msgs[0].contains("out of range") && msgs[0].contains("[0, 1]"),
            "{msgs:?}"
        );
        assert!(msgs[1].contains("did you mean 'coordination'"), "{msgs:?}");
        assert_eq!(cx.diags[1].origin.map(|o| s.line_col(o)), Some((2, 1)));
    }

    #[test]
    fn nan_and_wrong_types_are_errors() {
        let (cx, _) = read_with("p = nan\n", |o, cx| {
            let _ = o.num(cx, &P);
        });
        assert!(cx.diags[0].message.contains("not a finite number"));
        let (cx, _) = read_with("p = \"high\"\n", |o, cx| {
            let _ = o.num(cx, &P);
        });
        assert!(cx.diags[0].message.contains("found a string"));
    }

    #[test]
    fn unknown_source_is_rejected_with_hint() {
        let (cx, _) = read_with("p = { value = 0.2, source = \"P44\" }", |o, cx| {
            let _ = o.num(cx, &P);
        });
        assert!(
            cx.diags[0].message.contains("unknown source 'P44'"),
            "{:?}",
            cx.diags
        );
    }
}

/// The uncertainty keys of a value table, as written (not yet checked).
#[derive(Clone, Copy, Debug, Default)]
pub struct Written<'a> {
    /// `range = [lo, hi]`.
    pub range: Option<&'a Node>,
    /// `prior = "uniform" | "log-uniform" | "beta"`.
    pub prior: Option<&'a Node>,
    /// `shape = [alpha, beta]` of a beta prior.
    pub shape: Option<&'a Node>,
    /// `range_note = "..."`.
    pub note: Option<&'a Node>,
}

impl<'a> Written<'a> {
    /// True when any uncertainty key was written.
    pub fn any(&self) -> bool {
        self.range.is_some() || self.prior.is_some() || self.shape.is_some() || self.note.is_some()
    }

    /// The first uncertainty key written, for errors on keys that cannot be uncertain.
    pub fn first(&self) -> Option<(&'static str, &'a Node)> {
        [
            ("range", self.range),
            ("prior", self.prior),
            ("shape", self.shape),
            ("range_note", self.note),
        ]
        .into_iter()
        .find_map(|(k, n)| n.map(|n| (k, n)))
    }

    /// Checks the keys against the key's `bounds`; problems go to `cx` under
    /// `path` (the value's dotted path). `None` when nothing was written or it was invalid.
    // long: one error per way a range, prior or shape can be wrong, in the order a reader meets them.
    pub fn check(&self, cx: &mut Cx, path: &str, bounds: Bounds) -> Option<Uncertain> {
        if !self.any() {
            return None;
        }
        let key = |k: &str| format!("{path}.{k}");
        let Some(range) = self.range else {
            let (k, n) = self.first()?;
            cx.error(
                Some(n.origin),
                &key(k),
                "a prior, shape or range_note needs a range: write range = [low, high] beside value",
            );
            return None;
        };
        let pair = |cx: &mut Cx, n: &Node, k: &str, what: &str| -> Option<(f64, f64)> {
            let nums: Option<Vec<f64>> = match &n.value {
                Value::Array(items) if items.len() == 2 => items
                    .iter()
                    .map(|i| match i.value {
                        Value::Float(f) if f.is_finite() => Some(f),
                        Value::Int(v) => Some(v as f64),
                        _ => None,
                    })
                    .collect(),
                _ => None,
            };
            match nums.as_deref() {
                Some(&[a, b]) => Some((a, b)),
                _ => {
                    cx.error(
                        Some(n.origin),
                        &key(k),
                        format!("expected {what}, found {}", n.value.display()),
                    );
                    None
                }
            }
        };
        let (lo, hi) = pair(cx, range, "range", "two finite numbers [low, high]")?;
        let mut ok = true;
        let mut fail = |cx: &mut Cx, msg: String| {
            cx.error(Some(range.origin), &key("range"), msg);
            ok = false;
        };
        if lo >= hi {
            fail(
                cx,
                format!("the range [{lo}, {hi}] is empty: expected low < high"),
            );
        } else if !bounds.contains(lo) || !bounds.contains(hi) {
            fail(
                cx,
                format!(
                    "the range [{lo}, {hi}] leaves the key's allowed values: expected both ends to be {}",
                    bounds.describe()
                ),
            );
        }
        let kind = match self.prior.map(|n| (n, &n.value)) {
            None => "uniform",
            Some((_, Value::Str(s)))
                if ["uniform", "log-uniform", "beta"].contains(&s.as_str()) =>
            {
                s.as_str()
            }
            Some((n, v)) => {
                cx.error(
                    Some(n.origin),
                    &key("prior"),
                    format!(
                        "expected \"uniform\", \"log-uniform\" or \"beta\", found {}",
                        v.display()
                    ),
                );
                return None;
            }
        };
        let prior = match kind {
            "log-uniform" if lo <= 0.0 => {
                fail(
                    cx,
                    format!("a log-uniform prior needs a range above 0, found [{lo}, {hi}]"),
                );
                None
            }
            "log-uniform" => Some(Prior::LogUniform { lo, hi }),
            "beta" => match self.shape {
                None => {
                    fail(
                        cx,
                        "a beta prior needs its shape: write shape = [alpha, beta]".into(),
                    );
                    None
                }
                Some(n) => match pair(cx, n, "shape", "two positive numbers [alpha, beta]") {
                    Some((alpha, beta))
                        if alpha > 0.0 && beta > 0.0 && alpha <= 1e3 && beta <= 1e3 =>
                    {
                        Some(Prior::Beta {
                            alpha,
                            beta,
                            lo,
                            hi,
                        })
                    }
                    Some((alpha, beta)) => {
                        cx.error(
                            Some(n.origin),
                            &key("shape"),
                            format!("expected two numbers in (0, 1000], found [{alpha}, {beta}]"),
                        );
                        None
                    }
                    None => None,
                },
            },
            _ => Some(Prior::Uniform { lo, hi }),
        };
        if kind != "beta"
            && let Some(n) = self.shape
        {
            cx.error(
                Some(n.origin),
                &key("shape"),
                "shape is for a beta prior only: add prior = \"beta\" or remove shape",
            );
            return None;
        }
        let note = match self.note.map(|n| (n, &n.value)) {
            None => String::new(),
            Some((_, Value::Str(s))) => s.clone(),
            Some((n, v)) => {
                cx.error(
                    Some(n.origin),
                    &key("range_note"),
                    format!("expected a string, found {}", v.type_name()),
                );
                return None;
            }
        };
        let prior = prior?;
        ok.then_some(Uncertain {
            prior,
            note,
            origin: range.origin,
        })
    }
}
