//! CLI habits (issue 16, part 4): the thread count, progress in logs, completions, and default
//! output folders that never collide.

use std::path::Path;

use super::{assert_fails_with, negsim, root, texts};

fn manifest_threads(dir: &Path) -> u64 {
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["threads"].as_u64().expect("threads")
}

/// Runs negsim with `args` and `--out DIR/out`; returns the folder and the output.
fn run_into(dir: &Path, out: &str, args: &[&str]) -> (std::path::PathBuf, std::process::Output) {
    let d = dir.join(out);
    let o = negsim()
        .args(args)
        .arg("--out")
        .arg(&d)
        .output()
        .expect("runs");
    (d, o)
}

fn baseline() -> String {
    root().join("scenarios/baseline.toml").display().to_string()
}

#[test]
fn threads_are_capped_at_the_work_and_rayon_num_threads_is_honoured() {
    let dir = tempfile::tempdir().expect("temp");
    let run = |out: &str, extra: &[&str], env: Option<&str>| {
        let d = dir.path().join(out);
        let mut c = negsim();
        c.env_remove("RAYON_NUM_THREADS");
        if let Some(v) = env {
            c.env("RAYON_NUM_THREADS", v);
        }
        let b = baseline();
        let mut args = vec!["run", b.as_str(), "--no-charts", "-q", "--out"];
        let ds = d.display().to_string();
        args.push(&ds);
        args.extend_from_slice(extra);
        let o = c.args(&args).output().expect("runs");
        (d, o)
    };
    // 10 replicates are one batch: one thread, however many are asked for.
    let (d, o) = run("a", &["--runs", "10", "--threads", "1000"], None);
    assert!(o.status.success(), "{}", texts(&o).1);
    assert_eq!(manifest_threads(&d), 1);
    // 200 replicates are 4 batches of 64: two threads stay two.
    let (d, o) = run("b", &["--runs", "200", "--threads", "2"], None);
    assert!(o.status.success(), "{}", texts(&o).1);
    assert_eq!(manifest_threads(&d), 2);
    // Without --threads, RAYON_NUM_THREADS decides; --threads wins over it.
    let (d, o) = run("c", &["--runs", "200"], Some("1"));
    assert!(o.status.success(), "{}", texts(&o).1);
    assert_eq!(manifest_threads(&d), 1);
    let (d, o) = run("d", &["--runs", "200", "--threads", "2"], Some("1"));
    assert!(o.status.success(), "{}", texts(&o).1);
    assert_eq!(manifest_threads(&d), 2);
    let (d, o) = run("e", &["--runs", "200"], Some("lots"));
    assert_fails_with(&o, &["RAYON_NUM_THREADS='lots'"]);
    assert!(!d.exists(), "nothing written");
}

#[test]
fn progress_is_printed_as_plain_lines_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().expect("temp");
    let b = baseline();
    let go = |quiet: bool| {
        let out = dir.path().join(if quiet { "q" } else { "p" });
        let o_s = out.display().to_string();
        let mut args = vec![
            "run",
            &b,
            "--runs",
            "4000",
            "--threads",
            "1",
            "--no-charts",
            "--out",
            &o_s,
        ];
        if quiet {
            args.push("-q");
        }
        // The test's stderr is a pipe, not a terminal.
        negsim()
            .env("NEGSIM_PROGRESS_SECONDS", "0.05")
            .args(&args)
            .output()
            .expect("runs")
    };
    let o = go(false);
    assert!(o.status.success(), "{}", texts(&o).1);
    let err = texts(&o).1;
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("negsim: ") && l.contains("/4000 replicates ("))
        .collect();
    assert!(!lines.is_empty(), "no progress line in:\n{err}");
    assert!(!err.contains('\r'), "no terminal redraws in a log");
    let o = go(true);
    assert!(o.status.success());
    assert!(
        !texts(&o).1.contains("replicates ("),
        "--quiet prints no progress"
    );
    // Worlds count worlds.
    let t = root().join("scenarios/interventions/treasury_expertise.toml");
    let d = dir.path().join("w");
    let o = negsim()
        .env("NEGSIM_PROGRESS_SECONDS", "0.02")
        .args(["compare", &b, "--with", t.to_str().expect("utf-8")])
        .args([
            "--worlds",
            "40",
            "--runs",
            "20",
            "--threads",
            "1",
            "--no-charts",
            "--out",
        ])
        .arg(&d)
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", texts(&o).1);
    assert!(texts(&o).1.contains("/40 worlds ("), "{}", texts(&o).1);
}

