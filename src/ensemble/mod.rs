//! The ensemble: replicates of one or more arms in parallel (rayon), merged in replicate order.
//!
//! Replicate i of every arm runs in the same task on streams derived from (seed, i), so arms see
//! common random numbers (unless `independent`). Workers take fixed batches of replicates in
//! increasing order; the calling thread merges finished batches strictly in batch order into the
//! [`Aggregate`] and hands per-replicate rows to a [`Sink`]. Results are therefore bit-identical for
//! any thread count, and memory holds only the batches in flight. No lock or atomic is touched
//! inside a replicate: workers meet shared state once per batch.

pub mod aggregate;
pub mod record;

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;

use crate::model::rng::mix64;
use crate::model::{Event, NoEvents, Params, StreamKey, run_replicate};

pub use aggregate::{Aggregate, ReplicateOut};
pub use record::{METRICS, Metric, RunStats, WeekPoint};

use record::ReplicateCollector;

/// Replicates per batch: the unit of work handed to a thread.
pub const BATCH: u64 = 64;

/// One arm: a name and compiled parameters.
#[derive(Clone, Debug)]
pub struct Arm {
    /// Name (also the output sub-folder in comparisons).
    pub name: String,
    /// One line on what the arm is.
    pub description: String,
    /// Parameters.
    pub params: Params,
}

/// How to run an ensemble.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Seed.
    pub seed: u64,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Replicates (from index 0) whose events are logged.
    pub trace: u64,
    /// Give each arm its own streams instead of common random numbers.
    pub independent: bool,
}

/// Receives per-replicate results in replicate order.
pub trait Sink {
    /// One replicate's statistics for one arm.
    fn row(&mut self, arm: usize, stats: &RunStats) -> std::io::Result<()>;
    /// The event log and weekly trajectory of a traced replicate of one arm.
    fn traced(
        &mut self,
        arm: usize,
        replicate: u64,
        events: &[Event],
        trajectory: &[WeekPoint],
    ) -> std::io::Result<()>;
}

/// A sink that keeps nothing.
pub struct NullSink;

impl Sink for NullSink {
    fn row(&mut self, _: usize, _: &RunStats) -> std::io::Result<()> {
        Ok(())
    }
    fn traced(&mut self, _: usize, _: u64, _: &[Event], _: &[WeekPoint]) -> std::io::Result<()> {
        Ok(())
    }
}

/// How an ensemble run ended.
#[derive(Debug)]
pub enum Outcome {
    /// All replicates were merged.
    Completed,
    /// Stopped on request; the aggregate holds the batches merged before the stop.
    Interrupted,
}

