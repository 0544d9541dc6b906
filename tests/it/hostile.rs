//! Hostile input, round two (issue 17): every case of the issue that is handled has a test here,
//! named after what it proves; docs/ROBUSTNESS.md lists them.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{assert_fails_with, files, root, shrunk_joint_config, texts};

/// The baseline scenario with its `meta.name` replaced, written to `dir/name.toml`.
fn renamed_baseline(dir: &Path, file: &str, meta_name: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join("scenarios/baseline.toml")).expect("baseline");
    let renamed = text.replacen(
        "name = \"baseline\"",
        &format!("name = {}", toml_string(meta_name)),
        1,
    );
    assert_ne!(renamed, text, "the baseline's meta name was replaced");
    let p = dir.join(file);
    std::fs::write(&p, renamed).expect("write scenario");
    p
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `negsim validate` of the baseline with the overlay at `ov`.
fn validate_with(ov: &Path) -> std::process::Output {
    let ov = ov.to_str().expect("utf-8");
    super::run(&["validate", "scenarios/baseline.toml", "--with", ov])
}

/// negsim run from `cwd`.
fn negsim_in(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_negsim"));
    c.current_dir(cwd);
    c
}

#[test]
fn default_output_folders_stay_under_output_whatever_the_scenario_is_called() {
    // Run from a/b/c with a scenario named to climb out: every command that picks its own folder
    // must write under a/b/c/output, and nothing may appear anywhere else in the scratch tree.
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    let cwd = d.join("a/b/c");
    std::fs::create_dir_all(&cwd).expect("cwd");
    let sc = renamed_baseline(d, "evil.toml", "../../../../escaped");
    let sc = sc.to_str().expect("utf-8 path");
    let kushner = root().join("scenarios/interventions/restore_kushner_channel.toml");
    let kushner = kushner.to_str().expect("utf-8 path");
    let cfg = shrunk_joint_config(d);
    let cfg = cfg.to_str().expect("utf-8 path");
    let commands: Vec<Vec<&str>> = vec![
        vec!["run", sc, "--runs", "20", "-q", "--no-charts"],
        vec![
            "compare",
            sc,
            "--with",
            kushner,
            "--runs",
            "20",
            "-q",
            "--no-charts",
        ],
        vec![
            "run",
            sc,
            "--runs",
            "20",
            "-q",
            "--no-charts",
            "--shard",
            "1/2",
        ],
        vec![
            "run",
            sc,
            "--runs",
            "4",
            "--worlds",
            "3",
            "-q",
            "--no-charts",
        ],
        vec![
            "sweep",
            sc,
            "--vary",
            "behaviour.intentions.stance_weight",
            "--runs",
            "5",
            "-q",
            "--no-charts",
        ],
        vec!["calibrate", "--config", cfg, "-q"],
    ];
    // run and compare use the name for their arm folders and refuse it with a clear error; the
    // explore commands and calibrate only label their folder with it, and must succeed.
    let mut succeeded = 0;
    for args in &commands {
        let o = negsim_in(&cwd).args(args).output().expect("runs");
        let (out, err) = texts(&o);
        if matches!(args[0], "run" | "compare") {
            assert_fails_with(
                &o,
                &["arm name '../../../../escaped' cannot name an output folder"],
            );
        } else {
            assert!(o.status.success(), "{args:?}\n{out}\n{err}");
            succeeded += 1;
        }
    }
    assert_eq!(succeeded, 2);
    let all = files(d);
    let outside: Vec<&PathBuf> = all
        .iter()
        .filter(|p| !p.starts_with("a/b/c/output") && *p != Path::new("evil.toml"))
        .filter(|p| *p != Path::new("joint.toml"))
        .collect();
    assert!(
        outside.is_empty(),
        "written outside a/b/c/output: {outside:?}"
    );
    let folders: Vec<String> = std::fs::read_dir(cwd.join("output"))
        .expect("output/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    assert!(
        folders.iter().any(|f| f.contains("escaped")),
        "the name still labels the folders: {folders:?}"
    );
    assert_eq!(folders.len(), succeeded, "{folders:?}");
}

