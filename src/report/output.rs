//! The output directory: prepared before any simulation starts (created, checked writable,
//! locked against a concurrent run, refused if it already holds a result unless forced); every
//! file is written under a temporary name and renamed into place only when all are complete.
//! Dropped without `commit`, it removes its temporary files and its lock: an interrupted or
//! failed run leaves the directory as it found it.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::lock::{self, Lock, Refused, random_suffix};

/// Name of the lock file held while a run writes into a directory.
pub const LOCK: &str = ".negsim.lock";

/// Name of the file whose presence marks a directory as holding a negsim result.
pub const MANIFEST: &str = "manifest.json";

/// An output error: what, where, why.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OutputError(pub String);

fn reason(e: &io::Error) -> String {
    crate::scenario::io_reason(e)
}

/// Checks a path inside the output directory (`rel`, with `/` between components): every
/// component non-empty, not `.` or `..`, made of letters, digits, `_`, `-`, `+` and `.` only, so
/// that no name taken from an input (scenario, overlay, record, shard) can leave the directory or
/// name a hidden or special file. The one check every writer goes through.
pub fn check_relative(rel: &str) -> Result<(), OutputError> {
    let bad = rel.is_empty()
        || rel.split('/').any(|c| {
            c.is_empty()
                || c == "."
                || c == ".."
                || c.starts_with('.')
                || !c.chars().all(crate::fmt::path_char)
        });
    if bad {
        return Err(OutputError(format!(
            "'{rel}' cannot name a file in the output directory: use letters, digits, '_', '-', '+' and '.', without '..' or a leading '.'"
        )));
    }
    Ok(())
}

/// Parent of every default output folder.
pub const DEFAULT_PARENT: &str = "output";

/// The default output folder of a command, `output/<folder>`, with `folder` (built from input
/// names such as a scenario's `meta.name`) made one safe path component by [`crate::fmt::file_name`]:
/// a name can label the folder but never choose where it goes.
pub fn default_out(folder: &str) -> PathBuf {
    Path::new(DEFAULT_PARENT).join(crate::fmt::file_name(folder))
}

/// Refuses an output root that is the filesystem root, empty, or `-` (which a user may mean as
/// standard output).
fn check_root(root: &Path) -> Result<(), OutputError> {
    if root.as_os_str() == "-" || root.as_os_str().is_empty() || root.parent().is_none() {
        return Err(OutputError(format!(
            "'{}' cannot be an output directory: give a folder of its own with --out",
            root.display()
        )));
    }
    Ok(())
}

/// A prepared output directory.
#[derive(Debug)]
pub struct OutputDir {
    root: PathBuf,
    /// (temporary path, final path) of every file created so far.
    files: Vec<(PathBuf, PathBuf)>,
    lock: Option<Lock>,
    created_dirs: Vec<PathBuf>,
    /// Files of the result this one replaces (`--force`), from its manifest.
    previous: Vec<String>,
}

