//! Jobs: each command's run from typed options to files on disk. A job prepares its inputs
//! (scenario, overlays, study spec or calibration config), runs the library (`ensemble`,
//! `explore`, `calibration`), and hands the typed result to `report`, which writes every file
//! through one `OutputDir`. Shard partials and `merge` live here too (`shard`). `cli` only turns
//! flags into these options.

pub mod calibrate;
pub mod explain;
pub mod explore;
pub mod facts;
pub mod run;
pub mod shard;
pub mod whatif;
pub mod worlds;

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::error::Failure;

/// Seconds between plain progress lines when stderr is not a terminal.
const LOG_EVERY_SECONDS: f64 = 10.0;

/// A progress bar on stderr counting `unit`; none with `--quiet`. When stderr is not a terminal
/// (CI, nohup, a log file) the bar is hidden and a plain line is printed every
/// [`LOG_EVERY_SECONDS`] instead (`NEGSIM_PROGRESS_SECONDS` overrides the interval), so a long
/// run in a log is never silent.
pub fn progress_bar(enabled: bool, total: u64, unit: &str) -> indicatif::ProgressBar {
    if !enabled {
        return indicatif::ProgressBar::hidden();
    }
    if !std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::hidden();
        bar.set_length(total);
        log_lines(&bar, unit);
        return bar;
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{{spinner}} [{{elapsed_precise}}] {{bar:40}} {{pos}}/{{len}} {unit}, ETA {{eta}}"
    )) {
        bar.set_style(style);
    }
    bar
}

/// Prints `bar`'s position to stderr as a plain line every interval, from a thread that ends when
/// the bar is finished or dropped.
fn log_lines(bar: &indicatif::ProgressBar, unit: &str) {
    let every = std::env::var("NEGSIM_PROGRESS_SECONDS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(LOG_EVERY_SECONDS);
    let weak = bar.downgrade();
    let unit = unit.to_string();
    let started = std::time::Instant::now();
    let tick = std::time::Duration::from_millis(50).min(std::time::Duration::from_secs_f64(every));
    let _ = std::thread::Builder::new()
        .name("negsim-progress".into())
        .spawn(move || {
            let mut next = every;
            loop {
                std::thread::sleep(tick);
                let Some(bar) = weak.upgrade() else { return };
                if bar.is_finished() {
                    return;
                }
                let t = started.elapsed().as_secs_f64();
                if t < next {
                    continue;
                }
                next += every;
                let (pos, len) = (bar.position(), bar.length().unwrap_or(0));
                let pct = if len > 0 {
                    100.0 * pos as f64 / len as f64
                } else {
                    0.0
                };
                let eta = if pos > 0 && len > pos {
                    format!(", about {:.0} s to go", t * (len - pos) as f64 / pos as f64)
                } else {
                    String::new()
                };
                eprintln!("negsim: {pos}/{len} {unit} ({pct:.0}%) after {t:.0} s{eta}");
            }
        });
}

/// 8 hex digits of the SHA-256 of `text`: a short tag for default folder names.
pub fn short_hash(text: &str) -> String {
    use sha2::Digest;
    crate::fmt::hex(&sha2::Sha256::digest(text.as_bytes())[..4])
}

/// The part of a default output folder's name that names the overlays: empty without any,
/// `+a+b` for overlays a and b (file stems; `,` between the arms of a comparison), or, past 48
/// characters, the first overlay and 8 hex digits of a hash of them all. So `run --with X` never
/// writes into the plain run's folder, and two comparisons of other arms never share one.
pub fn overlays_tag(arms: &[Vec<String>]) -> String {
    let stem = |p: &String| {
        std::path::Path::new(p)
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect::<String>()
    };
    let arms: Vec<String> = arms
        .iter()
        .filter(|a| !a.is_empty())
        .map(|a| a.iter().map(stem).collect::<Vec<_>>().join("+"))
        .collect();
    if arms.is_empty() {
        return String::new();
    }
    let all = arms.join(",");
    if all.len() <= 48 {
        return format!("+{all}");
    }
    let hex = short_hash(&all);
    let first: String = arms[0].chars().take(32).collect();
    format!("+{first}-and-{}-more-{hex}", arms.len() - 1)
}

/// The threads worth starting for `units` pieces of work (batches of replicates, worlds or
/// points): at most one per piece, at least one. Results do not depend on it.
pub fn cap_threads(requested: usize, units: u64) -> usize {
    requested
        .min(usize::try_from(units).unwrap_or(usize::MAX))
        .max(1)
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
