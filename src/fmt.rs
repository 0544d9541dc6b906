//! Number formatting shared by every layer that writes numbers into text (CSV cells, notes in
//! calibrated scenarios, tables): one rule, so the same value prints the same everywhere.

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
