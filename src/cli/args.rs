//! Command-line flags (clap). Turned into typed settings in `cli::mod`; nothing below the CLI sees
//! raw arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Default seed: the article's date.
pub const DEFAULT_SEED: u64 = 20_251_023;

/// Default replicates for `run`.
pub const DEFAULT_RUNS: u64 = 2_000;

/// Default replicates per arm for `compare` and the default job.
pub const DEFAULT_COMPARE_RUNS: u64 = 10_000;

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
        /// Replicates.
        #[arg(long, default_value_t = DEFAULT_RUNS)]
        runs: u64,
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
        /// Replicates per arm.
        #[arg(long, conflicts_with = "target_ci")]
        runs: Option<u64>,
        /// Run in batches until the 95% CI half-width of the headline paired difference (share of
        /// weeks in truce) is at most W for every arm.
        #[arg(long, value_name = "W")]
        target_ci: Option<f64>,
        /// Cap on replicates per arm for --target-ci.
        #[arg(long, default_value_t = 200_000, requires = "target_ci")]
        max_runs: u64,
        /// Run each arm on its own random streams instead of common random numbers (to see what
        /// common random numbers buy).
        #[arg(long)]
        independent: bool,
    },
    /// Check a scenario (and overlays): every problem, or "ok" with a one-line digest.
    Validate {
        /// Scenario file.
        scenario: PathBuf,
        /// Overlay files applied in order.
        #[arg(long = "with", value_name = "OVERLAY")]
        with: Vec<PathBuf>,
    },
    /// The cycle statistics of a real event record (default: the built-in 2018-2020 record).
    Facts {
        /// Event list (CSV: date, actor, kind, description).
        events: Option<PathBuf>,
        /// Average tariff series (CSV: date, us_avg_tariff_on_cn_pct, cn_avg_tariff_on_us_pct).
        #[arg(long)]
        tariffs: Option<PathBuf>,
        /// First day of the window (default: the first event).
        #[arg(long)]
        from: Option<String>,
        /// Last day of the window (default: the last event).
        #[arg(long)]
        to: Option<String>,
        /// A truce lasting this many weeks is a durable deal.
        #[arg(long, default_value_t = 52)]
        durable_weeks: u32,
    },
    /// Calibrate a scenario's parameters against the real record (ABC-SMC).
    Calibrate {
        /// Scenario file.
        scenario: PathBuf,
        /// Calibration configuration (parameters with priors, targets, algorithm settings).
        #[arg(long)]
        config: PathBuf,
        /// Output directory (default: output/calibrate-<scenario name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads (default: all cores). Results do not depend on it.
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
    },
    /// Show which parameters encode which claims (P1..P14), or what overlays change.
    Explain {
        /// Scenario file.
        scenario: PathBuf,
        /// Overlay files: show the values they change (a diff against the scenario).
        #[arg(long = "with", value_name = "OVERLAY")]
        with: Vec<PathBuf>,
        /// List every parameter in force, defaults included.
        #[arg(long)]
        all: bool,
    },
}

/// Flags shared by `run` and `compare`.
#[derive(Debug, Args, Clone)]
pub struct Common {
    /// Seed of the random streams.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Horizon in weeks (default: the scenario's).
    #[arg(long)]
    pub weeks: Option<u32>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory (default: output/<scenario name>, or output/compare-<name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Log every event of the first K replicates to events.csv.
    #[arg(long, default_value_t = 3, value_name = "K")]
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
    /// Compute only shard K of N (1-based) of the replicates and write a mergeable partial
    /// result; combine all N with `negsim merge`.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(u64, u64)>,
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
