//! Diagnostics for scenario and overlay files: where (file, line, column, key path), what is wrong
//! and what was expected, with "did you mean" hints. All problems of a file are collected.

use std::fmt;

use super::source::{Origin, Sources};

/// One problem found in an input file.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Where in which file, when known (a missing key has the origin of its enclosing table).
    pub origin: Option<Origin>,
    /// Dotted key path, e.g. `sides.us.coordination` or `channels.official.authority`.
    pub path: String,
    /// What is wrong and what was expected, lowercase, no final period.
    pub message: String,
}

/// A failed load: every diagnostic, already rendered with file names and positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// One line per problem, in file order.
    pub lines: Vec<String>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, l) in self.lines.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{l}")?;
        }
        if self.lines.len() > 1 {
            write!(f, "\n{} problems found", self.lines.len())?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

impl LoadError {
    /// Renders diagnostics against their sources, sorted by file and position.
    pub fn render(sources: &Sources, mut diags: Vec<Diagnostic>) -> LoadError {
        diags.sort_by_key(|d| d.origin.map(|o| (o.file, o.start)));
        diags.dedup();
        let lines = diags
            .iter()
            .map(|d| {
                let place = match d.origin {
                    Some(o) => {
                        let (line, col) = sources.line_col(o);
                        format!("{}:{line}:{col}", sources.path(o.file))
                    }
                    None => sources.path(0).to_string(),
                };
                if d.path.is_empty() {
                    format!("{place}: {}", d.message)
                } else {
                    format!("{place}: {}: {}", d.path, d.message)
                }
            })
            .collect();
        LoadError { lines }
    }

    /// A single problem not tied to a position (e.g. a file that cannot be read).
    pub fn plain(line: String) -> LoadError {
        LoadError { lines: vec![line] }
    }
}

/// Damerau–Levenshtein (optimal string alignment) distance between two strings.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

/// The candidate closest to `word`, if it is close enough to be a plausible typo
/// (distance at most a third of the word's length, and at least 1 allowed; or one is a prefix of
/// the other).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lw = word.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let lc = c.to_lowercase();
        let d = edit_distance(&lw, &lc);
        let limit = (word.chars().count() / 3).max(1);
        let prefix = lc.len() >= 3 && lw.len() >= 3 && (lc.starts_with(&lw) || lw.starts_with(&lc));
        if (d <= limit || prefix) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// "unknown key" text with a hint: the closest valid key, or the list of valid keys.
pub fn unknown_key_message(key: &str, what: &str, valid: &[&str]) -> String {
    match closest(key, valid.iter().copied()) {
        Some(s) => format!("unknown {what} '{key}' (did you mean '{s}'?)"),
        None if valid.is_empty() => format!("unknown {what} '{key}': this table takes no keys"),
        None => format!(
            "unknown {what} '{key}'; expected one of: {}",
            valid.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("coordination", "cordination"), 1);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn suggests_close_keys_only() {
        let keys = ["coordination", "controls", "trust"];
        assert_eq!(closest("cordination", keys), Some("coordination"));
        assert_eq!(closest("trsut", keys), Some("trust"));
        assert_eq!(closest("zebra", keys), None);
        let m = unknown_key_message("zebra", "key", &keys);
        assert!(
            m.contains("expected one of: coordination, controls, trust"),
            "{m}"
        );
    }
}
