//! Hostile input, round two (issue 17): every case of the issue that is handled has a test here,
//! named after what it proves; docs/ROBUSTNESS.md lists them.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{assert_fails_with, files, root, shrunk_joint_config, texts};

/// A fresh scratch folder under the system temp dir.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("negsim-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

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
    let d = scratch("default-out");
    let cwd = d.join("a/b/c");
    std::fs::create_dir_all(&cwd).expect("cwd");
    let sc = renamed_baseline(&d, "evil.toml", "../../../../escaped");
    let sc = sc.to_str().expect("utf-8 path");
    let kushner = root().join("scenarios/interventions/restore_kushner_channel.toml");
    let kushner = kushner.to_str().expect("utf-8 path");
    let cfg = shrunk_joint_config(&d);
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
    let all = files(&d);
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
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn record_names_that_would_place_calibrated_files_are_refused_before_calibrating() {
    // Records named to climb out of --out and to point at an absolute path: refused with the
    // file, line and key before any particle runs, and the files they aimed at are untouched.
    let d = scratch("calibrated-name");
    let victim = d.join("VICTIM_calibrated.toml");
    std::fs::write(&victim, b"keep me\n").expect("victim");
    let abs = d.join("ABS");
    let cfg = shrunk_joint_config(&d);
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
    let o = negsim_in(&d)
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
    let _ = std::fs::remove_dir_all(&d);
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
