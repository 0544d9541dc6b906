//! A spanned document tree: every key and value remembers the file and byte range it came from,
//! so that errors found after overlays are merged still point at the right file and line.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::date::Date;
use super::diag::Diagnostic;

pub use super::source::{FileId, Origin, Sources};

/// A value of the document.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A float, possibly non-finite (TOML allows `nan` and `inf`; readers reject them).
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A local date (`2025-10-23`).
    Date(Date),
    /// A TOML date-time other than a plain local date; kept as text for the error message.
    OtherDatetime(String),
    /// An array.
    Array(Vec<Node>),
    /// A table.
    Table(Table),
}

impl Value {
    /// A short name of the value's type for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Bool(_) => "a boolean",
            Value::Date(_) => "a date",
            Value::OtherDatetime(_) => "a date-time",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }

    /// The value as it would be written in TOML (short form, for diffs and messages).
    pub fn display(&self) -> String {
        match self {
            Value::Str(s) => format!("{s:?}"),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format_float(*f),
            Value::Bool(b) => b.to_string(),
            Value::Date(d) => d.to_string(),
            Value::OtherDatetime(s) => s.clone(),
            Value::Array(a) => format!(
                "[{}]",
                a.iter()
                    .map(|n| n.value.display())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Value::Table(t) => format!(
                "{{ {} }}",
                t.entries
                    .iter()
                    .map(|e| format!("{} = {}", e.key, e.node.value.display()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// Formats a float the way TOML would accept it back.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf".into() } else { "-inf".into() }
    } else if f == f.trunc() && f.abs() < 1e15 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// A value and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Its origin.
    pub origin: Origin,
}

/// A key of a table, its origin and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key.
    pub key: String,
    /// Where the key was written.
    pub key_origin: Origin,
    /// The value.
    pub node: Node,
}

/// A table: entries in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// Entries, in the order they appear in the file (overlay additions at the end).
    pub entries: Vec<Entry>,
}

impl Table {
    /// The entry for `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries.iter().find(|e| e.key == key).map(|e| &e.node)
    }

    /// The mutable entry for `key`, if present.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.entries
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.node)
    }

    /// Sets `key` to `node`, replacing an existing entry (keeping its key origin) or appending.
    pub fn set(&mut self, key: &str, key_origin: Origin, node: Node) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.key == key) {
            e.node = node;
        } else {
            self.entries.push(Entry {
                key: key.to_string(),
                key_origin,
                node,
            });
        }
    }
}

/// Parses TOML text into a spanned tree; syntax errors become diagnostics (all of them that the
/// parser can recover from).
pub fn parse(text: &str, file: FileId, diags: &mut Vec<Diagnostic>) -> Node {
    let (root, errors) = DeTable::parse_recoverable(text);
    for e in errors {
        let origin = e.span().map(|s| span_origin(file, s));
        diags.push(Diagnostic {
            origin,
            path: String::new(),
            message: format!("invalid TOML: {}", e.message().trim_end_matches('.').trim()),
        });
    }
    let origin = span_origin(file, root.span());
    Node {
        value: Value::Table(convert_table(root.into_inner(), file, diags)),
        origin,
    }
}

fn span_origin(file: FileId, s: std::ops::Range<usize>) -> Origin {
    let clip = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
    Origin {
        file,
        start: clip(s.start),
        end: clip(s.end),
    }
}

fn convert_table(t: DeTable<'_>, file: FileId, diags: &mut Vec<Diagnostic>) -> Table {
    let mut entries: Vec<Entry> = t
        .into_iter()
        .map(|(k, v)| Entry {
            key: k.get_ref().to_string(),
            key_origin: span_origin(file, k.span()),
            node: convert(v, file, diags),
        })
        .collect();
    entries.sort_by_key(|e| e.key_origin.start);
    Table { entries }
}

fn convert(v: Spanned<DeValue<'_>>, file: FileId, diags: &mut Vec<Diagnostic>) -> Node {
    let origin = span_origin(file, v.span());
    let value = match v.into_inner() {
        DeValue::String(s) => Value::Str(s.into_owned()),
        DeValue::Integer(i) => {
            let digits: String = i.as_str().chars().filter(|c| *c != '_').collect();
            match i64::from_str_radix(&digits, i.radix()) {
                Ok(x) => Value::Int(x),
                Err(_) => {
                    diags.push(Diagnostic {
                        origin: Some(origin),
                        path: String::new(),
                        message: format!("integer {i} does not fit in 64 bits"),
                    });
                    Value::Float(f64::NAN)
                }
            }
        }
        DeValue::Float(f) => {
            let text: String = f.as_str().chars().filter(|c| *c != '_').collect();
            Value::Float(text.parse::<f64>().unwrap_or(f64::NAN))
        }
        DeValue::Boolean(b) => Value::Bool(b),
        DeValue::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => {
                match Date::from_ymd(i64::from(d.year), u32::from(d.month), u32::from(d.day)) {
                    Some(date) => Value::Date(date),
                    None => Value::OtherDatetime(dt.to_string()),
                }
            }
            _ => Value::OtherDatetime(dt.to_string()),
        },
        DeValue::Array(a) => Value::Array(a.into_iter().map(|x| convert(x, file, diags)).collect()),
        DeValue::Table(t) => Value::Table(convert_table(t, file, diags)),
    };
    Node { value, origin }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_map_to_lines() {
        let text = "a = 1\n[b]\nc = \"x\"\n";
        let mut s = Sources::default();
        let f = s.add("t.toml", text);
        let mut d = Vec::new();
        let root = parse(text, f, &mut d);
        assert!(d.is_empty());
        let Value::Table(t) = &root.value else {
            panic!("not a table")
        };
        let Some(Node {
            value: Value::Table(b),
            ..
        }) = t.get("b")
        else {
            panic!("no b")
        };
        let c = b
            .entries
            .iter()
            .find(|e| e.key == "c")
            .map(|e| e.key_origin);
        assert_eq!(c.map(|o| s.line_col(o)), Some((3, 1)));
    }

    #[test]
    fn syntax_errors_are_collected_not_panicked() {
        let text = "a = \nb = [1, 2\n";
        let mut s = Sources::default();
        let f = s.add("t.toml", text);
        let mut d = Vec::new();
        let _ = parse(text, f, &mut d);
        assert!(!d.is_empty());
    }
}
