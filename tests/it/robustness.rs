//! Hostile input and failures: no panic on any input, clear errors for values TOML allows but the
//! model cannot use, refusals with estimates for absurd sizes, and output safety (unwritable
//! directories, existing results, a full disk, Ctrl-C, concurrent runs). Each case checks the exit
//! code, that the message names the problem, that no panic text appears, and that no partial
//! files are left.

use std::path::Path;
use std::process::Command;

use negsim::ensemble::record::ReplicateCollector;
use negsim::model::rng::Sequence;
use negsim::model::{NoEvents, Params, StreamKey, run_replicate};
use negsim::scenario::{Text, load_texts};

use super::{assert_fails_with, files, negsim, root, run, texts};

fn baseline() -> String {
    std::fs::read_to_string(root().join("scenarios/baseline.toml")).expect("baseline")
}

/// Loads a text and, if it loads, simulates a few weeks: the same work as the fuzz target.
fn exercise(base: &str, overlay: Option<&str>) -> Result<(), String> {
    let ovs: Vec<Text> = overlay
        .map(|o| Text {
            path: "o.toml".into(),
            text: o.into(),
        })
        .into_iter()
        .collect();
    match load_texts(
        &Text {
            path: "m.toml".into(),
            text: base.into(),
        },
        &ovs,
    ) {
        Err(e) => {
            let msg = e.to_string();
            if msg.trim().is_empty() {
                return Err("empty error message".into());
            }
            Ok(())
        }
        Ok(l) => {
            let p = Params::compile(&l.scenario, l.scenario.meta.weeks.min(30));
            let mut c = ReplicateCollector::new(&p);
            c.reset(&p, 0);
            let end = run_replicate(
                &p,
                StreamKey {
                    seed: 2,
                    replicate: 0,
                    arm_salt: 0,
                },
                &mut NoEvents,
                |s, o| {
                    c.week(s, o);
                },
            );
            let _ = c.finish(&end);
            Ok(())
        }
    }
}

/// Values that TOML allows and a mutation may drop into a value position.
const NASTY: [&str; 14] = [
    "nan",
    "inf",
    "-inf",
    "-0.0",
    "1e308",
    "-1e308",
    "-1",
    "0",
    "1e-320",
    "\"x\"",
    "[]",
    "{}",
    "2025-02-30",
    "9223372036854775807",
];

fn mutate(text: &str, s: &mut Sequence) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let pick =
        |s: &mut Sequence, n: usize| ((s.uniform() * n as f64) as usize).min(n.saturating_sub(1));
    for _ in 0..1 + pick(s, 4) {
        if lines.is_empty() {
            break;
        }
        let i = pick(s, lines.len());
        match pick(s, 7) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            2 => {
                if let Some(eq) = lines[i].find('=') {
                    let v = NASTY[pick(s, NASTY.len())];
                    lines[i] = format!("{}= {v}", &lines[i][..eq]);
                }
            }
            3 => {
                let j = pick(s, lines.len());
                lines.swap(i, j);
            }
            4 => {
                let l = &lines[i];
                let cut = pick(s, l.len() + 1);
                lines[i] = l.get(..cut).unwrap_or("").to_string();
            }
            5 => lines.insert(
                i,
                [
                    "[[channels]]",
                    "[sides.us]",
                    "[[calendar]]",
                    "[[add.channels]]",
                    "weeks = 100000",
                    "[behaviour.negotiation]",
                    "x = { value = 1 }",
                ][pick(s, 7)]
                .to_string(),
            ),
            _ => {
                let b: Vec<char> = lines[i].chars().collect();
                if !b.is_empty() {
                    let k = pick(s, b.len());
                    let mut c = b.clone();
                    c[k] = ['[', ']', '{', '}', '"', '=', '.', '#', '\\'][pick(s, 9)];
                    lines[i] = c.into_iter().collect();
                }
            }
        }
    }
    lines.join("\n")
}