#[test]
fn completions_are_generated_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        let o = negsim()
            .args(["completions", shell])
            .output()
            .expect("runs");
        assert!(o.status.success(), "{shell}: {}", texts(&o).1);
        let out = texts(&o).0;
        assert!(
            out.contains("negsim") && out.contains("compare") && out.contains("--worlds"),
            "{shell}"
        );
    }
    let o = negsim()
        .args(["completions", "tcsh"])
        .output()
        .expect("runs");
    assert_eq!(
        o.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

/// Runs negsim in `cwd` with `args`; asserts success.
fn ok_in(cwd: &Path, args: &[&str]) -> String {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_negsim"))
        .current_dir(cwd)
        .env_remove("RAYON_NUM_THREADS")
        .args(args)
        .output()
        .expect("runs");
    assert!(o.status.success(), "{args:?}: {}", texts(&o).1);
    texts(&o).0
}

#[test]
fn default_output_folders_never_collide() {
    let dir = tempfile::tempdir().expect("temp");
    let cwd = dir.path();
    let b = baseline();
    let t = root().join("scenarios/interventions/treasury_expertise.toml");
    let k = root().join("scenarios/interventions/restore_kushner_channel.toml");
    let (t, k) = (t.display().to_string(), k.display().to_string());
    let common = ["--runs", "10", "--weeks", "20", "--no-charts", "-q"];
    let with = |v: &[&str]| -> Vec<String> {
        v.iter()
            .chain(common.iter())
            .map(|s| s.to_string())
            .collect()
    };
    for args in [
        with(&["run", &b]),
        with(&["run", &b, "--with", &t]),
        with(&["compare", &b, "--with", &t]),
        with(&["compare", &b, "--with", &k]),
    ] {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        ok_in(cwd, &refs);
    }
    let mut folders: Vec<String> = std::fs::read_dir(cwd.join("output"))
        .expect("output")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    folders.sort();
    assert_eq!(
        folders,
        [
            "baseline",
            "baseline+treasury_expertise",
            "compare-baseline+restore_kushner_channel",
            "compare-baseline+treasury_expertise",
        ]
    );
    // The two sweep examples of docs/EXPLORE.md, as written but small.
    for vary in [
        vec![
            "--vary",
            "sides.cn.initiative_aversion=0.05..0.85:3",
            "--vary",
            "channels.official.authority=0.15..0.95:3",
        ],
        vec!["--vary", "channels.official.misread_conciliation=0..0.15:3"],
    ] {
        let mut args = vec!["sweep", b.as_str()];
        args.extend(vary);
        args.extend(["--runs", "5", "--weeks", "20", "--no-charts", "-q"]);
        ok_in(cwd, &args);
    }
    let sweeps = std::fs::read_dir(cwd.join("output"))
        .expect("output")
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("sweep-baseline-")
        })
        .count();
    assert_eq!(sweeps, 2, "each sweep in its own folder");
}

#[test]
fn the_default_job_reads_the_interventions_folder_when_there_is_one() {
    let dir = tempfile::tempdir().expect("temp");
    let cwd = dir.path();
    std::fs::create_dir_all(cwd.join("scenarios/interventions")).expect("dirs");
    // A small static scenario (nothing random, 20 weeks) and two interventions with ranges.
    let base = std::fs::read_to_string(root().join("tests/scenarios/richardson.toml"))
        .expect("richardson")
        .replace("weeks = 600", "weeks = 20");
    std::fs::write(cwd.join("scenarios/baseline.toml"), base).expect("write");
    for (name, v) in [("tariff_up", "12.0"), ("tariff_down", "8.0")] {
        std::fs::write(
            cwd.join(format!("scenarios/interventions/{name}.toml")),
            format!("[overlay]\nname = \"{name}\"\ndescription = \"test\"\n\n[sides.us]\ntariff = {{ value = {v}, range = [4.0, 24.0], source = \"P1\", note = \"test\", range_note = \"test\" }}\n"),
        )
        .expect("write");
    }
    let out = ok_in(cwd, &[]);
    assert!(
        out.contains("every intervention in ./scenarios/interventions/ (2 files)"),
        "{out}"
    );
    for arm in ["tariff_up", "tariff_down"] {
        assert!(cwd.join("output/default").join(arm).is_dir(), "{arm}");
    }
}

