//! Every class of validation error names the file, the key path and the line:column, says what
//! was expected, and all problems of a file are reported together.

use negsim::scenario::{Text, load_texts};

use super::{assert_fails_with, root, run};

fn baseline() -> String {
    std::fs::read_to_string(root().join("scenarios/baseline.toml")).expect("baseline exists")
}

/// `text` with the first occurrence of `from` replaced by `to`; panics if `from` is absent.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "test setup: {from:?} not in the text");
    text.replacen(from, to, 1)
}

/// 1-based line of the first occurrence of `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    let i = text
        .find(needle)
        .unwrap_or_else(|| panic!("test setup: {needle:?} not found"));
    text[..i].matches('\n').count() + 1
}

fn errors(text: &str) -> String {
    match load_texts(
        &Text {
            path: root().join("scenarios/case.toml").display().to_string(),
            text: text.into(),
        },
        &[],
    ) {
        Ok(_) => panic!("expected a validation error"),
        Err(e) => e.to_string(),
    }
}

fn assert_error(text: &str, needle_line: &str, needles: &[&str]) {
    let e = errors(text);
    let line = line_of(text, needle_line);
    let place = format!("case.toml:{line}:");
    assert!(
        e.contains(&place),
        "error does not point at line {line}:\n{e}"
    );
    for n in needles {
        assert!(e.contains(n), "error lacks {n:?}:\n{e}");
    }
}

#[test]
fn unknown_key_gets_did_you_mean_and_position() {
    let t = edit(
        &baseline(),
        "coordination = { value = 0.35",
        "cordination = { value = 0.35",
    );
    assert_error(
        &t,
        "cordination",
        &[
            "sides.us.cordination",
            "unknown key 'cordination' (did you mean 'coordination'?)",
        ],
    );
    // The now-missing required key is reported too: all problems, not the first.
    assert!(errors(&t).contains("sides.us.coordination: missing required key"));
}

#[test]
fn wrong_type_names_key_and_expectation() {
    let t = edit(
        &baseline(),
        "trust = { value = 0.25,",
        "trust = { value = \"high\",",
    );
    assert_error(
        &t,
        "\"high\"",
        &[
            "sides.us.trust",
            "expected a number in [0, 1]",
            "found a string",
        ],
    );
}

#[test]
fn probability_out_of_range() {
    let t = edit(
        &baseline(),
        "misread_conciliation = { value = 0.06",
        "misread_conciliation = { value = 1.3",
    );
    assert_error(
        &t,
        "value = 1.3",
        &[
            "channels.official.misread_conciliation",
            "1.3 is out of range: expected a number in [0, 1]",
        ],
    );
}

#[test]
fn negative_rate() {
    let t = edit(
        &baseline(),
        "close_rate = { value = 1.0, source = \"P10\"",
        "close_rate = { value = -1.0, source = \"P10\"",
    );
    assert_error(
        &t,
        "value = -1.0",
        &[
            "channels.intermediaries.close_rate",
            "expected a number >= 0 (at most 1e6) (per year)",
        ],
    );
}

#[test]
fn non_finite_numbers_are_rejected() {
    let t = edit(
        &baseline(),
        "face_cost = { value = 0.3",
        "face_cost = { value = nan",
    );
    assert_error(
        &t,
        "value = nan",
        &["sides.us.face_cost", "not a finite number"],
    );
    let t = edit(
        &baseline(),
        "tariff_step = { value = 3.0",
        "tariff_step = { value = inf",
    );
    assert_error(
        &t,
        "value = inf",
        &["sides.us.tariff_step", "not a finite number"],
    );
}