#[test]
fn thousands_of_mutated_scenarios_never_panic() {
    let base = baseline();
    let overlay = std::fs::read_to_string(
        root().join("scenarios/interventions/restore_kushner_channel.toml"),
    )
    .expect("overlay");
    let mut s = Sequence::new(20_251_023);
    let (mut loaded, mut rejected) = (0, 0);
    for k in 0..3_000 {
        let (b, o) = if k % 3 == 0 {
            (base.clone(), Some(mutate(&overlay, &mut s)))
        } else {
            (mutate(&base, &mut s), None)
        };
        let r = std::panic::catch_unwind(|| exercise(&b, o.as_deref()));
        match r {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("mutant {k}: {e}"),
            Err(_) => {
                let dir = root().join("target/robustness-crash");
                let _ = std::fs::create_dir_all(&dir);
                let _ = std::fs::write(
                    dir.join(format!("mutant-{k}.toml")),
                    format!("{b}\n#%%overlay\n{}", o.unwrap_or_default()),
                );
                panic!("mutant {k} panicked; saved under target/robustness-crash/");
            }
        }
        if load_texts(
            &Text {
                path: "m.toml".into(),
                text: b.clone(),
            },
            &[],
        )
        .is_ok()
        {
            loaded += 1;
        } else {
            rejected += 1;
        }
    }
    // The mutations must exercise both paths for the test to mean anything.
    assert!(
        loaded > 100 && rejected > 100,
        "loaded {loaded}, rejected {rejected}"
    );
}

#[test]
fn crashing_inputs_found_by_fuzzing_stay_fixed() {
    // Every file in tests/regressions/ is an input that once crashed the loader or the model.
    let dir = root().join("tests/regressions");
    for entry in std::fs::read_dir(&dir)
        .expect("tests/regressions")
        .flatten()
    {
        let p = entry.path();
        if p.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&p).expect("read")).into_owned();
        let (b, o) = match text.split_once("\n#%%overlay\n") {
            Some((b, o)) => (b.to_string(), Some(o.to_string())),
            None => (text, None),
        };
        let r = std::panic::catch_unwind(|| exercise(&b, o.as_deref()));
        assert!(matches!(r, Ok(Ok(()))), "{} panics or fails", p.display());
    }
}

fn write_case(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write case");
    p.to_str().expect("utf8").to_string()
}

fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "test setup: {from:?}");
    text.replacen(from, to, 1)
}

