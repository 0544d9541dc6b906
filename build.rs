//! Records what negsim is built from, for every manifest, report and shard:
//! - `NEGSIM_GIT_COMMIT`: the short git commit ("unknown" outside a git checkout or without git),
//!   so that a reporter who cited a number can tell which code produced it;
//! - the build fingerprint that `merge` compares across shards (`report::manifest::Build`): the
//!   full commit, whether the code was changed since (`git status` of the files that make the
//!   binary), a SHA-256 of those files themselves (so that two builds of edited, uncommitted code
//!   still tell apart), the SHA-256 of Cargo.lock and the rustc version. Not a hash of the
//!   executable, which differs between nodes that built in different folders.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// The files whose content makes the binary (besides the dependencies, which Cargo.lock pins).
const SOURCES: [&str; 4] = ["src", "Cargo.toml", "build.rs", "scenarios"];

fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
}

fn files(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
            .map(|r| r.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        entries.sort();
        for e in entries {
            files(&e, out);
        }
    } else if p.is_file() {
        out.push(p.to_path_buf());
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn main() {
    let is_hex = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit());
    let commit = git(&["rev-parse", "HEAD"])
        .map(|s| s.trim().to_string())
        .filter(|s| is_hex(s))
        .unwrap_or_else(|| "unknown".into());
    let short: String = if commit == "unknown" {
        commit.clone()
    } else {
        commit.chars().take(12).collect()
    };
    let mut status = vec!["status", "--porcelain", "--untracked-files=no", "--"];
    status.extend(SOURCES);
    status.push("Cargo.lock");
    let dirty = match git(&status) {
        Some(s) if commit != "unknown" => (!s.trim().is_empty()).to_string(),
        _ => "unknown".into(),
    };
    // The sources, by relative path and content, in a fixed order.
    let mut all = Vec::new();
    for s in SOURCES {
        files(Path::new(s), &mut all);
    }
    let mut h = Sha256::new();
    for f in &all {
        let rel = f.to_string_lossy().replace('\\', "/");
        let bytes = std::fs::read(f).unwrap_or_default();
        h.update((rel.len() as u64).to_le_bytes());
        h.update(rel.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    let source = hex(&h.finalize());
    let lock = std::fs::read("Cargo.lock")
        .map(|b| hex(&Sha256::digest(b)))
        .unwrap_or_else(|_| "unknown".into());
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let rustc_version = Command::new(rustc)
        .arg("-V")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=NEGSIM_GIT_COMMIT={short}");
    println!("cargo:rustc-env=NEGSIM_GIT_COMMIT_FULL={commit}");
    println!("cargo:rustc-env=NEGSIM_GIT_DIRTY={dirty}");
    println!("cargo:rustc-env=NEGSIM_SOURCE_SHA256={source}");
    println!("cargo:rustc-env=NEGSIM_CARGO_LOCK_SHA256={lock}");
    println!("cargo:rustc-env=NEGSIM_RUSTC={rustc_version}");
    // Rebuild when HEAD moves (a commit, a checkout) or a source changes.
    for p in [
        ".git/HEAD",
        ".git/refs/heads",
        ".git/packed-refs",
        ".git/index",
    ] {
        if Path::new(p).exists() {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    for p in SOURCES.iter().chain(&["Cargo.lock"]) {
        println!("cargo:rerun-if-changed={p}");
    }
}
