//! Uncertain values (issue 15, part 1): ranges and priors beside a value's provenance, checked
//! with file:line errors, listed by `explain`, and changing nothing about a run without worlds.

use negsim::scenario::uncertain::Prior;
use negsim::scenario::{Text, load_texts};

use super::{assert_fails_with, load, root, run, texts};

fn base() -> Text {
    Text {
        path: root().join("scenarios/baseline.toml").display().to_string(),
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
    // Lines wrap at 100 columns with a two-space indent.
    let out = out.replace("\n  ", " ");
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
            "compare",
            b,
            "--with",
            root()
                .join("scenarios/interventions/treasury_expertise.toml")
                .to_str()
                .expect("utf-8"),
            "--worlds",
            "20",
            "--independent",
            "--out",
            o,
            "-q",
        ]),
        &["drop --independent"],
    );
    assert!(!out.exists(), "nothing written on refusal");
}

/// Worlds shard like replicates: shards 1/3..3/3 merged (in any order given) write exactly the
/// files of the unsharded comparison; a missing or foreign shard is refused.
#[test]
fn worlds_shards_merge_to_the_unsharded_result_byte_for_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kushner = "scenarios/interventions/restore_kushner_channel.toml";
    let whole = dir.path().join("whole");
    let o = worlds_run(&whole, &[kushner], "2");
    assert!(o.status.success(), "{}", texts(&o).1);
    let base = root().join("scenarios/baseline.toml");
    let shard = |k: u64, seed: &str| -> std::path::PathBuf {
        let out = dir.path().join(format!("s{k}-{seed}"));
        let o = run(&[
            "compare",
            base.to_str().expect("utf-8"),
            "--with",
            root().join(kushner).to_str().expect("utf-8"),
            "--worlds",
            "20",
            "--runs",
            "6",
            "--weeks",
            "52",
            "--seed",
            seed,
            "--shard",
            &format!("{k}/3"),
            "--out",
            out.to_str().expect("utf-8"),
            "-q",
        ]);
        assert!(o.status.success(), "{}", texts(&o).1);
        out
    };
    let seed = "20251023";
    let parts: Vec<_> = (1..=3).map(|k| shard(k, seed)).collect();
    let merged = dir.path().join("merged");
    let p = |x: &std::path::Path| x.to_str().expect("utf-8").to_string();
    let o = run(&[
        "merge",
        &p(&parts[2]),
        &p(&parts[0]),
        &p(&parts[1]),
        "--out",
        &p(&merged),
        "-q",
    ]);
    assert!(o.status.success(), "{}", texts(&o).1);
    for f in [
        "effects_worlds.csv",
        "worlds.csv",
        "drivers_worlds.csv",
        "ranks_worlds.csv",
        "effects_worlds.png",
        "report.md",
    ] {
        let x = std::fs::read(whole.join(f)).expect("whole");
        let y = std::fs::read(merged.join(f)).expect("merged");
        assert!(
            x == y,
            "{f} differs between the whole run and the merged shards"
        );
    }
    assert_fails_with(
        &run(&[
            "merge",
            &p(&parts[0]),
            &p(&parts[1]),
            "--out",
            &p(&dir.path().join("m2")),
            "-q",
        ]),
        &["shard 3 of 3 is missing"],
    );
    let other = shard(3, "7");
    assert_fails_with(
        &run(&[
            "merge",
            &p(&parts[0]),
            &p(&parts[1]),
            &p(&other),
            "--out",
            &p(&dir.path().join("m3")),
            "-q",
        ]),
        &["belongs to a different run", "seed"],
    );
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

/// A reduced scenario whose effect is known in closed form as a function of one uncertain
/// value. In `tests/scenarios/richardson.toml` nothing is random and nobody moves a tariff, so
/// the US tariff at the horizon is exactly its written value. An overlay raising it to
/// `U ~ uniform[4, 24]` (written 12) therefore changes `final_tariff_us` by exactly `U − 10` in
/// every world: mean 4, 5–95% spread −5 .. +13, P(effect > 0) = 14/20 = 0.7, and P(helps) = 0.3
/// (a lower tariff is better). With no noise the deconvolution has nothing to remove, so the
/// only error is the design's: a Latin hypercube of W worlds puts exactly one world in each
/// stratum of width 20/W, so a share is off by at most 1/W and a quantile by at most one stratum
/// (20/W), plus the quantile rule's interpolation within it. Tolerances: 2/W and 2·20/W.
#[test]
fn a_closed_form_effect_is_recovered_across_worlds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ov = dir.path().join("tariff_up.toml");
    std::fs::write(
        &ov,
        "[overlay]\nname = \"tariff_up\"\ndescription = \"a higher US tariff, value uncertain\"\n\n[sides.us]\ntariff = { value = 12.0, range = [4.0, 24.0], source = \"P1\", note = \"test\", range_note = \"closed-form test\" }\n",
    )
    .expect("write");
    let w = 200usize;
    let out = dir.path().join("w");
    let scenario = root().join("tests/scenarios/richardson.toml");
    let o = run(&[
        "compare",
        scenario.to_str().expect("utf-8"),
        "--with",
        ov.to_str().expect("utf-8"),
        "--worlds",
        &w.to_string(),
        "--runs",
        "4",
        "--weeks",
        "20",
        "--out",
        out.to_str().expect("utf-8"),
        "-q",
    ]);
    assert!(o.status.success(), "{}", texts(&o).1);
    let effects = std::fs::read_to_string(out.join("effects_worlds.csv")).expect("effects");
    let header: Vec<&str> = effects.lines().next().expect("header").split(',').collect();
    let row: Vec<&str> = effects
        .lines()
        .find(|l| l.starts_with("final_tariff_us,tariff_up,"))
        .expect("row")
        .split(',')
        .collect();
    let get = |name: &str| -> f64 {
        let i = header.iter().position(|h| *h == name).expect(name);
        row[i]
            .parse()
            .unwrap_or_else(|_| panic!("{name}: {}", row[i]))
    };
    let (share_tol, q_tol) = (2.0 / w as f64, 2.0 * 20.0 / w as f64);
    let mean = get("mean_effect");
    assert!((mean - 4.0).abs() < q_tol, "mean {mean}");
    let (p05, p95) = (get("spread_p05"), get("spread_p95"));
    assert!((p05 - -5.0).abs() < q_tol, "5% of worlds: {p05}");
    assert!((p95 - 13.0).abs() < q_tol, "95% of worlds: {p95}");
    let p_pos = get("p_positive");
    assert!((p_pos - 0.7).abs() < share_tol, "P(effect > 0) {p_pos}");
    let p_helps = get("p_helps");
    assert!((p_helps - 0.3).abs() < share_tol, "P(helps) {p_helps}");
    // The spread of a uniform over a width of 20: 20 / sqrt(12).
    let sd = get("between_world_sd");
    assert!(
        (sd - 20.0 / 12f64.sqrt()).abs() < q_tol,
        "between-world sd {sd}"
    );
    assert_eq!(
        get("noise_share"),
        0.0,
        "nothing random: no noise to remove"
    );
}