#[test]
fn base_arm_contrasts_any_two_arms_on_common_random_numbers() {
    let dir = tempfile::tempdir().expect("temp");
    let b = baseline();
    let k = root().join("scenarios/interventions/restore_kushner_channel.toml");
    let t = root().join("scenarios/interventions/treasury_expertise.toml");
    let (k, t) = (k.display().to_string(), t.display().to_string());
    let kt = format!("{k}+{t}");
    let compare = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "compare",
            &b,
            "--with",
            &k,
            "--with",
            &kt,
            "--runs",
            "300",
            "--weeks",
            "52",
            "--no-charts",
            "-q",
        ];
        args.extend_from_slice(extra);
        run_into(dir.path(), out, &args)
    };
    let (plain, o) = compare("plain", &[]);
    assert!(o.status.success(), "{}", texts(&o).1);
    let (based, o) = compare("based", &["--base-arm", "restore_kushner_channel"]);
    assert!(o.status.success(), "{}", texts(&o).1);
    // share_truce per replicate, per arm: the contrast against Kushner is the difference of the
    // same replicates' values, exactly.
    let col = |d: &Path, arm: &str| -> Vec<f64> {
        let text = std::fs::read_to_string(d.join(arm).join("runs.csv")).expect("runs.csv");
        let mut lines = text.lines();
        let h: Vec<&str> = lines.next().expect("header").split(',').collect();
        let i = h.iter().position(|c| *c == "share_truce").expect("column");
        lines
            .map(|l| l.split(',').nth(i).expect("cell").parse().expect("number"))
            .collect()
    };
    let (kk, kkt) = (
        col(&plain, "restore_kushner_channel"),
        col(&plain, "restore_kushner_channel+treasury_expertise"),
    );
    let mean = kkt.iter().zip(&kk).map(|(a, b)| a - b).sum::<f64>() / kk.len() as f64;
    let cmp = std::fs::read_to_string(based.join("comparison.csv")).expect("comparison");
    let row: Vec<&str> = cmp
        .lines()
        .find(|l| l.starts_with("share_truce,restore_kushner_channel+treasury_expertise,"))
        .expect("row")
        .split(',')
        .collect();
    let diff: f64 = row[5].parse().expect("diff");
    assert!((diff - mean).abs() < 1e-6, "{diff} vs {mean}");
    // The base scenario is now an arm contrasted with Kushner.
    assert!(cmp.lines().any(|l| l.starts_with("share_truce,baseline,")));
    let o = compare("bad", &["--base-arm", "kushner"]);
    assert_fails_with(
        &o.1,
        &[
            "--base-arm kushner: no arm has that name",
            "restore_kushner_channel",
        ],
    );
}

#[test]
fn an_overlay_given_as_a_scenario_gets_a_hint() {
    let ov = root().join("scenarios/interventions/treasury_expertise.toml");
    let o = negsim()
        .args(["run", ov.to_str().expect("utf-8"), "--runs", "5", "-q"])
        .output()
        .expect("runs");
    assert_fails_with(&o, &["this is an overlay", "give it with --with"]);
    assert_eq!(
        texts(&o).1.lines().count(),
        1,
        "one clear line, not a list of missing keys"
    );
}