#[test]
fn record_names_that_would_place_calibrated_files_are_refused_before_calibrating() {
    // Records named to climb out of --out and to point at an absolute path: refused with the
    // file, line and key before any particle runs, and the files they aimed at are untouched.
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    let victim = d.join("VICTIM_calibrated.toml");
    std::fs::write(&victim, b"keep me\n").expect("victim");
    let abs = d.join("ABS");
    let cfg = shrunk_joint_config(d);
    let text = std::fs::read_to_string(&cfg).expect("config");
    let evil = text
        .replacen("name = \"first_term\"", "name = \"../VICTIM\"", 1)
        .replacen(
            "name = \"second_term_2025\"",
            &format!("name = {}", toml_string(&abs.display().to_string())),
            1,
        );
    assert_ne!(evil, text);
    std::fs::write(&cfg, evil).expect("config");
    let out = d.join("out");
    let o = negsim_in(d)
        .args([
            "calibrate",
            "--config",
            cfg.to_str().expect("utf-8"),
            "-q",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("runs");
    assert_fails_with(
        &o,
        &[
            "joint.toml:25:1: records.../VICTIM.name: record name '../VICTIM' must be letters",
            "joint.toml:30:1",
            "(it names output files)",
        ],
    );
    assert_eq!(std::fs::read(&victim).expect("victim"), b"keep me\n");
    assert!(!Path::new(&format!("{}_calibrated.toml", abs.display())).exists());
    assert!(!out.exists(), "nothing written");
}

#[test]
fn the_filesystem_root_and_dash_are_refused_as_output_folders_before_any_work() {
    for bad in ["/", "-"] {
        let o = super::run(&[
            "run",
            "scenarios/baseline.toml",
            "--runs",
            "20",
            "--out",
            bad,
        ]);
        assert_fails_with(&o, &["cannot be an output directory"]);
    }
    assert!(
        !root().join("-").exists(),
        "no folder named '-' was created"
    );
}

/// Ages a file's modification time by `secs` (a lock whose run was killed stops its heartbeat).
fn age(path: &Path, secs: u64) {
    let t = std::time::SystemTime::now() - std::time::Duration::from_secs(secs);
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open")
        .set_modified(t)
        .expect("set mtime");
}

fn quick_run(out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "run",
        "scenarios/baseline.toml",
        "--runs",
        "20",
        "-q",
        "--no-charts",
        "--out",
    ];
    let o = out.to_str().expect("utf-8");
    args.push(o);
    args.extend_from_slice(extra);
    super::run(&args)
}

const KUSHNER: &str = "scenarios/interventions/restore_kushner_channel.toml";

/// A 20-run comparison of the baseline with `overlay` into `out`.
fn quick_compare(out: &Path, overlay: &str, extra: &[&str]) -> std::process::Output {
    let o = out.to_str().expect("utf-8");
    let mut args = vec!["compare", "scenarios/baseline.toml", "--with", overlay];
    args.extend_from_slice(&["--runs", "20", "-q", "--out", o]);
    args.extend_from_slice(extra);
    super::run(&args)
}

#[test]
fn a_killed_runs_lock_is_taken_over_once_stale_and_force_takes_any_lock() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    let out = d.join("T");
    std::fs::create_dir(&out).expect("T");
    let lock = out.join(".negsim.lock");
    // A SIGKILLed run on another node: same format, a PID that may be reused, heartbeat stopped.
    std::fs::write(&lock, "negsim lock\ntoken=0123\npid=4242\n").expect("plant");
    std::fs::write(out.join(".runs.csv.tmp-00000000deadbeef"), "half a row").expect("tmp");
    age(&lock, 61 + 60);
    let o = quick_run(&out, &[]);
    let (so, se) = texts(&o);
    assert!(o.status.success(), "{so}\n{se}");
    assert!(
        se.contains("warning: taking over the lock") && se.contains("heartbeat is"),
        "{se}"
    );
    assert!(out.join("manifest.json").exists());
    assert!(!lock.exists(), "released after the run");
    assert!(
        !out.join(".runs.csv.tmp-00000000deadbeef").exists(),
        "the dead run's temporary file is removed"
    );

    // A live lock (fresh heartbeat): refused, and --force takes it over with a warning.
    std::fs::write(&lock, "negsim lock\ntoken=4567\npid=4242\n").expect("plant");
    let o = quick_run(&out, &["--force"]);
    let (so, se) = texts(&o);
    assert!(o.status.success(), "{so}\n{se}");
    assert!(se.contains("--force takes over any lock"), "{se}");
    std::fs::write(&lock, "negsim lock\ntoken=89ab\npid=4242\n").expect("plant");
    let o = quick_run(&out, &[]);
    assert_fails_with(&o, &["another negsim run is writing to", "heartbeat"]);
}

