//! The command line: flags → typed jobs → the pipeline; one error printer and documented exit
//! codes (0 ok, 1 invalid input or failure, 2 usage error, 130 interrupted).

pub mod args;
mod explore;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Parser;

use crate::ensemble::job::{Job, Runs};
use crate::job::worlds::DEFAULT_RUNS_PER_WORLD;
use crate::job::{self, calibrate, facts};
use crate::report::answer::Brief;
use crate::report::inspect;
use crate::scenario::builtin as defaults;
use crate::scenario::{self, Files, Resolver};
use args::{Cli, Command, Common, DEFAULT_COMPARE_RUNS, DEFAULT_RUNS, DEFAULT_SEED};

pub use crate::error::Failure;

static STOP: AtomicBool = AtomicBool::new(false);

fn install_interrupt_handler() {
    // First Ctrl-C, SIGTERM or SIGHUP (ctrlc's `termination` feature): stop at the next batch,
    // clean up, exit 130. Second: exit at once (a SIGKILL-like end: the lock it leaves goes stale
    // after report::lock::STALE and is then taken over).
    let _ = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
}

/// Worker threads: `--threads`, else `RAYON_NUM_THREADS` (as every rayon tool reads it; unset or
/// 0 means the default), else every core. Jobs cap it further at the work available.
fn threads(requested: Option<usize>) -> Result<usize, Failure> {
    let from_env = || -> Result<Option<usize>, Failure> {
        match std::env::var("RAYON_NUM_THREADS") {
            Err(_) => Ok(None),
            Ok(v) => match v.trim().parse::<usize>() {
                Ok(0) => Ok(None),
                Ok(t) if t > 1024 => Err(Failure::Input(format!(
                    "RAYON_NUM_THREADS={v}: at most 1024"
                ))),
                Ok(t) => Ok(Some(t)),
                Err(_) => Err(Failure::Input(format!(
                    "RAYON_NUM_THREADS='{v}': expected a number of threads (or 0 for all cores)"
                ))),
            },
        }
    };
    match requested {
        Some(0) => Err(Failure::Input(
            "--threads 0: need at least one thread".into(),
        )),
        Some(t) if t > 1024 => Err(Failure::Input(format!("--threads {t}: at most 1024"))),
        Some(t) => Ok(t),
        None => Ok(from_env()?
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))),
    }
}

fn job_from<'r>(
    command: &'static str,
    base: String,
    resolver: &'r dyn Resolver,
    common: &Common,
    runs: Runs,
) -> Result<Job<'r>, Failure> {
    if common.json {
        crate::set_json_mode();
    }
    Ok(Job {
        command,
        base,
        resolver,
        arms: Vec::new(),
        single_arm_overlays: Vec::new(),
        seed: common.seed,
        weeks: common.weeks,
        threads: threads(common.threads)?,
        out: common.out.clone(),
        out_prefix: if command == "compare" { "compare-" } else { "" },
        trace: common.trace,
        progress: !common.quiet,
        force: common.force,
        runs_csv: !common.no_runs_csv,
        charts: !common.no_charts,
        runs,
        independent: false,
        allow_large: common.allow_large,
        shard: common.shard,
        worlds: common.worlds,
        base_arm: None,
        set: scenario::set_overlay(&common.set).map_err(Failure::Input)?,
        command_line: std::env::args().collect(),
    })
}

/// Where the default job looks for interventions at run time.
const INTERVENTIONS_DIR: &str = "scenarios/interventions";

/// Most intervention files the default job reads from the folder.
const MAX_DEFAULT_ARMS: usize = 64;

