//! `negsim serve`: a what-if explorer in the browser. A thin layer over the library calls of
//! `compare`: the page's settings become the same `Job` a command line would build (`--with`
//! overlays chosen among those given at start, `--set` changes of claim-encoding values), run in
//! memory by `job::whatif::answer`. So the command the page shows gives the same numbers.
//!
//! - **Reads**: only the scenario and overlays named on the command line, at start and through
//!   the job's resolver; a request names overlays by their index and values by a known control
//!   path, never a file.
//! - **Writes**: nothing (an answer stays in memory).
//! - **Checks** (`guard`): loopback only, `Host`, `Origin`/`Sec-Fetch-Site`, the page token, body
//!   size; every value goes through the scenario validator, whose message comes back verbatim.
//! - **Cancels**: a newer answer request stops the running one (its stop flag).

pub mod guard;

use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::ensemble::job::{Job, Runs};
use crate::error::Failure;
use crate::scenario::{self, Files, Resolver, Text};
use guard::{Guard, MAX_BODY};

/// Replicates per arm of a quick answer.
pub const QUICK_RUNS: u64 = 2_000;
/// Most replicates per arm a page may ask for (the "precise" answer).
pub const MAX_RUNS: u64 = 20_000;
/// Most overlays a server takes.
const MAX_OVERLAYS: usize = 32;

/// What `negsim serve` was asked to do.
pub struct Options {
    /// Base scenario path.
    pub base: PathBuf,
    /// Intervention overlays (each a toggle on the page).
    pub overlays: Vec<PathBuf>,
    /// Port (0: any free one).
    pub port: u16,
    /// Seed of every answer.
    pub seed: u64,
    /// Worker threads.
    pub threads: usize,
}

/// Each control's path and the claim it cites (requests may set only these paths; the exported
/// overlay cites the claims).
type Controls = Vec<(String, Option<String>)>;

/// One control of the page: a claim-encoding numeric value.
#[derive(serde::Serialize)]
struct Control {
    path: String,
    value: f64,
    lo: f64,
    hi: f64,
    claim: Option<String>,
    title: Option<String>,
    note: String,
    range_note: String,
}

/// The page's state at start (controls grouped by claim, overlays, calendar), and each control's
/// path with the claim it cites.
fn state(opts: &Options, base: &Text) -> Result<(serde_json::Value, Controls), Failure> {
    let t =
        scenario::template::Template::new(base, &[]).map_err(|e| Failure::Input(e.to_string()))?;
    let reg = t.base.scenario.claims.clone();
    let mut controls = Vec::new();
    for key in crate::explore::space::claim_keys(&t) {
        let Some(rec) = t.numeric_params().find(|p| p.path == key) else {
            continue;
        };
        let (lo, hi, range_note) = match &rec.uncertain {
            Some(u) => {
                let (lo, hi) = u.prior.bounds();
                (lo, hi, u.note.clone())
            }
            None => match crate::explore::space::param_dim(&key, &t, 0.5, 2, "control") {
                Ok(d) => (d.lo, d.hi, "±50% of the written value".into()),
                Err(_) => continue,
            },
        };
        let claim = rec.provenance.as_ref().map(|p| p.source.clone());
        controls.push(Control {
            title: claim
                .as_deref()
                .and_then(|c| reg.title_of(c))
                .map(String::from),
            claim,
            path: key.clone(),
            value: rec.number.unwrap_or(0.0),
            lo,
            hi,
            note: rec
                .provenance
                .as_ref()
                .map(|p| p.note.clone())
                .unwrap_or_default(),
            range_note,
        });
    }
    let overlays: Vec<serde_json::Value> = opts
        .overlays
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let name = p.file_stem().map_or_else(
                || format!("overlay {i}"),
                |s| s.to_string_lossy().into_owned(),
            );
            json!({ "index": i, "name": name })
        })
        .collect();
    let calendar: Vec<serde_json::Value> = t
        .base
        .scenario
        .calendar
        .iter()
        .map(|c| json!({ "date": c.date.to_string(), "note": c.note }))
        .collect();
    let paths = controls
        .iter()
        .map(|c| (c.path.clone(), c.claim.clone()))
        .collect();
    let page = json!({
        "scenario": t.base.scenario.meta.name,
        "description": t.base.scenario.meta.description,
        "registry": reg.title,
        "controls": controls,
        "overlays": overlays,
        "calendar": calendar,
        "quick_runs": QUICK_RUNS,
        "max_runs": MAX_RUNS,
    });
    Ok((page, paths))
}

