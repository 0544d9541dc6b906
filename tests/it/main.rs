//! negsim's integration tests: one crate, one module per concern. CLI tests run the built binary
//! on temporary directories as a user would.

mod browser;
mod calibration;
mod charts;
mod cli;
mod crn;
mod determinism;
mod docs;
mod explore;
mod faults;
mod golden;
mod habits;
mod hostile;
mod limits;
mod named_sides;
mod overlays;
mod properties;
mod recipes;
mod robustness;
mod serve;
mod sharding;
mod statistics;
mod uncertainty;
mod validation;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Writes a line to the real stderr, past the test harness's capture (which takes only the
/// print macros), so that a SKIPPED recipe or a sweep's count shows in CI's log even when the
/// test passes.
macro_rules! loud {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}
pub(crate) use loud;

/// The project root (scenario paths in tests are relative to it).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The built `negsim` binary, run from the project root.
pub fn negsim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_negsim"));
    c.current_dir(root());
    c
}

/// The shipped joint calibration config (scenarios/calibration/joint.toml) shrunk to seconds (30
/// particles, 2 generations, 3 replicates, 3 effect draws of 5 runs), its data paths made
/// absolute, written into `dir`; returns its path.
pub fn shrunk_joint_config(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(root().join("scenarios/calibration/joint.toml"))
        .expect("config")
        .replace("particles = 3000", "particles = 30")
        .replace("generations = 15", "generations = 2")
        .replace("replicates = 20", "replicates = 3")
        .replace("draws = 150", "draws = 3")
        .replace("runs = 300", "runs = 5")
        .replace("\"../", &format!("\"{}/scenarios/", root().display()));
    let cfg = dir.join("joint.toml");
    std::fs::write(&cfg, &text).expect("write");
    cfg
}

/// Runs the binary with arguments; returns its output.
pub fn run(args: &[&str]) -> Output {
    negsim()
        .args(args)
        .output()
        .expect("the negsim binary runs")
}

/// Stdout and stderr as text.
pub fn texts(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Asserts a failed run: exit code 1, no panic or backtrace, stderr containing every needle.
pub fn assert_fails_with(o: &Output, needles: &[&str]) {
    let (out, err) = texts(o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "expected exit code 1\nstdout: {out}\nstderr: {err}"
    );
    assert!(
        !err.contains("panicked")
            && !err.contains("RUST_BACKTRACE")
            && !err.contains("stack backtrace"),
        "panic text in stderr: {err}"
    );
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
}

/// Loads a scenario with overlays through the library.
pub fn load(path: &str, overlays: &[&str]) -> negsim::scenario::Loaded {
    let base = root().join(path);
    let ovs: Vec<PathBuf> = overlays.iter().map(|o| root().join(o)).collect();
    let refs: Vec<&Path> = ovs.iter().map(PathBuf::as_path).collect();
    match negsim::scenario::load(&base, &refs) {
        Ok(l) => l,
        Err(e) => panic!("{path} does not load:\n{e}"),
    }
}

/// Files of a directory tree (relative paths), sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("readable dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).expect("inside").to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// Asserts that two output trees hold the same files with the same bytes, manifest.json aside
/// (it records the command line and the wall time); `what` names the two sides in messages.
/// Returns how many files were compared.
pub fn assert_same_files(a: &Path, b: &Path, what: &str) -> usize {
    let fa = files(a);
    assert_eq!(fa, files(b), "the same files ({what})");
    let mut compared = 0;
    for f in &fa {
        if f.file_name().is_some_and(|n| n == "manifest.json") {
            continue;
        }
        let (x, y) = (
            std::fs::read(a.join(f)).expect("read"),
            std::fs::read(b.join(f)).expect("read"),
        );
        assert!(x == y, "{} differs {what}", f.display());
        compared += 1;
    }
    compared
}
