//! Fuzz target: `merge` on mutated shard folders. Any panic is a bug: a damaged or forged shard
//! must end in an error, and nothing may be written for it.
//!
//! The two shards of `fuzz/merge_template/` (written by `scripts/fuzz-merge.sh` with the negsim
//! binary) are copied to a scratch folder, with their build fingerprint set to this binary's and
//! their hashes made right. Input: byte 0 picks a file of shard 2 (bits 0-1: partial.json,
//! manifest.json, runs.csv, events.csv) and whether its new SHA-256 is forged into the manifest
//! (bit 2), as a forger would, so that the checks behind the hash are reached; the rest of the
//! input replaces the file.

#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use negsim::fmt::hex;
use sha2::Digest as _;

const FILES: [&str; 4] = ["partial.json", "manifest.json", "runs.csv", "events.csv"];

/// Sets the SHA-256 of `file` in `dir`'s manifest to that of `bytes`.
fn forge(dir: &Path, file: &str, bytes: &[u8]) {
    let m = dir.join("manifest.json");
    let Ok(text) = std::fs::read_to_string(&m) else {
        return;
    };
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return;
    };
    v["sha256"][file] = serde_json::Value::String(hex(&sha2::Sha256::digest(bytes)));
    let _ = std::fs::write(&m, v.to_string());
}

/// The template shards, with this build's fingerprint and hashes that match.
fn template() -> &'static [Vec<(String, Vec<u8>)>; 2] {
    static T: OnceLock<[Vec<(String, Vec<u8>)>; 2]> = OnceLock::new();
    T.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("merge_template");
        let build = serde_json::to_value(negsim::report::manifest::Build::current()).expect("build");
        [1, 2].map(|k| {
            let dir = root.join(format!("s{k}"));
            let mut files: Vec<(String, Vec<u8>)> = FILES
                .iter()
                .map(|f| (f.to_string(), std::fs::read(dir.join(f)).expect("run scripts/fuzz-merge.sh first")))
                .collect();
            for (name, bytes) in files.iter_mut().filter(|(n, _)| n.ends_with(".json")) {
                let mut v: serde_json::Value = serde_json::from_slice(bytes).expect("json");
                v["build"] = build.clone();
                *bytes = if name == "manifest.json" {
                    serde_json::to_vec_pretty(&v)
                } else {
                    serde_json::to_vec(&v)
                }
                .expect("json");
            }
            let hashes: Vec<(String, String)> = files
                .iter()
                .filter(|(n, _)| n != "manifest.json")
                .map(|(n, b)| (n.clone(), hex(&sha2::Sha256::digest(b))))
                .collect();
            let m = files.iter_mut().find(|(n, _)| n == "manifest.json").expect("manifest");
            let mut v: serde_json::Value = serde_json::from_slice(&m.1).expect("json");
            for (n, h) in hashes {
                v["sha256"][n] = serde_json::Value::String(h);
            }
            m.1 = serde_json::to_vec_pretty(&v).expect("json");
            files
        })
    })
}

fn scratch() -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "negsim-fuzz-merge-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, content)) = data.split_first() else {
        return;
    };
    let dir = scratch();
    let shards = [dir.join("s1"), dir.join("s2")];
    for (d, files) in shards.iter().zip(template()) {
        std::fs::create_dir_all(d).expect("scratch");
        for (name, bytes) in files {
            std::fs::write(d.join(name), bytes).expect("scratch");
        }
    }
    let file = FILES[usize::from(sel & 3)];
    std::fs::write(shards[1].join(file), content).expect("scratch");
    if sel & 4 != 0 {
        forge(&shards[1], file, content);
    }
    let out = dir.join("merged");
    let r = negsim::job::shard::merge_runs(&shards, Some(out.clone()), false, false, Vec::new());
    if r.is_err() {
        assert!(!out.join("manifest.json").exists(), "a refused merge wrote a result");
    }
    let _ = std::fs::remove_dir_all(&dir);
});
