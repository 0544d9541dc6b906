//! The output directory: prepared before any simulation starts (created, checked writable,
//! locked against a concurrent run, refused if it already holds a result unless forced); every
//! file is written under a temporary name and renamed into place only when all are complete.
//! Dropped without `commit`, it removes its temporary files and its lock: an interrupted or
//! failed run leaves the directory as it found it.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

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

/// A prepared output directory.
#[derive(Debug)]
pub struct OutputDir {
    root: PathBuf,
    /// (temporary path, final path) of every file created so far.
    files: Vec<(PathBuf, PathBuf)>,
    lock: Option<PathBuf>,
    created_dirs: Vec<PathBuf>,
}

impl OutputDir {
    /// Prepares `root` with sub-directories `subdirs`. Refuses a directory that already holds a
    /// result (unless `force`) or that another run is writing to.
    pub fn prepare(root: &Path, subdirs: &[String], force: bool) -> Result<OutputDir, OutputError> {
        let shown = root.display();
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
        let lock = root.join(LOCK);
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock)
        {
            Ok(mut f) => {
                let _ = writeln!(f, "{}", std::process::id());
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(OutputError(format!(
                    "another negsim run is writing to '{shown}' (lock file {LOCK}); wait for it, or delete the lock file if no run is active"
                )));
            }
            Err(e) => {
                return Err(OutputError(format!(
                    "cannot write to output directory '{shown}': {}",
                    reason(&e)
                )));
            }
        }
        let mut out = OutputDir {
            root: root.to_path_buf(),
            files: Vec::new(),
            lock: Some(lock),
            created_dirs,
        };
        if !force && root.join(MANIFEST).exists() {
            return Err(OutputError(format!(
                "'{shown}' already holds a negsim result ({MANIFEST}); use --force to overwrite it, or choose another --out"
            )));
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

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates `rel` (relative to the root) under a temporary name; returns a buffered writer.
    pub fn create(&mut self, rel: &str) -> Result<BufWriter<File>, OutputError> {
        let fin = self.root.join(rel);
        let name = fin.file_name().and_then(|n| n.to_str()).unwrap_or("out");
        let tmp = fin.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        let f = File::create(&tmp).map_err(|e| {
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
    pub fn commit(mut self) -> Result<Vec<PathBuf>, OutputError> {
        let files = std::mem::take(&mut self.files);
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
        if let Some(l) = self.lock.take() {
            let _ = fs::remove_file(l);
        }
        self.created_dirs.clear();
        Ok(done)
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
        if let Some(l) = self.lock.take() {
            let _ = fs::remove_file(l);
        }
        // Remove directories this run created, deepest first, if they are empty.
        for d in self.created_dirs.iter().rev() {
            let _ = fs::remove_dir(d);
        }
    }
}
