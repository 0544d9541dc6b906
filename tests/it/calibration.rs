//! Calibration: facts from real records, the shared cycle summary, CALIB.toml errors, synthetic
//! recovery, and determinism across thread counts.

use std::collections::BTreeMap;

use negsim::analysis::facts::facts;
use negsim::calibration::abc::{self, Problem, RecordProblem, Settings, weighted_quantile};
use negsim::calibration::config::{Parameter, Prior, Target, TargetKind};
use negsim::calibration::history::{HistoryStats, STATISTICS};
use negsim::data::{Actor, RealEvent, RealKind};
use negsim::ensemble::record::ReplicateCollector;
use negsim::model::{Event, EventKind, Params, StreamKey, run_replicate};
use negsim::scenario::Text;
use negsim::scenario::template::Template;

use super::{assert_fails_with, root, run};

fn first_term() -> Template {
    let text =
        std::fs::read_to_string(root().join("scenarios/first_term.toml")).expect("first_term");
    Template::new(
        &Text {
            path: root()
                .join("scenarios/first_term.toml")
                .display()
                .to_string(),
            text,
        },
        &[],
    )
    .expect("loads")
}

/// One simulated history as a dated event record (the format of data/), and its tariff path.
fn record(
    t: &Template,
    overrides: &[(&str, f64)],
    seed: u64,
) -> (
    Vec<RealEvent>,
    Vec<[f64; 2]>,
    negsim::analysis::cycle::CycleSummary,
) {
    let sc = t.instantiate(overrides).expect("valid");
    let p = Params::compile(&sc, sc.meta.weeks);
    let mut col = ReplicateCollector::new(&p);
    col.reset(&p, 0);
    let mut log: Vec<Event> = Vec::new();
    let mut path = Vec::new();
    let end = run_replicate(
        &p,
        StreamKey {
            seed,
            replicate: 0,
            arm_salt: 0,
        },
        &mut log,
        |s, o| {
            col.week(s, o);
            path.push([s.sides[0].tariff, s.sides[1].tariff]);
        },
    );
    let cycle = col.finish(&end).cycle;
    // Escalations by week and side: sizes add up within a week, as the model's observation does.
    let th = &sc.behaviour.observation;
    let mut up: BTreeMap<(u32, u8, bool), f64> = BTreeMap::new();
    let mut deals = Vec::new();
    for e in &log {
        match e.kind {
            EventKind::TariffRaised | EventKind::ThreatExecuted | EventKind::Snapback => {
                *up.entry((e.week, e.side.unwrap_or(0), true)).or_default() += e.size
            }
            EventKind::ControlsAdded => {
                *up.entry((e.week, e.side.unwrap_or(0), false)).or_default() += e.size
            }
            EventKind::TransactionalDeal => deals.push((e.week, RealKind::Truce)),
            EventKind::BroadDeal => deals.push((e.week, RealKind::Deal)),
            _ => {}
        }
    }
    let date = |w: u32| sc.meta.start.add_days(7 * i64::from(w));
    let mut events: Vec<RealEvent> = up
        .into_iter()
        .filter(|((_, _, tariff), size)| {
            *size
                >= if *tariff {
                    th.escalation_tariff
                } else {
                    th.escalation_controls
                }
        })
        .map(|((w, side, tariff), _)| RealEvent {
            date: date(w),
            actor: if side == 0 { Actor::Us } else { Actor::Cn },
            kind: RealKind::Escalation,
            description: if tariff {
                "Tariff: simulated".into()
            } else {
                "Non-tariff: simulated".into()
            },
            on_level: tariff,
            scope: None,
        })
        .collect();
    events.extend(deals.into_iter().map(|(w, kind)| RealEvent {
        date: date(w),
        actor: Actor::Both,
        kind,
        description: "simulated".into(),
        on_level: false,
        scope: None,
    }));
    events.sort_by_key(|e| e.date);
    (events, path, cycle)
}

#[test]
fn facts_and_simulation_share_one_cycle_summary() {
    let t = first_term();
    let sc = &t.base.scenario;
    let end = sc.meta.start.add_days(7 * i64::from(sc.meta.weeks) - 1);
    for seed in 0..40 {
        let (events, _, simulated) = record(&t, &[], seed);
        let real = facts(&events, &[], sc.meta.start, end, 52, None);
        assert_eq!(
            real.summary, simulated,
            "seed {seed}: the record of a replicate must give the replicate's statistics"
        );
    }
}

