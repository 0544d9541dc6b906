//! The fault-injection sweep (the SQLite discipline: every fault point tried, not a sample).
//!
//! `NEGSIM_FAULT_AT=N` makes the Nth file-system operation of the output directory fail
//! (mkdir, create, write, fsync, link, rename, remove; `report::output::fault`). For `run`,
//! `compare` and `merge`, a clean instrumented run counts the operations; then N goes over every
//! one of them, into a fresh folder and over a previous result with `--force`. After each fault:
//! - a failed command (exit 1, no panic) leaves the previous complete result byte for byte, or
//!   nothing;
//! - a command that still succeeds (the fault hit the tidying after the swap) leaves the new
//!   complete result;
//! - a clean run into the same folder then succeeds and leaves nothing beside it: whatever the
//!   fault left is finished by the next run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use super::{negsim, texts};

const KUSHNER: &str = "scenarios/interventions/restore_kushner_channel.toml";

/// Every file under `dir` (hidden ones included), by relative path.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(d) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).expect("inside").display().to_string();
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Whether `files` is one complete result: a manifest that lists exactly the files present.
fn complete(files: &BTreeMap<String, Vec<u8>>) -> bool {
    let Some(m) = files.get("manifest.json") else {
        return false;
    };
    let v: serde_json::Value = serde_json::from_slice(m).unwrap_or_default();
    let mut listed: Vec<String> = v["files"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    listed.sort();
    listed == files.keys().cloned().collect::<Vec<_>>()
}

/// The CSV files of a result (the bytes that must not depend on anything but the inputs).
fn csvs(files: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    files
        .iter()
        .filter(|(k, _)| k.ends_with(".csv"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn exec(args: &[String], fault: u64) -> Output {
    negsim()
        .args(args)
        .env("NEGSIM_FAULT_AT", fault.to_string())
        .output()
        .expect("the negsim binary runs")
}

/// The operations a clean run of `args` performs, from the hook's count on stderr.
fn operations(o: &Output) -> u64 {
    let (_, err) = texts(o);
    err.lines()
        .find_map(|l| l.strip_prefix("negsim: fault hook: "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no operation count in: {err}"))
}

/// Entries of `parent` other than `folder` (stages or replaced folders left beside it).
fn beside(parent: &Path, folder: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(parent)
        .expect("parent")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p != folder)
        .collect()
}

/// Sweeps every fault point of `cmd` (arguments before `--out`), into a fresh folder and over a
/// previous result (made by `previous`, with a different seed). Returns the points tried.
fn sweep(name: &str, cmd: &[String], previous: &[String]) -> u64 {
    let tmp = tempfile::tempdir().expect("temp dir");
    let (mut tried, mut failed, mut still_done) = (0, 0, 0);
    for over_previous in [false, true] {
        let parent = tmp.path().join(format!("{name}-{over_previous}"));
        std::fs::create_dir(&parent).expect("parent");
        let out = parent.join("out");
        let with_out = |force: bool| {
            let mut a = cmd.to_vec();
            a.extend(["--out".into(), out.display().to_string()]);
            if force {
                a.push("--force".into());
            }
            a
        };
        let prepare = || {
            let _ = std::fs::remove_dir_all(&out);
            if over_previous {
                let mut a = previous.to_vec();
                a.extend(["--out".into(), out.display().to_string()]);
                let o = exec(&a, 0);
                assert_eq!(o.status.code(), Some(0), "{}", texts(&o).1);
            }
            snapshot(&out)
        };
        // The clean, instrumented run: how many operations, and what a complete result is.
        prepare();
        let clean = exec(&with_out(over_previous), 0);
        assert_eq!(clean.status.code(), Some(0), "{}", texts(&clean).1);
        let n = operations(&clean);
        let expected = snapshot(&out);
        assert!(
            complete(&expected),
            "{name}: the clean run is a complete result"
        );
        assert!(n > 10, "{name}: only {n} operations counted");
        for at in 1..=n {
            let before = prepare();
            let o = exec(&with_out(over_previous), at);
            let (_, err) = texts(&o);
            let now = snapshot(&out);
            let case = format!(
                "{name}, fault at operation {at} of {n}, over a previous result: {over_previous}\n{err}"
            );
            assert!(!err.contains("panicked"), "{case}");
            match o.status.code() {
                Some(0) => {
                    still_done += 1;
                    assert!(complete(&now), "succeeded, so complete: {case}");
                    assert!(csvs(&now) == csvs(&expected), "the new result: {case}");
                }
                Some(1) => {
                    failed += 1;
                    assert!(
                        err.contains("injected fault"),
                        "the error names the fault: {case}"
                    );
                    assert!(
                        now == before || now.is_empty(),
                        "the previous result or nothing, not {:?}: {case}",
                        now.keys().collect::<Vec<_>>()
                    );
                }
                other => panic!("exit {other:?}: {case}"),
            }
            // Whatever the fault left, the next run finishes.
            let again = exec(&with_out(true), 0);
            assert_eq!(
                again.status.code(),
                Some(0),
                "rerun: {case}\n{}",
                texts(&again).1
            );
            assert!(csvs(&snapshot(&out)) == csvs(&expected), "rerun: {case}");
            assert!(complete(&snapshot(&out)), "rerun: {case}");
            assert_eq!(
                beside(&parent, &out),
                Vec::<PathBuf>::new(),
                "rerun: {case}"
            );
            tried += 1;
        }
    }
    super::loud!(
        "fault sweep, {name}: {tried} fault points tried, all held ({failed} failed the command, {still_done} hit after the swap and it still succeeded)"
    );
    assert!(
        failed > still_done,
        "{name}: most faults come before the swap"
    );
    tried
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// The small result every sweep writes: 20 replicates, no charts.
const QUICK: [&str; 4] = ["--runs", "20", "-q", "--no-charts"];

const COMPARE: [&str; 4] = ["compare", "scenarios/baseline.toml", "--with", KUSHNER];

/// `head` with [`QUICK`], and the same with another seed as the previous result.
fn quick(head: &[&str]) -> (Vec<String>, Vec<String>) {
    let cmd = args(&[head, &QUICK[..]].concat());
    let prev = [cmd.clone(), args(&["--seed", "7", "--force"])].concat();
    (cmd, prev)
}

#[test]
fn every_fault_point_of_run_leaves_the_previous_result_or_nothing() {
    let (cmd, prev) = quick(&["run", "scenarios/baseline.toml"]);
    assert!(sweep("run", &cmd, &prev) > 40);
}

#[test]
fn every_fault_point_of_compare_leaves_the_previous_result_or_nothing() {
    let (cmd, prev) = quick(&COMPARE);
    assert!(sweep("compare", &cmd, &prev) > 80);
}

#[test]
fn every_fault_point_of_merge_leaves_the_previous_result_or_nothing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let shard = |k: &str, seed: &str| {
        let dir = tmp.path().join(format!("s{}-{seed}", &k[..1]));
        let (cmd, _) = quick(&COMPARE);
        let o = negsim()
            .args(cmd)
            .args(["--seed", seed, "--shard", k, "--out"])
            .arg(&dir)
            .output()
            .expect("shard");
        assert_eq!(o.status.code(), Some(0), "{}", texts(&o).1);
        dir.display().to_string()
    };
    let (a, b) = (shard("1/2", "1"), shard("2/2", "1"));
    let (c, d) = (shard("1/2", "7"), shard("2/2", "7"));
    let cmd = args(&["merge", &a, &b, "--no-charts"]);
    let prev = args(&["merge", &c, &d, "--no-charts", "--force"]);
    assert!(sweep("merge", &cmd, &prev) > 80);
}
