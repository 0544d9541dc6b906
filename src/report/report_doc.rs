//! The report page: the question, the arms, the headline table, every chart with a reading guide,
//! and the facts of the run.

use super::document::Block;

/// What the report is made of.
pub struct Facts<'a> {
    /// Scenario name.
    pub scenario: &'a str,
    /// Scenario description.
    pub description: &'a str,
    /// Whether this is a comparison.
    pub compare: bool,
    /// (name, description, overlays) per arm.
    pub arms: Vec<(String, String, Vec<String>)>,
    /// Headline table.
    pub table: (Vec<String>, Vec<Vec<String>>),
    /// Extra lines under the table (variance reduction, target-ci).
    pub notes: Vec<String>,
    /// (file, title, guide) per chart.
    pub charts: Vec<(String, String, String)>,
    /// (label, value) facts of the run.
    pub run: Vec<(String, String)>,
    /// Files written.
    pub files: Vec<String>,
}

/// Builds the report's blocks.
pub fn build(f: &Facts<'_>) -> Vec<Block> {
    let mut b = Vec::new();
    if f.compare {
        b.push(Block::Heading(
            1,
            format!("negsim: interventions against the {} scenario", f.scenario),
        ));
        b.push(Block::Para(format!(
            "**The question.** How would each intervention change the truce/escalation cycle of the `{}` scenario ({})? Every arm runs the same replicates on common random numbers, so each difference below is paired: the same shocks, a different channel design.",
            f.scenario, f.description
        )));
    } else {
        b.push(Block::Heading(
            1,
            format!("negsim: the {} scenario", f.scenario),
        ));
        b.push(Block::Para(format!("**The question.** What does the truce/escalation cycle of the `{}` scenario look like ({})?", f.scenario, f.description)));
    }
    b.push(Block::Heading(2, "Arms".into()));
    b.push(Block::TextTable(
        vec!["arm".into(), "what it is".into(), "overlays".into()],
        f.arms
            .iter()
            .map(|(n, d, o)| {
                vec![
                    n.clone(),
                    d.clone(),
                    if o.is_empty() {
                        "—".into()
                    } else {
                        o.join(" + ")
                    },
                ]
            })
            .collect(),
    ));
    b.push(Block::Heading(2, "Headline results".into()));
    b.push(Block::Para(
        "Estimates with 95% confidence intervals in brackets. Δ columns are paired differences against the baseline (interventions ranked by their effect on the share of weeks in truce); KM median is the Kaplan–Meier median truce length in weeks; RMST is the mean truce length restricted to 52 weeks. Constants marked source = \"calibration\" in the scenario were fitted jointly to the 2018–2020 and the 2025 records (docs/CALIBRATION.md); the others encode the article's claims or documented defaults: read effects as what the mechanisms imply, not as forecasts. These intervals cover simulation noise only, at the values as written: for the uncertainty of the values themselves, run with --worlds (the default job writes it to output/default/worlds/; docs/UNCERTAINTY.md)."
            .into(),
    ));
    b.push(Block::Table(f.table.0.clone(), f.table.1.clone()));
    if !f.notes.is_empty() {
        b.push(Block::List(f.notes.clone()));
    }
    if !f.charts.is_empty() {
        b.push(Block::Heading(2, "Charts".into()));
        for (file, title, guide) in &f.charts {
            b.push(Block::Heading(3, title.clone()));
            b.push(Block::Image(file.clone(), title.clone()));
            b.push(Block::Para(guide.clone()));
        }
    }
    b.push(Block::Heading(2, "About this run".into()));
    b.push(Block::List(
        f.run.iter().map(|(k, v)| format!("{k}: {v}")).collect(),
    ));
    b.push(Block::Para(format!(
        "Files: {}.",
        f.files
            .iter()
            .map(|x| format!("`{x}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )));
    b
}
