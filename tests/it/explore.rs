//! `sweep`, `sensitivity` and `discover` as a user runs them: outputs and their shape, the same
//! bytes for any thread count and through shards, and clear errors for bad keys, ranges and
//! outcomes.

use std::path::Path;

use super::{assert_fails_with, assert_same_files, run, texts};

const SCENARIO: &str = "scenarios/baseline.toml";

fn ok(args: &[&str]) -> String {
    let o = run(args);
    let (out, err) = texts(&o);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}\nstdout: {out}\nstderr: {err}"
    );
    out
}

fn csv(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).expect("csv readable");
    text.lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

fn col(rows: &[Vec<String>], name: &str) -> usize {
    rows[0]
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", rows[0]))
}

/// Every file but the manifest (which records the command line and the wall time) is identical.
fn assert_same_outputs(a: &Path, b: &Path) {
    let compared = assert_same_files(a, b, "between the two runs");
    assert!(compared >= 2, "compared {compared} files");
}

#[test]
fn a_one_parameter_sweep_writes_every_point_with_intervals_and_a_line_chart() {
    let d = tempfile::tempdir().expect("temp");
    let out = d.path().join("s");
    let o = out.to_str().expect("utf8");
    ok(&[
        "sweep",
        SCENARIO,
        "--vary",
        "sides.cn.initiative_aversion=0.1..0.7:4",
        "--runs",
        "300",
        "--out",
        o,
        "-q",
    ]);
    let rows = csv(&out.join("sweep.csv"));
    assert_eq!(rows.len(), 5, "header and 4 points");
    let x = col(&rows, "sides.cn.initiative_aversion");
    let (m, lo, hi) = (
        col(&rows, "share_truce"),
        col(&rows, "share_truce_ci_low"),
        col(&rows, "share_truce_ci_high"),
    );
    let xs: Vec<f64> = rows[1..]
        .iter()
        .map(|r| r[x].parse().expect("number"))
        .collect();
    assert_eq!(xs, vec![0.1, 0.3, 0.5, 0.7]);
    for r in &rows[1..] {
        let (m, lo, hi): (f64, f64, f64) = (
            r[m].parse().expect("n"),
            r[lo].parse().expect("n"),
            r[hi].parse().expect("n"),
        );
        assert!(
            lo <= m && m <= hi && (0.0..=1.0).contains(&m),
            "{lo} {m} {hi}"
        );
    }
    // Truce-duration outputs come from Kaplan–Meier, not naive means.
    col(&rows, "truce_rmst_weeks");
    col(&rows, "truce_km_median_weeks");
    for f in [
        "sweep_share_truce.png",
        "sweep_truce_rmst_weeks.png",
        "manifest.json",
    ] {
        assert!(out.join(f).is_file(), "{f} written");
    }
}

#[test]
fn a_two_parameter_grid_draws_a_heatmap_and_is_the_same_on_one_or_two_threads() {
    let d = tempfile::tempdir().expect("temp");
    let mut dirs = Vec::new();
    for t in ["1", "2"] {
        let out = d.path().join(format!("t{t}"));
        let o = out.to_str().expect("utf8").to_string();
        ok(&[
            "sweep",
            SCENARIO,
            "--vary",
            "sides.cn.face_cost=0.2..1:3",
            "--vary",
            "negotiators.rapport=0..0.6:3",
            "--runs",
            "100",
            "--threads",
            t,
            "--out",
            &o,
            "-q",
        ]);
        dirs.push(out);
    }
    assert!(dirs[0].join("sweep_share_truce.png").is_file());
    assert_eq!(csv(&dirs[0].join("sweep.csv")).len(), 10);
    assert_same_outputs(&dirs[0], &dirs[1]);
}