/// A page request: overlays by index, values by control path, replicates per arm.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Ask {
    #[serde(default)]
    overlays: Vec<usize>,
    #[serde(default)]
    values: std::collections::BTreeMap<String, serde_json::Value>,
    runs: Option<u64>,
}

/// The settings of a request as a job's parts: the overlay paths, the `--set` lines, the runs.
struct Settings {
    overlays: Vec<String>,
    sets: Vec<String>,
    runs: u64,
}

impl Settings {
    /// Every overlay given at start, each one arm, no value moved.
    fn every_overlay(opts: &Options, runs: u64) -> Settings {
        Settings {
            overlays: opts
                .overlays
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            sets: Vec::new(),
            runs,
        }
    }
}

/// Turns a request into settings; every refusal names the field and what was expected.
fn settings(ask: &Ask, opts: &Options, controls: &Controls) -> Result<Settings, String> {
    let mut overlays = Vec::new();
    for &i in &ask.overlays {
        let p = opts.overlays.get(i).ok_or_else(|| {
            format!(
                "overlays: {i} is not an overlay index (0 to {})",
                opts.overlays.len().saturating_sub(1)
            )
        })?;
        overlays.push(p.display().to_string());
    }
    let mut sets = Vec::new();
    for (path, v) in &ask.values {
        if !controls.iter().any(|(c, _)| c == path) {
            return Err(format!(
                "values.{path}: not a control of this page (a claim-encoding value of the scenario)"
            ));
        }
        let x = v
            .as_f64()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("values.{path}: expected a finite number, got {v}"))?;
        sets.push(format!("{path}={x:?}"));
    }
    let runs = ask.runs.unwrap_or(QUICK_RUNS);
    if !(1..=MAX_RUNS).contains(&runs) {
        return Err(format!("runs: {runs}: expected 1 to {MAX_RUNS}"));
    }
    Ok(Settings {
        overlays,
        sets,
        runs,
    })
}

/// The command line that reproduces `s` (shell-quoted where needed).
fn command(opts: &Options, s: &Settings) -> String {
    let q = |x: &str| {
        if x.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-=+:".contains(c))
        {
            x.to_string()
        } else {
            format!("'{}'", x.replace('\'', "'\\''"))
        }
    };
    let mut c = format!("negsim compare {}", q(&opts.base.display().to_string()));
    for o in &s.overlays {
        c.push_str(&format!(" --with {}", q(o)));
    }
    for set in &s.sets {
        c.push_str(&format!(" --set {}", q(set)));
    }
    c.push_str(&format!(" --runs {} --seed {}", s.runs, opts.seed));
    c
}

/// The job of `s`: a `compare` of the base with each chosen overlay as one arm.
fn job<'r>(opts: &Options, s: &Settings, resolver: &'r dyn Resolver) -> Result<Job<'r>, String> {
    Ok(Job {
        command: "compare",
        base: opts.base.display().to_string(),
        resolver,
        arms: s.overlays.iter().map(|o| vec![o.clone()]).collect(),
        single_arm_overlays: Vec::new(),
        seed: opts.seed,
        weeks: None,
        threads: opts.threads,
        out: None,
        out_prefix: "compare-",
        trace: 1,
        progress: false,
        force: false,
        runs_csv: false,
        charts: true,
        runs: Runs::Fixed(s.runs),
        independent: false,
        allow_large: false,
        shard: None,
        worlds: None,
        base_arm: None,
        set: scenario::set_overlay(&s.sets)?,
        command_line: Vec::new(),
    })
}

/// A per-process token a foreign page cannot guess: std's `RandomState` keys SipHash from the
/// operating system's randomness once per process.
fn token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    for i in 0..2u64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

