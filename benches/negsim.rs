//! negsim benchmarks (criterion). docs/PERFORMANCE.md records the numbers and how to read them.
//!
//! (a) `replicate/baseline_156w`: one baseline replicate of 156 weeks (model only; and with the
//!     per-replicate collector) — divide by 156 for the cost per replicate-week.
//! (b) `rng_floor/layout`: the draws a baseline replicate makes over 156 weeks (its mean count per
//!     week by mechanism, from `baseline_draws.in`), at their positions in the real streams, each
//!     week written to a buffer (no dependency between draws, streams built once outside the loop):
//!     the honest floor of issue 14. `rng_floor/layout_special`: that plus the special functions
//!     the model evaluates per replicate-week (callgrind: 7.8 `exp`, 6.0 normal quantiles).
//! (c) `ensemble_10k/threads_{1,2}`: 10,000 baseline replicates through the ensemble (collection
//!     and streaming aggregation included; no files).
//! (d) `compare_6_arms/end_to_end`: the `negsim` binary comparing the baseline with five
//!     interventions, 2,000 runs each, writing every CSV, chart and report file.
//! (e) `default_job/{worlds_only,end_to_end}`: the default job's worlds (7 arms, 200 worlds x 50
//!     replicates) and the whole default job as a user runs it.

use std::hint::black_box;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use negsim::ensemble::record::ReplicateCollector;
use negsim::ensemble::{self, Aggregate, Arm, NullSink, Plan};
use negsim::model::{NoEvents, Params, StreamKey, Streams, run_replicate};
use negsim::scenario::{Text, load_texts};

fn baseline() -> Params {
    let text = include_str!("../scenarios/baseline.toml");
    let l = load_texts(
        &Text {
            path: "baseline.toml".into(),
            text: text.into(),
        },
        &[],
    )
    .expect("baseline loads");
    Params::compile(&l.scenario, l.scenario.meta.weeks)
}

fn replicate(c: &mut Criterion) {
    let p = baseline();
    let mut g = c.benchmark_group("replicate");
    let mut rep = 0u64;
    g.bench_function("baseline_156w", |b| {
        b.iter(|| {
            rep += 1;
            let end = run_replicate(
                &p,
                StreamKey {
                    seed: 1,
                    replicate: rep,
                    arm_salt: 0,
                },
                &mut NoEvents,
                |_, o| {
                    black_box(o);
                },
            );
            black_box(end.week)
        })
    });
    let mut col = ReplicateCollector::new(&p);
    g.bench_function("baseline_156w_collected", |b| {
        b.iter(|| {
            rep += 1;
            col.reset(&p, rep);
            let end = run_replicate(
                &p,
                StreamKey {
                    seed: 1,
                    replicate: rep,
                    arm_salt: 0,
                },
                &mut NoEvents,
                |s, o| {
                    col.week(s, o);
                },
            );
            black_box(col.finish(&end))
        })
    });
    g.finish();
}

/// The baseline's mean draws per replicate-week by mechanism (in the order of
/// `negsim::model::MECHANISMS`), written and checked by a unit test of `model::state`.
const BASELINE_DRAWS: [f64; 7] = include!("baseline_draws.in");

/// The honest floor: the draws the model makes (the baseline's mean count per replicate-week, by
/// mechanism, spread over that mechanism's streams), at their positions in the real streams, for
/// 156 weeks. No draw depends on another, and the streams are built once outside the loop.
/// `layout_special` adds the special functions a replicate-week evaluates (callgrind call counts
/// over 156,000 replicate-weeks: 7.8 `exp` and 6.0 normal quantiles per week, rounded to 8 and 6),
/// with the model's own `fastmath::exp`.
fn rng_floor(c: &mut Criterion) {
    use negsim::model::MECHANISMS;
    use negsim::model::rng::{normal_quantile, open_unit};
    let p = baseline();
    let streams = Streams::new(
        &p,
        StreamKey {
            seed: 1,
            replicate: 0,
            arm_salt: 0,
        },
    )
    .all();
    // Per mechanism, its streams; per week, how many draws each makes (the fractional means are
    // met over the horizon by carrying the remainder from week to week).
    let groups: Vec<Vec<_>> = MECHANISMS
        .iter()
        .map(|m| {
            streams
                .iter()
                .filter(|(k, _)| k == m)
                .map(|(_, s)| *s)
                .collect()
        })
        .collect();
    // Each week's draws as (stream, slot): round-robin over the mechanism's streams.
    let plan: Vec<Vec<_>> = (0..p.weeks)
        .map(|w| {
            let mut week = Vec::new();
            for (group, &mean) in groups.iter().zip(&BASELINE_DRAWS) {
                let n =
                    ((f64::from(w + 1) * mean).floor() - (f64::from(w) * mean).floor()) as usize;
                for d in 0..n {
                    week.push((group[d % group.len()], (d / group.len()) as u32));
                }
            }
            week
        })
        .collect();
    let most = plan.iter().map(Vec::len).max().unwrap_or(0);
    let mut buf = vec![0.0f64; most];
    let mut g = c.benchmark_group("rng_floor");
    for special in [false, true] {
        let name = if special { "layout_special" } else { "layout" };
        g.bench_function(name, |b| {
            b.iter(|| {
                for (w, draws) in plan.iter().enumerate() {
                    for (x, (st, slot)) in buf.iter_mut().zip(draws) {
                        *x = st.week(w as u32).u(*slot);
                    }
                    let j = draws.len();
                    if special {
                        let mut e = [0.0; 8];
                        for (k, x) in e.iter_mut().enumerate() {
                            *x = negsim::model::fastmath::exp(buf[k] - 0.5);
                        }
                        let mut z = [0.0; 6];
                        for (k, x) in z.iter_mut().enumerate() {
                            *x = normal_quantile(open_unit(buf[8 + k]));
                        }
                        black_box((&e, &z));
                    }
                    black_box(&buf[..j]);
                }
            })
        });
    }
    g.finish();
}

