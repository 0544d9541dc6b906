//! A study prepared from its typed spec: the space (dimensions from `KEY=LO..HI[:STEPS]`), the
//! design's points and the settings, with a fingerprint that shards must agree on. `StudySpec` is
//! what the command line turns into, what a shard's partial result carries, and what `merge`
//! rebuilds the study from.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Failure;
use crate::explore::space::{Dim, Outcome, canonical_output_index, output_index, param_dim};
use crate::explore::study::{self, Group, Method, SensDesign, Spec, SweepDesign};
use crate::scenario::names::Names;
use crate::scenario::template::Template;
use crate::scenario::{Files, MAX_WEEKS, Text, overlay_chain};

/// Sweep designs as specified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Design {
    /// Full grid of each dimension's steps.
    Grid,
    /// Latin hypercube of `samples` points.
    Lhs,
}

/// What a study computes, as specified (keys and metric names as the user wrote them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum StudyKind {
    /// `negsim sweep`.
    Sweep {
        /// `KEY=LO..HI[:STEPS]` specs.
        vary: Vec<String>,
        /// Grid or Latin hypercube.
        design: Design,
        /// Points of a Latin hypercube.
        samples: usize,
        /// Charted outputs (empty: the defaults).
        metric: Vec<String>,
    },
    /// `negsim sensitivity`.
    Sensitivity {
        /// `KEY[=LO..HI]` specs (empty: the claim parameters).
        params: Vec<String>,
        /// Morris or Sobol.
        method: Method,
        /// Trajectories or base samples (None: the method's default).
        samples: Option<usize>,
        /// Analysed outputs (empty: the defaults).
        metric: Vec<String>,
        /// Range of a parameter without bounds, as a share of its value.
        range_share: f64,
        /// Repeated centre points for the noise floor.
        repeats: usize,
    },
    /// `negsim discover`.
    Discover {
        /// `KEY[=LO..HI]` specs (empty: the claim parameters).
        vary: Vec<String>,
        /// `METRIC<=V` or `METRIC>=V`.
        outcome: String,
        /// Share of replicates meeting the outcome for a point to count as a case.
        threshold: f64,
        /// Points.
        samples: usize,
        /// Range of a parameter without bounds, as a share of its value.
        range_share: f64,
        /// PRIM peeling share.
        peel_alpha: f64,
        /// Smallest box support.
        min_support: f64,
        /// Smallest coverage of the chosen box.
        min_coverage: f64,
        /// Largest quasi-p-value of a kept restriction.
        max_p: f64,
    },
}

/// A study as specified: serialisable, independent of the command line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StudySpec {
    /// What it computes.
    pub kind: StudyKind,
    /// Replicates per point.
    pub runs: u64,
    /// Seed of the random streams and of the design.
    pub seed: u64,
    /// Horizon override.
    pub weeks: Option<u32>,
}

/// Most points one study may have.
const MAX_POINTS: usize = 10_000_000;

/// Most parameters one study may vary.
const MAX_DIMS: usize = 1000;

/// Grid steps of a `--vary KEY=LO..HI` without `:STEPS`.
const DEFAULT_STEPS: usize = 9;

/// Outputs charted by `sweep` and analysed by `sensitivity` unless `--metric` says otherwise.
const SWEEP_CHARTED: [&str; 2] = ["share_truce", "truce_rmst_weeks"];
const SENSITIVITY_OUTPUTS: [&str; 2] = ["truce_rmst_weeks", "share_truce"];

fn input(e: impl std::fmt::Display) -> Failure {
    Failure::Input(e.to_string())
}

/// What the study computes besides the points.
pub enum Kind {
    Sweep {
        design: SweepDesign,
        charted: Vec<usize>,
    },
    Sensitivity {
        design: SensDesign,
        outputs: Vec<usize>,
        groups: Vec<Group>,
    },
    Discover {
        outcome: Outcome,
        threshold: f64,
        alpha: f64,
        min_support: f64,
        min_coverage: f64,
        max_p: f64,
    },
}

/// A prepared study: scenario, space, points, settings.
pub struct Study {
    pub command: &'static str,
    pub kind: Kind,
    pub base: Text,
    pub overlays: Vec<Text>,
    pub template: Template,
    pub dims: Vec<Dim>,
    pub specs: Vec<Spec>,
    pub runs: u64,
    pub weeks: u32,
    /// The study as specified (what a shard carries and `merge` rebuilds from).
    pub spec: StudySpec,
    /// Identifies the study (scenario texts, space, design, settings): shards must agree on it.
    pub fingerprint: String,
}

fn check_range(name: &str, v: f64, lo: f64, hi: f64, lo_open: bool) -> Result<(), Failure> {
    let ok = v.is_finite() && (if lo_open { v > lo } else { v >= lo }) && v <= hi;
    if ok {
        Ok(())
    } else {
        let open = if lo_open { "(" } else { "[" };
        Err(Failure::Input(format!(
            "--{name} {v}: expected a number in {open}{lo}, {hi}]"
        )))
    }
}