fn respond(req: tiny_http::Request, status: u16, kind: &str, body: Vec<u8>) {
    let header = |k: &str, v: &str| tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()).ok();
    let mut r = tiny_http::Response::from_data(body).with_status_code(status);
    for h in [
        header("Content-Type", kind),
        header("Cache-Control", "no-store"),
        header("X-Content-Type-Options", "nosniff"),
        header("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:"),
    ]
    .into_iter()
    .flatten()
    {
        r.add_header(h);
    }
    // A client that went away is not the server's error.
    let _ = req.respond(r);
}

fn json_response(req: tiny_http::Request, status: u16, v: &serde_json::Value) {
    respond(req, status, "application/json", v.to_string().into_bytes());
}

/// The page, with its token and state written in (`</` escaped inside the script).
fn page(state: &serde_json::Value, token: &str) -> Vec<u8> {
    include_str!("page.html")
        .replace("__NEGSIM_TOKEN__", token)
        .replace("__NEGSIM_STATE__", &state.to_string().replace("</", "<\\/"))
        .into_bytes()
}

/// The body of a request, refused beyond [`MAX_BODY`] bytes whatever it declared.
fn body(req: &mut tiny_http::Request) -> Result<Vec<u8>, guard::Refusal> {
    let mut b = Vec::new();
    let n = req
        .as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut b)
        .map_err(|e| guard::Refusal {
            status: 400,
            reason: format!("cannot read the request body: {e}"),
        })?;
    if n > MAX_BODY {
        return Err(guard::too_large());
    }
    Ok(b)
}

/// Every overlay is checked once at start, with the CLI's messages.
fn check_overlays(opts: &Options) -> Result<(), Failure> {
    let probe = Settings::every_overlay(opts, 1);
    crate::ensemble::job::prepare(&job(opts, &probe, &Files).map_err(Failure::Input)?)?;
    Ok(())
}

/// Serves until `stop`; prints the URL first.
pub fn serve(opts: Options, stop: &AtomicBool) -> Result<(), Failure> {
    if opts.overlays.len() > MAX_OVERLAYS {
        return Err(Failure::Input(format!(
            "{} overlays: at most {MAX_OVERLAYS}",
            opts.overlays.len()
        )));
    }
    let base = Files
        .read(&opts.base.display().to_string(), "scenario")
        .map_err(|e| Failure::Input(e.to_string()))?;
    check_overlays(&opts)?;
    let (st, controls) = state(&opts, &base)?;
    let server = tiny_http::Server::http(("127.0.0.1", opts.port))
        .map_err(|e| Failure::Input(format!("cannot listen on 127.0.0.1:{}: {e}", opts.port)))?;
    let port = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .ok_or_else(|| Failure::Input("the server has no IP address".into()))?;
    let app = App {
        guard: Guard::new(port, token()),
        opts: Arc::new(opts),
        controls: Arc::new(controls),
        state: st,
        current: Mutex::new(Arc::new(AtomicBool::new(false))),
        worlds: Arc::new(Mutex::new(serde_json::Value::Null)),
    };
    precompute_worlds(&app);
    outln!("negsim serve: http://127.0.0.1:{port}/ (Ctrl-C stops it)");
    while !stop.load(Ordering::Relaxed) {
        let req = match server.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => return Err(Failure::Input(format!("the server stopped: {e}"))),
        };
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .map(|h| {
                (
                    h.field.as_str().as_str().to_string(),
                    h.value.as_str().to_string(),
                )
            })
            .collect();
        let header = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.clone())
        };
        let post = *req.method() == tiny_http::Method::Post;
        if let Err(r) = app.guard.check(&header, post, req.body_length()) {
            json_response(req, r.status, &json!({ "error": r.reason }));
            continue;
        }
        route(req, post, &app);
    }
    Ok(())
}

/// What every request of one server shares.
struct App {
    guard: Guard,
    opts: Arc<Options>,
    controls: Arc<Controls>,
    state: serde_json::Value,
    /// The stop flag of the answer running now.
    current: Mutex<Arc<AtomicBool>>,
    /// The answer across plausible worlds of every overlay at the written values, computed once
    /// in the background at start (null until then; `{"none": ...}` without ranges).
    worlds: Arc<Mutex<serde_json::Value>>,
}

