//! manifest.json: what produced a result (version, inputs and their hashes, seed, sizes, threads,
//! command line, wall time). The only output that differs between identical runs.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::scenario::date::Date;

/// One arm of the run.
#[derive(Clone, Debug, Serialize)]
pub struct ArmEntry {
    /// Arm name.
    pub name: String,
    /// What it is.
    pub description: String,
    /// Overlay files applied to the base, in order.
    pub overlays: Vec<String>,
    /// SHA-256 of the base and overlay texts.
    pub sha256: String,
}

/// The git commit this binary was built from (`build.rs`; "unknown" outside a git checkout).
pub const GIT_COMMIT: &str = env!("NEGSIM_GIT_COMMIT");

/// What a binary was built from (`build.rs`): two shards merge only if they were written by the
/// same build as the merging binary, since two builds that share a version string may differ in
/// code.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Build {
    /// negsim version.
    pub version: String,
    /// Full git commit ("unknown" outside a git checkout).
    pub commit: String,
    /// Whether the sources differed from the commit ("true", "false" or "unknown").
    pub dirty: String,
    /// SHA-256 of the sources that make the binary (src/, scenarios/, Cargo.toml, build.rs).
    pub source_sha256: String,
    /// SHA-256 of Cargo.lock.
    pub cargo_lock_sha256: String,
    /// `rustc -V` of the compiler.
    pub rustc: String,
}

impl Build {
    /// This binary's build.
    pub fn current() -> Build {
        Build {
            version: env!("CARGO_PKG_VERSION").into(),
            commit: env!("NEGSIM_GIT_COMMIT_FULL").into(),
            dirty: env!("NEGSIM_GIT_DIRTY").into(),
            source_sha256: env!("NEGSIM_SOURCE_SHA256").into(),
            cargo_lock_sha256: env!("NEGSIM_CARGO_LOCK_SHA256").into(),
            rustc: env!("NEGSIM_RUSTC").into(),
        }
    }

    /// The first field in which `other` differs from this build, with both values.
    pub fn differs(&self, other: &Build) -> Option<String> {
        let fields = [
            ("version", &self.version, &other.version),
            ("git commit", &self.commit, &other.commit),
            ("changes since the commit", &self.dirty, &other.dirty),
            ("source hash", &self.source_sha256, &other.source_sha256),
            (
                "Cargo.lock hash",
                &self.cargo_lock_sha256,
                &other.cargo_lock_sha256,
            ),
            ("compiler", &self.rustc, &other.rustc),
        ];
        fields
            .iter()
            .find(|(_, a, b)| a != b)
            .map(|(what, a, b)| format!("{what} {b}, this negsim {a}"))
    }
}

/// "negsim 0.1.0, commit 0123456789ab": the line every report carries, so that a cited number
/// can be traced to the code that produced it (CHANGELOG.md says what changed between them).
pub fn version_line() -> String {
    format!("negsim {}, commit {GIT_COMMIT}", env!("CARGO_PKG_VERSION"))
}

/// The manifest.
#[derive(Clone, Debug, Serialize)]
pub struct Manifest {
    /// negsim version.
    pub negsim_version: &'static str,
    /// Git commit of the build.
    pub git_commit: &'static str,
    /// Subcommand.
    pub command: String,
    /// Full command line.
    pub command_line: Vec<String>,
    /// Base scenario path ("built-in:..." for the embedded default).
    pub scenario: String,
    /// Scenario name.
    pub scenario_name: String,
    /// SHA-256 of the base scenario text.
    pub scenario_sha256: String,
    /// Arms (one for `run`).
    pub arms: Vec<ArmEntry>,
    /// Seed.
    pub seed: u64,
    /// Replicates per arm.
    pub runs: u64,
    /// Horizon in weeks.
    pub weeks: u32,
    /// Worker threads.
    pub threads: usize,
    /// Arms on independent streams instead of common random numbers.
    pub independent: bool,
    /// Replicates with an event log.
    pub trace: u64,
    /// Start time, UTC.
    pub started_utc: String,
    /// Wall time in seconds.
    pub wall_seconds: f64,
    /// Files written, relative to the output directory.
    pub files: Vec<String>,
    /// The `--set` changes applied to the base of every arm, as overlay lines (empty if none).
    pub set: Vec<String>,
    /// The reproducibility promise.
    pub determinism: &'static str,
    /// SHA-256 of each file (only in a shard's manifest, which `merge` checks).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sha256: BTreeMap<String, String>,
    /// What built the binary (only in a shard's manifest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
}

/// The promise written into every manifest.
pub const DETERMINISM: &str = "CSV and PNG files are byte-identical for the same negsim binary, Cargo.lock, scenario files, seed, runs and weeks, at any thread count; manifest.json is not (it records time and threads)";

/// Current time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let day = Date::EPOCH.add_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{day}T{:02}:{:02}:{:02}Z",
        s / 3600,
        (s % 3600) / 60,
        s % 60
    )
}

impl Manifest {
    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }
}