#[test]
fn sensitivity_ranks_claims_with_intervals_deterministically_and_through_shards() {
    let d = tempfile::tempdir().expect("temp");
    let args = |out: &str, extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "sensitivity",
            SCENARIO,
            "--params",
            "sides.cn.initiative_aversion",
            "sides.cn.face_cost",
            "negotiators.rapport=0..0.5",
            "sides.us.coordination",
            "--samples",
            "6",
            "--runs",
            "60",
            "--repeats",
            "4",
            "--out",
            out,
            "-q",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run_args = |a: Vec<String>| {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        ok(&refs)
    };
    let one = d.path().join("one");
    let two = d.path().join("two");
    let stdout = run_args(args(one.to_str().expect("utf8"), &["--threads", "1"]));
    assert!(
        stdout.contains("P6 Chinese officials fear initiative"),
        "{stdout}"
    );
    // A claim with one parameter in the study gets the note on what its rank means.
    assert!(
        stdout.contains("note: a claim ranks by the parameters this scenario gives it"),
        "{stdout}"
    );
    run_args(args(two.to_str().expect("utf8"), &["--threads", "2"]));
    assert_same_outputs(&one, &two);
    let claims = csv(&one.join("claims.csv"));
    let (claim, sum, lo, hi, params) = (
        col(&claims, "claim"),
        col(&claims, "sum"),
        col(&claims, "ci_low"),
        col(&claims, "ci_high"),
        col(&claims, "parameters"),
    );
    // Two outputs, three claims each (P6 has two of the four parameters).
    assert_eq!(claims.len(), 1 + 2 * 3);
    for r in &claims[1..] {
        let (v, l, h): (f64, f64, f64) = (
            r[sum].parse().expect("n"),
            r[lo].parse().expect("n"),
            r[hi].parse().expect("n"),
        );
        assert!(l <= v + 1e-9 && v <= h + 1e-9 && v >= 0.0, "{r:?}");
        if r[claim] == "P6" {
            assert_eq!(r[params], "2");
        }
    }
    let noise = csv(&one.join("noise.csv"));
    assert_eq!(noise.len(), 3);
    for f in [
        "morris_truce_rmst_weeks.png",
        "claims_truce_rmst_weeks.png",
        "indices.csv",
        "points.csv",
    ] {
        assert!(one.join(f).is_file(), "{f} written");
    }
    // Two shards merged give the same files.
    let mut shard_dirs = Vec::new();
    for k in ["1/2", "2/2"] {
        let s = d.path().join(format!("shard{}", &k[..1]));
        run_args(args(s.to_str().expect("utf8"), &["--shard", k]));
        shard_dirs.push(s.to_str().expect("utf8").to_string());
    }
    let merged = d.path().join("merged");
    ok(&[
        "merge",
        &shard_dirs[0],
        &shard_dirs[1],
        "--out",
        merged.to_str().expect("utf8"),
    ]);
    assert_same_outputs(&one, &merged);
    // A missing shard is refused.
    let o = run(&[
        "merge",
        &shard_dirs[0],
        "--out",
        d.path().join("m2").to_str().expect("utf8"),
    ]);
    assert_fails_with(&o, &["shard 2 of 2 is missing"]);
}

#[test]
fn sobol_writes_first_order_and_total_indices() {
    let d = tempfile::tempdir().expect("temp");
    let out = d.path().join("sobol");
    ok(&[
        "sensitivity",
        SCENARIO,
        "--method",
        "sobol",
        "--params",
        "sides.cn.initiative_aversion",
        "negotiators.rapport=0..0.5",
        "--samples",
        "16",
        "--runs",
        "40",
        "--repeats",
        "3",
        "--metric",
        "share_truce",
        "--out",
        out.to_str().expect("utf8"),
        "-q",
    ]);
    let ind = csv(&out.join("indices.csv"));
    let index = col(&ind, "index");
    let kinds: Vec<&str> = ind[1..].iter().map(|r| r[index].as_str()).collect();
    assert_eq!(kinds, vec!["first_order", "total", "first_order", "total"]);
    assert!(out.join("sobol_share_truce.png").is_file());
    // 16 rows x (2 + 2) matrices + 3 repeats.
    assert_eq!(csv(&out.join("points.csv")).len(), 1 + 16 * 4 + 3);
}