#[test]
fn json_prints_the_headline_table_and_nothing_else() {
    let dir = tempfile::tempdir().expect("temp");
    let b = baseline();
    let t = root().join("scenarios/interventions/treasury_expertise.toml");
    let t = t.display().to_string();
    let out = dir.path().join("c");
    let o_s = out.display().to_string();
    let o = negsim()
        .args([
            "compare",
            &b,
            "--with",
            &t,
            "--runs",
            "200",
            "--weeks",
            "52",
            "--no-charts",
            "--json",
            "--out",
            &o_s,
        ])
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", texts(&o).1);
    // The whole of stdout is one JSON document.
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    assert_eq!(v["schema"], 1);
    assert_eq!(v["command"], "compare");
    assert_eq!(v["runs_per_arm"], 200);
    assert_eq!(v["base_arm"], "baseline");
    assert!(
        v["intervals"]
            .as_str()
            .is_some_and(|s| s.contains("simulation noise only"))
    );
    let arms = v["arms"].as_array().expect("arms");
    assert_eq!(arms.len(), 2);
    assert!(arms[0]["vs_base"].is_null());
    for m in [
        "share_truce",
        "broken_truces_per_year",
        "durable_deal",
        "peak_tariff_us",
        "truce_rmst_weeks",
        "truce_km_median_weeks",
    ] {
        let e = &arms[1]["estimates"][m];
        let (x, lo, hi) = (
            e["estimate"].as_f64().expect(m),
            e["ci_low"].as_f64().expect(m),
            e["ci_high"].as_f64().expect(m),
        );
        assert!(lo <= x && x <= hi, "{m}: {lo} {x} {hi}");
        assert!(arms[1]["vs_base"][m]["difference"].is_f64(), "{m}");
    }
    // The same number as comparison.csv.
    let cmp = std::fs::read_to_string(out.join("comparison.csv")).expect("comparison");
    let row: Vec<&str> = cmp
        .lines()
        .find(|l| l.starts_with("share_truce,treasury_expertise,"))
        .expect("row")
        .split(',')
        .collect();
    let csv_diff: f64 = row[5].parse().expect("number");
    let json_diff = arms[1]["vs_base"]["share_truce"]["difference"]
        .as_f64()
        .expect("diff");
    assert!(
        (csv_diff - json_diff).abs() < 1e-6,
        "{csv_diff} vs {json_diff}"
    );
    // Across worlds: effects with both levels.
    let w = dir.path().join("w");
    let w_s = w.display().to_string();
    let o = negsim()
        .args([
            "compare",
            &b,
            "--with",
            &t,
            "--worlds",
            "20",
            "--runs",
            "4",
            "--weeks",
            "52",
            "--json",
            "--no-charts",
            "--out",
            &w_s,
        ])
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", texts(&o).1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    assert_eq!(v["worlds"], 20);
    let e = &v["interventions"][0]["effects"]["share_truce"];
    for k in ["mean_effect", "ci_low", "ci_high", "p_helps", "noise_share"] {
        assert!(e[k].is_f64(), "{k}: {e}");
    }
}

#[test]
fn manifests_and_reports_name_the_version_and_the_commit() {
    let dir = tempfile::tempdir().expect("temp");
    let out = dir.path().join("r");
    let b = baseline();
    let o = negsim()
        .args([
            "run",
            &b,
            "--runs",
            "20",
            "--weeks",
            "20",
            "--no-charts",
            "-q",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", texts(&o).1);
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("manifest.json")).expect("manifest"),
    )
    .expect("json");
    let commit = m["git_commit"].as_str().expect("git_commit");
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{commit}"
    );
    assert_eq!(m["negsim_version"], env!("CARGO_PKG_VERSION"));
    let report = std::fs::read_to_string(out.join("report.md")).expect("report");
    assert!(
        report.contains(&format!(
            "negsim {}, commit {commit}",
            env!("CARGO_PKG_VERSION")
        )),
        "the report names both"
    );
}

#[test]
fn set_changes_one_value_is_checked_like_an_overlay_and_is_recorded() {
    let dir = tempfile::tempdir().expect("temp");
    let b = baseline();
    let go = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            b.as_str(),
            "--runs",
            "50",
            "--weeks",
            "52",
            "--no-charts",
            "-q",
        ];
        args.extend_from_slice(extra);
        run_into(dir.path(), out, &args)
    };
    let (plain, o) = go("plain", &[]);
    assert!(o.status.success(), "{}", texts(&o).1);
    let (set, o) = go(
        "set",
        &[
            "--set",
            "channels.official.misread_conciliation=0",
            "--set",
            "sides.us.trust=0.4",
        ],
    );
    assert!(o.status.success(), "{}", texts(&o).1);
    let runs = |d: &Path| std::fs::read_to_string(d.join("runs.csv")).expect("runs.csv");
    assert_ne!(runs(&plain), runs(&set), "the change reaches the model");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(set.join("manifest.json")).expect("m"))
            .expect("json");
    let lines: Vec<&str> = m["set"]
        .as_array()
        .expect("set")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("--set sides.us.trust=0.4")));
    // The same checks as an overlay's, naming the command line and the key.
    for (arg, needles) in [
        (
            "sides.us.trsut=0.4",
            vec!["command line:", "sides.us.trsut", "did you mean 'trust'"],
        ),
        (
            "sides.us.trust=4",
            vec!["command line:", "sides.us.trust", "out of range"],
        ),
        (
            "calendar.busan.prepared_agenda=true",
            vec!["no item named 'busan'", "busan_summit"],
        ),
        ("sides.us.trust", vec!["expected KEY=VALUE"]),
    ] {
        for cmd in ["run", "validate"] {
            let mut args = vec![cmd, b.as_str(), "--set", arg];
            let out = dir.path().join("never");
            let os = out.display().to_string();
            if cmd == "run" {
                args.extend(["--runs", "5", "-q", "--out", &os]);
            }
            let o = negsim().args(&args).output().expect("runs");
            assert_fails_with(&o, &needles);
            assert!(!out.exists(), "nothing written");
        }
    }
    // explain shows a --set change as a diff with its provenance.
    let o = negsim()
        .args([
            "explain",
            &b,
            "--set",
            "calendar.busan_summit.prepared_agenda=true",
        ])
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", texts(&o).1);
    let out = texts(&o).0;
    assert!(
        out.contains("calendar.busan_summit.prepared_agenda | false") && out.contains("| set "),
        "{out}"
    );
    // A run with --set never writes into the plain run's default folder.
    let cwd = dir.path().join("cwd");
    std::fs::create_dir_all(&cwd).expect("cwd");
    let small = [
        "run",
        b.as_str(),
        "--runs",
        "5",
        "--weeks",
        "20",
        "-q",
        "--no-charts",
    ];
    ok_in(&cwd, &small);
    ok_in(
        &cwd,
        &[&small[..], &["--set", "sides.us.trust=0.4"]].concat(),
    );
    let n = std::fs::read_dir(cwd.join("output"))
        .expect("output")
        .count();
    assert_eq!(n, 2);
}