#[test]
fn facts_on_the_2025_record_prints_both_rules_and_typed_outcomes() {
    let o = run(&["facts", "--record", "second-term"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("2025-02-01 to 2025-08-31 (31 weeks)"), "{out}");
    for row in [
        "| strict_breaks_in_tariff_truce   |     1 |",
        "| broken_truces_tariff_rule       |     0 |",
        "| escalation_episodes_tariff      |     1 |",
        "| threats_executed                |     1 |",
        "| threats_hanging                 |     1 |",
        "| scheduled_talks                 |     3 |",
        "| scheduled_talks_deal            |     2 |",
        "| expiries_extended               |     1 |",
        "| opening_talks                   |     1 |",
        "| opening_talks_deal              |     1 |",
    ] {
        assert!(out.contains(row), "missing {row:?} in\n{out}");
    }
    assert!(out.contains("escalation episodes, tariff rule"), "{out}");
}

#[test]
fn facts_command_reports_hand_computed_truces() {
    let d = tempfile::tempdir().expect("temp");
    let f = d.path().join("events.csv");
    std::fs::write(
        &f,
        "date,actor,kind,description,source\n2020-01-01,US,escalation,Tariff: up,x\n2020-01-22,both,truce,hold,x\n2020-02-12,CN,escalation,Non-tariff: bans,x\n2020-03-04,both,deal,signed,x\n",
    )
    .expect("write");
    let o = run(&[
        "facts",
        f.to_str().expect("utf8"),
        "--from",
        "2020-01-01",
        "--to",
        "2020-03-31",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Truce 1: weeks 3..6 broken by the controls escalation (strict rule), 3 weeks; truce 2 from
    // week 9, still holding at the end of week 12 (4 weeks, censored). Under the tariff rule the
    // controls escalation does not count: one truce of 10 weeks, censored.
    assert!(
        out.contains(
            "| 2020-01-22 | 2020-02-12                    | 3     | broken   | transactional |"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "| 2020-03-04 | (still holding at 2020-03-31) | 4     | censored | broad         |"
        ),
        "{out}"
    );
    assert!(
        out.contains("| 2020-01-22 | (still holding at 2020-03-31) | 10    | censored | broad |"),
        "{out}"
    );
    let bad = d.path().join("bad.csv");
    std::fs::write(
        &bad,
        "date,actor,kind,description\n2020-01-01,US,escalation,x\n2020-13-01,US,truce,x\n",
    )
    .expect("write");
    assert_fails_with(
        &run(&["facts", bad.to_str().expect("utf8")]),
        &["bad.csv: row 3, column date"],
    );
}

#[test]
fn bad_calibration_configs_are_clear_errors() {
    let d = tempfile::tempdir().expect("temp");
    let cfg = d.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[abc]\nparticles = 20\n\n[[parameters]]\npath = \"behaviour.negotiation.logit_bse\"\nprior = \"uniform\"\nlow = -1.0\nhigh = 1.0\n\n[[parameters]]\npath = \"behaviour.intentions.pain_weight\"\nprior = \"uniform\"\nlow = 0.5\nhigh = 0.1\n\n[[targets]]\nstatistic = \"share_truse\"\nscale = 0.1\n",
    )
    .expect("write");
    let o = run(&[
        "calibrate",
        "scenarios/first_term.toml",
        "--config",
        cfg.to_str().expect("utf8"),
    ]);
    assert_fails_with(
        &o,
        &[
            "c.toml:4:1: parameters[0].path",
            "did you mean 'behaviour.negotiation.logit_base'",
            "c.toml:10:1: parameters[1]: prior bounds reversed or empty: low = 0.5 must be below high = 0.1",
            "unknown statistic 'share_truse' (did you mean 'share_truce'?)",
        ],
    );
    std::fs::write(&cfg, "[[parameters]]\npath = \"sides.us.coordination\"\nprior = \"uniform\"\nlow = 0.5\nhigh = 1.5\n\n[[targets]]\nstatistic = \"share_truce\"\nscale = 0.1\n").expect("write");
    assert_fails_with(
        &run(&[
            "calibrate",
            "scenarios/first_term.toml",
            "--config",
            cfg.to_str().expect("utf8"),
        ]),
        &["leaves the parameter's allowed range", "out of range"],
    );
}

#[test]
fn a_record_that_ends_before_the_scenario_starts_is_refused_not_read_as_a_truce() {
    // The US-EU example looks ahead from 2025-09-01; its record ends in August 2025. Read over the
    // scenario's window, the record's last state (the framework's truce) would give a share in
    // truce of 1 with nothing behind it.
    let d = tempfile::tempdir().expect("temp");
    let cfg = d.path().join("eu.toml");
    let at = |rel: &str| root().join(rel).display().to_string();
    std::fs::write(
        &cfg,
        format!(
            "[abc]\nparticles = 20\ngenerations = 1\nreplicates = 2\n\n[[records]]\nname = \"eu\"\nscenario = {:?}\nevents = {:?}\n\n[[parameters]]\npath = \"behaviour.negotiation.logit_base\"\nprior = \"uniform\"\nlow = -4.0\nhigh = 1.0\n\n[[targets]]\nrecord = \"eu\"\nstatistic = \"share_truce\"\nscale = 0.1\n",
            at("scenarios/examples/us_eu_2025.toml"),
            at("scenarios/examples/us_eu_2025/events.csv"),
        ),
    )
    .expect("write");
    let o = run(&["calibrate", "--config", cfg.to_str().expect("utf8")]);
    assert_fails_with(
        &o,
        &[
            "target share_truce of record 'eu'",
            "ends on 2025-08-25, before the scenario's start 2025-09-01",
            "observed = ...",
        ],
    );
}

#[test]
fn synthetic_recovery_covers_the_truth() {
    // Simulate a record from known parameters, calibrate on it, check that the 90% credible
    // interval covers the truth. Five independent records; the interval must cover in at least
    // four (a 90% interval covers 4+ of 5 with probability 0.92).
    let t = first_term();
    let truth = [
        ("behaviour.negotiation.logit_base", -2.0),
        ("behaviour.negotiation.rollback_transactional", 0.4),
    ];
    let params = vec![
        Parameter {
            path: truth[0].0.into(),
            prior: Prior::Uniform { lo: -4.0, hi: 1.0 },
            record: None,
        },
        Parameter {
            path: truth[1].0.into(),
            prior: Prior::Uniform { lo: 0.2, hi: 1.0 },
            record: None,
        },
    ];
    let stat = |name: &str| {
        STATISTICS
            .iter()
            .position(|s| s.name == name)
            .expect("statistic")
    };
    let sc = &t.base.scenario;
    let dates = ["2018-09-24", "2019-09-01", "2020-12-30"]
        .map(|d| d.parse::<negsim::scenario::date::Date>().expect("date"));
    let target = |kind: TargetKind, scale: f64| Target {
        record: 0,
        kind,
        scale,
        to: None,
        observed: None,
    };
    let mut targets = vec![
        target(TargetKind::Statistic(stat("share_truce")), 0.1),
        target(TargetKind::Statistic(stat("broken_truces_per_year")), 0.5),
        target(TargetKind::Statistic(stat("escalation_episodes")), 1.5),
        target(TargetKind::Statistic(stat("longest_truce_weeks")), 20.0),
    ];
    for d in dates {
        targets.push(target(
            TargetKind::Tariff {
                side: 0,
                key: "us".into(),
                date: d,
            },
            4.0,
        ));
    }
    let mut covered = [0; 2];
    for rep in 0..5u64 {
        let (events, path, _) = record(&t, &truth, 1000 + rep);
        let end = sc.meta.start.add_days(7 * i64::from(sc.meta.weeks) - 1);
        let real = facts(&events, &[], sc.meta.start, end, 52, None);
        let observed: Vec<f64> = targets
            .iter()
            .map(|tg| match tg.kind {
                TargetKind::Statistic(k) => (STATISTICS[k].get)(&HistoryStats {
                    cycle: real.summary.clone(),
                    ..HistoryStats::default()
                })
                .expect("defined"),
                TargetKind::Tariff { side, date, .. } => {
                    path[date.week_index(sc.meta.start) as usize][side]
                }
            })
            .collect();
        let problem = Problem {
            records: vec![RecordProblem {
                name: "first_term".into(),
                template: &t,
                weeks: sc.meta.weeks,
                start: sc.meta.start,
            }],
            params: &params,
            targets: &targets,
            observed,
            replicates: 10,
        };
        let settings = Settings {
            particles: 150,
            generations: 12,
            keep: 0.7,
            moves: 2,
            min_acceptance: 0.03,
            seed: rep,
            threads: 2,
        };
        let (ps, _) = abc::run(&problem, &settings, &mut |_, _| {}).expect("calibrates");
        let w: Vec<f64> = ps.iter().map(|p| p.weight).collect();
        for (k, (_, value)) in truth.iter().enumerate() {
            let v: Vec<f64> = ps.iter().map(|p| p.theta[k]).collect();
            let (lo, hi) = (
                weighted_quantile(&v, &w, 0.05),
                weighted_quantile(&v, &w, 0.95),
            );
            covered[k] += usize::from(lo <= *value && *value <= hi);
        }
    }
    eprintln!("90% intervals covered the truth {covered:?} times out of 5");
    assert!(
        covered.iter().all(|&c| c >= 4),
        "90% intervals covered the truth {covered:?} times out of 5"
    );
}

#[test]
fn calibration_is_identical_at_one_and_two_threads() {
    let d = tempfile::tempdir().expect("temp");
    let cfg = root().join("scenarios/calibration/first_term.toml");
    let small = std::fs::read_to_string(&cfg)
        .expect("config")
        .replace("particles = 400", "particles = 40")
        .replace("generations = 25", "generations = 4")
        .replace("replicates = 20", "replicates = 4");
    let c = d.path().join("small.toml");
    std::fs::write(&c, small).expect("write");
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = d.path().join(format!("t{threads}"));
        let o = run(&[
            "calibrate",
            "scenarios/first_term.toml",
            "--config",
            c.to_str().expect("utf8"),
            "--threads",
            threads,
            "--quiet",
            "--out",
            out.to_str().expect("utf8"),
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        outs.push(out);
    }
    for f in [
        "posterior.csv",
        "generations.csv",
        "fit.csv",
        "posterior_summary.csv",
        "first_term_calibrated.toml",
        "posterior_marginals.png",
        "posterior_predictive.png",
    ] {
        let (a, b) = (
            std::fs::read(outs[0].join(f)).expect("read"),
            std::fs::read(outs[1].join(f)).expect("read"),
        );
        assert!(a == b, "{f} differs between 1 and 2 threads");
    }
    // The calibrated scenario is a valid scenario.
    let cal = outs[0].join("first_term_calibrated.toml");
    assert_eq!(
        run(&["validate", cal.to_str().expect("utf8")])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn joint_synthetic_recovery_covers_the_channel_contrast() {
    // Both records simulated from known constants, then calibrated jointly. The channel contrast
    // is `logit_authority`: the success log-odds a channel's authority buys, which separates the
    // first term (Kushner-Cui backchannel, authority 0.85) from 2025 (official channel, 0.45)
    // in the model. Five independent pairs of records; the 90% interval must cover the truth in
    // at least four (probability 0.92 for a calibrated interval) and, on average, be narrower
    // than the prior (otherwise covering would say nothing).
    use negsim::calibration::history::WindowCollector;
    let load = |path: &str| {
        let text = std::fs::read_to_string(root().join(path)).expect("scenario");
        Template::new(
            &Text {
                path: path.into(),
                text,
            },
            &[],
        )
        .expect("loads")
    };
    let templates = [
        load("scenarios/first_term.toml"),
        load("scenarios/second_term_2025.toml"),
    ];
    let truth = [
        ("behaviour.negotiation.logit_base", -2.0),
        ("behaviour.negotiation.logit_authority", 2.5),
    ];
    let params = vec![
        Parameter {
            path: truth[0].0.into(),
            prior: Prior::Uniform { lo: -4.0, hi: 1.0 },
            record: None,
        },
        Parameter {
            path: truth[1].0.into(),
            prior: Prior::Uniform { lo: 0.0, hi: 4.0 },
            record: None,
        },
    ];
    let stat = |name: &str| {
        STATISTICS
            .iter()
            .position(|s| s.name == name)
            .expect("statistic")
    };
    let names = [
        ("share_truce", 0.1),
        ("broken_truces", 1.0),
        ("escalation_episodes", 1.5),
        ("share_truce_tariff", 0.1),
        ("longest_truce_weeks_tariff", 20.0),
        ("peak_tariff_us", 10.0),
    ];
    let targets: Vec<Target> = (0..2)
        .flat_map(|record| {
            names.iter().map(move |(n, scale)| Target {
                record,
                kind: TargetKind::Statistic(stat(n)),
                scale: *scale,
                to: None,
                observed: None,
            })
        })
        .collect();
    let (mut covered, mut width) = (0, 0.0);
    for rep in 0..5u64 {
        // The synthetic records: one history of each period at the truth, read by the same
        // window statistics the calibration uses.
        let mut observed = Vec::new();
        for t in &templates {
            let sc = t.instantiate(&truth).expect("valid");
            let p = Params::compile(&sc, sc.meta.weeks);
            let mut col =
                WindowCollector::new(sc.meta.weeks, 52, p.agreement0.as_ref().map(|a| a.scope));
            col.reset([p.sides[0].tariff0, p.sides[1].tariff0]);
            run_replicate(
                &p,
                StreamKey {
                    seed: 5000 + rep,
                    replicate: 0,
                    arm_salt: 0,
                },
                &mut negsim::model::NoEvents,
                |s, o| col.week(s, o),
            );
            let h = col.finish();
            for (n, _) in names {
                observed.push((STATISTICS[stat(n)].get)(&h).expect("defined"));
            }
        }
        let records = templates
            .iter()
            .map(|t| RecordProblem {
                name: t.base.scenario.meta.name.clone(),
                template: t,
                weeks: t.base.scenario.meta.weeks,
                start: t.base.scenario.meta.start,
            })
            .collect();
        let problem = Problem {
            records,
            params: &params,
            targets: &targets,
            observed,
            replicates: 10,
        };
        let settings = Settings {
            particles: 150,
            generations: 10,
            keep: 0.7,
            moves: 2,
            min_acceptance: 0.03,
            seed: rep,
            threads: 2,
        };
        let (ps, _) = abc::run(&problem, &settings, &mut |_, _| {}).expect("calibrates");
        let w: Vec<f64> = ps.iter().map(|p| p.weight).collect();
        let v: Vec<f64> = ps.iter().map(|p| p.theta[1]).collect();
        let (lo, hi) = (
            weighted_quantile(&v, &w, 0.05),
            weighted_quantile(&v, &w, 0.95),
        );
        covered += usize::from(lo <= truth[1].1 && truth[1].1 <= hi);
        width += (hi - lo) / 4.0 / 5.0;
        eprintln!("record pair {rep}: logit_authority 90% interval [{lo:.2}, {hi:.2}]");
    }
    eprintln!("covered {covered} of 5; mean 90% width / prior width {width:.2}");
    assert!(
        covered >= 4,
        "covered the channel contrast in {covered} of 5"
    );
    assert!(
        width < 0.9,
        "the records barely narrow the contrast: width ratio {width:.2}"
    );
}

#[test]
fn a_joint_calibration_runs_on_both_records_and_reports_honestly() {
    // The shipped joint config, shrunk: both records, per-record parameters, windows, an observed
    // value with its note, the tracked effect and a carried scenario.
    let d = tempfile::tempdir().expect("temp");
    let cfg = super::shrunk_joint_config(d.path());
    let out = d.path().join("out");
    let o = run(&[
        "calibrate",
        "--config",
        cfg.to_str().expect("utf8"),
        "--quiet",
        "--no-charts",
        "--out",
        out.to_str().expect("utf8"),
    ]);
    let (stdout, stderr) = super::texts(&o);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    for f in [
        "first_term_calibrated.toml",
        "second_term_2025_calibrated.toml",
        "baseline_calibrated.toml",
        "effect.csv",
        "predictive.csv",
        "fit.csv",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    assert!(stdout.contains("distinct particles of 30"), "{stdout}");
    assert!(stdout.contains("predictive check:"), "{stdout}");
    assert!(stdout.contains("effect (share_truce"), "{stdout}");
    let fit = std::fs::read_to_string(out.join("fit.csv")).expect("fit");
    assert!(
        fit.contains("second_term_2025,peak_tariff_cn_to_2025-08-31,125,"),
        "{fit}"
    );
    assert!(
        fit.contains("first_term,share_truce_to_2020-02-14,0.48,"),
        "{fit}"
    );
    // Each calibrated file is a valid scenario; the baseline gets only shared constants.
    for f in ["first_term_calibrated.toml", "baseline_calibrated.toml"] {
        let p = out.join(f);
        assert_eq!(
            run(&["validate", p.to_str().expect("utf8")]).status.code(),
            Some(0),
            "{f}"
        );
    }
    let base = std::fs::read_to_string(out.join("baseline_calibrated.toml")).expect("read");
    assert!(
        base.contains("execute_talks = { value = "),
        "shared constants carried"
    );
    // Errors: an unknown record, a record name that is not a file-name component, an observed
    // value without a note.
    let text = std::fs::read_to_string(&cfg).expect("shrunk config");
    let bad = text
        .replacen(
            "record = \"first_term\"\nstatistic = \"share_truce\"",
            "record = \"first_trem\"\nstatistic = \"share_truce\"",
            1,
        )
        .replacen("name = \"second_term_2025\"", "name = \"../x\"", 1)
        .replace(
            "note = \"PIIE published no China average",
            "nope = \"PIIE published no China average",
        );
    std::fs::write(&cfg, bad).expect("write");
    assert_fails_with(
        &run(&["calibrate", "--config", cfg.to_str().expect("utf8")]),
        &[
            "unknown record 'first_trem'",
            "record name '../x' must be letters, digits",
        ],
    );
}
