//! Sharding: `--shard K/N` runs merged with `negsim merge` give byte-identical outputs to the
//! unsharded run (CSV, PNG, report), through the documented plain-shell recipe.

use std::process::Command;

use super::{assert_fails_with, assert_same_files, root, run};

const ARGS: [&str; 7] = [
    "compare",
    "scenarios/baseline.toml",
    "--with",
    "scenarios/interventions/restore_kushner_channel.toml",
    "--with",
    "scenarios/interventions/prepared_summit_agenda.toml",
    "--runs",
];

#[test]
fn three_shards_merge_byte_identically_through_the_shell_recipe() {
    let d = tempfile::tempdir().expect("temp");
    let full = d.path().join("full");
    let mut a: Vec<&str> = ARGS.to_vec();
    let full_s = full.to_str().expect("utf8").to_string();
    a.extend(["700", "--quiet", "--out", &full_s]);
    assert_eq!(run(&a).status.code(), Some(0));
    let sharded = d.path().join("sharded");
    let o = Command::new(root().join("scripts/run-sharded.sh"))
        .current_dir(root())
        .arg("3")
        .arg(&sharded)
        .arg(env!("CARGO_BIN_EXE_negsim"))
        .args(ARGS)
        .arg("700")
        .output()
        .expect("recipe runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let merged = sharded.join("merged");
    let compared = assert_same_files(&full, &merged, "between the unsharded and the merged run");
    assert!(compared >= 20, "compared only {compared} files");
    // Each shard holds only its replicates.
    let runs =
        std::fs::read_to_string(sharded.join("shard-2/baseline/runs.csv")).expect("shard runs");
    assert_eq!(runs.lines().count(), 1 + (1400 / 3 - 700 / 3));
}

#[test]
fn merge_refuses_incomplete_or_mismatched_shards() {
    let d = tempfile::tempdir().expect("temp");
    let shard = |k: &str, runs: &str, seed: &str| {
        let out = d.path().join(format!("s{k}-{runs}-{seed}"));
        let o = run(&[
            "run",
            "scenarios/baseline.toml",
            "--runs",
            runs,
            "--seed",
            seed,
            "--shard",
            k,
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
        out.to_str().expect("utf8").to_string()
    };
    let (a, b) = (shard("1/3", "90", "1"), shard("2/3", "90", "1"));
    let out = d.path().join("m");
    let o = run(&["merge", &a, &b, "--out", out.to_str().expect("utf8")]);
    assert_fails_with(&o, &["shard 3 of 3 is missing"]);
    assert!(!out.exists(), "nothing written");
    let c = shard("3/3", "90", "2");
    assert_fails_with(
        &run(&["merge", &a, &b, &c]),
        &["belongs to a different run", "seed"],
    );
    assert_fails_with(&run(&["merge", &a, &a]), &["shard 1 is given twice"]);
    // A study's shard among a run's: one message that says so, whatever the order.
    let sweep = d.path().join("sweep-shard");
    let o = run(&[
        "sweep",
        "scenarios/baseline.toml",
        "--vary",
        "negotiators.rapport=0..0.5:2",
        "--runs",
        "10",
        "--shard",
        "1/2",
        "--quiet",
        "--out",
        sweep.to_str().expect("utf8"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let sw = sweep.to_str().expect("utf8");
    for dirs in [[a.as_str(), sw], [sw, a.as_str()]] {
        assert_fails_with(
            &run(&["merge", dirs[0], dirs[1], "--quiet"]),
            &["mix shards of a study", "one command at a time"],
        );
    }
    assert_fails_with(
        &run(&["merge", d.path().to_str().expect("utf8")]),
        &["partial.json", "shard's output directory"],
    );
    // A malformed shard is a usage error (exit code 2) that says what is expected.
    let o = run(&["run", "scenarios/baseline.toml", "--shard", "4/3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("need 1 <= K <= N"));
}