#[test]
fn explain_splits_each_effect_into_its_changes_exactly() {
    let dir = tempfile::tempdir().expect("temp");
    let b = baseline();
    let iv = |n: &str| {
        root()
            .join(format!("scenarios/interventions/{n}.toml"))
            .display()
            .to_string()
    };
    let (t, w, n) = (
        iv("treasury_expertise"),
        iv("threat_withdrawn"),
        iv("rebuild_nsc_coordination"),
    );
    let go = |out: &str, threads: &str| {
        run_into(
            dir.path(),
            out,
            &[
                "compare",
                &b,
                "--with",
                &t,
                "--with",
                &w,
                "--with",
                &n,
                "--runs",
                "2000",
                "--weeks",
                "52",
                "--no-charts",
                "-q",
                "--explain",
                "--threads",
                threads,
            ],
        )
    };
    let (one, o) = go("one", "1");
    assert!(o.status.success(), "{}", texts(&o).1);
    let (two, o) = go("two", "2");
    assert!(o.status.success(), "{}", texts(&o).1);
    let csv = std::fs::read_to_string(one.join("explain/explain.csv")).expect("explain.csv");
    assert_eq!(
        csv,
        std::fs::read_to_string(two.join("explain/explain.csv")).expect("explain.csv"),
        "identical at any thread count"
    );
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let cmp = std::fs::read_to_string(one.join("comparison.csv")).expect("comparison");
    for arm in [
        "treasury_expertise",
        "threat_withdrawn",
        "rebuild_nsc_coordination",
    ] {
        let mine: Vec<&Vec<&str>> = rows.iter().filter(|r| r[0] == arm).collect();
        let sum: f64 = mine
            .iter()
            .map(|r| r[3].parse::<f64>().expect("value"))
            .sum();
        let total: f64 = mine[0][7].parse().expect("total");
        // Shapley values add up to the whole effect (efficiency), up to the CSV's 6 decimals.
        assert!(
            (sum - total).abs() < 1e-5 * mine.len() as f64,
            "{arm}: {sum} vs {total}"
        );
        // The whole effect is the comparison's paired difference on the same replicates.
        let diff: f64 = cmp
            .lines()
            .find(|l| l.starts_with(&format!("share_truce,{arm},")))
            .and_then(|l| l.split(',').nth(5))
            .and_then(|x| x.parse().ok())
            .expect("diff");
        assert!((diff - total).abs() < 1e-5, "{arm}: {diff} vs {total}");
    }
    let players = |arm: &str| rows.iter().filter(|r| r[0] == arm).count();
    assert_eq!(
        players("treasury_expertise"),
        3,
        "one player per changed key"
    );
    assert_eq!(players("rebuild_nsc_coordination"), 2);
    assert_eq!(
        players("threat_withdrawn"),
        1,
        "a removal is one indivisible player"
    );
    // Over plausible worlds: every coalition runs the same worlds, so the parts still add up to
    // the whole, and the whole is the worlds run's own mean effect.
    let (wout, o) = run_into(
        dir.path(),
        "worlds",
        &[
            "compare",
            &b,
            "--with",
            &t,
            "--worlds",
            "20",
            "--runs",
            "10",
            "--weeks",
            "52",
            "--no-charts",
            "-q",
            "--explain",
        ],
    );
    assert!(o.status.success(), "{}", texts(&o).1);
    let csv = std::fs::read_to_string(wout.join("explain/explain.csv")).expect("explain.csv");
    let mine: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .filter(|r: &Vec<&str>| r[0] == "treasury_expertise")
        .collect();
    assert_eq!(mine.len(), 3, "{csv}");
    assert!(csv.contains("in each of 20 plausible worlds"), "{csv}");
    let sum: f64 = mine
        .iter()
        .map(|r| r[3].parse::<f64>().expect("value"))
        .sum();
    let total: f64 = mine[0][7].parse().expect("total");
    assert!((sum - total).abs() < 3e-6, "{sum} vs {total}");
    let eff = std::fs::read_to_string(wout.join("effects_worlds.csv")).expect("effects");
    let mean: f64 = eff
        .lines()
        .find(|l| l.starts_with("share_truce,treasury_expertise,"))
        .and_then(|l| l.split(',').nth(4))
        .and_then(|x| x.parse().ok())
        .expect("mean effect");
    assert!((mean - total).abs() < 1e-5, "{mean} vs {total}");
    let o = negsim()
        .args([
            "compare",
            &b,
            "--with",
            &t,
            "--runs",
            "20",
            "--shard",
            "1/2",
            "--explain",
            "-q",
        ])
        .output()
        .expect("runs");
    assert_fails_with(&o, &["--explain runs every coalition", "drop --shard"]);
}