#[test]
fn an_output_inside_or_around_a_folder_another_run_writes_is_refused() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    let x = d.join("X");
    std::fs::create_dir_all(x.join("baseline")).expect("X");
    // compare --out X is running (a live lock of another process).
    std::fs::write(x.join(".negsim.lock"), "negsim lock\ntoken=1\npid=4242\n").expect("lock");
    let o = quick_run(&x.join("baseline"), &[]);
    assert_fails_with(&o, &["is inside", "which another negsim run is writing to"]);
    assert!(!x.join("baseline/manifest.json").exists());
    std::fs::remove_file(x.join(".negsim.lock")).expect("unlock");
    // run --out X/baseline is running: compare --out X would write into it.
    std::fs::write(
        x.join("baseline/.negsim.lock"),
        "negsim lock\ntoken=2\npid=4242\n",
    )
    .expect("lock");
    let o = quick_compare(&x, KUSHNER, &["--no-charts"]);
    assert_fails_with(
        &o,
        &["holds 'baseline', which another negsim run is writing to"],
    );
}

#[test]
fn a_folder_with_someone_elses_files_is_not_written_into_without_force() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    let out = d.join("mine");
    std::fs::create_dir(&out).expect("dir");
    std::fs::write(out.join("summary.csv"), "my own numbers\n").expect("file");
    std::fs::write(out.join("notes.txt"), "keep\n").expect("file");
    let o = quick_run(&out, &[]);
    assert_fails_with(
        &o,
        &[
            "is not empty and holds no negsim result",
            "'notes.txt'",
            "'summary.csv'",
            "--force",
        ],
    );
    assert_eq!(
        std::fs::read(out.join("summary.csv")).expect("read"),
        b"my own numbers\n"
    );
    assert!(!out.join("manifest.json").exists());
    let o = quick_run(&out, &["--force"]);
    assert!(o.status.success(), "{:?}", texts(&o));
    assert!(out.join("manifest.json").exists());
    // A folder holding only negsim results (the default job's worlds/ inside output/default) is
    // not foreign.
    let nest = d.join("nest");
    assert!(quick_run(&nest.join("worlds"), &[]).status.success());
    assert!(quick_run(&nest, &[]).status.success());
}

#[test]
fn escape_sequences_in_a_file_reach_the_terminal_as_text() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    let ov = d.join("evil.toml");
    std::fs::write(
        &ov,
        "[meta]\nname = \"evil\"\ndescription = \"x\"\n\n[[remove.calendar]]\nname = \"\\u001b[2Jnope\"\n",
    )
    .expect("overlay");
    let o = validate_with(&ov);
    let (so, se) = texts(&o);
    assert_ne!(o.status.code(), Some(0), "{so}\n{se}");
    assert!(
        !se.contains('\u{1b}') && !so.contains('\u{1b}'),
        "a raw ESC reached the terminal: {se:?}"
    );
    assert!(se.contains("\\u{1b}[2Jnope"), "{se}");
    // And in a name that validates: the ok line shows it escaped.
    let sc = renamed_baseline(d, "named.toml", "a\u{1b}[2Jb");
    let o = super::run(&["validate", sc.to_str().expect("utf-8")]);
    let (so, se) = texts(&o);
    assert!(
        !so.contains('\u{1b}') && !se.contains('\u{1b}'),
        "{so:?} {se:?}"
    );
}

#[test]
fn target_ci_cannot_be_sharded() {
    let o = super::run(&[
        "compare",
        "scenarios/baseline.toml",
        "--with",
        "scenarios/interventions/threat_withdrawn.toml",
        "--target-ci",
        "0.05",
        "--shard",
        "1/2",
    ]);
    let (_, se) = texts(&o);
    assert_eq!(o.status.code(), Some(2), "{se}");
    assert!(se.contains("--target-ci") && se.contains("--shard"), "{se}");
}

#[test]
fn a_horizon_that_ends_past_the_year_9999_is_refused_at_its_line() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    let text = std::fs::read_to_string(root().join("scenarios/baseline.toml")).expect("baseline");
    let late = text.replace("2025-", "9999-").replace("2026-", "9999-");
    let p = d.join("late.toml");
    std::fs::write(&p, late).expect("write");
    let o = super::run(&["validate", p.to_str().expect("utf-8")]);
    assert_fails_with(
        &o,
        &[
            "late.toml:",
            "meta.start",
            "ends in the year 10002",
            "9999-12-31 or earlier",
        ],
    );
}

