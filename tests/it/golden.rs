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

use super::{root, run};

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
