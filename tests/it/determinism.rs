//! Same command at 1 and 2 threads: byte-identical CSV files.

use super::{assert_same_files, files, run};

fn assert_same_outputs(args: &[&str]) {
    let d1 = tempfile::tempdir().expect("temp dir");
    let d2 = tempfile::tempdir().expect("temp dir");
    for (dir, threads) in [(&d1, "1"), (&d2, "2")] {
        let out = dir.path().join("out");
        let mut a: Vec<&str> = args.to_vec();
        let out_s = out.to_str().expect("utf8").to_string();
        a.extend(["--threads", threads, "--out", &out_s, "--quiet"]);
        let o = run(&a);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let (o1, o2) = (d1.path().join("out"), d2.path().join("out"));
    let compared = assert_same_files(&o1, &o2, "between 1 and 2 threads");
    assert!(compared >= 4, "too few files compared: {:?}", files(&o1));
}

#[test]
fn run_is_byte_identical_at_one_and_two_threads() {
    assert_same_outputs(&[
        "run",
        "scenarios/baseline.toml",
        "--runs",
        "700",
        "--seed",
        "11",
    ]);
}

#[test]
fn compare_is_byte_identical_at_one_and_two_threads() {
    assert_same_outputs(&[
        "compare",
        "scenarios/baseline.toml",
        "--with",
        "scenarios/interventions/restore_kushner_channel.toml",
        "--with",
        "scenarios/interventions/treasury_expertise.toml",
        "--runs",
        "300",
    ]);
}

#[test]
fn target_ci_stops_at_the_same_point_whatever_the_threads() {
    assert_same_outputs(&[
        "compare",
        "scenarios/baseline.toml",
        "--with",
        "scenarios/interventions/prepared_summit_agenda.toml",
        "--target-ci",
        "0.01",
        "--max-runs",
        "5000",
        "--no-runs-csv",
    ]);
}