/// Errors of an ensemble run.
#[derive(Debug, thiserror::Error)]
pub enum EnsembleError {
    /// The sink failed (e.g. disk full).
    #[error("{0}")]
    Sink(#[from] std::io::Error),
    /// The thread pool could not be built.
    #[error("cannot start {threads} worker threads: {reason}")]
    Threads {
        /// Requested threads.
        threads: usize,
        /// Why.
        reason: String,
    },
}

struct BatchOut {
    index: u64,
    /// `[replicate][arm]`.
    outs: Vec<Vec<ReplicateOut>>,
    /// `[replicate][arm][week]`, flattened.
    traj: Vec<WeekPoint>,
    /// Events of traced replicates: (replicate offset in batch, arm, events).
    events: Vec<(usize, usize, Vec<Event>)>,
}

/// The stream key of replicate `i` of arm `a`.
pub fn stream_key(plan: &Plan, arm: usize, replicate: u64) -> StreamKey {
    StreamKey {
        seed: plan.seed,
        replicate,
        arm_salt: if plan.independent {
            mix64(arm as u64 + 1)
        } else {
            0
        },
    }
}

fn run_batch(arms: &[Arm], plan: &Plan, index: u64, reps: Range<u64>) -> BatchOut {
    let weeks = arms.first().map_or(0, |a| a.params.weeks as usize);
    let n = (reps.end - reps.start) as usize;
    let mut outs = Vec::with_capacity(n);
    let mut traj = vec![WeekPoint::default(); n * arms.len() * weeks];
    let mut events = Vec::new();
    let mut collectors: Vec<ReplicateCollector> = arms
        .iter()
        .map(|a| ReplicateCollector::new(&a.params))
        .collect();
    for (ri, rep) in reps.enumerate() {
        let mut row = Vec::with_capacity(arms.len());
        for (a, arm) in arms.iter().enumerate() {
            let p = &arm.params;
            let col = &mut collectors[a];
            col.reset(p, rep);
            let key = stream_key(plan, a, rep);
            let base = (ri * arms.len() + a) * weeks;
            let points = &mut traj[base..base + weeks];
            let mut on_week = |s: &crate::model::State, o: &crate::model::WeekObs| {
                let regime = col.week(s, o);
                points[o.week as usize] = WeekPoint {
                    tariff: [s.sides[0].tariff, s.sides[1].tariff],
                    controls: [s.sides[0].controls, s.sides[1].controls],
                    trust: [s.sides[0].trust, s.sides[1].trust],
                    regime: regime as u8,
                };
            };
            let end = if rep < plan.trace {
                let mut log: Vec<Event> = Vec::new();
                let end = run_replicate(p, key, &mut log, &mut on_week);
                events.push((ri, a, log));
                end
            } else {
                run_replicate(p, key, &mut NoEvents, &mut on_week)
            };
            let stats = col.finish(&end);
            row.push(ReplicateOut {
                stats,
                strict: col.truces(crate::analysis::cycle::Rule::Strict).to_vec(),
                tariff: col.truces(crate::analysis::cycle::Rule::Tariff).to_vec(),
            });
        }
        outs.push(row);
    }
    BatchOut {
        index,
        outs,
        traj,
        events,
    }
}

/// Runs replicates `range` of every arm and merges them into `agg`, in order. `progress` is called
/// on the calling thread with the number of replicates merged so far in this call. Stops early
/// (returning `Interrupted`) when `stop` is set.
pub fn run(
    arms: &[Arm],
    plan: &Plan,
    range: Range<u64>,
    agg: &mut Aggregate,
    sink: &mut dyn Sink,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome, EnsembleError> {
    let total = range.end.saturating_sub(range.start);
    let n_batches = total.div_ceil(BATCH);
    let threads = plan.threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("negsim-worker-{i}"))
        .build()
        .map_err(|e| EnsembleError::Threads {
            threads,
            reason: e.to_string(),
        })?;
    let next = AtomicU64::new(0);
    let (tx, rx) = mpsc::sync_channel::<BatchOut>(threads * 2);
    let weeks = arms.first().map_or(0, |a| a.params.weeks as usize);
    let mut result: Result<Outcome, EnsembleError> = Ok(Outcome::Completed);
    std::thread::scope(|ts| {
        let next = &next;
        let tx_all = tx;
        ts.spawn(move || {
            pool.scope(|s| {
                for _ in 0..threads {
                    let tx = tx_all.clone();
                    s.spawn(move |_| {
                        loop {
                            if stop.load(Ordering::Relaxed) {
                                break;
                            }
                            let b = next.fetch_add(1, Ordering::Relaxed);
                            if b >= n_batches {
                                break;
                            }
                            let start = range.start + b * BATCH;
                            let end = (start + BATCH).min(range.end);
                            if tx.send(run_batch(arms, plan, b, start..end)).is_err() {
                                break;
                            }
                        }
                    });
                }
            });
            drop(tx_all);
        });
        let mut pending: BTreeMap<u64, BatchOut> = BTreeMap::new();
        let mut expect = 0u64;
        let mut merged = 0u64;
        'recv: for out in rx.iter() {
            pending.insert(out.index, out);
            while let Some(b) = pending.remove(&expect) {
                if let Err(e) = merge_batch(b, arms.len(), weeks, agg, sink) {
                    result = Err(e.into());
                    stop.store(true, Ordering::Relaxed);
                    break 'recv;
                }
                expect += 1;
                merged = (expect * BATCH).min(total);
                progress(merged);
            }
        }
        drop(rx);
        if result.is_ok() && merged < total {
            result = Ok(Outcome::Interrupted);
        }
    });
    result
}

fn merge_batch(
    b: BatchOut,
    n_arms: usize,
    weeks: usize,
    agg: &mut Aggregate,
    sink: &mut dyn Sink,
) -> std::io::Result<()> {
    let mut ev_iter = b.events.iter().peekable();
    for (ri, row) in b.outs.iter().enumerate() {
        let trajs: Vec<&[WeekPoint]> = (0..n_arms)
            .map(|a| &b.traj[(ri * n_arms + a) * weeks..(ri * n_arms + a + 1) * weeks])
            .collect();
        agg.absorb(row, &trajs);
        for (a, o) in row.iter().enumerate() {
            sink.row(a, &o.stats)?;
        }
        while let Some((r, a, log)) = ev_iter.peek() {
            if *r != ri {
                break;
            }
            sink.traced(*a, row[*a].stats.replicate, log, trajs[*a])?;
            ev_iter.next();
        }
    }
    Ok(())
}