/// Starts the answer across plausible worlds of every overlay at the written values (the
/// drivers: which claim an intervention's size depends on most), in the background.
fn precompute_worlds(app: &App) {
    let (opts, slot) = (app.opts.clone(), app.worlds.clone());
    std::thread::spawn(move || {
        let all = Settings::every_overlay(&opts, crate::job::whatif::WORLDS.runs);
        let v = match job(&opts, &all, &Files)
            .map_err(Failure::Input)
            .and_then(|j| crate::job::whatif::worlds(&j, &AtomicBool::new(false)))
        {
            Ok(Some(v)) => v,
            Ok(None) => {
                json!({ "none": "no value of the scenario declares a range: the answers cover simulation noise only" })
            }
            Err(Failure::Input(e)) => json!({ "none": e }),
            Err(Failure::Interrupted) => json!({ "none": "interrupted" }),
        };
        if let Ok(mut w) = slot.lock() {
            *w = v;
        }
    });
}

/// The settings a POST asks for, or the refusal to send.
fn asked(req: &mut tiny_http::Request, app: &App) -> Result<Settings, guard::Refusal> {
    let b = body(req)?;
    let ask: Ask = serde_json::from_slice(&b).map_err(|e| guard::Refusal {
        status: 422,
        reason: format!("the request is not a settings object: {e}"),
    })?;
    settings(&ask, &app.opts, &app.controls).map_err(|reason| guard::Refusal {
        status: 422,
        reason,
    })
}

/// Answers one request that passed the guard.
fn route(mut req: tiny_http::Request, post: bool, app: &App) {
    let url = req.url().to_string();
    let s = if post {
        match asked(&mut req, app) {
            Ok(s) => Some(s),
            Err(r) => return json_response(req, r.status, &json!({ "error": r.reason })),
        }
    } else {
        None
    };
    match (s, url.as_str()) {
        (None, "/") => {
            let b = page(&app.state, app.guard.token());
            respond(req, 200, "text/html; charset=utf-8", b);
        }
        (None, "/api/state") => json_response(req, 200, &app.state),
        (None, "/api/worlds") => {
            let v = app
                .worlds
                .lock()
                .map_or(serde_json::Value::Null, |w| w.clone());
            json_response(req, 200, &v)
        }
        (Some(s), "/api/answer") => {
            // A newer request cancels the running one.
            let mine = Arc::new(AtomicBool::new(false));
            if let Ok(mut c) = app.current.lock() {
                c.store(true, Ordering::Relaxed);
                *c = mine.clone();
            }
            let opts = app.opts.clone();
            std::thread::spawn(move || answer_request(req, &opts, &s, &mine));
        }
        (Some(s), "/api/export") => {
            let (opts, controls) = (app.opts.clone(), app.controls.clone());
            std::thread::spawn(move || match export(&opts, &s, &controls) {
                Ok(v) => json_response(req, 200, &v),
                Err(Failure::Input(e)) => json_response(req, 422, &json!({ "error": e })),
                Err(Failure::Interrupted) => {
                    json_response(req, 409, &json!({ "error": "interrupted" }))
                }
            });
        }
        _ => json_response(
            req,
            404,
            &json!({ "error": format!("no such page: {url}") }),
        ),
    }
}