#[test]
fn dates_outside_the_horizon() {
    let t = edit(&baseline(), "date = 2025-10-30", "date = 2031-01-01");
    assert_error(
        &t,
        "2031-01-01",
        &[
            "calendar.busan_summit.date",
            "after the horizon",
            "156 weeks",
        ],
    );
    let t = edit(&baseline(), "date = 2025-10-30", "date = 2025-10-01");
    assert_error(
        &t,
        "2025-10-01",
        &[
            "calendar.busan_summit.date",
            "before the scenario start 2025-10-23",
        ],
    );
}

#[test]
fn clout_that_cannot_be_normalised() {
    let full = baseline();
    let at = full.find("[sides.cn]").expect("cn section");
    let (us, mut cn) = (full[..at].to_string(), full[at..].to_string());
    for from in ["clout = 0.55", "clout = 0.25", "clout = 0.2"] {
        cn = edit(&cn, from, "clout = 0.0");
    }
    let t = us + &cn;
    assert_error(
        &t,
        "[sides.cn]",
        &["sides.cn.factions.clout", "clout cannot be normalised"],
    );
}

#[test]
fn invalid_toml_syntax_points_at_the_line() {
    let t = edit(&baseline(), "weeks = 156", "weeks = = 156");
    assert_error(&t, "weeks = = 156", &["invalid TOML"]);
}

#[test]
fn unknown_claim_id() {
    let t = edit(&baseline(), "source = \"P7\"", "source = \"P77\"");
    assert_error(
        &t,
        "\"P77\"",
        &["sides.us.coordination.source", "unknown source 'P77'"],
    );
}

#[test]
fn duplicate_names_and_leaders() {
    let t = edit(
        &baseline(),
        "name = \"intermediaries\"",
        "name = \"official\"",
    );
    assert!(errors(&t).contains("duplicate channel name 'official'"));
    let t = edit(
        &baseline(),
        "name = \"security_hawks\"\nsource",
        "name = \"security_hawks\"\nleader = true\nsource",
    );
    assert!(
        errors(&t)
            .contains("sides.us.factions: exactly one faction must have leader = true, found 2")
    );
}

#[test]
fn all_problems_of_a_file_are_reported_together() {
    let mut t = edit(&baseline(), "weeks = 156", "weeks = -3");
    t = edit(&t, "rapport = { value = 0.1", "rapport = { value = 7.0");
    t = edit(&t, "kind = \"official\"", "kind = \"oficial\"");
    let e = errors(&t);
    assert!(e.contains("meta.weeks"), "{e}");
    assert!(e.contains("negotiators.rapport"), "{e}");
    assert!(
        e.contains(
            "channels.official.kind: unknown value \"oficial\" (did you mean \"official\"?)"
        ),
        "{e}"
    );
    assert!(e.contains("3 problems found"), "{e}");
}

#[test]
fn the_binary_reports_errors_with_the_file_name_and_exit_code_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        edit(
            &baseline(),
            "coordination = { value = 0.35",
            "coordination = { value = 1.35",
        ),
    )
    .expect("write");
    let o = run(&["validate", bad.to_str().expect("utf8 path")]);
    assert_fails_with(
        &o,
        &[
            "negsim: error:",
            "bad.toml:",
            "sides.us.coordination",
            "out of range",
        ],
    );
    let o = run(&["validate", "no/such/file.toml"]);
    assert_fails_with(&o, &["cannot read scenario 'no/such/file.toml'"]);
}

#[test]
fn shipped_scenarios_validate_and_baseline_encodes_every_claim() {
    for f in ["scenarios/baseline.toml", "scenarios/first_term.toml"] {
        let o = run(&["validate", f]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{f}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let l = super::load("scenarios/baseline.toml", &[]);
    let ids: Vec<String> = l.scenario.claims.ids().map(String::from).collect();
    assert_eq!(ids.len(), 14, "the article's registry holds P1..P14");
    for id in &ids {
        assert!(
            l.scenario
                .params
                .iter()
                .any(|p| p.provenance.as_ref().is_some_and(|pr| pr.source == *id)),
            "baseline.toml encodes no parameter with source {id}"
        );
    }
}