fn check_count(name: &str, v: u64, lo: u64, hi: u64) -> Result<(), Failure> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(Failure::Input(format!(
            "--{name} {v}: expected {lo} to {hi}"
        )))
    }
}

/// SHA-256 of `parts` (each followed by a separator), as hex.
fn digest(parts: &[&str]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0xff]);
    }
    crate::fmt::hex(&h.finalize())
}

pub fn read_texts(scenario: &Path, with: &[PathBuf]) -> Result<(Text, Vec<Text>), Failure> {
    let base = Text::read(scenario, "scenario").map_err(input)?;
    let mut overlays = Vec::new();
    for w in with {
        overlays.extend(overlay_chain(&w.display().to_string(), &Files).map_err(input)?);
    }
    Ok((base, overlays))
}

/// Builds the dimensions from `--vary`/`--params` specs (or the claim parameters).
fn dims_from(specs: &[String], t: &Template, share: f64, flag: &str) -> Result<Vec<Dim>, Failure> {
    let keys: Vec<String> = if specs.is_empty() {
        crate::explore::space::claim_keys(t)
    } else {
        specs.to_vec()
    };
    if keys.is_empty() {
        return Err(Failure::Input(format!(
            "no parameters to vary: the scenario has no non-zero numeric parameter citing a claim; give --{flag}"
        )));
    }
    let mut dims: Vec<Dim> = Vec::new();
    let mut errors = Vec::new();
    for k in &keys {
        match param_dim(k, t, share, DEFAULT_STEPS, flag) {
            Ok(d) if dims.iter().any(|o| o.path == d.path) => {
                errors.push(format!("--{flag}: '{}' is given twice", d.path));
            }
            Ok(d) => dims.push(d),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Failure::Input(errors.join("\n")));
    }
    if dims.len() > MAX_DIMS {
        return Err(Failure::Input(format!(
            "{} parameters: at most {MAX_DIMS}",
            dims.len()
        )));
    }
    Ok(dims)
}

/// The outputs a user named (in the scenario's words), or the kind's canonical defaults.
fn outputs_from(words: &Names, names: &[String], default: &[&str]) -> Result<Vec<usize>, Failure> {
    let mut out: Vec<usize> = Vec::new();
    let mut push = |k: usize| {
        if !out.contains(&k) {
            out.push(k);
        }
    };
    if names.is_empty() {
        default
            .iter()
            .filter_map(|d| canonical_output_index(d))
            .for_each(&mut push);
    }
    for n in names {
        push(output_index(words, n.trim()).map_err(Failure::Input)?);
    }
    Ok(out)
}

