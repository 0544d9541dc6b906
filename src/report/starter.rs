//! Writes `negsim new`'s starter files into a folder: every file or none. A file that exists is
//! never overwritten (each is created with `create_new`); on any error the files written so far
//! are removed again.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Failure;

/// Writes the starter files of scenario `name` into `dir`; returns the paths written.
pub fn write(dir: &Path, name: &str) -> Result<Vec<PathBuf>, Failure> {
    if !crate::scenario::starter::valid_name(name) {
        return Err(Failure::Input(format!(
            "'{name}' cannot name a scenario: 1 to 64 letters, digits, '_' or '-', starting with a letter (e.g. labour_dispute)"
        )));
    }
    let files = crate::scenario::starter::files(name);
    for (rel, _) in &files {
        let p = dir.join(rel);
        if p.exists() {
            return Err(Failure::Input(format!(
                "'{}' already exists: negsim new never overwrites a file; choose another NAME or --dir",
                p.display()
            )));
        }
    }
    let mut written: Vec<PathBuf> = Vec::new();
    let mut made_dir = None;
    let result = (|| -> std::io::Result<()> {
        let sub = dir.join(name);
        if !sub.exists() {
            std::fs::create_dir_all(&sub)?;
            made_dir = Some(sub);
        }
        for (rel, text) in &files {
            let p = dir.join(rel);
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&p)?;
            written.push(p);
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        for p in &written {
            let _ = std::fs::remove_file(p);
        }
        if let Some(d) = made_dir {
            let _ = std::fs::remove_dir(d);
        }
        return Err(Failure::Input(format!(
            "cannot write the starter files into '{}': {e}",
            dir.display()
        )));
    }
    Ok(written)
}
