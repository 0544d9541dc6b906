//! Formatting shared by every layer that writes numbers or names into text (CSV cells, notes in
//! calibrated scenarios, tables, file names): one rule, so the same value prints the same everywhere.

/// A number with `decimals` decimals, trailing zeros trimmed ("-0" printed as "0").
pub fn num(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            String::new()
        } else if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let mut s = format!("{x:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" { "0".into() } else { s }
}

/// Wraps `text` at `width` columns on spaces; continuation lines are indented by two spaces.
/// A word longer than the width stays whole on its own line.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    for (n, para) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let mut col = 0;
        for (i, word) in para.split(' ').enumerate() {
            let w = word.chars().count();
            if i > 0 && col + 1 + w > width {
                out.push_str("\n  ");
                col = 2;
            } else if i > 0 {
                out.push(' ');
                col += 1;
            }
            out.push_str(word);
            col += w;
        }
    }
    out
}

/// Lower-case hex of bytes (a SHA-256 digest, most often).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod wrap_tests {
    #[test]
    fn wraps_on_spaces_with_a_hanging_indent() {
        let t = super::wrap("aaa bbb ccc ddd", 7);
        assert_eq!(t, "aaa bbb\n  ccc\n  ddd");
        assert!(
            super::wrap(&"x ".repeat(200), 100)
                .lines()
                .all(|l| l.chars().count() <= 100)
        );
        assert_eq!(super::wrap("short", 100), "short");
    }
}

/// A share as a percentage, never rounded to a certain 0% or 100%.
pub fn percent(p: f64) -> String {
    if p > 0.995 {
        ">99%".into()
    } else if p < 0.005 {
        "<1%".into()
    } else {
        format!("{:.0}%", 100.0 * p)
    }
}

/// A share as a percentage with one decimal ("65.4%").
pub fn percent1(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// A signed number with `d` decimals ("+0.150", "-0.033"); a value that rounds to zero prints as
/// "+0.000", never "-0.000".
pub fn signed(x: f64, d: usize) -> String {
    let s = format!("{x:+.d$}");
    if s[1..].chars().all(|c| c == '0' || c == '.') {
        format!("{:+.d$}", 0.0)
    } else {
        s
    }
}

#[cfg(test)]
mod signed_tests {
    #[test]
    fn never_minus_zero() {
        assert_eq!(super::signed(-0.0001, 3), "+0.000");
        assert_eq!(super::signed(-0.0, 2), "+0.00");
        assert_eq!(super::signed(-0.033, 3), "-0.033");
        assert_eq!(super::signed(0.15, 3), "+0.150");
    }
}

/// Longest name [`file_name`] makes (well under the 255 bytes of common filesystems, leaving room
/// for a prefix, a tag and a suffix).
pub const FILE_NAME_MAX: usize = 80;

/// A character allowed in a path component negsim writes: an ASCII letter or digit, `_`, `-`,
/// `+` or `.` (the rule of [`file_name`] and of `report::output::check_relative`).
pub fn path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '.')
}

/// A name from an input (a scenario's `meta.name`, a calibration record, a file stem) made safe
/// as one path component: every character other than an ASCII letter, digit, `_`, `-`, `+` or `.`
/// becomes `_`, leading `.` and `_` are dropped (no hidden files, no `..`), and it is cut at
/// [`FILE_NAME_MAX`] characters; `unnamed` if nothing is left. So `../../x` gives `x` and
/// `/etc/VICTIM` gives `etc_VICTIM`: a name can label a folder or file but never choose where it
/// goes. Output paths are still checked by `report::output::check_relative`.
pub fn file_name(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| if path_char(c) { c } else { '_' })
        .collect();
    let s: String = mapped
        .trim_start_matches(['.', '_'])
        .chars()
        .take(FILE_NAME_MAX)
        .collect();
    if s.is_empty() { "unnamed".into() } else { s }
}

#[cfg(test)]
mod file_name_tests {
    use super::file_name;

    #[test]
    fn a_name_cannot_leave_its_folder_or_hide() {
        assert_eq!(file_name("baseline"), "baseline");
        assert_eq!(file_name("../../x"), "x");
        assert_eq!(file_name("/tmp/audit/VICTIM"), "tmp_audit_VICTIM");
        assert_eq!(file_name(".hidden"), "hidden");
        assert_eq!(file_name(".."), "unnamed");
        assert_eq!(file_name(""), "unnamed");
        assert_eq!(file_name("US–China 2025"), "US_China_2025");
        assert_eq!(file_name("a\u{1b}[2Jb"), "a__2Jb");
        assert_eq!(file_name(&"y".repeat(500)).len(), super::FILE_NAME_MAX);
        for n in [
            "../../x",
            "/etc/passwd",
            "a/../../b",
            "..",
            ".",
            "x\\..\\y",
            "\u{0}",
        ] {
            let f = file_name(n);
            assert!(
                crate::report::output::check_relative(&f).is_ok(),
                "{n} -> {f}"
            );
            assert!(
                !f.contains('/') && f != ".." && !f.starts_with('.'),
                "{n} -> {f}"
            );
        }
    }
}

/// Text as it may reach a terminal: control characters (other than newline and tab) and the
/// Unicode bidirectional overrides are shown as `\u{..}` escapes, so a string from a file (a
/// scenario name, a key, a value in an error) can neither move the cursor, clear the screen nor
/// reorder what is shown.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    let hidden = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod printable_tests {
    use super::printable;

    #[test]
    fn escapes_reach_the_terminal_as_text() {
        assert_eq!(printable("ok: baseline"), "ok: baseline");
        assert_eq!(printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(printable("x\ry"), "x\\u{d}y");
        assert_eq!(printable("\u{202e}evil"), "\\u{202e}evil");
        assert_eq!(printable("keep\tthis\nline"), "keep\tthis\nline");
        assert_eq!(printable("US–China ✓"), "US–China ✓");
    }
}