#[test]
fn devices_are_refused_before_reading_and_pipes_still_work() {
    let base = "scenarios/baseline.toml";
    for (args, what) in [
        (
            vec!["validate", "/dev/zero"],
            "scenario '/dev/zero' is not a regular file",
        ),
        (
            vec!["validate", base, "--with", "/dev/urandom"],
            "overlay '/dev/urandom' is not a regular file",
        ),
    ] {
        let t0 = std::time::Instant::now();
        let o = super::run(&args);
        assert_fails_with(&o, &[what]);
        assert!(
            t0.elapsed().as_secs() < 5,
            "{args:?} took {:?}",
            t0.elapsed()
        );
    }
    // A shard whose partial.json is /dev/zero: merge refuses it instead of reading forever.
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    let shard = d.join("s1");
    std::fs::create_dir(&shard).expect("shard");
    std::os::unix::fs::symlink("/dev/zero", shard.join("partial.json")).expect("symlink");
    let o = super::run(&[
        "merge",
        shard.to_str().expect("utf-8"),
        "--out",
        d.join("m").to_str().expect("utf-8"),
    ]);
    assert_fails_with(&o, &["partial.json", "is not a regular file"]);
    // Process substitution is a pipe, and keeps working.
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{} validate <(cat {base})",
            env!("CARGO_BIN_EXE_negsim")
        ))
        .current_dir(root())
        .output()
        .expect("bash");
    let (so, se) = texts(&o);
    assert!(
        o.status.success() && so.starts_with("ok: 'baseline'"),
        "{so}\n{se}"
    );
}

#[test]
fn a_fifo_without_a_writer_times_out_and_one_with_a_late_writer_is_read() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    let fifo = d.join("scenario.toml");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let f = fifo.to_str().expect("utf-8");
    let t0 = std::time::Instant::now();
    let o = super::run(&["validate", f]);
    let took = t0.elapsed().as_secs_f64();
    assert_fails_with(&o, &["is a pipe that sent nothing for 10 s"]);
    // The documented silence limit, not a hang: between 10 s and a generous 20 s.
    assert!((10.0..20.0).contains(&took), "gave up after {took:.1} s");
    // A writer that connects two seconds late is waited for.
    let text = std::fs::read(root().join("scenarios/baseline.toml")).expect("baseline");
    let fifo2 = fifo.clone();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(2));
        std::fs::write(&fifo2, text).expect("write into the fifo");
    });
    let o = super::run(&["validate", f]);
    writer.join().expect("writer");
    let (so, se) = texts(&o);
    assert!(o.status.success(), "{so}\n{se}");
}

#[test]
fn an_oversized_input_is_refused_after_reading_at_most_its_limit() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    let big = d.join("big.toml");
    let limit = negsim::scenario::MAX_FILE_BYTES as usize;
    std::fs::write(&big, vec![b'#'; limit + 1]).expect("write");
    let o = super::run(&["validate", big.to_str().expect("utf-8")]);
    assert_fails_with(&o, &["big.toml", "is 4.2 MB", "at most 4 MB"]);
}

#[test]
fn includes_stay_in_the_including_overlays_folder() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    for (name, inc) in [
        ("abs.toml", "/etc/passwd"),
        ("up.toml", "../../../../etc/passwd"),
    ] {
        let ov = d.join(name);
        std::fs::write(
            &ov,
            format!("[overlay]\nname = \"x\"\ndescription = \"x\"\nincludes = [\"{inc}\"]\n"),
        )
        .expect("overlay");
        let o = validate_with(&ov);
        assert_fails_with(
            &o,
            &[
                &format!("{name}:4:13: overlay.includes: '{inc}'"),
                "no absolute path, no '..'",
            ],
        );
        let (_, se) = texts(&o);
        assert!(
            !se.contains("root:"),
            "nothing of /etc/passwd is quoted: {se}"
        );
    }
    // The shipped overlay that includes its neighbours still loads.
    let o = super::run(&[
        "validate",
        "scenarios/baseline.toml",
        "--with",
        "scenarios/interventions/all_of_the_above.toml",
    ]);
    assert!(o.status.success(), "{:?}", texts(&o));
}

