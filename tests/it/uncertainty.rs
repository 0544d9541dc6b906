//! Uncertain values (issue 15, part 1): ranges and priors beside a value's provenance, checked
//! with file:line errors, listed by `explain`, and changing nothing about a run without worlds.

use negsim::scenario::uncertain::Prior;
use negsim::scenario::{Text, load_texts};

use super::{assert_fails_with, load, root, run, texts};

fn base() -> Text {
    Text {
        path: "base.toml".into(),
        text: std::fs::read_to_string(root().join("scenarios/baseline.toml")).expect("baseline"),
    }
}

fn with_overlay(line: &str) -> Result<negsim::scenario::Loaded, String> {
    load_texts(
        &base(),
        &[Text {
            path: "ov.toml".into(),
            text: format!("[overlay]\nname = \"x\"\n\n[sides.us]\n{line}\n"),
        }],
    )
    .map_err(|e| e.to_string())
}

fn error(line: &str) -> String {
    match with_overlay(line) {
        Ok(_) => panic!("expected an error for {line}"),
        Err(e) => e,
    }
}

#[test]
fn a_range_is_read_with_its_prior_and_reason() {
    let l = with_overlay(
        "coordination = { value = 0.75, range = [0.5, 0.9], source = \"P7\", note = \"n\", range_note = \"why\" }",
    )
    .expect("loads");
    let p = l
        .scenario
        .params
        .iter()
        .find(|p| p.path == "sides.us.coordination")
        .expect("recorded");
    let u = p.uncertain.as_ref().expect("uncertain");
    assert_eq!(u.prior, Prior::Uniform { lo: 0.5, hi: 0.9 });
    assert_eq!(u.note, "why");
    assert!(!u.assumed());
    let l = with_overlay(
        "coordination = { value = 0.75, range = [0.5, 0.9], prior = \"beta\", shape = [2, 3], source = \"P7\" }",
    )
    .expect("loads");
    let u = l
        .scenario
        .params
        .iter()
        .find_map(|p| (p.path == "sides.us.coordination").then_some(p.uncertain.as_ref()?))
        .expect("uncertain");
    assert_eq!(
        u.prior,
        Prior::Beta {
            alpha: 2.0,
            beta: 3.0,
            lo: 0.5,
            hi: 0.9
        }
    );
    assert!(u.assumed(), "no range_note: assumed");
}

#[test]
fn every_bad_range_is_an_error_naming_file_line_and_key() {
    let cases = [
        ("range = [0.9, 0.5]", "is empty: expected low < high"),
        (
            "range = [0.5, 1.5]",
            "leaves the key's allowed values: expected both ends to be a number in [0, 1]",
        ),
        ("range = [0.5]", "expected two finite numbers [low, high]"),
        (
            "range = [0.5, \"x\"]",
            "expected two finite numbers [low, high]",
        ),
        (
            "range = [0.5, 0.9], prior = \"normal\"",
            "expected \"uniform\", \"log-uniform\" or \"beta\"",
        ),
        (
            "range = [0.0, 0.9], prior = \"log-uniform\"",
            "a log-uniform prior needs a range above 0",
        ),
        (
            "range = [0.5, 0.9], prior = \"beta\"",
            "a beta prior needs its shape",
        ),
        (
            "range = [0.5, 0.9], prior = \"beta\", shape = [0, 2]",
            "expected two numbers in (0, 1000]",
        ),
        (
            "range = [0.5, 0.9], shape = [2, 2]",
            "shape is for a beta prior only",
        ),
        (
            "prior = \"uniform\"",
            "needs a range: write range = [low, high]",
        ),
        (
            "range = [0.5, 0.9], range_note = 3",
            "range_note: expected a string",
        ),
    ];
    for (keys, needle) in cases {
        let e = error(&format!(
            "coordination = {{ value = 0.75, {keys}, source = \"P7\", note = \"n\" }}"
        ));
        assert!(e.contains("ov.toml:5:"), "{keys}: {e}");
        assert!(e.contains("sides.us.coordination."), "{keys}: {e}");
        assert!(e.contains(needle), "{keys}: {e}");
    }
    // Only numbers can be uncertain.
    let only = load_texts(
        &base(),
        &[Text {
            path: "ov.toml".into(),
            text:
                "[sides.us]\nleader_style = { value = \"process\", range = [0, 1], source = \"P9\" }\n"
                    .into(),
        }],
    );
    let e = match only {
        Ok(_) => panic!("a range on a string is an error"),
        Err(e) => e.to_string(),
    };
    assert!(
        e.contains("ov.toml:2:") && e.contains("only a number can carry a range or prior"),
        "{e}"
    );
}

