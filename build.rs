//! Records the git commit negsim is built from (`NEGSIM_GIT_COMMIT`), for every manifest and
//! report: a reporter who cited a number can tell which code produced it. "unknown" when the
//! source is not a git checkout (a crate tarball) or git is absent.

use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=NEGSIM_GIT_COMMIT={commit}");
    // Rebuild when HEAD moves (a commit, a checkout).
    for p in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        if std::path::Path::new(p).exists() {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
