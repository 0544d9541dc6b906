//! The report page, answer first: the bottom line in words, the effects chart and table, why
//! each intervention works (its changes and the mechanisms that move), the other charts with
//! their reading guides, the caveats, and only then the methods and the facts of the run.

use super::document::Block;

/// Section headings, in the order the report shows them (the browser test checks the order).
pub const SECTIONS: [&str; 7] = [
    "Bottom line",
    "Effects",
    "Why",
    "Charts",
    "Caveats",
    "Methods",
    "About this run",
];

/// One chart in the report.
#[derive(Clone, Debug)]
pub struct ChartNote {
    /// PNG file (the image shown).
    pub file: String,
    /// Title (the heading).
    pub title: String,
    /// Reading guide.
    pub guide: String,
    /// Alternative text: what the chart shows, for a reader who cannot see it.
    pub alt: String,
    /// The same chart in other forms (SVG, PNG at 2x).
    pub also: Vec<String>,
}

/// What the report is made of.
pub struct Facts {
    /// Page title.
    pub title: String,
    /// The opening paragraphs (the answer).
    pub bottom: Vec<String>,
    /// One sentence per intervention.
    pub sentences: Vec<String>,
    /// What the intervals cover.
    pub covers: String,
    /// The effects chart (a comparison's forest plot).
    pub answer: Option<ChartNote>,
    /// The effects (or a run's summary) table, and what its columns mean.
    pub table: (Vec<String>, Vec<Vec<String>>),
    /// Lines under the table.
    pub table_note: String,
    /// Why each intervention works: decomposition and mechanisms (may be empty).
    pub why: Vec<Block>,
    /// The other charts.
    pub charts: Vec<ChartNote>,
    /// What to keep in mind.
    pub caveats: Vec<String>,
    /// (name, description, overlays) per arm.
    pub arms: Vec<(String, String, Vec<String>)>,
    /// How the numbers were made (intervals, common random numbers, variance reduction).
    pub methods: Vec<String>,
    /// (label, value) facts of the run.
    pub run: Vec<(String, String)>,
    /// Files written (links, relative to the report).
    pub files: Vec<String>,
}

fn chart_blocks(c: &ChartNote, level: u8) -> Vec<Block> {
    let mut b = vec![
        Block::Heading(level, c.title.clone()),
        Block::Image(c.file.clone(), c.alt.clone()),
        Block::Para(c.guide.clone()),
    ];
    if !c.also.is_empty() {
        b.push(Block::Para(format!(
            "For print: {}.",
            c.also
                .iter()
                .map(|f| format!("[{f}]({f})"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    b
}

/// Builds the report's blocks.
pub fn build(f: &Facts) -> Vec<Block> {
    let mut b = vec![Block::Heading(1, f.title.clone())];
    b.push(Block::Heading(2, SECTIONS[0].into()));
    for p in &f.bottom {
        b.push(Block::Para(p.clone()));
    }
    if !f.sentences.is_empty() {
        b.push(Block::List(f.sentences.clone()));
    }
    b.push(Block::Para(f.covers.clone()));
    b.push(Block::Heading(2, SECTIONS[1].into()));
    if let Some(c) = &f.answer {
        b.extend(chart_blocks(c, 3));
    }
    b.push(Block::Table(f.table.0.clone(), f.table.1.clone()));
    b.push(Block::Para(f.table_note.clone()));
    if !f.why.is_empty() {
        b.push(Block::Heading(2, SECTIONS[2].into()));
        b.extend(f.why.iter().cloned());
    }
    if !f.charts.is_empty() {
        b.push(Block::Heading(2, SECTIONS[3].into()));
        for c in &f.charts {
            b.extend(chart_blocks(c, 3));
        }
    }
    b.push(Block::Heading(2, SECTIONS[4].into()));
    b.push(Block::List(f.caveats.clone()));
    b.push(Block::Heading(2, SECTIONS[5].into()));
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
    b.push(Block::List(f.methods.clone()));
    b.push(Block::Heading(2, SECTIONS[6].into()));
    b.push(Block::List(
        f.run.iter().map(|(k, v)| format!("{k}: {v}")).collect(),
    ));
    b.push(Block::Para(format!(
        "Files: {}.",
        f.files
            .iter()
            .map(|x| format!("[{x}]({x})"))
            .collect::<Vec<_>>()
            .join(", ")
    )));
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_come_in_order_and_files_are_links() {
        let f = Facts {
            title: "t".into(),
            bottom: vec!["answer".into()],
            sentences: vec!["a: helps".into()],
            covers: "noise".into(),
            answer: None,
            table: (vec!["h".into()], vec![vec!["1".into()]]),
            table_note: "note".into(),
            why: vec![Block::Para("why".into())],
            charts: Vec::new(),
            caveats: vec!["c".into()],
            arms: Vec::new(),
            methods: vec!["m".into()],
            run: Vec::new(),
            files: vec!["comparison.csv".into()],
        };
        let b = build(&f);
        let heads: Vec<&str> = b
            .iter()
            .filter_map(|x| match x {
                Block::Heading(2, t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        // No charts here, so that section is absent; the rest keep their order.
        assert_eq!(
            heads,
            [
                "Bottom line",
                "Effects",
                "Why",
                "Caveats",
                "Methods",
                "About this run"
            ]
        );
        assert!(
            matches!(b.last(), Some(Block::Para(p)) if p.contains("[comparison.csv](comparison.csv)"))
        );
    }
}
