//! The built-in default job: the baseline scenario and every intervention overlay, embedded in the
//! binary so `negsim` (and `cargo run --release`) works from any directory.

use crate::scenario::{LoadError, Resolver, Text};

/// Path of the built-in base scenario.
pub const BASELINE: &str = "scenarios/baseline.toml";

/// Built-in files: (path, contents).
pub const FILES: [(&str, &str); 8] = [
    (BASELINE, include_str!("../../scenarios/baseline.toml")),
    (
        "scenarios/first_term.toml",
        include_str!("../../scenarios/first_term.toml"),
    ),
    (
        "scenarios/interventions/all_of_the_above.toml",
        include_str!("../../scenarios/interventions/all_of_the_above.toml"),
    ),
    (
        "scenarios/interventions/cui_backchannel_succeeds.toml",
        include_str!("../../scenarios/interventions/cui_backchannel_succeeds.toml"),
    ),
    (
        "scenarios/interventions/prepared_summit_agenda.toml",
        include_str!("../../scenarios/interventions/prepared_summit_agenda.toml"),
    ),
    (
        "scenarios/interventions/rebuild_nsc_coordination.toml",
        include_str!("../../scenarios/interventions/rebuild_nsc_coordination.toml"),
    ),
    (
        "scenarios/interventions/restore_kushner_channel.toml",
        include_str!("../../scenarios/interventions/restore_kushner_channel.toml"),
    ),
    (
        "scenarios/interventions/treasury_expertise.toml",
        include_str!("../../scenarios/interventions/treasury_expertise.toml"),
    ),
];

/// The intervention overlays of the default job, in arm order.
pub fn interventions() -> Vec<String> {
    FILES
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| p.starts_with("scenarios/interventions/"))
        .map(String::from)
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
        FILES
            .iter()
            .find(|(p, _)| *p == key)
            .map(|(p, t)| Text {
                path: format!("built-in {p}"),
                text: (*t).to_string(),
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
