//! The binary as a user runs it, on temporary directories.

use super::{negsim, run, texts};

#[test]
fn run_writes_every_file_with_the_expected_shape() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("res");
    let o = run(&[
        "run",
        "scenarios/baseline.toml",
        "--runs",
        "300",
        "--trace",
        "2",
        "--out",
        out.to_str().expect("utf8"),
        "--quiet",
    ]);
    let (stdout, stderr) = texts(&o);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("share_truce") && stdout.contains("truce_km_median_weeks"),
        "{stdout}"
    );
    let runs = std::fs::read_to_string(out.join("runs.csv")).expect("runs.csv");
    let lines: Vec<&str> = runs.lines().collect();
    assert_eq!(lines.len(), 301);
    assert!(lines[0].starts_with("replicate,share_truce,share_escalation"));
    assert!(lines[1].starts_with("0,"));
    let ts = std::fs::read_to_string(out.join("timeseries.csv")).expect("timeseries.csv");
    assert_eq!(ts.lines().count(), 157);
    assert!(
        ts.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("0,2025-10-23,"))
    );
    let ev = std::fs::read_to_string(out.join("events.csv")).expect("events.csv");
    assert!(
        ev.lines()
            .skip(1)
            .all(|l| l.starts_with("0,") || l.starts_with("1,")),
        "only traced replicates"
    );
    assert!(ev.contains("threat") && ev.contains("2025-10-23"));
    let summary = std::fs::read_to_string(out.join("summary.csv")).expect("summary.csv");
    assert!(summary.contains("truce_km_median_weeks"));
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("manifest.json")).expect("manifest"),
    )
    .expect("json");
    assert_eq!(manifest["runs"], 300);
    assert_eq!(manifest["seed"], 20251023);
    // No temporary or lock files left behind.
    let left: Vec<String> = std::fs::read_dir(&out)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.iter().all(|n| !n.starts_with('.')), "{left:?}");
}

#[test]
fn an_existing_result_is_not_overwritten_without_force() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("res");
    let o_s = out.to_str().expect("utf8");
    assert_eq!(
        run(&[
            "run",
            "scenarios/baseline.toml",
            "--runs",
            "64",
            "--out",
            o_s,
            "--quiet"
        ])
        .status
        .code(),
        Some(0)
    );
    let before = std::fs::read(out.join("runs.csv")).expect("runs");
    let o = run(&[
        "run",
        "scenarios/baseline.toml",
        "--runs",
        "64",
        "--seed",
        "9",
        "--out",
        o_s,
        "--quiet",
    ]);
    super::assert_fails_with(&o, &["already holds a negsim result", "--force"]);
    assert_eq!(std::fs::read(out.join("runs.csv")).expect("runs"), before);
    assert_eq!(
        run(&[
            "run",
            "scenarios/baseline.toml",
            "--runs",
            "64",
            "--seed",
            "9",
            "--out",
            o_s,
            "--quiet",
            "--force"
        ])
        .status
        .code(),
        Some(0)
    );
    assert_ne!(std::fs::read(out.join("runs.csv")).expect("runs"), before);
}

#[test]
fn the_default_job_compares_every_intervention() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = negsim().current_dir(dir.path()).output().expect("runs");
    let (stdout, stderr) = texts(&o);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    for arm in [
        "restore_kushner_channel",
        "treasury_expertise",
        "prepared_summit_agenda",
        "rebuild_nsc_coordination",
        "cui_backchannel_succeeds",
        "threat_withdrawn",
        "all_of_the_above",
    ] {
        assert!(stdout.contains(arm), "table lacks {arm}:\n{stdout}");
        assert!(
            dir.path()
                .join("output/default")
                .join(arm)
                .join("summary.csv")
                .exists()
        );
    }
    let cmp = std::fs::read_to_string(dir.path().join("output/default/comparison.csv"))
        .expect("comparison.csv");
    assert!(cmp.starts_with("metric,arm,estimate,ci_low,ci_high,diff_vs_baseline,diff_ci_low,diff_ci_high,p_value,n,method\n"));
    assert!(cmp.contains("truce_km_median_weeks,restore_kushner_channel,"));
    assert!(
        std::fs::read_to_string(dir.path().join("output/default/variance_reduction.csv"))
            .expect("vr")
            .lines()
            .count()
            == 8,
        "a header and one line per intervention"
    );
}

#[test]
fn usage_errors_exit_with_2_and_bad_sizes_with_1() {
    let o = run(&["run"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["run", "scenarios/baseline.toml", "--runs", "0"]);
    super::assert_fails_with(&o, &["--runs 0"]);
    let o = run(&[
        "run",
        "scenarios/baseline.toml",
        "--runs",
        "1000000000000",
        "--quiet",
    ]);
    super::assert_fails_with(&o, &["refusing", "runs.csv", "--no-runs-csv"]);
}

#[test]
fn a_closed_stdout_pipe_does_not_panic() {
    // `negsim explain ... --all | head -1`: the reader goes away after one line, while the
    // command still has about 100 kB to write (more than a pipe buffer holds), so its next write
    // meets a closed pipe.
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = super::negsim()
        .args(["explain", "scenarios/baseline.toml", "--all"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let stdout = child.stdout.take().expect("piped");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("one line");
    assert!(first.contains("claims of the article"), "{first}");
    let out = child.wait_with_output().expect("exits");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}
