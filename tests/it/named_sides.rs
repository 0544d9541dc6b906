//! Any bilateral negotiation (issue 18): a scenario's own side keys, instruments and claims reach
//! every output file, and the article's words reach none; `negsim new` writes a scenario that
//! validates and runs; registry and role mistakes are refused with the key and what was expected.

use std::path::Path;

use super::{assert_fails_with, files, run, texts};

const EU: &str = "scenarios/examples/us_eu_2025.toml";
const EU_OVERLAY: &str = "scenarios/examples/us_eu_2025/legal_text.toml";

/// Words of the article's scenarios that must not appear in another negotiation's outputs: its
/// second side's key as a column suffix, its names, its data source and its claim ids.
fn leaks(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for word in ["China", "Chinese", "PIIE", "Kushner"] {
        if text.contains(word) {
            found.push(word.to_string());
        }
    }
    let tokens = text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
    for t in tokens {
        let claim = t.len() >= 2
            && t.starts_with('P')
            && t[1..].parse::<u32>().is_ok_and(|n| (1..=14).contains(&n));
        if claim || t.ends_with("_cn") || t.contains("_cn_") || t.starts_with("controls_") {
            found.push(t.to_string());
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Every text file of an output folder (CSV, Markdown, HTML, SVG charts), with its leaks.
fn leaks_in(dir: &Path) -> Vec<(String, Vec<String>)> {
    files(dir)
        .into_iter()
        .filter(|f| {
            f.extension()
                .is_some_and(|e| ["csv", "md", "html", "svg"].contains(&e.to_str().unwrap_or("")))
        })
        .filter_map(|f| {
            let text = std::fs::read_to_string(dir.join(&f)).expect("readable output");
            let l = leaks(&text);
            (!l.is_empty()).then(|| (f.display().to_string(), l))
        })
        .collect()
}

fn read(dir: &Path, f: &str) -> String {
    std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))
}

#[test]
fn the_leak_check_finds_the_article_words() {
    assert_eq!(leaks("a,peak_tariff_cn,b"), ["peak_tariff_cn"]);
    assert_eq!(leaks("tariff_cn_p50"), ["tariff_cn_p50"]);
    assert_eq!(leaks("see P4 and P14, not P15"), ["P14", "P4"]);
    assert_eq!(leaks("US on China"), ["China"]);
    assert_eq!(leaks("controls_added"), ["controls_added"]);
    assert!(leaks("peak_tariff_eu,anti_coercion_eu_mean,E5,US on EU").is_empty());
}

#[test]
fn the_us_eu_example_names_its_own_sides_instruments_and_claims_in_every_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cmp = dir.path().join("cmp");
    let worlds = dir.path().join("worlds");
    let sens = dir.path().join("sens");
    let cmp_s = cmp.to_str().expect("utf-8");
    let worlds_s = worlds.to_str().expect("utf-8");
    let sens_s = sens.to_str().expect("utf-8");
    for args in [
        vec![
            "compare", EU, "--with", EU_OVERLAY, "--runs", "300", "--out", cmp_s,
        ],
        vec![
            "compare", EU, "--with", EU_OVERLAY, "--worlds", "20", "--runs", "20", "--out",
            worlds_s,
        ],
        vec![
            "sensitivity",
            EU,
            "--samples",
            "4",
            "--runs",
            "40",
            "--out",
            sens_s,
        ],
    ] {
        let o = run(&args);
        assert!(o.status.success(), "{args:?}: {}", texts(&o).1);
    }
    for d in [&cmp, &worlds, &sens] {
        assert_eq!(
            leaks_in(d),
            Vec::<(String, Vec<String>)>::new(),
            "{}",
            d.display()
        );
    }
    let ts = read(&cmp, "us_eu_2025/timeseries.csv");
    let header = ts.lines().next().expect("a header");
    for col in [
        "tariff_eu_p50",
        "tariff_us_p50",
        "anti_coercion_eu_mean",
        "digital_measures_us_mean",
        "trust_eu_mean",
    ] {
        assert!(
            header.split(',').any(|c| c == col),
            "timeseries lacks {col}: {header}"
        );
    }
    let comparison = read(&cmp, "comparison.csv");
    assert!(
        comparison.contains("\npeak_tariff_eu,"),
        "comparison.csv names the EU's peak"
    );
    let summary = read(&cmp, "us_eu_2025/summary.csv");
    assert!(summary.contains("\"highest EU average tariff on the US, %\""));
    let kinds: Vec<String> = read(&cmp, "us_eu_2025/events.csv")
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(6).map(String::from))
        .collect();
    assert!(
        kinds
            .iter()
            .any(|k| k == "anti_coercion_added" || k == "digital_measures_added"),
        "events.csv names stock moves by the declared instruments"
    );
    assert!(read(&worlds, "effects_worlds.csv").contains("\npeak_tariff_eu,legal_text,"));
    assert!(read(&worlds, "worlds.csv").contains("legal_text:peak_tariff_eu"));
    let points = read(&sens, "points.csv");
    assert!(
        points
            .lines()
            .next()
            .is_some_and(|h| h.contains(",peak_tariff_eu,"))
    );
    let claims = read(&sens, "claims.csv");
    assert!(
        claims.contains("E5"),
        "the sensitivity ranks the scenario's own claims"
    );
    for svg in ["print/story.svg", "print/fan_tariffs.svg"] {
        let s = read(&cmp, svg);
        assert!(
            s.contains("EU on US") || s.contains("EU average tariff on the US"),
            "{svg}"
        );
    }
}

