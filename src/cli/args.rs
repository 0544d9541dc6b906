//! Command-line flags (clap). Turned into typed settings in `cli::mod`; nothing below the CLI sees
//! raw arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Default seed: the article's date.
pub const DEFAULT_SEED: u64 = 20_251_023;

/// Default replicates for `run`.
pub const DEFAULT_RUNS: u64 = 2_000;

/// Default replicates per arm for `compare` and the default job's comparison at the written
/// values: 5,000 keeps the whole default job (worlds first) under 10 s on 2 cores, with 95%
/// half-widths of about 0.0035 on the share of weeks in truce, under a tenth of the spread over
/// worlds.
pub const DEFAULT_COMPARE_RUNS: u64 = 5_000;

#[derive(Debug, Parser)]
#[command(
    name = "negsim",
    version,
    about = "Simulate the truce/escalation cycle of a negotiation as a Monte Carlo ensemble",
    long_about = "negsim turns claims about a negotiation into a scenario file, simulates the \
truce/escalation cycle week by week as a Monte Carlo ensemble, and compares interventions against \
the baseline with paired confidence intervals.\n\nWithout a command it runs the built-in default: \
the 2025-10-23 US-China baseline against every built-in intervention, into output/default/.",
    after_help = "Exit codes: 0 success, 1 invalid input or failure, 2 usage error, 130 interrupted."
)]
pub struct Cli {
    /// What to do (default: the built-in comparison).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no command: skip splitting each intervention's effect into its changes (the
    /// default job runs compare --explain for its report; this saves about 20 s).
    #[arg(long)]
    pub no_explain: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an ensemble of one scenario and write runs.csv, timeseries.csv, events.csv, summary.csv.
    Run {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Overlay files applied to the scenario before running, in order.
        #[arg(long = "with", value_name = "OVERLAY")]
        with: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
        /// Replicates (default 2000; per world with --worlds, default 50).
        #[arg(long)]
        runs: Option<u64>,
    },
    /// Compare a base scenario with interventions (overlays) on common random numbers.
    Compare {
        /// Base scenario file (TOML).
        base: PathBuf,
        /// An intervention arm: an overlay file, or several joined with '+' applied in order.
        #[arg(long = "with", value_name = "OVERLAY[+OVERLAY...]")]
        with: Vec<String>,
        #[command(flatten)]
        common: Common,
        /// Replicates per arm (per world with --worlds; default 5000, or 50 with --worlds).
        #[arg(long, conflicts_with = "target_ci")]
        runs: Option<u64>,
        /// Run in batches until the 95% CI half-width of the headline paired difference (share of
        /// weeks in truce) is at most W for every arm. Not with --shard: a shard cannot know when
        /// the whole run has reached the target.
        #[arg(long, value_name = "W", conflicts_with = "shard")]
        target_ci: Option<f64>,
        /// Cap on replicates per arm for --target-ci.
        #[arg(long, default_value_t = 200_000, requires = "target_ci")]
        max_runs: u64,
        /// Run each arm on its own random streams instead of common random numbers (to see what
        /// common random numbers buy).
        #[arg(long)]
        independent: bool,
        /// Contrast every arm with this one instead of the base scenario, e.g.
        /// `--base-arm restore_kushner_channel` with `--with restore_kushner_channel
        /// --with restore_kushner_channel+treasury_expertise` (Kushner + Treasury against Kushner).
        #[arg(long, value_name = "ARM")]
        base_arm: Option<String>,
        /// Also split each intervention's effect on the share of weeks in truce into the
        /// contributions of the changes its overlay makes (Shapley values, 2,000 paired runs per
        /// coalition; with --worlds, averaged over the worlds), written to explain/explain.csv.
        #[arg(long)]
        explain: bool,
    },
    /// Check a scenario (and overlays): every problem, or "ok" with a one-line digest.
    Validate {
        /// Scenario file.
        scenario: PathBuf,
        /// Overlay files applied in order.
        #[arg(long = "with", value_name = "OVERLAY")]
        with: Vec<PathBuf>,
        /// Change one value of the scenario, e.g. --set sides.us.trust=0.3 (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// The cycle statistics of a real event record (default: the built-in 2018-2020 record).
    Facts {
        /// Event list (CSV: date, actor, kind, description[, scope]); default: the built-in
        /// record chosen by --record.
        events: Option<PathBuf>,
        /// Built-in record used when no files are given: the first term (2018-2020) or the second
        /// (2025-02-01 .. 2025-08-31).
        #[arg(long, value_enum, default_value_t = Record::FirstTerm)]
        record: Record,
        /// Average tariff series (CSV: date, us_avg_tariff_on_cn_pct, cn_avg_tariff_on_us_pct).
        #[arg(long)]
        tariffs: Option<PathBuf>,
        /// Threats-and-deadlines table (CSV: date, actor, kind, deadline, outcome, outcome_date);
        /// default: the built-in table of both records.
        #[arg(long)]
        threats: Option<PathBuf>,
        /// First day of the window (default: the first event).
        #[arg(long)]
        from: Option<String>,
        /// Last day of the window (default: the last event).
        #[arg(long)]
        to: Option<String>,
        /// A truce lasting this many weeks is a durable deal.
        #[arg(long, default_value_t = 52)]
        durable_weeks: u32,
        /// The scenario whose side keys (actor column: its keys in upper case, or both) and level
        /// prefixes (`Tariff:`) the record uses; default: US-China's.
        #[arg(long)]
        scenario: Option<PathBuf>,
    },
    /// Calibrate behavioural constants against real records (ABC-SMC): one scenario, or the
    /// records a config names.
    Calibrate {
        /// Scenario file (only for a config without [[records]]).
        scenario: Option<PathBuf>,
        /// Calibration configuration (parameters with priors, targets, algorithm settings).
        #[arg(long)]
        config: PathBuf,
        /// Output directory (default: output/calibrate-<scenario name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads (default: RAYON_NUM_THREADS if set, else all cores; never more than the work
        /// needs). Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
        /// Overwrite an existing result.
        #[arg(long)]
        force: bool,
        /// Do not draw charts.
        #[arg(long)]
        no_charts: bool,
    },
    /// Evaluate a scenario over a grid or Latin hypercube of parameter values (every point on
    /// the same random streams) and write sweep.csv with charts.
    Sweep {
        /// Scenario file.
        scenario: PathBuf,
        /// Overlay files applied to the scenario first, in order.
        #[arg(long = "with", value_name = "OVERLAY")]
        with: Vec<PathBuf>,
        /// A parameter and its range: its dotted path (`negsim explain SCENARIO --all` lists
        /// them), LO..HI, and grid steps (default 9). KEY alone: its value ±50%. Repeatable.
        #[arg(long = "vary", required = true, value_name = "KEY=LO..HI[:STEPS]")]
        vary: Vec<String>,
        /// Full grid of the steps, or a Latin hypercube of --samples points.
        #[arg(long, value_enum, default_value_t = DesignArg::Grid)]
        design: DesignArg,
        /// Points of a Latin hypercube design.
        #[arg(long, default_value_t = 100)]
        samples: usize,
        /// Replicates per point.
        #[arg(long, default_value_t = 1000)]
        runs: u64,
        /// Output charted (repeatable; default share_truce and truce_rmst_weeks). sweep.csv has all.
        #[arg(long = "metric", value_name = "OUTPUT")]
        metric: Vec<String>,
        #[command(flatten)]
        x: Explore,
    },
    /// Global sensitivity analysis (Morris or Sobol) of a scenario's parameters, and which of the
    /// scenario's claims move the results most.
    Sensitivity {
        /// Scenario file.
        scenario: PathBuf,
        /// Overlay files applied to the scenario first, in order.
        #[arg(long = "with", value_name = "OVERLAY")]
        with: Vec<PathBuf>,
        /// Parameters (dotted paths), each with an optional range KEY=LO..HI; without one, its
        /// value ±--range-share. Default: every non-zero numeric parameter that cites a claim.
        #[arg(long = "params", num_args = 1.., value_name = "KEY[=LO..HI]")]
        params: Vec<String>,
        /// Morris elementary effects (screening, cheap) or Sobol indices (variance shares).
        #[arg(long, value_enum, default_value_t = MethodArg::Morris)]
        method: MethodArg,
        /// Morris trajectories (default 20) or Sobol base rows (default 256).
        #[arg(long)]
        samples: Option<usize>,
        /// Replicates per point.
        #[arg(long, default_value_t = 200)]
        runs: u64,
        /// Output analysed (repeatable; default truce_rmst_weeks and share_truce).
        #[arg(long = "metric", value_name = "OUTPUT")]
        metric: Vec<String>,
        /// Default ranges: the parameter's value ± this share of its magnitude.
        #[arg(long, default_value_t = 0.5)]
        range_share: f64,
        /// Repeated centre points on different streams, for the noise floor.
        #[arg(long, default_value_t = 10)]
        repeats: usize,
        #[command(flatten)]
        x: Explore,
    },
    /// Scenario discovery (PRIM): over a Latin hypercube of parameter values, find the box where
    /// an outcome of interest is concentrated.
    Discover {
        /// Scenario file.
        scenario: PathBuf,
        /// Overlay files applied to the scenario first, in order.
        #[arg(long = "with", value_name = "OVERLAY")]
        with: Vec<PathBuf>,
        /// Parameters and ranges as for sweep (KEY alone: ±--range-share). Default: every
        /// non-zero numeric parameter that cites a claim.
        #[arg(long = "vary", value_name = "KEY[=LO..HI]")]
        vary: Vec<String>,
        /// The outcome of interest, per replicate: METRIC<=V, METRIC>=V, METRIC<V or METRIC>V,
        /// e.g. weeks_to_durable_deal<=104 (a durable deal within two years).
        #[arg(long)]
        outcome: String,
        /// A point is a case of interest when at least this share of its replicates meet the
        /// outcome.
        #[arg(long, default_value_t = 0.5)]
        threshold: f64,
        /// Points of the Latin hypercube.
        #[arg(long, default_value_t = 500)]
        samples: usize,
        /// Replicates per point.
        #[arg(long, default_value_t = 200)]
        runs: u64,
        /// Default ranges: the parameter's value ± this share of its magnitude.
        #[arg(long, default_value_t = 0.5)]
        range_share: f64,
        /// Share of the remaining points PRIM peels off per step.
        #[arg(long, default_value_t = 0.05)]
        peel_alpha: f64,
        /// Smallest box, as a share of all points.
        #[arg(long, default_value_t = 0.05)]
        min_support: f64,
        /// The box reported: the densest holding at least this share of all cases.
        #[arg(long, default_value_t = 0.5)]
        min_coverage: f64,
        /// The simplified box keeps only restrictions whose quasi-p-value is at most this.
        #[arg(long, default_value_t = 0.05)]
        max_p: f64,
        #[command(flatten)]
        x: Explore,
    },
    /// Write a commented starter scenario NAME.toml, its claims file and the templates of its
    /// record (NAME/claims.toml, NAME/events.csv, NAME/tariffs.csv) into a folder; they validate
    /// as written (docs/CALIBRATION.md, 'Calibrating a new negotiation').
    New {
        /// The scenario's name (letters, digits, '_' or '-').
        name: String,
        /// Folder to write into (created if missing); existing files are never overwritten.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
    /// A what-if explorer in the browser: the scenario's claim-encoding values as controls, each
    /// overlay a toggle, and every change answered by a paired comparison (on 127.0.0.1 only).
    Serve {
        /// Base scenario (default: scenarios/baseline.toml with every overlay in
        /// scenarios/interventions/).
        scenario: Option<PathBuf>,
        /// An intervention overlay, a toggle on the page (repeatable).
        #[arg(long = "with", value_name = "OVERLAY")]
        with: Vec<PathBuf>,
        /// Port on 127.0.0.1 (0: any free port).
        #[arg(long, default_value_t = 8737)]
        port: u16,
        /// Seed of every answer (the exported command carries it).
        #[arg(long, default_value_t = DEFAULT_SEED)]
        seed: u64,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Print a shell completion script to stdout, e.g. `negsim completions bash >
    /// ~/.local/share/bash-completion/completions/negsim`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Combine the partial results of `--shard K/N` runs into the unsharded result.
    Merge {
        /// Output directories of the shards (all N of them, any order).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output directory of the merged result (default: output/<scenario name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Overwrite an existing result.
        #[arg(long)]
        force: bool,
        /// Do not draw charts.
        #[arg(long)]
        no_charts: bool,
        /// Accepted for symmetry with the other commands (merge shows no progress bar).
        #[arg(long, short)]
        quiet: bool,
    },
    /// Show which parameters encode which claims (the scenario's registry), or what overlays
    /// change.
    Explain {
        /// Scenario file.
        scenario: PathBuf,
        /// Overlay files: show the values they change (a diff against the scenario).
        #[arg(long = "with", value_name = "OVERLAY")]
        with: Vec<PathBuf>,
        /// Change one value, shown in the diff like an overlay's (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// List every parameter in force, defaults included.
        #[arg(long)]
        all: bool,
    },
}

/// Designs of `sweep`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DesignArg {
    /// Full factorial grid.
    Grid,
    /// Latin hypercube sample.
    Lhs,
}

/// Methods of `sensitivity`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Morris elementary effects.
    Morris,
    /// Sobol indices (Saltelli design; Saltelli 2010 first-order, Jansen total).
    Sobol,
}

/// Flags shared by `sweep`, `sensitivity` and `discover`.
#[derive(Debug, Args, Clone)]
pub struct Explore {
    /// Seed of the random streams (and of the design).
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Horizon in weeks (default: the scenario's).
    #[arg(long)]
    pub weeks: Option<u32>,
    /// Worker threads (default: RAYON_NUM_THREADS if set, else all cores; never more than the work
    /// needs). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory (default: output/<command>-<scenario name>-<8 hex digits of the study's
    /// fingerprint>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Overwrite an existing result in the output directory.
    #[arg(long)]
    pub force: bool,
    /// Do not draw charts.
    #[arg(long)]
    pub no_charts: bool,
    /// Run even when the time estimate exceeds the safety limit.
    #[arg(long)]
    pub allow_large: bool,
    /// Evaluate only shard K of N (1-based) of the design's points and write a mergeable
    /// partial result; combine all N with `negsim merge`.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(u64, u64)>,
}

/// Flags shared by `run` and `compare`.
#[derive(Debug, Args, Clone)]
pub struct Common {
    /// Change one value of the base scenario for this run, e.g. --set sides.us.trust=0.3 or
    /// --set calendar.busan_summit.prepared_agenda=true (repeatable; checked like an overlay;
    /// recorded in the manifest). It applies to every arm, before the arms' overlays.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Print the headline table as one JSON document on stdout (and nothing else there), for
    /// scripts; the files are written as usual.
    #[arg(long)]
    pub json: bool,
    /// Seed of the random streams.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Horizon in weeks (default: the scenario's).
    #[arg(long)]
    pub weeks: Option<u32>,
    /// Worker threads (default: RAYON_NUM_THREADS if set, else all cores; never more than the work
    /// needs). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory (default: output/<scenario name>[+<overlays>], or
    /// output/compare-<name>+<arms>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Log every event of the first K replicates to events.csv.
    #[arg(long, default_value_t = crate::ensemble::job::DEFAULT_TRACE, value_name = "K")]
    pub trace: u64,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Overwrite an existing result in the output directory.
    #[arg(long)]
    pub force: bool,
    /// Do not write runs.csv (one row per replicate).
    #[arg(long)]
    pub no_runs_csv: bool,
    /// Do not draw charts.
    #[arg(long)]
    pub no_charts: bool,
    /// Run even when the size estimate exceeds the safety limits.
    #[arg(long)]
    pub allow_large: bool,
    /// Compute only shard K of N (1-based) of the replicates (of the worlds with --worlds) and write a mergeable partial
    /// result; combine all N with `negsim merge`.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(u64, u64)>,
    /// Draw W plausible worlds from the values' declared ranges and run --runs paired replicates
    /// in each (default 50): effects with intervals that cover parameters as well as simulation
    /// noise (docs/UNCERTAINTY.md). Writes effects_worlds.csv, worlds.csv, drivers_worlds.csv,
    /// ranks_worlds.csv, effects_worlds.png and report.md/html.
    #[arg(long, value_name = "W")]
    pub worlds: Option<u64>,
}

/// Parses "K/N" with 1 <= K <= N.
fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("'{s}' is not of the form K/N, e.g. 2/3"))?;
    let (k, n): (u64, u64) = (
        k.trim()
            .parse()
            .map_err(|_| format!("'{k}' is not a shard number"))?,
        n.trim()
            .parse()
            .map_err(|_| format!("'{n}' is not a number of shards"))?,
    );
    if n == 0 || k == 0 || k > n || n > 1_000_000 {
        return Err(format!("shard {k}/{n}: need 1 <= K <= N <= 1000000"));
    }
    Ok((k, n))
}

/// A built-in real record (the command-line face of `data::BuiltInRecord`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Record {
    /// 2018-03-22 .. 2020 (data/us_china_events_2018_2020.csv, PIIE 2018-2021).
    FirstTerm,
    /// 2025-02-01 .. 2025-08-31 (data/us_china_events_2025_h1.csv, PIIE 2025).
    SecondTerm,
}

impl From<Record> for crate::data::BuiltInRecord {
    fn from(r: Record) -> Self {
        match r {
            Record::FirstTerm => crate::data::BuiltInRecord::FirstTerm,
            Record::SecondTerm => crate::data::BuiltInRecord::SecondTerm,
        }
    }
}
