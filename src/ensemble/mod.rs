//! The ensemble: replicates of one or more arms in parallel (rayon).
//!
//! Replicate i of every arm runs in the same task on streams derived from (seed, i), so arms see
//! common random numbers (unless `independent`). Workers take fixed batches of replicates in
//! increasing order and fold every replicate into their own [`Aggregate`]; aggregates hold only
//! integers (counts and exact fixed-point sums), so merging the workers' aggregates gives
//! bit-identical results whatever the thread count or the way batches fell on workers. The calling
//! thread hands per-replicate rows to a [`Sink`] strictly in replicate order and merges the
//! workers' aggregates when they finish. Memory holds the workers' aggregates and the batches in
//! flight, not the replicates. No lock or atomic is touched inside a replicate: workers meet shared
//! state once per batch.

pub mod aggregate;
pub mod job;
pub mod record;
pub mod shapley;
pub mod summary;
pub mod worlds;

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

/// Turns one replicate's statistics into the bytes of its row, on a worker thread, so that the
/// calling thread only copies bytes (report::csv's runs.csv formatter).
pub trait RowFormat: Send + Sync {
    /// Appends arm `arm`'s row for `stats` to `out`.
    fn format(&self, arm: usize, stats: &RunStats, out: &mut Vec<u8>);
}

