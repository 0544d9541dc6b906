//! Jobs: each command's run from typed options to files on disk. A job prepares its inputs
//! (scenario, overlays, study spec or calibration config), runs the library (`ensemble`,
//! `explore`, `calibration`), and hands the typed result to `report`, which writes every file
//! through one `OutputDir`. Shard partials and `merge` live here too (`shard`). `cli` only turns
//! flags into these options.

pub mod calibrate;
pub mod explore;
pub mod facts;
pub mod run;
pub mod shard;
pub mod worlds;

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::error::Failure;

/// A progress bar on stderr counting `unit`, hidden when stderr is not a terminal or `--quiet`.
pub fn progress_bar(enabled: bool, total: u64, unit: &str) -> indicatif::ProgressBar {
    if !enabled || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{{spinner}} [{{elapsed_precise}}] {{bar:40}} {{pos}}/{{len}} {unit}, ETA {{eta}}"
    )) {
        bar.set_style(style);
    }
    bar
}

/// `negsim merge`: the shards of a study (explore partials) or of a run or comparison.
pub fn merge(
    dirs: &[PathBuf],
    out: Option<PathBuf>,
    force: bool,
    charts: bool,
    command_line: Vec<String>,
) -> Result<PathBuf, Failure> {
    let studies = dirs.iter().filter(|d| explore::is_partial(d)).count();
    if studies > 0 && studies < dirs.len() {
        return Err(Failure::Input(format!(
            "the directories mix shards of a study (sweep, sensitivity, discover: {}) and of a run or comparison (partial.json); merge the shards of one command at a time",
            explore::PARTIAL_FILE
        )));
    }
    let worlds = dirs.iter().filter(|d| worlds::is_partial(d)).count();
    if worlds > 0 && worlds < dirs.len() {
        return Err(Failure::Input(format!(
            "the directories mix shards of a run across worlds ({}) and other shards; merge the shards of one command at a time",
            worlds::PARTIAL_FILE
        )));
    }
    if studies > 0 {
        explore::merge(dirs, out, force, charts, command_line)
    } else if worlds > 0 {
        worlds::merge(dirs, out, force, charts, command_line)
    } else {
        shard::merge_runs(dirs, out, force, charts, command_line)
    }
}