/// The default job's interventions: every `*.toml` of `./scenarios/interventions/` (by file
/// name) when that folder and `./scenarios/baseline.toml` exist, so edited or added files count;
/// otherwise the built-in copies. The flag says which.
fn default_scenarios() -> Result<(Vec<String>, bool), Failure> {
    let dir = std::path::Path::new(INTERVENTIONS_DIR);
    if !(std::path::Path::new(defaults::BASELINE).is_file() && dir.is_dir()) {
        return Ok((defaults::interventions(), false));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Failure::Input(format!(
            "cannot read '{INTERVENTIONS_DIR}': {}",
            scenario::io_reason(&e)
        ))
    })?;
    let mut arms: Vec<String> = Vec::new();
    for e in entries.take(10 * MAX_DEFAULT_ARMS) {
        let p = e
            .map_err(|e| {
                Failure::Input(format!(
                    "cannot read '{INTERVENTIONS_DIR}': {}",
                    scenario::io_reason(&e)
                ))
            })?
            .path();
        if p.extension().is_some_and(|x| x == "toml") && p.is_file() {
            arms.push(p.display().to_string());
        }
    }
    arms.sort();
    if arms.is_empty() {
        return Err(Failure::Input(format!(
            "'{INTERVENTIONS_DIR}' has no .toml intervention; add one, or run negsim elsewhere for the built-in ones"
        )));
    }
    if arms.len() > MAX_DEFAULT_ARMS {
        return Err(Failure::Input(format!(
            "'{INTERVENTIONS_DIR}' has {} interventions; the default job compares at most {MAX_DEFAULT_ARMS} (use negsim compare for a chosen few)",
            arms.len()
        )));
    }
    Ok((arms, true))
}

/// Plausible worlds of the default job.
const DEFAULT_WORLDS: u64 = 200;

/// Replicates when `--runs` is not given: per world with `--worlds`, else `fixed`.
fn default_runs(common: &Common, fixed: u64) -> u64 {
    if common.worlds.is_some() {
        crate::job::worlds::DEFAULT_RUNS_PER_WORLD
    } else {
        fixed
    }
}

fn path_str(p: &std::path::Path) -> String {
    p.display().to_string()
}