/// Writes the export of `s` into `output/explorer-<8 hex digits of its command>/`:
/// `compare/`, the comparison exactly as the command writes it (CSVs, charts, report, and its
/// manifest with the command line), and `settings/` with the command (`command.txt`) and the
/// settings as an overlay whose changes say "set in the explorer" (`overlay.toml`). Each folder
/// goes in whole through the one output writer; the same settings give the same bytes.
fn export(opts: &Options, s: &Settings, claims: &Controls) -> Result<serde_json::Value, Failure> {
    let cmd = command(opts, s);
    let dir = PathBuf::from("output").join(format!("explorer-{}", crate::job::short_hash(&cmd)));
    let mut j = job(opts, s, &Files).map_err(Failure::Input)?;
    j.out = Some(dir.join("compare"));
    j.force = true;
    j.runs_csv = true;
    j.trace = crate::ensemble::job::DEFAULT_TRACE;
    j.command_line = cmd.split(' ').map(String::from).collect();
    let compare = crate::job::run::execute(&j, &AtomicBool::new(false))?;
    let provenance = |key: &str, value: &str| {
        let claim = claims
            .iter()
            .find(|(p, _)| p == key)
            .and_then(|(_, c)| c.clone())
            .unwrap_or_else(|| "assumption".into());
        (claim, format!("set in the explorer: {key} = {value}"))
    };
    let overlay = scenario::set_overlay_as(
        &s.sets,
        &provenance,
        "explorer",
        "values set in the explorer (negsim serve)",
    )
    .map_err(Failure::Input)?
    .map_or_else(
        || "# no value was changed in the explorer\n[overlay]\nname = \"explorer\"\n".to_string(),
        |t| t.text,
    );
    let settings = dir.join("settings");
    let err = |e: crate::report::output::OutputError| Failure::Input(e.to_string());
    let mut out = crate::report::output::OutputDir::prepare(&settings, &[], true).map_err(err)?;
    out.write("command.txt", format!("{cmd}\n").as_bytes())
        .map_err(err)?;
    out.write("overlay.toml", overlay.as_bytes()).map_err(err)?;
    out.commit().map_err(err)?;
    Ok(json!({
        "command": cmd,
        "compare": compare.display().to_string(),
        "settings": settings.display().to_string(),
    }))
}

/// Runs one answer and sends it (or the validator's message, or that it was superseded).
fn answer_request(req: tiny_http::Request, opts: &Options, s: &Settings, stop: &AtomicBool) {
    let t0 = Instant::now();
    let j = match job(opts, s, &Files) {
        Ok(j) => j,
        Err(e) => return json_response(req, 422, &json!({ "error": e })),
    };
    match crate::job::whatif::answer(&j, stop) {
        Ok(a) => {
            let mut v = a.json;
            v["command"] = json!(command(opts, s));
            v["seconds"] = json!(t0.elapsed().as_secs_f64());
            v["charts"] = json!(
                a.svgs
                    .iter()
                    .map(|(f, svg)| json!({ "file": f, "svg": String::from_utf8_lossy(svg) }))
                    .collect::<Vec<_>>()
            );
            json_response(req, 200, &v);
        }
        Err(Failure::Interrupted) => json_response(
            req,
            409,
            &json!({ "error": "superseded by a newer request" }),
        ),
        Err(Failure::Input(e)) => json_response(req, 422, &json!({ "error": e })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Options {
        Options {
            base: PathBuf::from("scenarios/baseline.toml"),
            overlays: vec![PathBuf::from(
                "scenarios/interventions/restore_kushner_channel.toml",
            )],
            port: 0,
            seed: 7,
            threads: 1,
        }
    }

    #[test]
    fn a_request_becomes_the_command_that_reproduces_it() {
        let controls: Controls = vec![("sides.us.trust".to_string(), Some("P1".to_string()))];
        let ask: Ask =
            serde_json::from_str(r#"{"overlays":[0],"values":{"sides.us.trust":0.25},"runs":500}"#)
                .expect("json");
        let s = settings(&ask, &opts(), &controls).expect("settings");
        assert_eq!(
            command(&opts(), &s),
            "negsim compare scenarios/baseline.toml --with scenarios/interventions/restore_kushner_channel.toml --set sides.us.trust=0.25 --runs 500 --seed 7"
        );
        for (bad, says) in [
            (r#"{"overlays":[3]}"#, "overlays: 3"),
            (r#"{"values":{"meta.claims":1}}"#, "not a control"),
            (
                r#"{"values":{"sides.us.trust":"../../etc/passwd"}}"#,
                "expected a finite number",
            ),
            (r#"{"runs":1000000}"#, "runs: 1000000"),
        ] {
            let ask: Ask = serde_json::from_str(bad).expect("json");
            let e = settings(&ask, &opts(), &controls).err().expect("refused");
            assert!(e.contains(says), "{bad}: {e}");
        }
        assert!(serde_json::from_str::<Ask>(r#"{"path":"/etc"}"#).is_err());
    }
}