/// Receives per-replicate results in replicate order.
pub trait Sink {
    /// A formatter the workers use to prepare rows; then [`Sink::formatted`] receives each
    /// batch's bytes per arm instead of [`Sink::row`] each row. None (the default): rows arrive
    /// as statistics.
    fn formatter(&self) -> Option<Box<dyn RowFormat>> {
        None
    }
    /// The rows of one batch for one arm, as prepared by the formatter, in replicate order.
    fn formatted(&mut self, _arm: usize, _bytes: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
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

/// What a batch sends to the calling thread: rows in replicate order and traced replicates.
struct BatchOut {
    index: u64,
    /// `[replicate * arms + arm]` (empty when the rows were formatted).
    rows: Vec<RunStats>,
    /// Per arm, the batch's rows formatted by the sink's formatter (empty without one).
    bytes: Vec<Vec<u8>>,
    /// Traced replicates: (replicate, arm, events, trajectory).
    traced: Vec<(u64, usize, Vec<Event>, Vec<WeekPoint>)>,
}

/// Messages from workers.
enum Msg {
    /// A finished batch.
    Batch(BatchOut),
    /// A worker's aggregate of every replicate it ran (sent once, when it stops).
    Done(Box<Aggregate>),
}

/// A worker's reusable state: collectors, one replicate's outputs per arm, the weekly trajectories
/// per arm (of the whole batch, week-major, for [`Aggregate::absorb_weekly`], when the aggregate
/// keeps weekly series; of one replicate otherwise), and
/// the worker's own aggregate (exact integer sums, so how replicates fall on workers does not
/// matter).
struct Worker {
    collectors: Vec<ReplicateCollector>,
    outs: Vec<ReplicateOut>,
    traj: Vec<Vec<WeekPoint>>,
    /// Replicates whose trajectories `traj` holds at once: `BATCH` with weekly series, else 1.
    held: usize,
    agg: Aggregate,
}

impl Worker {
    fn new(arms: &[Arm], weekly: bool) -> Worker {
        let weeks = arms.first().map_or(0, |a| a.params.weeks as usize);
        let params: Vec<&Params> = arms.iter().map(|a| &a.params).collect();
        let held = if weekly { BATCH as usize } else { 1 };
        Worker {
            collectors: arms
                .iter()
                .map(|a| ReplicateCollector::new(&a.params))
                .collect(),
            outs: vec![ReplicateOut::default(); arms.len()],
            traj: vec![vec![WeekPoint::default(); weeks * held]; arms.len()],
            held,
            agg: if weekly {
                Aggregate::new(&params)
            } else {
                Aggregate::without_weekly(&params)
            },
        }
    }

    fn run_batch(
        &mut self,
        arms: &[Arm],
        plan: &Plan,
        index: u64,
        reps: Range<u64>,
        format: Option<&dyn RowFormat>,
    ) -> BatchOut {
        let n = (reps.end - reps.start) as usize;
        let mut rows = Vec::with_capacity(if format.is_some() { 0 } else { n * arms.len() });
        let mut bytes = vec![Vec::new(); if format.is_some() { arms.len() } else { 0 }];
        let mut traced = Vec::new();
        let weeks = self.agg.weeks as usize;
        // Week t of the batch's replicate j sits at t * stride + slot: week-major over the batch,
        // or one replicate's weeks when only one is held.
        let (stride, held) = (if self.held > 1 { n } else { 1 }, self.held);
        for (j, rep) in reps.enumerate() {
            let slot = if held > 1 { j } else { 0 };
            for (a, arm) in arms.iter().enumerate() {
                let p = &arm.params;
                let col = &mut self.collectors[a];
                col.reset(p, rep);
                let key = stream_key(plan, a, rep);
                let points = &mut self.traj[a];
                let mut on_week = |s: &crate::model::State, o: &crate::model::WeekObs| {
                    let regime = col.week(s, o);
                    points[o.week as usize * stride + slot] = WeekPoint {
                        tariff: [s.sides[0].tariff, s.sides[1].tariff],
                        controls: [s.sides[0].controls, s.sides[1].controls],
                        trust: [s.sides[0].trust, s.sides[1].trust],
                        regime: regime as u8,
                    };
                };
                let (end, log) = if rep < plan.trace {
                    let mut log: Vec<Event> = Vec::new();
                    let end = run_replicate(p, key, &mut log, &mut on_week);
                    (end, Some(log))
                } else {
                    (run_replicate(p, key, &mut NoEvents, &mut on_week), None)
                };
                let out = &mut self.outs[a];
                out.stats = col.finish(&end);
                out.strict.clear();
                out.strict
                    .extend_from_slice(col.truces(crate::analysis::cycle::Rule::Strict));
                out.tariff.clear();
                out.tariff
                    .extend_from_slice(col.truces(crate::analysis::cycle::Rule::Tariff));
                match format {
                    Some(f) => f.format(a, &out.stats, &mut bytes[a]),
                    None => rows.push(out.stats.clone()),
                }
                if let Some(log) = log {
                    let own = (0..weeks).map(|t| points[t * stride + slot]).collect();
                    traced.push((rep, a, log, own));
                }
            }
            self.agg.absorb(&self.outs);
        }
        if held > 1 {
            for (a, points) in self.traj.iter().enumerate() {
                self.agg.absorb_weekly(a, &points[..n * weeks], n);
            }
        }
        BatchOut {
            index,
            rows,
            bytes,
            traced,
        }
    }
}

/// Runs replicates `reps` of every arm on the calling thread and returns their aggregate without
/// weekly series, calling `row` with each replicate's statistics (arm, stats) in replicate order.
/// For callers that parallelise over something else (parameter points in `explore`); every
/// per-replicate statistic and Kaplan–Meier count is exactly what [`run`] gives.
pub fn aggregate_serial(
    arms: &[Arm],
    plan: &Plan,
    reps: Range<u64>,
    row: &mut dyn FnMut(usize, &RunStats),
) -> Aggregate {
    let mut worker = Worker::new(arms, false);
    let untraced = Plan { trace: 0, ..*plan };
    let mut start = reps.start;
    while start < reps.end {
        let end = (start + BATCH).min(reps.end);
        let out = worker.run_batch(arms, &untraced, 0, start..end, None);
        for chunk in out.rows.chunks(arms.len().max(1)) {
            for (a, stats) in chunk.iter().enumerate() {
                row(a, stats);
            }
        }
        start = end;
    }
    worker.agg
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

/// Runs replicates `range` of every arm and merges them into `agg`, in order. `progress` is called
/// on the calling thread with the number of replicates merged so far in this call. Stops early
/// (returning `Interrupted`) when `stop` is set.
// long: the parallel fold: workers claim batches, the calling thread writes rows in batch order and merges; its invariants hold only together.
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
    let (tx, rx) = mpsc::sync_channel::<Msg>(threads * 2);
    let n_arms = arms.len();
    let format = sink.formatter();
    let format = format.as_deref();
    let mut result: Result<Outcome, EnsembleError> = Ok(Outcome::Completed);
    std::thread::scope(|ts| {
        let next = &next;
        let tx_all = tx;
        ts.spawn(move || {
            pool.scope(|s| {
                for _ in 0..threads {
                    let tx = tx_all.clone();
                    s.spawn(move |_| {
                        let mut worker = Worker::new(arms, true);
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
                            if tx
                                .send(Msg::Batch(worker.run_batch(
                                    arms,
                                    plan,
                                    b,
                                    start..end,
                                    format,
                                )))
                                .is_err()
                            {
                                return;
                            }
                        }
                        let _ = tx.send(Msg::Done(Box::new(worker.agg)));
                    });
                }
            });
            drop(tx_all);
        });
        let mut pending: BTreeMap<u64, BatchOut> = BTreeMap::new();
        let mut expect = 0u64;
        let mut merged = 0u64;
        'recv: for msg in rx.iter() {
            match msg {
                Msg::Done(part) => {
                    if let Err(e) = agg.merge(&part) {
                        result = Err(EnsembleError::Sink(std::io::Error::other(e)));
                    }
                }
                Msg::Batch(out) => {
                    pending.insert(out.index, out);
                    while let Some(b) = pending.remove(&expect) {
                        if let Err(e) = write_batch(&b, n_arms, sink) {
                            result = Err(e.into());
                            stop.store(true, Ordering::Relaxed);
                            break 'recv;
                        }
                        expect += 1;
                        merged = (expect * BATCH).min(total);
                        progress(merged);
                    }
                }
            }
        }
        drop(rx);
        if result.is_ok() && merged < total {
            result = Ok(Outcome::Interrupted);
        }
    });
    result
}

/// Hands a batch's rows and traced replicates to the sink, in replicate order.
fn write_batch(b: &BatchOut, n_arms: usize, sink: &mut dyn Sink) -> std::io::Result<()> {
    // Each arm's rows go to its own file, so a batch's formatted rows are handed over per arm;
    // traced replicates (events.csv) follow in replicate order.
    for (a, bytes) in b.bytes.iter().enumerate() {
        sink.formatted(a, bytes)?;
    }
    if !b.bytes.is_empty() {
        for (r, a, log, traj) in &b.traced {
            sink.traced(*a, *r, log, traj)?;
        }
        return Ok(());
    }
    let mut traced = b.traced.iter().peekable();
    for row in b.rows.chunks(n_arms.max(1)) {
        for (a, stats) in row.iter().enumerate() {
            sink.row(a, stats)?;
        }
        let rep = row.first().map_or(0, |r| r.replicate);
        while let Some((r, a, log, traj)) = traced.peek() {
            if *r != rep {
                break;
            }
            sink.traced(*a, *r, log, traj)?;
            traced.next();
        }
    }
    Ok(())
}
