//! Charts: every chart is written, is a valid PNG of the expected size (and, for print, a PNG at
//! twice the size and an SVG), and is not blank; empty inputs render an honest panel;
//! --no-charts skips them.

use std::path::Path;

use super::run;

fn luminance_variance(path: &Path) -> (u32, u32, f64) {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("{} is not a readable PNG: {e}", path.display()))
        .to_rgb8();
    let (w, h) = img.dimensions();
    let n = f64::from(w) * f64::from(h);
    let lum: Vec<f64> = img
        .pixels()
        .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
        .collect();
    let mean = lum.iter().sum::<f64>() / n;
    (
        w,
        h,
        lum.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / n,
    )
}

fn assert_chart(dir: &Path, file: &str, size: (u32, u32)) {
    let p = dir.join(file);
    let bytes = std::fs::read(&p).unwrap_or_else(|_| panic!("{file} missing"));
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{file} lacks the PNG signature"
    );
    let (w, h, var) = luminance_variance(&p);
    assert_eq!((w, h), size, "{file} size");
    // A blank (single-colour) image has variance 0; a drawn chart has axes, text and data.
    assert!(var > 20.0, "{file} looks blank (luminance variance {var})");
}

#[test]
fn a_comparison_writes_six_charts_and_a_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("cmp");
    let o = run(&[
        "compare",
        "scenarios/baseline.toml",
        "--with",
        "scenarios/interventions/restore_kushner_channel.toml",
        "--runs",
        "200",
        "--quiet",
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Two arms: grids of one row.
    assert_chart(&out, "fan_tariffs.png", (1700, 470));
    assert_chart(&out, "regimes.png", (1700, 430));
    assert_chart(&out, "truce_survival.png", (1500, 900));
    assert_chart(&out, "effects_forest.png", (1800, 420));
    assert_chart(&out, "broken_truces.png", (1700, 410));
    assert_chart(&out, "story.png", (1700, 900));
    // Every chart also for print: the PNG at exactly twice the size, and an SVG of the same
    // size with its text as text.
    for (png, (w, h)) in [
        ("fan_tariffs", (1700, 470)),
        ("regimes", (1700, 430)),
        ("truce_survival", (1500, 900)),
        ("effects_forest", (1800, 420)),
        ("broken_truces", (1700, 410)),
        ("story", (1700, 900)),
    ] {
        assert_chart(&out, &format!("print/{png}_2x.png"), (2 * w, 2 * h));
        let svg = std::fs::read_to_string(out.join(format!("print/{png}.svg")))
            .unwrap_or_else(|_| panic!("print/{png}.svg missing"));
        assert!(
            svg.starts_with("<svg")
                && svg.contains(&format!("width=\"{w}\" height=\"{h}\""))
                && svg.contains("<text")
                && svg.trim_end().ends_with("</svg>"),
            "print/{png}.svg is not a {w}x{h} SVG with text"
        );
    }
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    for png in [
        "fan_tariffs.png",
        "regimes.png",
        "truce_survival.png",
        "effects_forest.png",
        "broken_truces.png",
        "story.png",
    ] {
        assert!(
            md.contains(&format!("]({png})")),
            "report.md does not embed {png}"
        );
    }
    assert!(
        md.contains("restore_kushner_channel")
            && md.contains("## Bottom line")
            && md.contains("helps most")
            && md.contains("The question")
    );
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<img src=\"story.png\""));
}

#[test]
fn a_run_without_any_truce_renders_honest_panels() {
    // The reduced tit-for-tat scenario has no negotiation and no agreement: no truce ever.
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("none");
    let o = run(&[
        "run",
        "tests/scenarios/ipd_tft.toml",
        "--runs",
        "64",
        "--weeks",
        "60",
        "--trace",
        "0",
        "--quiet",
        "--out",
        out.to_str().expect("utf8"),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"));
    assert_chart(&out, "truce_survival.png", (1500, 900));
    assert_chart(&out, "story.png", (1700, 900));
    let summary = std::fs::read_to_string(out.join("summary.csv")).expect("summary");
    assert!(
        summary.contains("truce_km_median_weeks,,"),
        "no truce: the median is empty, not zero:\n{summary}"
    );
}

#[test]
fn no_charts_means_no_png() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("plain");
    let o = run(&[
        "run",
        "scenarios/baseline.toml",
        "--runs",
        "64",
        "--no-charts",
        "--quiet",
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let pngs = std::fs::read_dir(&out)
        .expect("dir")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
        .count();
    assert_eq!(pngs, 0);
    assert!(out.join("report.md").exists());
}