#[test]
fn discover_reports_the_peeling_trajectory_and_a_box() {
    let d = tempfile::tempdir().expect("temp");
    let out = d.path().join("disc");
    let stdout = ok(&[
        "discover",
        SCENARIO,
        "--vary",
        "sides.cn.initiative_aversion",
        "--vary",
        "channels.official.authority",
        "--outcome",
        "weeks_to_durable_deal<=104",
        "--threshold",
        "0.1",
        "--samples",
        "60",
        "--runs",
        "50",
        "--out",
        out.to_str().expect("utf8"),
        "-q",
    ]);
    assert!(stdout.contains("points are cases"), "{stdout}");
    let traj = csv(&out.join("prim_trajectory.csv"));
    let (cov, dens) = (col(&traj, "coverage"), col(&traj, "density"));
    assert!(traj.len() >= 2);
    assert_eq!(traj[1][cov], "1", "the first box is the whole space");
    let covs: Vec<f64> = traj[1..]
        .iter()
        .map(|r| r[cov].parse().expect("n"))
        .collect();
    assert!(
        covs.windows(2).all(|w| w[1] <= w[0] + 1e-12),
        "coverage never grows as PRIM peels"
    );
    let _ = dens;
    // Every box is also measured on the held-out replicates; the whole space covers every
    // held-out case too.
    let (hc, hd) = (
        col(&traj, "held_out_coverage"),
        col(&traj, "held_out_density"),
    );
    assert_eq!(traj[1][hc], "1");
    assert!(traj[1..].iter().all(|r| r[hd].parse::<f64>().is_ok()));
    assert!(stdout.contains("on held-out replicates"), "{stdout}");
    let bx = csv(&out.join("box.csv"));
    assert_eq!(bx.len(), 3);
    // 60 points peeled on, and the same 60 points on the held-out seed.
    let pts = csv(&out.join("points.csv"));
    assert_eq!(pts.len(), 1 + 2 * 60);
    let (role, seed) = (col(&pts, "role"), col(&pts, "seed"));
    assert!(pts[1..61].iter().all(|r| r[role] == "fit"));
    assert!(pts[61..].iter().all(|r| r[role] == "held-out"));
    assert_ne!(pts[1][seed], pts[61][seed], "independent noise");
    let unit = col(&pts, "sides.cn.initiative_aversion");
    assert_eq!(pts[1][unit], pts[61][unit], "the same points");
    col(&pts, "outcome_share");
    assert!(out.join("prim.png").is_file());
}

#[test]
fn bad_keys_ranges_and_outcomes_are_clear_errors_that_write_nothing() {
    let d = tempfile::tempdir().expect("temp");
    let out = d.path().join("never");
    let o_s = out.to_str().expect("utf8");
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec!["sweep", SCENARIO, "--vary", "sides.cn.face_cots=0..1"],
            vec![
                "'sides.cn.face_cots' is not a numeric parameter",
                "did you mean 'sides.cn.face_cost'",
                "valid keys under 'sides.cn.'",
                "sides.cn.coordination",
            ],
        ),
        (
            vec!["sweep", SCENARIO, "--vary", "sides.cn.face_cost=1..0"],
            vec!["empty or reversed"],
        ),
        (
            vec!["sweep", SCENARIO, "--vary", "sides.cn.face_cost=a..b"],
            vec!["expected KEY=LO..HI"],
        ),
        (
            vec!["sweep", SCENARIO, "--vary", "negotiators.rapport=0..2"],
            vec!["2 is not an allowed value of negotiators.rapport"],
        ),
        (
            vec!["sweep", SCENARIO, "--vary", "sides.cn.face_cost=0..1:0"],
            vec!["give 1 to 1000"],
        ),
        (
            vec!["sensitivity", SCENARIO, "--params", "nope"],
            vec![
                "'nope' is not a numeric parameter",
                "valid keys by group",
                "sides.us.* (",
            ],
        ),
        (
            vec!["sweep", SCENARIO, "--vary", "sides.us.shocks.purges"],
            vec!["--vary sides.us.shocks.purges: its value is 0"],
        ),
        (
            vec!["sweep", SCENARIO, "--vary", "sides.cn.coordination=0..2"],
            vec!["2 is not an allowed value of sides.cn.coordination: 2.0 is out of range"],
        ),
        (
            vec![
                "sensitivity",
                SCENARIO,
                "--params",
                "sides.cn.face_cost",
                "--metric",
                "share_truc",
            ],
            vec!["did you mean 'share_truce'"],
        ),
        (
            vec![
                "sensitivity",
                SCENARIO,
                "--params",
                "sides.cn.face_cost",
                "sides.cn.face_cost",
            ],
            vec!["given twice"],
        ),
        (
            vec!["discover", SCENARIO, "--outcome", "durable<=3"],
            vec!["unknown metric 'durable'"],
        ),
        (
            vec!["discover", SCENARIO, "--outcome", "weeks_to_durable_deal"],
            vec!["expected METRIC<=VALUE"],
        ),
        (
            vec![
                "discover",
                SCENARIO,
                "--outcome",
                "durable_deal>=1",
                "--threshold",
                "0",
            ],
            vec!["--threshold 0"],
        ),
    ];
    for (mut args, needles) in cases {
        args.extend(["--out", o_s, "-q"]);
        let o = run(&args);
        assert_fails_with(&o, &needles);
        assert!(!out.exists(), "{args:?} left an output directory");
    }
}
