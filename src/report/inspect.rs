//! `negsim validate` and `negsim explain`: what a scenario says, without running it.

use std::collections::BTreeMap;

use crate::report::table::render_text as render;
use crate::scenario::behaviour::GROUPS;
use crate::scenario::{Loaded, ParamRecord};

/// The one-line digest printed by `validate`.
pub fn digest(l: &Loaded) -> String {
    let s = &l.scenario;
    let factions: usize = s.sides.iter().map(|x| x.factions.len()).sum();
    let cited = s
        .params
        .iter()
        .filter(|p| p.provenance.as_ref().is_some_and(|p| p.is_claim()))
        .count();
    let claims: std::collections::BTreeSet<&str> = s
        .params
        .iter()
        .filter_map(|p| p.provenance.as_ref())
        .filter(|p| p.is_claim())
        .map(|p| p.source.as_str())
        .collect();
    let uncertain: Vec<_> = s
        .params
        .iter()
        .filter_map(|p| p.uncertain.as_ref())
        .collect();
    let uncertain = match uncertain.len() {
        0 => String::new(),
        n => format!(
            "; {n} uncertain values ({} assumed)",
            uncertain.iter().filter(|u| u.assumed()).count()
        ),
    };
    let many = |n: usize, one: &str, more: &str| format!("{n} {}", if n == 1 { one } else { more });
    format!(
        "ok: '{}': {} weeks from {}; {}, {}, {}; {} parameters, {} citing {} of the {} claims{uncertain}",
        s.meta.name,
        s.meta.weeks,
        s.meta.start,
        many(factions, "faction", "factions"),
        many(s.channels.len(), "channel", "channels"),
        many(s.calendar.len(), "calendar entry", "calendar entries"),
        s.params.len(),
        cited,
        claims.len(),
        s.claims.claims.len()
    )
}

/// "claims of the article (docs/CLAIMS.md)": whose claims `explain` lists, and where.
pub fn registry_heading(r: &crate::scenario::claims::Registry) -> String {
    let whose = match (&r.author, r.claims.is_empty()) {
        (_, true) => return "no claim registry (name one in [meta] claims)".into(),
        (Some(a), _) => format!("claims of {a}"),
        (None, _) => format!("claims of '{}'", r.title),
    };
    if r.document.is_empty() {
        whose
    } else {
        format!("{whose} ({})", r.document)
    }
}

/// The claims → parameters table of a scenario.
pub fn claims_table(l: &Loaded) -> String {
    // (path, value, note) per claim; the fields of one calendar entry collapse into one row.
    let mut by_claim: BTreeMap<usize, Vec<(String, String, String)>> = BTreeMap::new();
    for p in &l.scenario.params {
        let Some(pr) = p.provenance.as_ref().filter(|pr| pr.is_claim()) else {
            continue;
        };
        let entry = by_claim
            .entry(l.scenario.claims.index(&pr.source).unwrap_or(usize::MAX))
            .or_default();
        let (item, key) = p.path.rsplit_once('.').unwrap_or(("", p.path.as_str()));
        if item.starts_with("calendar") {
            match entry.last_mut() {
                Some(last) if last.0 == item => {
                    last.1.push_str(&format!(", {key} = {}", value_unit(p)));
                }
                _ => entry.push((
                    item.to_string(),
                    format!("{key} = {}", value_unit(p)),
                    pr.note.clone(),
                )),
            }
        } else {
            entry.push((p.path.clone(), value_unit(p), pr.note.clone()));
        }
    }
    let mut rows = Vec::new();
    for (i, id) in l.scenario.claims.ids().enumerate() {
        match by_claim.get(&i) {
            None => rows.push(vec![
                id.to_string(),
                "(not encoded)".into(),
                String::new(),
                String::new(),
            ]),
            Some(ps) => {
                for (j, (path, value, note)) in ps.iter().enumerate() {
                    rows.push(vec![
                        if j == 0 {
                            id.to_string()
                        } else {
                            String::new()
                        },
                        path.clone(),
                        value.clone(),
                        note.clone(),
                    ]);
                }
            }
        }
    }
    render(
        &[
            "claim".into(),
            "parameter".into(),
            "value".into(),
            "note".into(),
        ],
        &rows,
    )
}

