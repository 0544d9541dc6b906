//! Common random numbers: a no-op overlay yields exactly zero paired differences; mechanisms move
//! the quantities they act on in paired replicates. No test encodes which intervention should win.

use std::sync::atomic::AtomicBool;

use negsim::ensemble::record::metric_index;
use negsim::ensemble::summary::metric_difference;
use negsim::ensemble::{self, Aggregate, Arm, NullSink, Plan, RunStats, Sink};
use negsim::model::{Event, Params};
use negsim::scenario::{Text, load_texts};

use super::root;

fn arm(name: &str, overlay: Option<&str>, weeks: u32) -> Arm {
    let base = Text {
        path: root().join("scenarios/baseline.toml").display().to_string(),
        text: std::fs::read_to_string(root().join("scenarios/baseline.toml")).expect("baseline"),
    };
    let ovs: Vec<Text> = overlay
        .map(|t| Text {
            path: format!("{name}.toml"),
            text: t.into(),
        })
        .into_iter()
        .collect();
    let l = load_texts(&base, &ovs).unwrap_or_else(|e| panic!("{e}"));
    Arm {
        name: name.into(),
        description: String::new(),
        params: Params::compile(&l.scenario, weeks),
    }
}

#[derive(Default)]
struct Rows(Vec<Vec<RunStats>>);

impl Sink for Rows {
    fn row(&mut self, arm: usize, stats: &RunStats) -> std::io::Result<()> {
        if self.0.len() <= arm {
            self.0.resize(arm + 1, Vec::new());
        }
        self.0[arm].push(stats.clone());
        Ok(())
    }
    fn traced(
        &mut self,
        _: usize,
        _: u64,
        _: &[Event],
        _: &[negsim::ensemble::WeekPoint],
    ) -> std::io::Result<()> {
        Ok(())
    }
}

fn run_arms(arms: &[Arm], runs: u64, sink: &mut dyn Sink) -> Aggregate {
    let params: Vec<&Params> = arms.iter().map(|a| &a.params).collect();
    let mut agg = Aggregate::new(&params);
    let plan = Plan {
        seed: 7,
        threads: 2,
        trace: 0,
        independent: false,
    };
    ensemble::run(
        arms,
        &plan,
        0..runs,
        &mut agg,
        sink,
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .expect("runs");
    agg
}

#[test]
fn an_overlay_that_changes_nothing_gives_zero_differences_everywhere() {
    let noop = "[overlay]\nname = \"noop\"\n[sides.us]\ncoordination = { value = 0.35, source = \"P7\", note = \"same as the base\" }\n";
    let arms = [arm("base", None, 156), arm("noop", Some(noop), 156)];
    let mut rows = Rows::default();
    let agg = run_arms(&arms, 500, &mut rows);
    assert_eq!(rows.0[0].len(), 500);
    assert_eq!(
        rows.0[0], rows.0[1],
        "every replicate and metric must coincide"
    );
    for (k, d) in agg.paired[0].diffs.iter().enumerate() {
        assert_eq!((d.mean(), d.variance()), (0.0, 0.0), "metric {k}");
        assert!(d.n > 0, "metric {k} was never compared");
    }
    // Kaplan–Meier differences too.
    let (rmst, median) = negsim::ensemble::summary::km_difference(
        &agg,
        1,
        negsim::ensemble::summary::Durations::TruceStrict,
    );
    assert_eq!(rmst.value, Some(0.0));
    assert_eq!(median.value, Some(0.0));
}

#[test]
fn a_clearer_channel_means_fewer_misreadings_and_perceived_violations() {
    // Mechanism check: lower misreading rates on the official channel (all else equal).
    let clear = "[overlay]\nname = \"clear\"\n[[channels]]\nname = \"official\"\nmisread_conciliation = { value = 0.01, source = \"P1\" }\nmisread_hostility = { value = 0.005, source = \"P1\" }\n";
    let arms = [arm("base", None, 156), arm("clear", Some(clear), 156)];
    let agg = run_arms(&arms, 2000, &mut NullSink);
    for name in ["misperceptions", "perceived_violations"] {
        let k = metric_index(name).expect("metric");
        let d = metric_difference(&agg, 1, k).est;
        assert!(
            d.hi.expect("interval") < 0.0,
            "{name}: paired difference {d:?} should be below zero"
        );
    }
}

#[test]
fn shocks_arrive_identically_in_every_arm() {
    // Shock arrivals draw from their own streams a fixed number of times per week, whatever the
    // state: replicate i of any arm (here one with an extra channel and one with a different US
    // coordination) sees the same shocks in the same weeks over the whole horizon.
    let add = "[overlay]\nname = \"extra\"\n[[add.channels]]\nname = \"extra\"\nkind = \"intermediary\"\nsource = \"P5\"\nmisread_conciliation = 0.5\nmisread_hostility = 0.5\nauthority = 0.9\n[sides.us]\ncoordination = { value = 0.9, source = \"P7\" }\n";
    let arms = [arm("base", None, 156), arm("extra", Some(add), 156)];
    use negsim::model::{EventKind, StreamKey, run_replicate};
    let shock = |e: &Event| {
        matches!(
            e.kind,
            EventKind::SecurityIncident
                | EventKind::Purge
                | EventKind::MarketPain
                | EventKind::Insult
        )
    };
    let mut differing_outcomes = 0;
    for rep in 0..50 {
        let key = StreamKey {
            seed: 3,
            replicate: rep,
            arm_salt: 0,
        };
        let logs: Vec<Vec<Event>> = arms
            .iter()
            .map(|a| {
                let mut log: Vec<Event> = Vec::new();
                run_replicate(&a.params, key, &mut log, |_, _| {});
                log
            })
            .collect();
        let shocks: Vec<Vec<&Event>> = logs
            .iter()
            .map(|l| l.iter().filter(|e| shock(e)).collect())
            .collect();
        assert_eq!(shocks[0], shocks[1], "replicate {rep}");
        assert!(
            !shocks[0].is_empty(),
            "replicate {rep} has no shocks: the test would prove nothing"
        );
        differing_outcomes += usize::from(logs[0] != logs[1]);
    }
    assert!(
        differing_outcomes > 0,
        "the arms should differ in what follows the shocks"
    );
}
