//! `negsim facts`: the cycle statistics of a real event record.

use std::path::PathBuf;

use crate::analysis::cycle::Spell;
use crate::analysis::facts::{self, Facts};
use crate::analysis::outcomes::{EXPIRY_OUTCOMES, THREAT_OUTCOMES, expiry_name};
use crate::data::{Actor, BuiltInRecord, Vocabulary, read_record};
use crate::report::table::{render, render_text};
use crate::scenario::date::Date;

use crate::error::Failure;

/// Where the record comes from: files given on the command line, else the built-in record.
pub struct Inputs {
    /// Event list.
    pub events: Option<PathBuf>,
    /// Built-in record used for what is not given.
    pub record: BuiltInRecord,
    /// Tariff series.
    pub tariffs: Option<PathBuf>,
    /// Threats table.
    pub threats: Option<PathBuf>,
    /// The scenario whose side keys and level prefixes the record uses (default: US–China's).
    pub scenario: Option<PathBuf>,
}

fn spell_rows(f: &Facts, spells: &[Spell], to: Date) -> Vec<Vec<String>> {
    spells
        .iter()
        .map(|s| {
            let start = f.from.add_days(7 * i64::from(s.start));
            let end = f.from.add_days(7 * i64::from(s.start + s.length));
            vec![
                start.to_string(),
                if s.censored {
                    format!("(still holding at {to})")
                } else {
                    end.to_string()
                },
                s.length.to_string(),
                if s.censored {
                    "censored".into()
                } else {
                    "broken".into()
                },
                if s.broad {
                    "broad".into()
                } else {
                    "transactional".into()
                },
            ]
        })
        .collect()
}