#[test]
fn values_toml_allows_but_the_model_cannot() {
    let d = tempfile::tempdir().expect("temp");
    let b = baseline();
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "nan",
            edit(&b, "face_cost = { value = 0.3", "face_cost = { value = nan"),
            vec!["sides.us.face_cost", "not a finite number"],
        ),
        (
            "inf",
            edit(
                &b,
                "close_rate = { value = 1.0",
                "close_rate = { value = inf",
            ),
            vec!["channels.intermediaries.close_rate", "not a finite number"],
        ),
        (
            "huge",
            edit(
                &b,
                "tariff_max = { value = 160.0",
                "tariff_max = { value = 1e308",
            ),
            vec!["sides.us.tariff_max", "out of range", "[0.001, 1000]"],
        ),
        (
            "huge term",
            format!("{b}\n[behaviour.observation]\ndurable_weeks = 1e308\n"),
            vec!["behaviour.observation.durable_weeks", "out of range"],
        ),
        (
            "negative count",
            edit(&b, "weeks = 156", "weeks = -156"),
            vec!["meta.weeks", "-156 is out of range"],
        ),
        (
            "no factions",
            {
                let at = b.find("[[sides.cn.factions]]").expect("cn factions");
                let end = b.find("# --- Negotiators").expect("negotiators");
                format!("{}{}", &b[..at], &b[end..])
            },
            vec!["sides.cn.factions", "at least one faction"],
        ),
        (
            "duplicate faction",
            edit(
                &b,
                "name = \"economic_negotiators\"",
                "name = \"security_nationalist\"",
            ),
            vec!["duplicate faction name 'security_nationalist'"],
        ),
        (
            "after horizon",
            edit(&b, "date = 2025-11-10", "date = 2029-11-10"),
            vec!["calendar.geneva_truce_expiry.date", "after the horizon"],
        ),
        (
            "before start",
            edit(&b, "date = 2025-10-25", "date = 2024-10-25"),
            vec![
                "calendar.kuala_lumpur_round.date",
                "before the scenario start",
            ],
        ),
        (
            "bad date",
            edit(&b, "date = 2025-10-25", "date = \"2025-02-30\""),
            vec!["calendar.kuala_lumpur_round.date", "is not a date"],
        ),
        (
            "datetime",
            edit(&b, "start = 2025-10-23", "start = 2025-10-23T10:00:00Z"),
            vec!["meta.start", "expected a date such as 2025-10-23"],
        ),
    ];
    for (name, text, needles) in cases {
        let f = write_case(d.path(), &format!("{}.toml", name.replace(' ', "_")), &text);
        let o = run(&["validate", &f]);
        assert_fails_with(&o, &needles);
    }
    // -0.0 is accepted and means 0 (outputs never show "-0").
    let f = write_case(
        d.path(),
        "negzero.toml",
        &edit(&b, "face_shield = 0.0", "face_shield = -0.0"),
    );
    assert_eq!(run(&["validate", &f]).status.code(), Some(0));
    // No channels at all is a documented meaning: moves are read through public signals and no
    // round can be held (summits still can).
    let mut no_channels = b.clone();
    while let Some(at) = no_channels.find("[[channels]]") {
        let end = no_channels[at..]
            .find("# ---")
            .map_or(no_channels.len(), |e| at + e);
        no_channels.replace_range(at..end, "");
    }
    let f = write_case(d.path(), "nochannels.toml", &no_channels);
    let out = d.path().join("nc");
    let o = run(&[
        "run",
        &f,
        "--runs",
        "64",
        "--quiet",
        "--no-charts",
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", texts(&o).1);
    let runs = std::fs::read_to_string(out.join("runs.csv")).expect("runs");
    let k = runs
        .lines()
        .next()
        .expect("header")
        .split(',')
        .position(|c| c == "rounds")
        .expect("rounds column");
    assert!(
        runs.lines()
            .skip(1)
            .all(|l| l.split(',').nth(k) == Some("0")),
        "no channel, no round"
    );
}

#[test]
fn absurd_sizes_are_refused_early_with_an_estimate() {
    let o = run(&["run", "scenarios/baseline.toml", "--runs", "0"]);
    assert_fails_with(&o, &["--runs 0", "at least 1"]);
    let o = run(&[
        "run",
        "scenarios/baseline.toml",
        "--runs",
        "1000000000000",
        "--quiet",
    ]);
    assert_fails_with(
        &o,
        &["refusing", "TiB of runs.csv", "--no-runs-csv", "weeks"],
    );
    let o = run(&[
        "run",
        "scenarios/baseline.toml",
        "--runs",
        "1000000000000",
        "--no-runs-csv",
        "--quiet",
    ]);
    assert_fails_with(
        &o,
        &[
            "refusing",
            "it would take about",
            "measured on this scenario",
            "--allow-large",
        ],
    );
    let o = run(&["run", "scenarios/baseline.toml", "--weeks", "1000000000"]);
    assert_fails_with(&o, &["--weeks 1000000000 is out of range", "100000"]);
    let o = run(&[
        "run",
        "scenarios/baseline.toml",
        "--weeks",
        "100000",
        "--runs",
        "100000",
        "--quiet",
    ]);
    assert_fails_with(&o, &["refusing", "memory"]);
    let d = tempfile::tempdir().expect("temp");
    // 100,000 factions.
    let mut text = baseline();
    for i in 0..100_000 {
        text.push_str(&format!(
            "\n[[sides.us.factions]]\nname = \"f{i}\"\nstance = 0.0\nclout = 1.0\n"
        ));
    }
    let f = write_case(d.path(), "many.toml", &text);
    let o = run(&["validate", &f]);
    assert_fails_with(&o, &["MB", "at most 4 MB"]);
    let mut text = baseline();
    for i in 0..2_000 {
        text.push_str(&format!(
            "\n[[sides.us.factions]]\nname = \"f{i}\"\nstance = 0.0\nclout = 1.0\n"
        ));
    }
    let f = write_case(d.path(), "thousands.toml", &text);
    assert_fails_with(
        &run(&["validate", &f]),
        &["2003 factions: a side may have at most 1000"],
    );
    // A 100 MB file is refused before it is read.
    let big = d.path().join("big.toml");
    let fh = std::fs::File::create(&big).expect("create");
    fh.set_len(100 * 1024 * 1024).expect("sparse file");
    assert_fails_with(
        &run(&["validate", big.to_str().expect("utf8")]),
        &["104.9 MB", "at most 4 MB"],
    );
    // Deeply nested tables.
    let deep = format!("x = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let f = write_case(d.path(), "deep.toml", &deep);
    assert_fails_with(
        &run(&["validate", &f]),
        &["deep.toml:1:", "nesting deeper than 32"],
    );
    let deep = format!("x = {}\n", "{ a = ".repeat(50_000));
    let f = write_case(d.path(), "deep2.toml", &deep);
    assert_fails_with(&run(&["validate", &f]), &["nesting deeper than 32"]);
}

#[test]
fn an_unusable_output_path_is_reported_before_any_simulation() {
    let d = tempfile::tempdir().expect("temp");
    let file = d.path().join("a_file");
    std::fs::write(&file, "x").expect("write");
    let out = file.join("sub");
    let o = run(&[
        "run",
        "scenarios/baseline.toml",
        "--runs",
        "100000",
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert_fails_with(&o, &["cannot create output directory", "a_file/sub"]);
    // Reported at once: nothing was simulated (100,000 runs would take seconds).
    assert!(!texts(&o).0.contains("runs x"));
    let o = run(&[
        "run",
        "scenarios/baseline.toml",
        "--out",
        file.to_str().expect("utf8"),
    ]);
    assert_fails_with(&o, &["exists and is not a directory"]);
}

fn has_unshare_and_tmpfs() -> bool {
    Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs \"$d\"",
        ])
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn a_full_disk_gives_a_clear_error_and_leaves_no_partial_files() {
    if !has_unshare_and_tmpfs() {
        eprintln!(
            "SKIPPED: this machine cannot mount a private tmpfs (unshare -rm); see docs/ROBUSTNESS.md"
        );
        return;
    }
    let d = tempfile::tempdir().expect("temp");
    let mnt = d.path().join("tiny");
    std::fs::create_dir(&mnt).expect("mkdir");
    let bin = env!("CARGO_BIN_EXE_negsim");
    let script = format!(
        "mount -t tmpfs -o size=256k tmpfs '{m}' && cd '{r}' && '{bin}' run scenarios/baseline.toml --runs 20000 --quiet --out '{m}/out'; code=$?; echo \"LEFT:$(ls -A '{m}' | tr '\\n' ' ')\"; exit $code",
        m = mnt.display(),
        r = root().display()
    );
    let o = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", &script])
        .output()
        .expect("unshare");
    let (out, err) = texts(&o);
    assert_eq!(o.status.code(), Some(1), "stdout: {out}\nstderr: {err}");
    assert!(
        err.contains("No space left on device") && err.contains("runs.csv"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let left = out
        .lines()
        .find_map(|l| l.strip_prefix("LEFT:"))
        .expect("listing");
    assert_eq!(left.trim(), "", "files left on the full disk: {left}");
}

#[cfg(unix)]
#[test]
fn ctrl_c_sigterm_and_sighup_stop_promptly_remove_temporary_files_and_keep_earlier_results() {
    let d = tempfile::tempdir().expect("temp");
    let out = d.path().join("res");
    let o_s = out.to_str().expect("utf8");
    // An earlier result.
    assert_eq!(
        run(&[
            "run",
            "scenarios/baseline.toml",
            "--runs",
            "64",
            "--out",
            o_s,
            "--quiet"
        ])
        .status
        .code(),
        Some(0)
    );
    let before: Vec<(std::path::PathBuf, Vec<u8>)> = files(&out)
        .into_iter()
        .map(|f| (f.clone(), std::fs::read(out.join(&f)).expect("read")))
        .collect();
    // A long run into the same folder, interrupted by Ctrl-C, by SIGTERM (Kubernetes, Slurm) and
    // by SIGHUP (a closed terminal): each is a clean stop.
    for sig in ["-INT", "-TERM", "-HUP"] {
        let child = negsim()
            .args([
                "run",
                "scenarios/baseline.toml",
                "--runs",
                "3000000",
                "--allow-large",
                "--force",
                "--quiet",
                "--out",
                o_s,
            ])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let t0 = std::time::Instant::now();
        let killed = Command::new("kill")
            .args([sig, &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let output = child.wait_with_output().expect("wait");
        let stopped_in = t0.elapsed();
        assert_eq!(output.status.code(), Some(130), "{sig}");
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(
            err.contains("interrupted") && !err.contains("panicked"),
            "{err}"
        );
        assert!(
            stopped_in.as_secs_f64() < 5.0,
            "took {stopped_in:?} to stop"
        );
        let after: Vec<(std::path::PathBuf, Vec<u8>)> = files(&out)
            .into_iter()
            .map(|f| (f.clone(), std::fs::read(out.join(&f)).expect("read")))
            .collect();
        assert_eq!(
            before, after,
            "{sig}: the earlier result must be untouched and no temporary file left"
        );
    }
}

#[test]
fn two_runs_into_one_directory_do_not_corrupt_each_other() {
    let d = tempfile::tempdir().expect("temp");
    let out = d.path().join("res");
    std::fs::create_dir(&out).expect("mkdir");
    // A run in progress holds the lock.
    std::fs::write(out.join(".negsim.lock"), "12345\n").expect("lock");
    let o = run(&[
        "run",
        "scenarios/baseline.toml",
        "--runs",
        "64",
        "--quiet",
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert_fails_with(&o, &["another negsim run is writing to", ".negsim.lock"]);
    assert_eq!(
        files(&out),
        vec![std::path::PathBuf::from(".negsim.lock")],
        "nothing written"
    );
    std::fs::remove_file(out.join(".negsim.lock")).expect("unlock");
    // Two real runs at once: one wins, the other refuses; the result is complete.
    let o_s = out.to_str().expect("utf8");
    let spawn = |seed: &str| {
        negsim()
            .args([
                "run",
                "scenarios/baseline.toml",
                "--runs",
                "3000",
                "--seed",
                seed,
                "--quiet",
                "--out",
                o_s,
            ])
            .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let ha = s.spawn(|| spawn("1"));
        let hb = s.spawn(|| spawn("2"));
        (
            ha.join().expect("a").expect("run a"),
            hb.join().expect("b").expect("run b"),
        )
    });
    let codes = [a.status.code(), b.status.code()];
    assert!(
        codes.contains(&Some(0)) && codes.contains(&Some(1)),
        "{codes:?}"
    );
    let loser = if a.status.code() == Some(1) { &a } else { &b };
    let err = texts(loser).1;
    assert!(
        err.contains("another negsim run is writing")
            || err.contains("already holds a negsim result"),
        "{err}"
    );
    let runs = std::fs::read_to_string(out.join("runs.csv")).expect("runs");
    assert_eq!(runs.lines().count(), 3001);
    assert!(!out.join(".negsim.lock").exists());
}

#[test]
fn real_data_files_report_row_and_column() {
    use negsim::data::{read_events, read_tariffs};
    let e = read_tariffs(
        "t.csv",
        "date,us_avg_tariff_on_cn_pct,cn_avg_tariff_on_us_pct\n2018-01-01,3.1,8\n2018-02-31,3,8\n",
    )
    .expect_err("bad date");
    assert_eq!(
        e.to_string(),
        "t.csv: row 3, column date: '2018-02-31' is not a date of the form YYYY-MM-DD"
    );
    let e = read_tariffs("t.csv", "day,us\n2018-01-01,3.1\n").expect_err("columns");
    assert!(
        e.to_string()
            .contains("row 1, column date: missing column 'date'"),
        "{e}"
    );
    let e = read_events(
        "e.csv",
        "\u{feff}date,actor,kind,description\r\n2018-01-01,US,truce,x\r\n2018-01-02,EU,truce,y\r\n",
    )
    .expect_err("actor");
    assert!(
        e.to_string()
            .contains("row 3, column actor: unknown actor 'EU'"),
        "{e}"
    );
    let e = read_events(
        "e.csv",
        "date,actor,kind,description\n2018-01-01,US,tarif war,x\n",
    )
    .expect_err("kind");
    assert!(
        e.to_string()
            .contains("row 2, column kind: unknown event kind 'tarif war'"),
        "{e}"
    );
}