#[test]
fn terminal_output_fits_in_100_columns() {
    let dir = tempfile::tempdir().expect("temp");
    let b = baseline();
    let iv = |n: &str| {
        root()
            .join(format!("scenarios/interventions/{n}.toml"))
            .display()
            .to_string()
    };
    let (k, c) = (
        iv("restore_kushner_channel"),
        iv("cui_backchannel_succeeds"),
    );
    for (out, extra) in [
        ("fixed", vec!["--runs", "100"]),
        ("worlds", vec!["--worlds", "20", "--runs", "4"]),
    ] {
        let mut args = vec![
            "compare",
            b.as_str(),
            "--with",
            &k,
            "--with",
            &c,
            "--weeks",
            "52",
            "--no-charts",
            "-q",
        ];
        args.extend(extra);
        let (_, o) = run_into(dir.path(), out, &args);
        assert!(o.status.success(), "{}", texts(&o).1);
        let stdout = texts(&o).0;
        for l in stdout.lines() {
            // Paths of the output folder are the user's; everything else fits.
            if l.contains(dir.path().to_str().expect("utf-8")) {
                continue;
            }
            assert!(
                l.chars().count() <= 100,
                "{out}: {} columns: {l}",
                l.chars().count()
            );
        }
    }
}

#[test]
fn a_surprising_sign_comes_with_the_mechanism_behind_it() {
    let dir = tempfile::tempdir().expect("temp");
    let b = baseline();
    let w = root()
        .join("scenarios/interventions/threat_withdrawn.toml")
        .display()
        .to_string();
    let t = root()
        .join("scenarios/interventions/treasury_expertise.toml")
        .display()
        .to_string();
    let (out, o) = run_into(
        dir.path(),
        "cmp",
        &[
            "compare",
            &b,
            "--with",
            &w,
            "--with",
            &t,
            "--runs",
            "600",
            "--no-charts",
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", texts(&o).1);
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    // Withdrawing the 1 November threat lowers the share of weeks in truce: its sentence says so
    // and names the mechanism counts that move (fewer threats carried out), and its row of the
    // "why" table is marked; Treasury expertise helps and is not marked.
    let line = md
        .lines()
        .find(|l| l.starts_with("- **threat_withdrawn**"))
        .expect("a sentence for threat_withdrawn");
    assert!(
        line.contains("lowers the share of weeks in truce")
            && line.contains("⚠ It lowers the share of weeks in truce")
            && line.contains("`threats_executed` -"),
        "{line}"
    );
    assert!(md.contains("| ⚠ threat_withdrawn "), "no marked row");
    assert!(
        !md.contains("⚠ treasury_expertise"),
        "a helpful intervention is marked"
    );
    let sections: Vec<&str> = md.lines().filter_map(|l| l.strip_prefix("## ")).collect();
    assert_eq!(
        sections,
        [
            "Bottom line",
            "Effects",
            "Why",
            "Caveats",
            "Methods",
            "About this run"
        ],
        "no charts here, so no Charts section; the rest in order"
    );
}