/// The files a previous result's manifest lists (its `files`), read with a bound; empty if there
/// is no readable manifest.
fn previous_files(root: &Path) -> Vec<String> {
    let Ok(bytes) = crate::scenario::read_bounded(&root.join(MANIFEST), "manifest", 64 << 20)
    else {
        return Vec::new();
    };
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    v.get("files")
        .and_then(|f| f.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Takes the lock of `root` (see `report::lock`); a takeover is warned about on stderr and the
/// dead run's temporary files in `root` and its `subdirs` are removed.
fn take_lock(root: &Path, subdirs: &[String], force: bool) -> Result<Lock, OutputError> {
    let shown = root.display();
    match Lock::take(&root.join(LOCK), force) {
        Ok((l, warning)) => {
            if let Some(w) = warning {
                eprintln!("negsim: warning: {}", crate::fmt::printable(&w));
                // The run whose lock this was left its temporary files: remove them.
                for dir in
                    std::iter::once(root.to_path_buf()).chain(subdirs.iter().map(|s| root.join(s)))
                {
                    remove_leftovers(&dir);
                }
            }
            Ok(l)
        }
        Err(Refused::Held(h)) => Err(OutputError(format!(
            "another negsim run is writing to '{shown}' (lock file {LOCK}, heartbeat {} ago); wait for it. A lock whose run was killed is taken over once its heartbeat is {} s old, or at once with --force",
            h.age.map_or("of unknown age".into(), |a| format!("{a} s")),
            lock::STALE.as_secs()
        ))),
        Err(Refused::Io(e)) => Err(OutputError(format!(
            "cannot write to output directory '{shown}': {}",
            reason(&e)
        ))),
    }
}

/// The temporary name of the file `name` while it is written: hidden, with a random suffix.
fn temp_name(name: &str) -> String {
    format!(".{name}.tmp-{:016x}", random_suffix())
}

/// Whether `name` is a [`temp_name`] (this run's or a dead run's).
fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}

/// Removes a dead run's temporary files (`.NAME.tmp-SUFFIX`) from `dir`; only called with the
/// lock of `dir`'s root held.
fn remove_leftovers(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if is_temp_name(&name) && e.path().is_file() {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Entries of `root` that no negsim run put there (up to four, quoted): anything but the lock, a
/// killed run's temporary files, the sub-directories this run will write, and sub-directories
/// holding a negsim result. A folder with such entries is not overwritten without `--force`.
fn foreign_entries(root: &Path, subdirs: &[String]) -> Vec<String> {
    let Ok(entries) = fs::read_dir(root) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = name == LOCK
            || is_temp_name(&name)
            || (subdirs.contains(&name) && e.path().is_dir())
            || e.path().join(MANIFEST).is_file();
        if !ours {
            out.push(format!("'{}'", crate::fmt::printable(&name)));
        }
        if out.len() == 4 {
            out.push("...".into());
            break;
        }
    }
    out.sort();
    out
}

/// Refuses a directory inside, or holding, one that another live run is writing to (`run --out
/// X/baseline` during `compare --out X` mixed the two results). Locks of this process (the
/// default job writes nested results one after another) and stale locks do not count.
fn nested_runs(root: &Path, subdirs: &[String]) -> Result<(), OutputError> {
    let foreign = |dir: &Path| {
        lock::holder(&dir.join(LOCK))
            .filter(|h| !h.stale() && h.pid != Some(std::process::id()))
            .is_some()
    };
    let abs = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if let Some(up) = abs.ancestors().skip(1).find(|a| foreign(a)) {
        return Err(OutputError(format!(
            "'{}' is inside '{}', which another negsim run is writing to; wait for it, or choose another --out",
            root.display(),
            up.display()
        )));
    }
    if let Some(s) = subdirs.iter().find(|s| foreign(&root.join(s))) {
        return Err(OutputError(format!(
            "'{}' holds '{s}', which another negsim run is writing to; wait for it, or choose another --out",
            root.display()
        )));
    }
    Ok(())
}

impl OutputDir {
    /// Prepares `root` with sub-directories `subdirs`. Refuses a directory that already holds a
    /// result (unless `force`) or that another run is writing to.
    pub fn prepare(root: &Path, subdirs: &[String], force: bool) -> Result<OutputDir, OutputError> {
        let shown = root.display();
        check_root(root)?;
        for s in subdirs {
            check_relative(s)?;
        }
        let mut created_dirs = Vec::new();
        if !root.exists() {
            let mut missing = Vec::new();
            let mut p = root.to_path_buf();
            while !p.as_os_str().is_empty() && !p.exists() {
                missing.push(p.clone());
                if !p.pop() {
                    break;
                }
            }
            fs::create_dir_all(root).map_err(|e| {
                OutputError(format!(
                    "cannot create output directory '{shown}': {}",
                    reason(&e)
                ))
            })?;
            created_dirs.extend(missing.into_iter().rev());
        } else if !root.is_dir() {
            return Err(OutputError(format!(
                "output path '{shown}' exists and is not a directory"
            )));
        }
        let lock = take_lock(root, subdirs, force)?;
        let mut out = OutputDir {
            root: root.to_path_buf(),
            files: Vec::new(),
            lock: Some(lock),
            created_dirs,
            previous: if force {
                previous_files(root)
            } else {
                Vec::new()
            },
        };
        nested_runs(root, subdirs)?;
        if !force {
            if root.join(MANIFEST).exists() {
                return Err(OutputError(format!(
                    "'{shown}' already holds a negsim result ({MANIFEST}); use --force to overwrite it, or choose another --out"
                )));
            }
            let theirs = foreign_entries(root, subdirs);
            if !theirs.is_empty() {
                return Err(OutputError(format!(
                    "'{shown}' is not empty and holds no negsim result ({MANIFEST}): it has {}; use --force to write into it anyway, or choose another --out",
                    theirs.join(", ")
                )));
            }
        }
        for s in subdirs {
            let d = root.join(s);
            if !d.exists() {
                fs::create_dir(&d).map_err(|e| {
                    OutputError(format!("cannot create '{}': {}", d.display(), reason(&e)))
                })?;
                out.created_dirs.push(d.clone());
            }
            if !force && d.join(MANIFEST).exists() {
                return Err(OutputError(format!(
                    "'{}' already holds a negsim result; use --force to overwrite it",
                    d.display()
                )));
            }
        }
        Ok(out)
    }

    /// Creates the sub-directory `rel` (checked by [`check_relative`]) if it is missing; a
    /// directory it creates is removed again if the result is never committed.
    pub fn ensure_dir(&mut self, rel: &str) -> Result<(), OutputError> {
        check_relative(rel)?;
        let d = self.root.join(rel);
        if !d.is_dir() {
            fs::create_dir(&d).map_err(|e| {
                OutputError(format!("cannot create '{}': {}", d.display(), reason(&e)))
            })?;
            self.created_dirs.push(d);
        }
        Ok(())
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates `rel` (relative to the root, checked by [`check_relative`]) under a temporary name
    /// with a random suffix, opened with `create_new` (so a file or symlink planted under that
    /// name is refused, never followed); returns a buffered writer.
    pub fn create(&mut self, rel: &str) -> Result<BufWriter<File>, OutputError> {
        check_relative(rel)?;
        let fin = self.root.join(rel);
        let name = fin.file_name().and_then(|n| n.to_str()).unwrap_or("out");
        let tmp = fin.with_file_name(temp_name(name));
        let f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| {
                OutputError(format!("cannot create '{}': {}", tmp.display(), reason(&e)))
            })?;
        self.files.push((tmp, fin));
        Ok(BufWriter::with_capacity(1 << 16, f))
    }

    /// Writes a whole file from bytes.
    pub fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<(), OutputError> {
        let mut w = self.create(rel)?;
        w.write_all(bytes).map_err(|e| self.write_error(rel, &e))?;
        finish(w).map_err(|e| self.write_error(rel, &e))
    }

    /// An error for a failed write to `rel`.
    pub fn write_error(&self, rel: &str, e: &io::Error) -> OutputError {
        OutputError(format!(
            "cannot write '{}': {}",
            self.root.join(rel).display(),
            reason(e)
        ))
    }

    /// Renames every temporary file into place and releases the lock.
    ///
    /// The manifest marks a complete result, so it goes first out and last in: the previous
    /// manifest is removed before any file is renamed, and the new one is renamed last. At every
    /// moment the folder holds the previous complete result, a folder without a manifest (which
    /// no later run overwrites without `--force`), or the new complete result. Files of the
    /// previous result (listed in its manifest) that the new one does not write are removed
    /// after the new manifest is in place, so `--force` leaves no stale runs.csv or charts.
    pub fn commit(mut self) -> Result<Vec<PathBuf>, OutputError> {
        let mut files = std::mem::take(&mut self.files);
        let manifest = self.root.join(MANIFEST);
        // A stable sort: the manifest last, everything else in creation order.
        files.sort_by_key(|(_, fin)| *fin == manifest);
        if manifest.exists() {
            fs::remove_file(&manifest).map_err(|e| {
                OutputError(format!(
                    "cannot replace '{}': {}",
                    manifest.display(),
                    reason(&e)
                ))
            })?;
        }
        // Still listed, so that a failure part-way removes the temporary files not yet renamed.
        self.files.clone_from(&files);
        let mut done = Vec::with_capacity(files.len());
        for (tmp, fin) in &files {
            fs::rename(tmp, fin).map_err(|e| {
                OutputError(format!(
                    "cannot move '{}' into place: {}",
                    fin.display(),
                    reason(&e)
                ))
            })?;
            done.push(fin.clone());
        }
        self.files.clear();
        self.remove_previous(&done);
        drop(self.lock.take());
        self.created_dirs.clear();
        Ok(done)
    }

    /// Removes the files of the previous result that `written` does not replace, then the
    /// sub-directories that leaves empty. Only names that pass [`check_relative`] are touched, so
    /// an edited manifest cannot make this remove anything outside the folder.
    fn remove_previous(&self, written: &[PathBuf]) {
        let mut dirs = Vec::new();
        for rel in &self.previous {
            let p = self.root.join(rel);
            if check_relative(rel).is_err() || rel == MANIFEST || written.contains(&p) {
                continue;
            }
            if fs::symlink_metadata(&p).is_ok_and(|m| !m.is_dir()) {
                let _ = fs::remove_file(&p);
            }
            let mut d = p.parent().map(Path::to_path_buf);
            while let Some(x) = d.filter(|x| *x != self.root && x.starts_with(&self.root)) {
                d = x.parent().map(Path::to_path_buf);
                dirs.push(x);
            }
        }
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        dirs.dedup();
        for d in dirs {
            // Fails, harmlessly, unless empty.
            let _ = fs::remove_dir(d);
        }
    }
}

/// Flushes a writer and syncs its file to disk, so that a full disk shows up here.
pub fn finish(w: BufWriter<File>) -> io::Result<()> {
    let f = w.into_inner().map_err(|e| e.into_error())?;
    f.sync_all()
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        for (tmp, _) in &self.files {
            let _ = fs::remove_file(tmp);
        }
        drop(self.lock.take());
        // Remove directories this run created, deepest first, if they are empty.
        for d in self.created_dirs.iter().rev() {
            let _ = fs::remove_dir(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_leave_the_directory_are_refused() {
        for ok in [
            "summary.csv",
            "baseline/summary.csv",
            "a+b/runs.csv",
            "first_term_calibrated.toml",
        ] {
            assert!(check_relative(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "../x.csv",
            "a/../../x",
            "/etc/passwd",
            ".hidden",
            "a//b",
            "a\\b",
            "x y.csv",
            "a/./b",
        ] {
            assert!(check_relative(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_root_and_dash_are_not_output_directories_and_temp_names_differ() {
        for root in ["/", "-", ""] {
            assert!(
                OutputDir::prepare(Path::new(root), &[], false).is_err(),
                "{root}"
            );
        }
        assert_ne!(random_suffix(), random_suffix());
    }

    #[test]
    fn force_removes_what_the_old_manifest_lists_and_nothing_outside() {
        let d = std::env::temp_dir().join(format!("negsim-prev-{:x}", random_suffix()));
        let root = d.join("r");
        fs::create_dir_all(root.join("arm")).expect("dirs");
        let victim = d.join("victim");
        fs::write(&victim, "keep").expect("victim");
        fs::write(root.join("a.csv"), "old").expect("old");
        fs::write(root.join("arm/x.csv"), "old").expect("old");
        // An edited manifest that also names a file outside the folder.
        fs::write(
            root.join(MANIFEST),
            r#"{"files": ["a.csv", "arm/x.csv", "../victim", "/etc/hostname", "manifest.json"]}"#,
        )
        .expect("manifest");
        let mut out = OutputDir::prepare(&root, &[], true).expect("prepare");
        // Written first, renamed last.
        out.write(MANIFEST, br#"{"files": ["b.csv", "manifest.json"]}"#)
            .expect("m");
        out.write("b.csv", b"new").expect("b");
        let written = out.commit().expect("commit");
        assert_eq!(written.last(), Some(&root.join(MANIFEST)));
        assert!(!root.join("a.csv").exists() && !root.join("arm").exists());
        assert_eq!(fs::read(root.join("b.csv")).expect("b"), b"new");
        assert_eq!(fs::read(&victim).expect("victim"), b"keep");
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_symlink_planted_at_a_temp_name_is_not_followed() {
        // create_new refuses any existing path, so a planted link cannot redirect a write; the
        // random suffix makes the name unguessable in the first place.
        let d = std::env::temp_dir().join(format!("negsim-out-{:x}", random_suffix()));
        let mut out = OutputDir::prepare(&d, &[], false).expect("prepare");
        out.write("a.csv", b"x\n").expect("write");
        let names: Vec<String> = fs::read_dir(&d)
            .expect("dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        assert!(
            names
                .iter()
                .any(|n| n.starts_with(".a.csv.tmp-") && n.len() == ".a.csv.tmp-".len() + 16)
        );
        out.commit().expect("commit");
        assert_eq!(fs::read(d.join("a.csv")).expect("read"), b"x\n");
        let _ = fs::remove_dir_all(&d);
    }
}