fn value_unit(p: &ParamRecord) -> String {
    if p.unit.is_empty() {
        p.value.clone()
    } else {
        format!("{} {}", p.value, p.unit)
    }
}

/// Every parameter in force, defaults included.
pub fn all_table(l: &Loaded) -> String {
    let rows: Vec<Vec<String>> = l
        .scenario
        .params
        .iter()
        .map(|p| {
            let src = match (&p.provenance, p.origin) {
                (Some(pr), _) => pr.source.clone(),
                (None, Some(_)) => "file".into(),
                (None, None) => "default".into(),
            };
            vec![p.path.clone(), value_unit(p), src, p.doc.trim().to_string()]
        })
        .collect();
    render(
        &[
            "parameter".into(),
            "value".into(),
            "source".into(),
            "meaning".into(),
        ],
        &rows,
    )
}

/// The values that declare a plausible range or prior: parameter, value, plausible values, source
/// and why the range is what it is ("assumed" when the file gives no reason). `None` when no value
/// declares one.
pub fn uncertain_table(l: &Loaded) -> Option<String> {
    let rows: Vec<Vec<String>> = l
        .scenario
        .params
        .iter()
        .filter_map(|p| {
            let u = p.uncertain.as_ref()?;
            let source = p
                .provenance
                .as_ref()
                .map_or(String::new(), |pr| pr.source.clone());
            let why = if u.assumed() {
                "assumed (no range_note gives a reason)".to_string()
            } else {
                u.note.clone()
            };
            Some(vec![
                p.path.clone(),
                value_unit(p),
                u.prior.describe(),
                source,
                why,
            ])
        })
        .collect();
    (!rows.is_empty()).then(|| {
        render(
            &[
                "parameter".into(),
                "value".into(),
                "plausible values".into(),
                "source".into(),
                "why this range".into(),
            ],
            &rows,
        )
    })
}

/// The values an overlay set changes against the base: (path, base value, new value, source, note).
pub fn diff_rows(base: &Loaded, merged: &Loaded) -> Vec<Vec<String>> {
    let before: BTreeMap<&str, &ParamRecord> = base
        .scenario
        .params
        .iter()
        .map(|p| (p.path.as_str(), p))
        .collect();
    merged
        .scenario
        .params
        .iter()
        .filter_map(|p| {
            let old = before.get(p.path.as_str());
            let changed = old.is_none_or(|o| o.value != p.value);
            changed.then(|| {
                let (src, note) = p
                    .provenance
                    .as_ref()
                    .map_or((String::new(), String::new()), |pr| {
                        (pr.source.clone(), pr.note.clone())
                    });
                vec![
                    p.path.clone(),
                    old.map_or("(new)".into(), |o| value_unit(o)),
                    value_unit(p),
                    src,
                    note,
                ]
            })
        })
        .chain(removed_rows(base, merged))
        .collect()
}

/// Values of the base that the overlays removed (a `[[remove.…]]` item), with the base's
/// provenance.
fn removed_rows(base: &Loaded, merged: &Loaded) -> Vec<Vec<String>> {
    let after: std::collections::BTreeSet<&str> = merged
        .scenario
        .params
        .iter()
        .map(|p| p.path.as_str())
        .collect();
    base.scenario
        .params
        .iter()
        .filter(|p| !after.contains(p.path.as_str()))
        .map(|p| {
            let (src, note) = p
                .provenance
                .as_ref()
                .map_or((String::new(), String::new()), |pr| {
                    (pr.source.clone(), pr.note.clone())
                });
            vec![p.path.clone(), value_unit(p), "(removed)".into(), src, note]
        })
        .collect()
}

/// The diff table of `explain --with`.
pub fn diff_table(base: &Loaded, merged: &Loaded) -> String {
    let rows = diff_rows(base, merged);
    if rows.is_empty() {
        return "the overlays change nothing\n".into();
    }
    render(
        &[
            "parameter".into(),
            "base".into(),
            "with overlays".into(),
            "source".into(),
            "note".into(),
        ],
        &rows,
    )
}

/// Names of the behaviour groups, for help texts.
pub fn behaviour_groups() -> Vec<&'static str> {
    GROUPS.iter().map(|(n, _)| *n).collect()
}