fn ensemble_10k(c: &mut Criterion) {
    let arms = vec![Arm {
        name: "baseline".into(),
        description: String::new(),
        params: baseline(),
    }];
    let mut g = c.benchmark_group("ensemble_10k");
    g.sample_size(10).measurement_time(Duration::from_secs(12));
    for threads in [1usize, 2] {
        g.bench_function(format!("threads_{threads}"), |b| {
            b.iter(|| {
                let mut agg = Aggregate::new(&[&arms[0].params]);
                let plan = Plan {
                    seed: 1,
                    threads,
                    trace: 0,
                    independent: false,
                };
                ensemble::run(
                    &arms,
                    &plan,
                    0..10_000,
                    &mut agg,
                    &mut NullSink,
                    &AtomicBool::new(false),
                    &mut |_| {},
                )
                .expect("runs");
                black_box(agg.runs)
            })
        });
    }
    g.finish();
}

/// Adds `--with scenarios/interventions/NAME.toml` for each name, runs the binary, and fails the
/// bench if it fails.
fn run_with(cmd: &mut std::process::Command, interventions: &[&str]) {
    for o in interventions {
        cmd.arg("--with")
            .arg(format!("scenarios/interventions/{o}.toml"));
    }
    let o = cmd.output().expect("negsim runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn compare_6_arms(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("negsim-bench-{}", std::process::id()));
    let out = dir.join("out");
    let root = env!("CARGO_MANIFEST_DIR");
    let bin = std::path::Path::new(root).join("target/release/negsim");
    if !bin.exists() {
        eprintln!("compare_6_arms: build the binary first (cargo build --release); skipped");
        return;
    }
    let mut g = c.benchmark_group("compare_6_arms");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("end_to_end", |b| {
        b.iter(|| {
            let mut cmd = std::process::Command::new(&bin);
            cmd.current_dir(root)
                .args([
                    "compare",
                    "scenarios/baseline.toml",
                    "--runs",
                    "2000",
                    "--quiet",
                    "--force",
                    "--out",
                ])
                .arg(&out);
            run_with(
                &mut cmd,
                &[
                    "restore_kushner_channel",
                    "treasury_expertise",
                    "prepared_summit_agenda",
                    "rebuild_nsc_coordination",
                    "cui_backchannel_succeeds",
                ],
            );
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The default job as a user runs it (`negsim` with no arguments, in a scratch folder): the
/// uncertainty-aware answer (7 arms, 200 worlds x 50 replicates, report included) and then the
/// comparison at the written values (10,000 replicates per arm, every file and chart). Issue 15
/// asks for under 10 s on 2 cores; `default_job/worlds_only` is the worlds part alone.
fn default_job(c: &mut Criterion) {
    let root = env!("CARGO_MANIFEST_DIR");
    let bin = std::path::Path::new(root).join("target/release/negsim");
    if !bin.exists() {
        eprintln!("default_job: build the binary first (cargo build --release); skipped");
        return;
    }
    let dir = std::env::temp_dir().join(format!("negsim-bench-default-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let mut g = c.benchmark_group("default_job");
    g.sample_size(10).measurement_time(Duration::from_secs(60));
    g.bench_function("worlds_only", |b| {
        b.iter(|| {
            let mut cmd = std::process::Command::new(&bin);
            cmd.current_dir(root).args([
                "compare",
                "scenarios/baseline.toml",
                "--worlds",
                "200",
                "--runs",
                "50",
                "--quiet",
                "--force",
                "--out",
            ]);
            cmd.arg(dir.join("worlds"));
            run_with(
                &mut cmd,
                &[
                    "all_of_the_above",
                    "cui_backchannel_succeeds",
                    "prepared_summit_agenda",
                    "rebuild_nsc_coordination",
                    "restore_kushner_channel",
                    "treasury_expertise",
                ],
            );
        })
    });
    g.bench_function("end_to_end", |b| {
        b.iter(|| {
            let o = std::process::Command::new(&bin)
                .current_dir(&dir)
                .output()
                .expect("negsim runs");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group! {
    name = benches;
    // No plots: criterion's plotting needs system fonts, which this project does without.
    config = Criterion::default().without_plots();
    targets = replicate, rng_floor, ensemble_10k, compare_6_arms, default_job
}
criterion_main!(benches);