/// `negsim new NAME --dir D`, returning the scenario's path.
fn starter(dir: &Path, name: &str) -> std::path::PathBuf {
    let o = run(&["new", name, "--dir", dir.to_str().expect("utf-8")]);
    assert!(o.status.success(), "negsim new: {}", texts(&o).1);
    dir.join(format!("{name}.toml"))
}

#[test]
fn negsim_new_writes_a_scenario_that_validates_runs_and_is_not_overwritten() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = starter(dir.path(), "talks");
    let p = path.to_str().expect("utf-8");
    let o = run(&["validate", p]);
    assert!(o.status.success(), "the starter validates: {}", texts(&o).1);
    let again = run(&["new", "talks", "--dir", dir.path().to_str().expect("utf-8")]);
    assert_fails_with(&again, &["talks"]);
    let out = dir.path().join("out");
    let o = run(&[
        "run",
        p,
        "--runs",
        "200",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "the starter runs: {}", texts(&o).1);
    assert_eq!(leaks_in(&out), Vec::<(String, Vec<String>)>::new());
    let ts = read(&out, "timeseries.csv");
    assert!(ts.starts_with("week,date,tariff_a_mean"), "{}", &ts[..80]);
    assert!(
        ts.lines()
            .next()
            .is_some_and(|h| h.contains(",sanctions_a_mean,"))
    );
    // The starter's record is read against the starter's side keys and prefixes.
    let events = dir.path().join("talks/events.csv");
    let o = run(&["facts", events.to_str().expect("utf-8"), "--scenario", p]);
    assert!(
        o.status.success(),
        "facts reads the starter's record: {}",
        texts(&o).1
    );
    // And `calibrate` fits a constant to it: its events and levels, its side keys.
    let cfg = dir.path().join("cal.toml");
    std::fs::write(
        &cfg,
        format!(
            "[abc]\nparticles = 20\ngenerations = 1\nreplicates = 2\nseed = 1\n\n[[records]]\nname = \"talks\"\nscenario = {p:?}\nevents = {:?}\ntariffs = {:?}\n\n[[parameters]]\npath = \"behaviour.negotiation.logit_base\"\nprior = \"uniform\"\nlow = -4.0\nhigh = 1.0\n\n[[targets]]\nrecord = \"talks\"\nstatistic = \"share_truce\"\nto = 2026-06-01\nscale = 0.1\n\n[[targets]]\nrecord = \"talks\"\ntariff = \"b\"\ndate = 2026-01-05\nscale = 5.0\n",
            events.display().to_string(),
            dir.path().join("talks/tariffs.csv").display().to_string(),
        ),
    )
    .expect("write");
    let cal = dir.path().join("cal");
    let o = run(&[
        "calibrate",
        "--config",
        cfg.to_str().expect("utf-8"),
        "--out",
        cal.to_str().expect("utf-8"),
    ]);
    let (out_text, err) = texts(&o);
    assert!(
        o.status.success(),
        "calibrate on the starter's record: {err}"
    );
    for needle in ["share_truce", "tariff_b"] {
        assert!(
            out_text.contains(needle),
            "calibrate's table lacks {needle}: {out_text}"
        );
    }
}

#[test]
fn levels_with_different_words_name_the_shared_metrics_level() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = starter(dir.path(), "strike");
    let text = std::fs::read_to_string(&path).expect("starter");
    // Side b's level becomes a wage gap: its column word differs from side a's `tariff`.
    let at = text
        .find("[sides.b.instruments.tariffs]")
        .expect("side b's level");
    let (head, tail) = text.split_at(at);
    let tail = tail.replacen("column = \"tariff\"", "column = \"wage_gap\"", 1);
    std::fs::write(&path, format!("{head}{tail}")).expect("write");
    let out = dir.path().join("out");
    let o = run(&[
        "run",
        path.to_str().expect("utf-8"),
        "--runs",
        "200",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", texts(&o).1);
    let summary = read(&out, "summary.csv");
    for m in [
        "\npeak_tariff_a,",
        "\npeak_wage_gap_b,",
        "\nbroken_truces_level_rule,",
        "\ntruce_level_rule_rmst_weeks,",
    ] {
        assert!(summary.contains(m), "summary.csv lacks {m:?}");
    }
    assert!(
        !summary.contains("tariff_rule"),
        "no tariff rule when the levels differ"
    );
}

#[test]
fn claim_ids_and_roles_are_checked_against_the_scenarios_own_declarations() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = starter(dir.path(), "x");
    let text = std::fs::read_to_string(&path).expect("starter");
    let p = path.to_str().expect("utf-8");
    std::fs::write(
        &path,
        text.replacen(
            "value = 0.4, source = \"C1\"",
            "value = 0.4, source = \"P4\"",
            1,
        ),
    )
    .expect("write");
    let o = run(&["validate", p]);
    assert_fails_with(
        &o,
        &[
            "x.toml:",
            "sides.a.trust.source",
            "unknown source 'P4'",
            "C1..C2",
        ],
    );
    std::fs::write(&path, text.replace("buyer = \"b\"", "buyer = \"a\"")).expect("write");
    let o = run(&["validate", p]);
    assert_fails_with(&o, &["roles.buyer", "'a' is the buyer", "buyer = \"none\""]);
}