/// Prepares a study from its spec and the scenario's texts (read from files by a run, carried in
/// the partial result by `merge`).
// long: one arm per study kind, each checking its settings with the message a user sees.
pub fn prepare(spec: &StudySpec, base: Text, overlays: Vec<Text>) -> Result<Study, Failure> {
    let runs = spec.runs;
    check_count("runs", runs, 1, 1_000_000_000)?;
    let template = Template::new(&base, &overlays).map_err(input)?;
    let weeks = spec.weeks.unwrap_or(template.base.scenario.meta.weeks);
    let words = Names::of(&template.base.scenario.sides);
    if weeks == 0 || i64::from(weeks) > MAX_WEEKS {
        return Err(Failure::Input(format!(
            "--weeks {weeks} is out of range: expected 1 to {MAX_WEEKS}"
        )));
    }
    let seed = spec.seed;
    let (command, kind, dims, specs, settings) = match &spec.kind {
        StudyKind::Sweep {
            vary,
            design,
            samples,
            metric,
        } => {
            let dims = dims_from(vary, &template, 0.5, "vary")?;
            let design = match design {
                Design::Grid => {
                    study::grid_size(&dims).filter(|&n| n <= MAX_POINTS).ok_or_else(|| {
                        Failure::Input(format!(
                            "the grid of {} has more than {MAX_POINTS} points; use fewer steps or --design lhs",
                            dims.iter().map(|d| d.steps.to_string()).collect::<Vec<_>>().join(" x ")
                        ))
                    })?;
                    SweepDesign::Grid
                }
                Design::Lhs => {
                    check_count("samples", *samples as u64, 2, MAX_POINTS as u64)?;
                    SweepDesign::Lhs(*samples)
                }
            };
            let charted = outputs_from(&words, metric, &SWEEP_CHARTED)?;
            let specs = study::sweep_specs(&dims, design, seed);
            (
                "sweep",
                Kind::Sweep {
                    design,
                    charted: charted.clone(),
                },
                dims,
                specs,
                format!("{design:?} {charted:?}"),
            )
        }
        StudyKind::Sensitivity {
            params,
            method,
            samples,
            metric,
            range_share,
            repeats,
        } => {
            check_range("range-share", *range_share, 0.0, 10.0, true)?;
            check_count("repeats", *repeats as u64, 2, 10_000)?;
            let dims = dims_from(params, &template, *range_share, "params")?;
            let m = *method;
            let default_samples = match m {
                Method::Morris => 20,
                Method::Sobol => 256,
            };
            let samples = samples.unwrap_or(default_samples);
            check_count("samples", samples as u64, 2, MAX_POINTS as u64)?;
            study::sensitivity_size(m, samples, dims.len(), *repeats)
                .filter(|&n| n <= MAX_POINTS)
                .ok_or_else(|| {
                    Failure::Input(format!(
                        "{samples} samples of {} parameters need more than {MAX_POINTS} points; use fewer",
                        dims.len()
                    ))
                })?;
            let outputs = outputs_from(&words, metric, &SENSITIVITY_OUTPUTS)?;
            let design = study::sensitivity_design(m, samples, dims.len(), seed, *repeats);
            let groups = study::claim_groups(&dims, &template.base.scenario.claims);
            let specs = design.specs.clone();
            (
                "sensitivity",
                Kind::Sensitivity {
                    design,
                    outputs: outputs.clone(),
                    groups,
                },
                dims,
                specs,
                format!("{m:?} {samples} {repeats} {outputs:?}"),
            )
        }
        StudyKind::Discover {
            vary,
            outcome,
            threshold,
            samples,
            range_share,
            peel_alpha,
            min_support,
            min_coverage,
            max_p,
        } => {
            check_range("range-share", *range_share, 0.0, 10.0, true)?;
            check_range("threshold", *threshold, 0.0, 1.0, true)?;
            check_range("peel-alpha", *peel_alpha, 0.0, 0.5, true)?;
            check_range("min-support", *min_support, 0.0, 1.0, true)?;
            check_range("min-coverage", *min_coverage, 0.0, 1.0, false)?;
            check_range("max-p", *max_p, 0.0, 1.0, true)?;
            check_count("samples", *samples as u64, 10, MAX_POINTS as u64)?;
            let outcome = Outcome::parse(outcome, &words).map_err(Failure::Input)?;
            let dims = dims_from(vary, &template, *range_share, "vary")?;
            let specs = study::discover_specs(dims.len(), *samples, seed);
            (
                "discover",
                Kind::Discover {
                    outcome: outcome.clone(),
                    threshold: *threshold,
                    alpha: *peel_alpha,
                    min_support: *min_support,
                    min_coverage: *min_coverage,
                    max_p: *max_p,
                },
                dims,
                specs,
                format!(
                    "{} {threshold} {peel_alpha} {min_support} {min_coverage} {max_p}",
                    outcome.text
                ),
            )
        }
    };
    let space: Vec<String> = dims
        .iter()
        .map(|d| format!("{}={:?}..{:?}:{}", d.path, d.lo, d.hi, d.steps))
        .collect();
    // The scenario's texts enter through their hash (base and overlays, `Loaded::hash`).
    let head = format!("{} {runs} {seed} {weeks} {}", space.join(" "), specs.len());
    let fingerprint = digest(&[command, &template.base.hash, &head, &settings]);
    Ok(Study {
        command,
        kind,
        base,
        overlays,
        template,
        dims,
        specs,
        runs,
        weeks,
        spec: spec.clone(),
        fingerprint,
    })
}

impl Study {
    /// The discovery outcome, if the study is a discovery.
    pub fn outcome(&self) -> Option<&Outcome> {
        match &self.kind {
            Kind::Discover { outcome, .. } => Some(outcome),
            _ => None,
        }
    }

    /// Default output folder name, `<command>-<scenario>-<8 hex digits of the study's
    /// fingerprint>` (plus the shard), to go under `output/` by `report::output::default_out`, so two studies of one scenario with other keys, ranges or
    /// settings never share a folder, and the same study always finds its own.
    pub fn default_folder(&self, shard: Option<(u64, u64)>) -> String {
        let s = shard.map_or(String::new(), |(k, n)| format!("-shard-{k}-of-{n}"));
        let stem = match &self.kind {
            Kind::Sensitivity { design, .. } => {
                format!(
                    "sensitivity-{}",
                    format!("{:?}", design.method).to_lowercase()
                )
            }
            _ => self.command.to_string(),
        };
        let tag: String = self.fingerprint.chars().take(8).collect();
        format!("{stem}-{}-{tag}{s}", self.template.base.scenario.meta.name)
    }

    /// The caption of every chart of the study.
    pub fn caption(&self) -> String {
        format!(
            "scenario: {} · {} points x {} replicates · seed {} · negsim {}",
            self.template.base.scenario.meta.name,
            self.specs.len(),
            self.runs,
            self.spec.seed,
            env!("CARGO_PKG_VERSION")
        )
    }

    /// The base scenario's words for its sides and instruments (outputs' names).
    pub fn names(&self) -> Names {
        Names::of(&self.template.base.scenario.sides)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_outputs_are_registered_names() {
        for n in SWEEP_CHARTED.iter().chain(&SENSITIVITY_OUTPUTS) {
            assert!(canonical_output_index(n).is_some(), "{n}");
        }
    }
}
