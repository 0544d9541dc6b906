//! Flags of `sweep`, `sensitivity` and `discover` → the typed `StudyOptions` of `job::explore`.

use crate::explore::prepare::{Design, StudyKind, StudySpec};
use crate::explore::study::Method;
use crate::job::explore::StudyOptions;

use super::Failure;
use super::args::{Command, DesignArg, Explore, MethodArg};

/// The study options of an explore command.
// long: a match from the three clap structs to the typed spec, one field per line.
pub fn options(
    cmd: Command,
    threads: fn(Option<usize>) -> Result<usize, Failure>,
) -> Result<StudyOptions, Failure> {
    let (scenario, with, runs, x, kind) = match cmd {
        Command::Sweep {
            scenario,
            with,
            vary,
            design,
            samples,
            runs,
            metric,
            x,
        } => {
            let design = match design {
                DesignArg::Grid => Design::Grid,
                DesignArg::Lhs => Design::Lhs,
            };
            let kind = StudyKind::Sweep {
                vary,
                design,
                samples,
                metric,
            };
            (scenario, with, runs, x, kind)
        }
        Command::Sensitivity {
            scenario,
            with,
            params,
            method,
            samples,
            runs,
            metric,
            range_share,
            repeats,
            x,
        } => {
            let method = match method {
                MethodArg::Morris => Method::Morris,
                MethodArg::Sobol => Method::Sobol,
            };
            let kind = StudyKind::Sensitivity {
                params,
                method,
                samples,
                metric,
                range_share,
                repeats,
            };
            (scenario, with, runs, x, kind)
        }
        Command::Discover {
            scenario,
            with,
            vary,
            outcome,
            threshold,
            samples,
            runs,
            range_share,
            peel_alpha,
            min_support,
            min_coverage,
            max_p,
            x,
        } => {
            let kind = StudyKind::Discover {
                vary,
                outcome,
                threshold,
                samples,
                range_share,
                peel_alpha,
                min_support,
                min_coverage,
                max_p,
            };
            (scenario, with, runs, x, kind)
        }
        _ => return Err(Failure::Input("not an explore command".into())),
    };
    let Explore {
        seed,
        weeks,
        threads: t,
        out,
        quiet,
        force,
        no_charts,
        allow_large,
        shard,
    } = x;
    Ok(StudyOptions {
        scenario,
        with,
        spec: StudySpec {
            kind,
            runs,
            seed,
            weeks,
        },
        threads: threads(t)?,
        out,
        progress: !quiet,
        force,
        charts: !no_charts,
        allow_large,
        shard,
        command_line: std::env::args().collect(),
    })
}