#[test]
fn a_description_with_markup_stays_text_in_the_report() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    let text =
        std::fs::read_to_string(root().join("scenarios/interventions/threat_withdrawn.toml"))
            .expect("overlay");
    let evil = "<script>alert(1)</script> | [l](javascript:alert(3))";
    let start = text.find("description = ").expect("a description");
    let end = start + text[start..].find('\n').expect("its line");
    let ov = d.join("threat_withdrawn.toml");
    std::fs::write(
        &ov,
        format!(
            "{}description = {}{}",
            &text[..start],
            toml_string(evil),
            &text[end..]
        ),
    )
    .expect("write");
    let out = d.join("out");
    let o = quick_compare(&out, ov.to_str().expect("utf-8"), &["--no-charts"]);
    assert!(o.status.success(), "{:?}", texts(&o));
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(md.contains("alert(1)"), "the description is shown");
    // Escaped for Markdown: no raw tag, no link, and the '|' cannot split the arms table's row.
    assert!(
        !md.contains("<script>") && !md.contains(" [l](javascript"),
        "{md}"
    );
    assert!(md.contains("\\</script\\> \\| \\[l\\](javascript"), "{md}");
    assert!(!html.contains("<script>alert") && !html.contains("href=\"javascript"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; | [l](javascript:alert(3))"));
}

#[test]
fn force_replaces_a_result_without_leaving_its_files_behind() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path();
    let out = d.join("R");
    let o = quick_compare(&out, KUSHNER, &[]);
    assert!(o.status.success(), "{:?}", texts(&o));
    let before = files(&out);
    assert!(before.iter().any(|f| f.ends_with("runs.csv")) && before.len() > 20);
    // A user's own file beside the result is not the result's, and stays.
    std::fs::write(out.join("my_notes.txt"), "mine\n").expect("notes");
    let o = quick_run(&out, &["--force", "--no-runs-csv"]);
    assert!(o.status.success(), "{:?}", texts(&o));
    let after = files(&out);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest"))
            .expect("json");
    let mut listed: Vec<PathBuf> = manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| PathBuf::from(f.as_str().expect("name")))
        .collect();
    listed.push(PathBuf::from("my_notes.txt"));
    listed.sort();
    assert_eq!(
        after, listed,
        "exactly the new result's files (and the user's note)"
    );
    assert!(
        !out.join("restore_kushner_channel").exists(),
        "the old arm folder is gone"
    );
}

#[test]
fn a_closed_pipe_is_a_quiet_success_and_a_full_disk_behind_stdout_is_an_error() {
    // `| head -1`: the reader leaves early; exit 0, no panic.
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; {} explain scenarios/baseline.toml | head -1 >/dev/null",
            env!("CARGO_BIN_EXE_negsim")
        ))
        .current_dir(root())
        .output()
        .expect("bash");
    let (_, se) = texts(&o);
    assert_eq!(o.status.code(), Some(0), "{se}");
    assert!(!se.contains("panicked"), "{se}");
    // `> /dev/full`: the summary is lost, so the command says so and fails.
    if Path::new("/dev/full").exists() {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let o = super::negsim()
            .args(["validate", "scenarios/baseline.toml"])
            .stdout(full)
            .output()
            .expect("runs");
        assert_fails_with(
            &o,
            &["cannot write to standard output: No space left on device"],
        );
    }
}

#[test]
fn the_size_checks_count_threads_and_traced_events() {
    // Each worker thread keeps its own aggregate: 5,000 weeks fit on 2 threads, not on 32.
    let o = super::run(&[
        "run",
        "scenarios/baseline.toml",
        "--weeks",
        "5000",
        "--runs",
        "4000",
        "--threads",
        "32",
        "--no-runs-csv",
        "-q",
    ]);
    assert_fails_with(
        &o,
        &[
            "of memory for weekly statistics, one copy per thread",
            "--threads",
        ],
    );
    // Traced replicates write events.csv: 400,000 of them are about 2.8 GB.
    let o = super::run(&[
        "run",
        "scenarios/baseline.toml",
        "--runs",
        "400000",
        "--trace",
        "400000",
        "--no-runs-csv",
        "-q",
    ]);
    assert_fails_with(&o, &["of runs.csv and traced events", "a smaller --trace"]);
}

#[test]
fn a_toml_file_that_is_not_a_scenario_is_refused_without_quoting_it() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let f = tmp.path().join("config.toml");
    std::fs::write(&f, "password = \"hunter2\"\n[database]\nuser = \"admin\"\n").expect("write");
    let o = super::run(&["validate", f.to_str().expect("utf-8")]);
    assert_fails_with(
        &o,
        &["this is not a negsim scenario: it has no [meta] table"],
    );
    let (out, err) = texts(&o);
    for secret in ["hunter2", "password", "database", "admin"] {
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "{secret} echoed: {err}"
        );
    }
}