// long: one arm per command, each only flags → typed options → a job.
fn dispatch(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        None => {
            let common = Common {
                set: Vec::new(),
                json: false,
                seed: DEFAULT_SEED,
                weeks: None,
                threads: None,
                out: Some(PathBuf::from("output").join("default")),
                trace: 3,
                quiet: false,
                // The default job refreshes its own folder each time it runs.
                force: true,
                no_runs_csv: false,
                no_charts: false,
                allow_large: false,
                shard: None,
                worlds: None,
            };
            let (arms, from_folder) = default_scenarios()?;
            let resolver: &dyn Resolver = if from_folder {
                &Files
            } else {
                &defaults::Builtin
            };
            let mut j = job_from(
                "compare",
                defaults::BASELINE.to_string(),
                resolver,
                &common,
                Runs::Fixed(DEFAULT_COMPARE_RUNS),
            )?;
            j.arms = arms.into_iter().map(|p| vec![p]).collect();
            // First the answer across plausible worlds, then the comparison at the written values.
            let mut w = job_from(
                "compare",
                defaults::BASELINE.to_string(),
                resolver,
                &common,
                Runs::Fixed(DEFAULT_RUNS_PER_WORLD),
            )?;
            w.arms = j.arms.clone();
            w.worlds = Some(DEFAULT_WORLDS);
            w.out = Some(PathBuf::from("output").join("default").join("worlds"));
            if from_folder {
                outln!(
                    "negsim: {} against every intervention in ./{INTERVENTIONS_DIR}/ ({} files)\n",
                    defaults::BASELINE,
                    j.arms.len()
                );
            } else {
                outln!(
                    "negsim: no ./{INTERVENTIONS_DIR}/ here, so the built-in baseline (2025-10-23) against every built-in intervention\n"
                );
            }
            let (_, worlds) = job::run::execute_with(&w, &STOP, Brief::default())?;
            let explain = if cli.no_explain {
                None
            } else {
                outln!();
                Some(job::explain::decompose(&j, &STOP)?)
            };
            outln!(
                "\nAt the values as written (no parameter uncertainty), {DEFAULT_COMPARE_RUNS} runs each;\nintervals cover simulation noise only:\n"
            );
            let brief = Brief {
                worlds,
                explain: explain.clone(),
            };
            let (out, _) = job::run::execute_with(&j, &STOP, brief)?;
            if let Some(e) = &explain {
                job::explain::write(e, &out)?;
            }
            Ok(())
        }
        Some(Command::Run {
            scenario,
            with,
            common,
            runs,
        }) => {
            let mut j = job_from(
                "run",
                path_str(&scenario),
                &Files,
                &common,
                Runs::Fixed(runs.unwrap_or(default_runs(&common, DEFAULT_RUNS))),
            )?;
            j.single_arm_overlays = with.iter().map(|p| path_str(p)).collect();
            job::run::execute(&j, &STOP).map(|_| ())
        }
        Some(Command::Compare {
            base,
            with,
            common,
            runs,
            target_ci,
            max_runs,
            independent,
            base_arm,
            explain,
        }) => {
            let runs = match target_ci {
                Some(w) if !(w.is_finite() && w > 0.0) => {
                    return Err(Failure::Input(format!(
                        "--target-ci {w}: expected a half-width > 0"
                    )));
                }
                Some(w) => Runs::Target {
                    width: w,
                    max: max_runs,
                },
                None => Runs::Fixed(runs.unwrap_or(default_runs(&common, DEFAULT_COMPARE_RUNS))),
            };
            let mut j = job_from("compare", path_str(&base), &Files, &common, runs)?;
            j.independent = independent;
            j.base_arm = base_arm;
            if with.is_empty() {
                return Err(Failure::Input("compare needs at least one --with OVERLAY (an intervention to compare with the base)".into()));
            }
            j.arms = with
                .iter()
                .map(|w| w.split('+').map(str::to_string).collect())
                .collect();
            if explain && j.shard.is_some() {
                return Err(Failure::Input(
                    "--explain runs every coalition of changes in one process; drop --shard".into(),
                ));
            }
            let explained = if explain {
                Some(job::explain::decompose(&j, &STOP)?)
            } else {
                None
            };
            let brief = Brief {
                worlds: None,
                explain: explained.clone(),
            };
            let (out, _) = job::run::execute_with(&j, &STOP, brief)?;
            if let Some(e) = &explained {
                job::explain::write(e, &out)?;
            }
            Ok(())
        }
        Some(Command::Calibrate {
            scenario,
            config,
            out,
            threads: t,
            quiet,
            force,
            no_charts,
        }) => calibrate::run(&calibrate::Options {
            scenario,
            config,
            out,
            threads: threads(t)?,
            progress: !quiet,
            force,
            charts: !no_charts,
        })
        .map(|_| ()),
        Some(Command::Facts {
            events,
            tariffs,
            record,
            threats,
            from,
            to,
            durable_weeks,
            scenario,
        }) => facts::run(
            facts::Inputs {
                events,
                record: record.into(),
                tariffs,
                threats,
                scenario,
            },
            from,
            to,
            durable_weeks,
        ),
        Some(Command::Serve {
            scenario,
            with,
            port,
            seed,
            threads: t,
        }) => {
            let (base, overlays) = match scenario {
                Some(s) => (s, with),
                None => {
                    let (arms, from_folder) = default_scenarios()?;
                    if !from_folder {
                        return Err(Failure::Input(format!(
                            "no {} and {INTERVENTIONS_DIR}/ here: give a scenario, e.g. negsim serve my.toml --with my_overlay.toml",
                            defaults::BASELINE
                        )));
                    }
                    let mut o: Vec<PathBuf> = arms.into_iter().map(PathBuf::from).collect();
                    o.extend(with);
                    (PathBuf::from(defaults::BASELINE), o)
                }
            };
            let opts = crate::serve::Options {
                base,
                overlays,
                port,
                seed,
                threads: threads(t)?,
            };
            crate::serve::serve(opts, &STOP)
        }
        Some(Command::New { name, dir }) => {
            let written = crate::report::starter::write(&dir, &name)?;
            for p in &written {
                outln!("wrote {}", p.display());
            }
            outln!(
                "next: negsim validate {}",
                dir.join(format!("{name}.toml")).display()
            );
            Ok(())
        }
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "negsim", &mut buf);
            out!("{}", String::from_utf8_lossy(&buf));
            Ok(())
        }
        Some(Command::Merge {
            dirs,
            out,
            force,
            no_charts,
            quiet: _,
        }) => job::merge(&dirs, out, force, !no_charts, std::env::args().collect()).map(|_| ()),
        Some(
            cmd @ (Command::Sweep { .. } | Command::Sensitivity { .. } | Command::Discover { .. }),
        ) => {
            let options = explore::options(cmd, threads)?;
            job::explore::run(&options, &STOP).map(|_| ())
        }
        Some(Command::Validate {
            scenario,
            with,
            set,
        }) => {
            let overlays: Vec<&std::path::Path> = with.iter().map(PathBuf::as_path).collect();
            let set = scenario::set_overlay(&set).map_err(Failure::Input)?;
            let l = scenario::load_with_set(&scenario, set.as_ref(), &overlays)
                .map_err(|e| Failure::Input(e.to_string()))?;
            outln!("{}", inspect::digest(&l));
            Ok(())
        }
        Some(Command::Explain {
            scenario,
            with,
            set,
            all,
        }) => {
            let base = scenario::load(&scenario, &[]).map_err(|e| Failure::Input(e.to_string()))?;
            let set = scenario::set_overlay(&set).map_err(Failure::Input)?;
            if with.is_empty() && set.is_none() {
                outln!(
                    "{}: {} and the parameters that encode them\n",
                    base.scenario.meta.name,
                    inspect::registry_heading(&base.scenario.claims)
                );
                out!("{}", inspect::claims_table(&base));
                uncertain(&base);
                if all {
                    outln!(
                        "\nevery parameter in force (source 'default': the documented default of docs/MODEL.md)\n"
                    );
                    out!("{}", inspect::all_table(&base));
                }
            } else {
                let overlays: Vec<&std::path::Path> = with.iter().map(PathBuf::as_path).collect();
                let merged = scenario::load_with_set(&scenario, set.as_ref(), &overlays)
                    .map_err(|e| Failure::Input(e.to_string()))?;
                let names: Vec<String> = merged.overlays.iter().map(|o| o.name.clone()).collect();
                outln!(
                    "{} with {}: values that differ from the base\n",
                    base.scenario.meta.name,
                    names.join(" + ")
                );
                out!("{}", inspect::diff_table(&base, &merged));
                uncertain(&merged);
                if all {
                    outln!();
                    out!("{}", inspect::all_table(&merged));
                }
            }
            Ok(())
        }
    }
}

/// The uncertain values of a scenario, or a line saying there are none (`explain`).
fn uncertain(l: &scenario::Loaded) {
    match inspect::uncertain_table(l) {
        Some(t) => {
            outln!("\nvalues with a declared plausible range (what is uncertain, and why)\n");
            out!("{t}");
        }
        None => outln!(
            "\nno value declares a plausible range: results are conditional on fixed parameters"
        ),
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    install_interrupt_handler();
    let result = dispatch(cli);
    if crate::report::output::fault::armed() {
        eprintln!(
            "negsim: fault hook: {} output operations",
            crate::report::output::fault::operations()
        );
    }
    if let (Ok(()), Some(reason)) = (&result, crate::stdout_error()) {
        eprintln!("negsim: error: cannot write to standard output: {reason}");
        return ExitCode::from(1);
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(msg)) => {
            for line in msg.lines() {
                // A file's strings reach the terminal as text, never as escape sequences.
                eprintln!("negsim: error: {}", crate::fmt::printable(line));
            }
            ExitCode::from(1)
        }
        Err(Failure::Interrupted) => {
            eprintln!("negsim: interrupted; no result was written (temporary files removed)");
            ExitCode::from(130)
        }
    }
}