#[test]
fn validate_and_explain_list_what_is_uncertain() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ov = dir.path().join("ov.toml");
    std::fs::write(
        &ov,
        "[overlay]\nname = \"x\"\n\n[sides.us]\ncoordination = { value = 0.75, range = [0.5, 0.9], source = \"P7\", note = \"n\" }\n",
    )
    .expect("write");
    let base = root().join("scenarios/baseline.toml");
    let (b, o) = (base.to_str().expect("utf-8"), ov.to_str().expect("utf-8"));
    let v = run(&["validate", b, "--with", o]);
    let (out, _) = texts(&v);
    assert!(v.status.success());
    // The baseline's ranges all give reasons; the overlay's range gives none.
    assert!(out.contains(" uncertain values (1 assumed)"), "{out}");
    let e = run(&["explain", b, "--with", o]);
    let (out, _) = texts(&e);
    assert!(e.status.success());
    assert!(
        out.contains("values with a declared plausible range"),
        "{out}"
    );
    assert!(out.contains("sides.us.coordination"), "{out}");
    assert!(out.contains("uniform(0.5, 0.9)"), "{out}");
    assert!(
        out.contains("assumed (no range_note gives a reason)"),
        "{out}"
    );
    let first = root().join("scenarios/first_term.toml");
    let plain = run(&["explain", first.to_str().expect("utf-8")]);
    assert!(
        texts(&plain)
            .0
            .contains("no value declares a plausible range")
    );
    // A bad range fails validation with exit code 1 and file:line.
    std::fs::write(
        &ov,
        "[sides.us]\ncoordination = { value = 0.75, range = [0.9, 0.5], source = \"P7\", note = \"n\" }\n",
    )
    .expect("write");
    assert_fails_with(
        &run(&["validate", b, "--with", o]),
        &[
            "ov.toml:2:",
            "sides.us.coordination.range",
            "expected low < high",
        ],
    );
}

/// Every shipped intervention gives each value it changes a range with a stated reason, and the
/// ranges leave the parameters the run uses untouched (a run without worlds uses `value`).
#[test]
fn shipped_interventions_give_every_numeric_change_a_reasoned_range() {
    let base = load("scenarios/baseline.toml", &[]);
    for name in [
        "cui_backchannel_succeeds",
        "rebuild_nsc_coordination",
        "restore_kushner_channel",
        "treasury_expertise",
    ] {
        let path = format!("scenarios/interventions/{name}.toml");
        let l = load("scenarios/baseline.toml", &[&path]);
        let before: std::collections::BTreeMap<&str, &str> = base
            .scenario
            .params
            .iter()
            .map(|p| (p.path.as_str(), p.value.as_str()))
            .collect();
        let changed: Vec<_> = l
            .scenario
            .params
            .iter()
            .filter(|p| {
                p.number.is_some() && before.get(p.path.as_str()) != Some(&p.value.as_str())
            })
            .collect();
        assert!(!changed.is_empty(), "{name}");
        for p in changed {
            if p.path.ends_with(".open") {
                continue;
            }
            let u = p
                .uncertain
                .as_ref()
                .unwrap_or_else(|| panic!("{name}: {} has no range", p.path));
            assert!(
                !u.assumed(),
                "{name}: {} gives no reason for its range",
                p.path
            );
            let (lo, hi) = u.prior.bounds();
            let x = p.number.unwrap_or(f64::NAN);
            assert!(lo <= x && x <= hi, "{name}: {}", p.path);
        }
    }
}

fn worlds_run(out: &std::path::Path, arms: &[&str], threads: &str) -> std::process::Output {
    let base = root().join("scenarios/baseline.toml");
    let mut args: Vec<String> = vec![
        "compare".into(),
        base.display().to_string(),
        "--worlds".into(),
        "20".into(),
        "--runs".into(),
        "6".into(),
        "--weeks".into(),
        "52".into(),
        "--threads".into(),
        threads.into(),
        "--out".into(),
        out.display().to_string(),
        "-q".into(),
    ];
    for a in arms {
        args.push("--with".into());
        args.push(root().join(a).display().to_string());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&refs)
}

