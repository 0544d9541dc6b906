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

/// Runs shard `k` of the baseline with `runs` replicates and `seed` into `out`.
fn run_shard(out: &std::path::Path, k: &str, runs: &str, seed: &str) {
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
}

#[test]
fn merge_refuses_incomplete_or_mismatched_shards() {
    let d = tempfile::tempdir().expect("temp");
    let shard = |k: &str, runs: &str, seed: &str| {
        let out = d
            .path()
            .join(format!("s{k}-{runs}-{seed}").replace('/', "_"));
        run_shard(&out, k, runs, seed);
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

/// Edits `file` of the shard in `dir`; if `forged`, also writes its new SHA-256 into the shard's
/// manifest, as a forger would, so that only the checks behind the hash can catch the edit.
fn tamper(dir: &std::path::Path, file: &str, edit: impl Fn(String) -> String, forged: bool) {
    use sha2::Digest as _;
    let p = dir.join(file);
    let text = edit(std::fs::read_to_string(&p).expect("read"));
    std::fs::write(&p, &text).expect("write");
    if !forged {
        return;
    }
    let digest = negsim::fmt::hex(&sha2::Sha256::digest(text.as_bytes()));
    let m = dir.join("manifest.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&m).expect("manifest")).expect("json");
    v["sha256"][file] = serde_json::Value::String(digest);
    std::fs::write(&m, v.to_string()).expect("manifest");
}

/// Copies a shard folder.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("dir");
    for e in std::fs::read_dir(from).expect("read").flatten() {
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
}

#[test]
fn merge_verifies_every_shard_file_and_refuses_what_the_attack_report_merged() {
    let d = tempfile::tempdir().expect("temp");
    let s = |k: &str| {
        let out = d.path().join(format!("s{}", &k[..1]));
        run_shard(&out, k, "90", "1");
        out
    };
    let (a, b) = (s("1/2"), s("2/2"));
    let merge = |x: &std::path::Path, y: &std::path::Path, out: &str| {
        let out = d.path().join(out);
        let o = run(&[
            "merge",
            x.to_str().expect("utf8"),
            y.to_str().expect("utf8"),
            "--no-charts",
            "--out",
            out.to_str().expect("utf8"),
        ]);
        (o, out)
    };
    let (o, good) = merge(&a, &b, "good");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rows = std::fs::read_to_string(good.join("runs.csv")).expect("runs");
    assert_eq!(rows.lines().count(), 91);

    // Each case on a fresh copy of shard 2; nothing is written for any of them.
    let case = |name: &str, f: &dyn Fn(&std::path::Path), needles: &[&str]| {
        let bad = d.path().join(format!("bad-{name}"));
        copy_dir(&b, &bad);
        f(&bad);
        let (o, out) = merge(&a, &bad, &format!("out-{name}"));
        assert_fails_with(&o, needles);
        assert!(!out.exists(), "{name}: nothing written");
    };
    // A runs.csv cut mid-row: the cut row tells, with or without a forged hash; cut at a row's
    // end, the hash tells, and with the hash forged, the row count.
    let cut = |t: String| t[..t.len() - 40].to_string();
    case(
        "cut",
        &|p| tamper(p, "runs.csv", cut, false),
        &["runs.csv", "row 44 is cut short"],
    );
    case(
        "cut-forged",
        &|p| tamper(p, "runs.csv", cut, true),
        &["runs.csv", "cut short"],
    );
    let last_row = |t: String| {
        let body = &t[..t.len() - 1];
        t[..body.rfind('\n').expect("rows") + 1].to_string()
    };
    case(
        "row",
        &|p| tamper(p, "runs.csv", last_row, false),
        &["runs.csv", "does not match the SHA-256"],
    );
    case(
        "row-forged",
        &|p| tamper(p, "runs.csv", last_row, true),
        &["runs.csv", "holds 44 rows, its shard 45 replicates"],
    );
    // Shard 1 relabelled as shard 2.
    let relabel = |p: &std::path::Path| {
        std::fs::remove_dir_all(p).expect("rm");
        copy_dir(&a, p);
        let edit = |t: String| t.replace("\"shard\":[1,2]", "\"shard\":[2,2]");
        tamper(p, "partial.json", edit, true);
    };
    case(
        "relabelled",
        &relabel,
        &["shard 2 of 2 holds replicates 0..45, not its own 45..90"],
    );
    // Its range edited too: the rows are shard 1's replicates.
    case(
        "relabelled-range",
        &|p| {
            relabel(p);
            let edit = |t: String| t.replace("\"range\":[0,45]", "\"range\":[45,90]");
            tamper(p, "partial.json", edit, true);
        },
        &[
            "runs.csv",
            "row 1 does not belong to this shard's replicates (replicate 0)",
        ],
    );
    // An edited i128 moment: unforged, the hash; forged, the range check.
    let moment = |t: String| {
        let at = t.find("\"s1\":\"").expect("a moment") + 6;
        format!(
            "{}170141183460469231731687303715884105727{}",
            &t[..at],
            &t[at + t[at..].find('"').expect("end")..]
        )
    };
    case(
        "moment",
        &|p| tamper(p, "partial.json", moment, false),
        &["partial.json", "does not match the SHA-256"],
    );
    case(
        "moment-forged",
        &|p| tamper(p, "partial.json", moment, true),
        &["partial.json", "moments", "that no 45 values"],
    );
    // Another build that shares the version string.
    case(
        "build",
        &|p| {
            tamper(
                p,
                "partial.json",
                |t| t.replacen("\"source_sha256\":\"", "\"source_sha256\":\"0", 1),
                true,
            )
        },
        &["another build of negsim", "source hash 0"],
    );
    // A merge into a shard's folder, or one around them.
    for out in [a.clone(), d.path().to_path_buf()] {
        let o = run(&[
            "merge",
            a.to_str().expect("utf8"),
            b.to_str().expect("utf8"),
            "--force",
            "--out",
            out.to_str().expect("utf8"),
        ]);
        assert_fails_with(&o, &["shard folder", "write the merged result elsewhere"]);
    }
    assert!(a.join("partial.json").is_file(), "the shard is intact");
    // And a merged result is not a shard: merging it again is refused.
    assert_fails_with(
        &run(&[
            "merge",
            good.to_str().expect("utf8"),
            b.to_str().expect("utf8"),
        ]),
        &["partial.json"],
    );
}
