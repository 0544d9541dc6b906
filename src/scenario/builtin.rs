//! The built-in default job: the baseline scenario and every intervention overlay, embedded in the
//! binary so `negsim` (and `cargo run --release`) works from any directory.

use crate::scenario::{LoadError, Resolver, Text};

/// Path of the built-in base scenario.
pub const BASELINE: &str = "scenarios/baseline.toml";

/// Every intervention overlay, embedded whole from `scenarios/interventions/` at build time, so
/// a new intervention file is never silently left out of the default job.
static INTERVENTIONS: include_dir::Dir<'_> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/scenarios/interventions");

/// Built-in scenarios besides the interventions: (path, contents).
const SCENARIOS: [(&str, &str); 4] = [
    (BASELINE, include_str!("../../scenarios/baseline.toml")),
    (
        "scenarios/first_term.toml",
        include_str!("../../scenarios/first_term.toml"),
    ),
    // The claim registry of the US–China scenarios (`[meta] claims`).
    (
        "scenarios/claims/us_china_2025.toml",
        include_str!("../../scenarios/claims/us_china_2025.toml"),
    ),
    // The joint posterior the baseline's `[uncertainty] posterior` names (plausible worlds).
    (
        "scenarios/calibration/joint_posterior.csv",
        include_str!("../../scenarios/calibration/joint_posterior.csv"),
    ),
];

/// Every built-in file: (path, contents), interventions in name order.
pub fn files() -> Vec<(String, &'static str)> {
    let mut v: Vec<(String, &'static str)> =
        SCENARIOS.iter().map(|(p, t)| (p.to_string(), *t)).collect();
    let mut iv: Vec<(String, &'static str)> = INTERVENTIONS
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "toml"))
        .filter_map(|f| {
            Some((
                format!("scenarios/interventions/{}", f.path().to_str()?),
                f.contents_utf8()?,
            ))
        })
        .collect();
    iv.sort();
    v.extend(iv);
    v
}

/// The intervention overlays of the default job, in arm order (by file name).
pub fn interventions() -> Vec<String> {
    files()
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.starts_with("scenarios/interventions/"))
        .collect()
}

/// Resolves paths against the embedded files.
pub struct Builtin;

fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

impl Resolver for Builtin {
    fn read(&self, path: &str, what: &str) -> Result<Text, LoadError> {
        let key = normalise(path);
        files()
            .into_iter()
            .find(|(p, _)| *p == key)
            .map(|(p, t)| Text {
                path: format!("built-in {p}"),
                text: t.to_string(),
            })
            .ok_or_else(|| LoadError::plain(format!("no built-in {what} '{path}'")))
    }
    fn relative(&self, from: &str, rel: &str) -> String {
        match from.rfind('/') {
            Some(i) => normalise(&format!("{}/{rel}", &from[..i])),
            None => normalise(rel),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_intervention_file_on_disk_is_built_in() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/interventions");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("interventions folder")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".toml"))
            .map(|n| format!("scenarios/interventions/{n}"))
            .collect();
        on_disk.sort();
        assert_eq!(interventions(), on_disk);
        assert!(Builtin.read(BASELINE, "scenario").is_ok());
    }
}