/// Worlds are the same at any thread count, and a world's value of an input does not depend on
/// which other arms (and so which other uncertain inputs) the comparison has.
#[test]
fn worlds_are_deterministic_and_keyed_by_path_not_by_the_arms_present() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kushner = "scenarios/interventions/restore_kushner_channel.toml";
    let treasury = "scenarios/interventions/treasury_expertise.toml";
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    for (out, arms, threads) in [
        (&a, vec![kushner], "1"),
        (&b, vec![kushner], "2"),
        (&c, vec![kushner, treasury], "2"),
    ] {
        let o = worlds_run(out, &arms, threads);
        assert!(o.status.success(), "{}", texts(&o).1);
    }
    for f in ["effects_worlds.csv", "worlds.csv"] {
        let x = std::fs::read(a.join(f)).expect("a");
        let y = std::fs::read(b.join(f)).expect("b");
        assert_eq!(x, y, "{f} differs between 1 and 2 threads");
    }
    // worlds.csv: the same value in every world for every input both runs have.
    let table = |p: &std::path::Path| -> Vec<Vec<String>> {
        std::fs::read_to_string(p.join("worlds.csv"))
            .expect("worlds.csv")
            .lines()
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect()
    };
    let (ta, tc) = (table(&a), table(&c));
    assert_eq!(ta.len(), 21, "a header and 20 worlds");
    let mut shared = 0;
    for (j, name) in ta[0].iter().enumerate().skip(1) {
        if name.contains(':') {
            continue;
        }
        let Some(k) = tc[0].iter().position(|n| n == name) else {
            continue;
        };
        shared += 1;
        for w in 1..ta.len() {
            assert_eq!(ta[w][j], tc[w][k], "{name} in world {w}");
        }
    }
    assert!(shared >= 20, "{shared} inputs shared");
    assert!(tc[0].iter().any(|n| n == "negotiators.us.expertise"));
    // And the Kushner arm's effects are the same with or without the treasury arm beside it.
    let effects = |p: &std::path::Path| -> Vec<String> {
        std::fs::read_to_string(p.join("effects_worlds.csv"))
            .expect("effects")
            .lines()
            .filter(|l| l.contains(",restore_kushner_channel,"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(effects(&a), effects(&c));
    let (out, _) = texts(&worlds_run(&dir.path().join("d"), &[kushner], "1"));
    assert!(out.contains("\nrestore_kushner_channel: "), "{out}");
    assert!(
        out.contains("Intervals cover parameters and simulation noise"),
        "{out}"
    );
}

#[test]
fn worlds_need_declared_ranges_and_refuse_what_they_cannot_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = root().join("scenarios/first_term.toml");
    let f = first.to_str().expect("utf-8");
    let out = dir.path().join("x");
    let o = out.to_str().expect("utf-8");
    assert_fails_with(
        &run(&["run", f, "--worlds", "20", "--out", o, "-q"]),
        &["no value of these scenarios declares a range"],
    );
    let base = root().join("scenarios/baseline.toml");
    let b = base.to_str().expect("utf-8");
    assert_fails_with(
        &run(&["run", b, "--worlds", "1", "--out", o, "-q"]),
        &["give at least 20 worlds"],
    );
    assert_fails_with(
        &run(&[
            "run", b, "--worlds", "20", "--shard", "1/2", "--out", o, "-q",
        ]),
        &["--worlds cannot be sharded yet"],
    );
    assert!(!out.exists(), "nothing written on refusal");
}

/// An overlay that only gives a range to a value the base already has describes the base's value:
/// the base and the arm draw it together, so the arm's effect is exactly zero in every world.
#[test]
fn a_range_only_overlay_creates_no_effect() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ov = dir.path().join("range_only.toml");
    std::fs::write(
        &ov,
        "[overlay]\nname = \"range_only\"\ndescription = \"a range for China's trust\"\n\n[sides.cn]\ntrust = { value = 0.2, range = [0.05, 0.4], source = \"P10\", note = \"as in the base\", range_note = \"test\" }\n",
    )
    .expect("write");
    let out = dir.path().join("w");
    let o = worlds_run(&out, &[ov.to_str().expect("utf-8")], "2");
    assert!(o.status.success(), "{}", texts(&o).1);
    let effects = std::fs::read_to_string(out.join("effects_worlds.csv")).expect("effects");
    let row = effects
        .lines()
        .find(|l| l.starts_with("share_truce,range_only,"))
        .expect("row");
    let mean: f64 = row
        .split(',')
        .nth(4)
        .and_then(|x| x.parse().ok())
        .expect("mean");
    assert_eq!(mean, 0.0, "{row}");
    let worlds = std::fs::read_to_string(out.join("worlds.csv")).expect("worlds");
    assert!(
        worlds
            .lines()
            .next()
            .is_some_and(|h| h.contains("sides.cn.trust"))
    );
}