/// Runs `negsim facts`.
// long: the facts report: one block per table printed, in the order shown to the user.
pub fn run(
    inputs: Inputs,
    from: Option<String>,
    to: Option<String>,
    durable: u32,
) -> Result<(), Failure> {
    let record = inputs.record;
    let (vocab, shorts) = match &inputs.scenario {
        None => (
            Vocabulary::default(),
            ["US".to_string(), "China".to_string()],
        ),
        Some(p) => {
            let l = crate::scenario::load(p, &[]).map_err(|e| Failure::Input(e.to_string()))?;
            let s = &l.scenario;
            (
                Vocabulary::of(s),
                [
                    s.sides[0].naming.short.clone(),
                    s.sides[1].naming.short.clone(),
                ],
            )
        }
    };
    let rec = read_record(
        (&inputs.events, &inputs.tariffs, &inputs.threats),
        record,
        &vocab,
    )
    .map_err(Failure::Input)?;
    let ((epath, ev), (tpath, tr), (hpath, threats)) = (rec.events, rec.tariffs, rec.threats);
    let date = |s: &Option<String>, flag: &str, default: Option<Date>| -> Result<Date, Failure> {
        match s {
            Some(t) => t
                .parse::<Date>()
                .map_err(|e| Failure::Input(format!("{flag}: {e}"))),
            None => default.ok_or_else(|| {
                Failure::Input(format!("{flag}: the event file is empty; give a date"))
            }),
        }
    };
    // A built-in record coded over a fixed window (data/README.md) uses it; any other record runs
    // from its first to its last event unless told otherwise.
    let window = if inputs.events.is_none() {
        record.window()
    } else {
        None
    };
    let from = date(
        &from,
        "--from",
        window.map(|w| w.0).or(ev.first().map(|e| e.date)),
    )?;
    let to = date(
        &to,
        "--to",
        window.map(|w| w.1).or(ev.last().map(|e| e.date)),
    )?;
    if to < from {
        return Err(Failure::Input(format!("--to {to} is before --from {from}")));
    }
    let f = facts::facts(&ev, &threats, from, to, durable, None);
    let s = &f.summary;
    outln!("{epath}: {from} to {to} ({} weeks)\n", f.weeks);
    let num = |x: f64| crate::report::csv::num(x, 3);
    let rows = vec![
        vec!["share_truce".into(), num(s.share_truce)],
        vec!["share_escalation".into(), num(s.share_escalation)],
        vec!["share_neither".into(), num(s.share_neither)],
        vec!["truces".into(), s.truces.to_string()],
        vec!["broken_truces".into(), s.broken_truces.to_string()],
        vec![
            "broken_truces_per_year".into(),
            num(s.broken_truces_per_year),
        ],
        vec![
            "broken_truces_tariff_rule".into(),
            s.broken_truces_tariff_rule.to_string(),
        ],
        vec!["truces_censored".into(), s.truces_censored.to_string()],
        vec![
            "longest_truce_weeks".into(),
            s.longest_truce_weeks.to_string(),
        ],
        vec![
            "escalation_episodes".into(),
            s.escalation_episodes.to_string(),
        ],
        vec![
            "longest_escalation_weeks".into(),
            s.longest_escalation_weeks.to_string(),
        ],
        vec![
            "weeks_to_durable_deal".into(),
            s.weeks_to_durable_deal
                .map_or("none".into(), |w| w.to_string()),
        ],
        vec![
            "broad_deals_unravelled".into(),
            s.broad_deals_unravelled.to_string(),
        ],
        vec!["share_truce_tariff".into(), num(s.share_truce_tariff)],
        vec![
            "escalation_episodes_tariff".into(),
            s.escalation_episodes_tariff.to_string(),
        ],
        vec![
            "longest_escalation_weeks_tariff".into(),
            s.longest_escalation_weeks_tariff.to_string(),
        ],
        vec![
            "strict_breaks_in_tariff_truce".into(),
            s.strict_breaks_in_tariff_truce.to_string(),
        ],
    ];
    let o = &f.outcomes;
    let mut rows = rows;
    for k in THREAT_OUTCOMES {
        rows.push(vec![
            format!("threats_{}", k.name()),
            o.threat(k).to_string(),
        ]);
    }
    rows.push(vec![
        "scheduled_talks".into(),
        o.scheduled_talks.to_string(),
    ]);
    rows.push(vec![
        "scheduled_talks_deal".into(),
        o.scheduled_talks_deal.to_string(),
    ]);
    rows.push(vec!["opening_talks".into(), o.opening_talks.to_string()]);
    rows.push(vec![
        "opening_talks_deal".into(),
        o.opening_talks_deal.to_string(),
    ]);
    for e in EXPIRY_OUTCOMES {
        rows.push(vec![
            format!("expiries_{}", expiry_name(e)),
            o.expiry(e).to_string(),
        ]);
    }
    out!(
        "{}",
        render(
            &["statistic (as in runs.csv)".into(), "value".into()],
            &rows
        )
    );
    outln!(
        "threats_*, scheduled_talks*, opening_talks*, expiries_*: typed outcomes ({hpath}: every row dated in the window with its outcome in it; `calibrate` compares only the threats its scenario's calendar holds); talks led to a deal if one followed within {} days; opening talks were held with no tariff-rule truce in force",
        facts::TALKS_DEAL_DAYS
    );
    let header: Vec<String> = ["start", "end", "weeks", "ended", "deal"]
        .map(String::from)
        .to_vec();
    outln!(
        "\ndates are the first days of the weeks that contain the events\n\ntruces, strict rule (ended by any escalation):\n"
    );
    out!(
        "{}",
        render_text(&header, &spell_rows(&f, &f.truces_strict, to))
    );
    outln!("\ntruces, tariff rule (ended by a tariff escalation):\n");
    out!(
        "{}",
        render_text(&header, &spell_rows(&f, &f.truces_tariff, to))
    );
    let episodes = |spells: &[Spell]| -> Vec<Vec<String>> {
        spell_rows(&f, spells, to)
            .into_iter()
            .map(|mut r| {
                if r[3] == "broken" {
                    r[3] = "by a truce".into();
                }
                r[..4].to_vec()
            })
            .collect()
    };
    outln!("\nescalation episodes, strict rule (opened by any escalation):\n");
    out!("{}", render_text(&header[..4], &episodes(&f.episodes)));
    outln!("\nescalation episodes, tariff rule (opened by a tariff escalation):\n");
    out!(
        "{}",
        render_text(&header[..4], &episodes(&f.episodes_tariff))
    );

    outln!("\nretaliations (an escalation answered by the other side before any truce):\n");
    let who = |a: Actor| match a {
        Actor::Us => shorts[0].as_str(),
        Actor::Cn => shorts[1].as_str(),
        Actor::Both => "both",
    };
    let rt: Vec<Vec<String>> = f
        .retaliations
        .iter()
        .map(|r| {
            vec![
                r.date.to_string(),
                who(r.first).into(),
                r.lag_days.to_string(),
            ]
        })
        .collect();
    out!(
        "{}",
        render_text(
            &[
                "first escalation".into(),
                "by".into(),
                "answered after (days)".into()
            ],
            &rt
        )
    );
    let mut lags: Vec<i64> = f.retaliations.iter().map(|r| r.lag_days).collect();
    lags.sort_unstable();
    if let Some(m) = lags.get(lags.len() / 2) {
        outln!(
            "median retaliation lag: {m} days ({} retaliations)",
            lags.len()
        );
    }
    let [esc, de, truce, deal, talks, threat] = f.counts;
    outln!(
        "\nevents in the window, by kind: escalation {esc}, de-escalation {de}, truce {truce}, deal {deal}, talks {talks}, threat {threat}"
    );
    let readings: Vec<Vec<String>> = tr
        .iter()
        .filter(|p| p.date >= from && p.date <= to)
        .map(|p| {
            vec![
                p.date.to_string(),
                p.us.map_or(String::new(), num),
                p.cn.map_or(String::new(), num),
            ]
        })
        .collect();
    if !readings.is_empty() {
        outln!("\naverage tariffs ({tpath}):\n");
        out!(
            "{}",
            render(
                &[
                    "date".into(),
                    format!("{} on {}, %", shorts[0], shorts[1]),
                    format!("{} on {}, %", shorts[1], shorts[0]),
                ],
                &readings
            )
        );
    }
    Ok(())
}
