//! Golden files: the reproducibility promise made concrete. A fixed command (baseline plus one
//! overlay, fixed seed, small run count) must write exactly the bytes committed under
//! `tests/golden/`. Any change to the model, its random streams or the output formats shows up
//! here, and must be made on purpose.
//!
//! To regenerate them deliberately (after a change whose effect on the numbers is intended):
//!
//! ```sh
//! NEGSIM_BLESS=1 cargo test --release --test it golden
//! ```
//!
//! and say in the commit message what moved and why.

use std::path::{Path, PathBuf};

use super::{files, root, run};

/// The command the goldens record.
const ARGS: [&str; 10] = [
    "compare",
    "scenarios/baseline.toml",
    "--with",
    "scenarios/interventions/restore_kushner_channel.toml",
    "--runs",
    "200",
    "--seed",
    "7",
    "--trace",
    "0",
];

/// Output files compared byte for byte, and the golden file each is kept as.
const FILES: [(&str, &str); 5] = [
    ("comparison.csv", "comparison.csv"),
    ("baseline/summary.csv", "baseline_summary.csv"),
    ("baseline/timeseries.csv", "baseline_timeseries.csv"),
    (
        "restore_kushner_channel/summary.csv",
        "restore_kushner_channel_summary.csv",
    ),
    (
        "restore_kushner_channel/timeseries.csv",
        "restore_kushner_channel_timeseries.csv",
    ),
];

#[test]
fn golden_outputs_are_byte_identical() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let out_s = out.to_str().expect("utf8").to_string();
    let mut args: Vec<&str> = ARGS.to_vec();
    args.extend(["--out", &out_s, "--quiet", "--no-charts", "--no-runs-csv"]);
    let o = run(&args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let golden = root().join("tests/golden");
    let bless = std::env::var_os("NEGSIM_BLESS").is_some();
    let mut differ = Vec::new();
    for (produced, kept) in FILES {
        let now = std::fs::read(out.join(produced)).expect("output file written");
        let path = golden.join(kept);
        if bless {
            std::fs::write(&path, &now).expect("golden written");
            continue;
        }
        let then = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; regenerate with NEGSIM_BLESS=1 (see tests/it/golden.rs)",
                path.display()
            )
        });
        if now != then {
            differ.push(kept);
        }
    }
    assert!(
        differ.is_empty(),
        "outputs differ from tests/golden/: {differ:?}. If the change is intended, regenerate \
         with NEGSIM_BLESS=1 cargo test --release --test it golden, and say why in the commit"
    );
}

/// A study or calibration whose whole output tree (every file but manifest.json, which records
/// the command line and the wall time) is kept under `tests/golden/<name>/`.
struct TreeCase {
    name: &'static str,
    args: Vec<String>,
}

fn tree_cases(tmp: &Path) -> Vec<TreeCase> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let cfg = super::shrunk_joint_config(tmp);
    let mut calibrate = s(&["calibrate", "--config"]);
    calibrate.push(cfg.to_str().expect("utf8").to_string());
    vec![
        TreeCase {
            // Every file of a comparison (runs, events, charts, report), on fewer runs than the
            // CSV goldens above.
            name: "compare",
            args: s(&[
                "compare",
                "scenarios/baseline.toml",
                "--with",
                "scenarios/interventions/restore_kushner_channel.toml",
                "--with",
                "scenarios/interventions/prepared_summit_agenda.toml",
                "--runs",
                "60",
                "--seed",
                "11",
            ]),
        },
        TreeCase {
            name: "sweep",
            args: s(&[
                "sweep",
                "scenarios/baseline.toml",
                "--vary",
                "sides.cn.face_cost=0.2..1:3",
                "--vary",
                "negotiators.rapport=0..0.6:2",
                "--runs",
                "40",
                "--seed",
                "7",
            ]),
        },
        TreeCase {
            name: "sensitivity",
            args: s(&[
                "sensitivity",
                "scenarios/baseline.toml",
                "--params",
                "sides.cn.initiative_aversion",
                "sides.cn.face_cost",
                "negotiators.rapport=0..0.5",
                "--samples",
                "4",
                "--runs",
                "40",
                "--repeats",
                "3",
                "--seed",
                "7",
            ]),
        },
        TreeCase {
            name: "discover",
            args: s(&[
                "discover",
                "scenarios/baseline.toml",
                "--vary",
                "sides.cn.initiative_aversion",
                "--vary",
                "channels.official.authority",
                "--outcome",
                "weeks_to_durable_deal<=104",
                "--samples",
                "40",
                "--runs",
                "30",
                "--seed",
                "7",
            ]),
        },
        TreeCase {
            name: "calibration",
            args: calibrate,
        },
    ]
}

/// A report names the git commit of the build (`negsim 0.1.0, commit 0123456789ab`), which
/// changes with every commit while the results do not: the one token golden files do not pin.
fn without_commit(bytes: Vec<u8>) -> Vec<u8> {
    let Ok(text) = String::from_utf8(bytes.clone()) else {
        return bytes;
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find(", commit ") {
        let (head, tail) = rest.split_at(i + ", commit ".len());
        out.push_str(head);
        let end = tail
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(tail.len());
        out.push('-');
        rest = &tail[end..];
    }
    out.push_str(rest);
    out.into_bytes()
}

#[test]
fn golden_studies_and_calibration_are_byte_identical() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bless = std::env::var_os("NEGSIM_BLESS").is_some();
    let mut differ = Vec::new();
    for case in tree_cases(dir.path()) {
        let out = dir.path().join(case.name);
        let mut args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        args.extend(["--out", out.to_str().expect("utf8"), "--quiet"]);
        let o = run(&args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}: {}",
            case.name,
            String::from_utf8_lossy(&o.stderr)
        );
        let golden = root().join("tests/golden").join(case.name);
        let produced: Vec<PathBuf> = files(&out)
            .into_iter()
            .filter(|f| f.file_name().is_none_or(|n| n != "manifest.json"))
            .collect();
        if bless {
            let _ = std::fs::remove_dir_all(&golden);
            for f in &produced {
                let to = golden.join(f);
                std::fs::create_dir_all(to.parent().expect("parent")).expect("golden dir");
                std::fs::copy(out.join(f), &to).expect("golden written");
            }
            continue;
        }
        let kept = files(&golden);
        assert!(
            !kept.is_empty(),
            "{}: no golden files; regenerate with NEGSIM_BLESS=1 (see tests/it/golden.rs)",
            golden.display()
        );
        if kept != produced {
            differ.push(format!("{}: file list {produced:?} vs {kept:?}", case.name));
            continue;
        }
        for f in &produced {
            let now = without_commit(std::fs::read(out.join(f)).expect("read"));
            let then = without_commit(std::fs::read(golden.join(f)).expect("read"));
            if now != then {
                differ.push(format!("{}/{}", case.name, f.display()));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "outputs differ from tests/golden/: {differ:?}. If the change is intended, regenerate \
         with NEGSIM_BLESS=1 cargo test --release --test it golden, and say why in the commit"
    );
}
