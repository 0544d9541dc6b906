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

/// The fault hook: a test-only way to make the Nth operation of the output directory fail.
///
/// Every operation an [`OutputDir`] performs on the file system (mkdir, create, write, fsync,
/// link, rename, remove) is counted. With `NEGSIM_FAULT_AT=N` in the environment, the Nth one
/// fails with an injected I/O error; `NEGSIM_FAULT_AT=0` only counts. The count is printed on
/// stderr at exit whenever the variable is set, so that a test can count a clean run's
/// operations and then try every one (tests/it/faults.rs). Without the variable it costs one
/// relaxed atomic add per operation.
pub mod fault {
    use std::io;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};

    static OPS: AtomicU64 = AtomicU64::new(0);

    /// The environment variable that sets the operation to fail.
    pub const VAR: &str = "NEGSIM_FAULT_AT";

    fn target() -> Option<u64> {
        static AT: OnceLock<Option<u64>> = OnceLock::new();
        *AT.get_or_init(|| std::env::var(VAR).ok().and_then(|v| v.trim().parse().ok()))
    }

    /// Whether the hook is armed (the variable is set), so that the count is worth reporting.
    pub fn armed() -> bool {
        target().is_some()
    }

    /// Operations counted so far.
    pub fn operations() -> u64 {
        OPS.load(Ordering::Relaxed)
    }

    /// Counts one operation of `kind`; fails it if it is the one the hook targets.
    pub(crate) fn op(kind: &str) -> io::Result<()> {
        let n = OPS.fetch_add(1, Ordering::Relaxed) + 1;
        if target() == Some(n) {
            return Err(io::Error::other(format!(
                "injected fault at output operation {n} ({kind})"
            )));
        }
        Ok(())
    }
}

use fault::op;

/// A file being written into the output directory: its writes and its sync go through the
/// [`fault`] hook.
#[derive(Debug)]
pub struct OutFile(File);

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        op("write")?;
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// A buffered writer to a file of the output directory.
pub type Sink = BufWriter<OutFile>;

/// Name of the marker file inside a stage: a sibling directory that still holds it was never
/// swapped in, so it is removed; one without it holds a replaced result (see [`recover`]).
const STAGE_MARK: &str = ".negsim-stage";

/// Where the files of a result go until it is committed.
#[derive(Debug)]
enum Staging {
    /// A fresh sibling of the root (`.NAME.negsim-<random>`), swapped in with one rename.
    Beside {
        stage: PathBuf,
        /// The root, absolute (the swap renames it).
        abs: PathBuf,
        /// Set once the swap has happened: the stage path then holds the replaced result.
        swapped: bool,
    },
    /// Temporary names inside the root, renamed one by one (manifest out first, in last): for a
    /// root that cannot be renamed (a mount point, the working directory or a folder above it)
    /// or whose parent cannot be written.
    InPlace,
}

/// A prepared output directory.
#[derive(Debug)]
pub struct OutputDir {
    root: PathBuf,
    staging: Staging,
    /// (where the file is written, its final path) of every file created so far.
    files: Vec<(PathBuf, PathBuf)>,
    lock: Option<Lock>,
    created_dirs: Vec<PathBuf>,
    /// Files of the result this one replaces in place (`--force`), from its manifest.
    previous: Vec<String>,
}

/// The files a result's manifest lists (its `files`), read with a bound; empty if there is no
/// readable manifest.
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
            || is_stage_name(&name)
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

/// The name pattern of a root's stages: `.NAME.negsim-` followed by 16 hex digits.
fn stage_prefix(abs: &Path) -> Option<String> {
    let name = abs.file_name()?.to_str()?;
    Some(format!(".{name}.negsim-"))
}

/// Whether `h` is a stage's random part: 16 hex digits.
fn is_stage_suffix(h: &str) -> bool {
    h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_stage_of(prefix: &str, entry: &str) -> bool {
    entry.strip_prefix(prefix).is_some_and(is_stage_suffix)
}

/// Whether `name` is a stage of some root (a nested result's leftover inside this root).
fn is_stage_name(name: &str) -> bool {
    name.starts_with('.')
        && name
            .rsplit_once(".negsim-")
            .is_some_and(|(_, h)| is_stage_suffix(h))
}

/// Whether `abs` is a mount point (its device differs from its parent's, or
/// `/proc/self/mountinfo` lists it): a mount point cannot be renamed, so its result is
/// committed in place.
fn is_mount_point(abs: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    let dev = |p: &Path| fs::metadata(p).map(|m| m.dev()).ok();
    if abs.parent().is_none_or(|p| dev(p) != dev(abs)) {
        return true;
    }
    let Ok(info) =
        crate::scenario::read_bounded(Path::new("/proc/self/mountinfo"), "mount table", 16 << 20)
    else {
        return false;
    };
    let target = abs.to_string_lossy();
    String::from_utf8_lossy(&info).lines().any(|l| {
        // Field 5 is the mount point, with space, tab, newline and backslash octal-escaped.
        l.split(' ').nth(4).is_some_and(|m| {
            m.replace("\\040", " ")
                .replace("\\011", "\t")
                .replace("\\012", "\n")
                .replace("\\134", "\\")
                == target
        })
    })
}

/// Top-level entries of a result folder that its manifest lists (a file, or a folder holding
/// a listed file).
fn listed_entries(dir: &Path) -> Vec<String> {
    let mut top: Vec<String> = previous_files(dir)
        .iter()
        .filter_map(|f| f.split('/').next().map(str::to_string))
        .collect();
    top.sort();
    top.dedup();
    top
}

/// Moves into `root` the entries of `old` (a replaced root) that were not part of its result:
/// results of other runs nested in it, and files that were there before (`--force` into a
/// folder that held them). Entries `root` already has are left. Returns the first failure.
fn keep_entries(old: &Path, root: &Path) -> io::Result<()> {
    let listed = listed_entries(old);
    let mut first = Ok(());
    for e in fs::read_dir(old)?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = name == LOCK
            || name == MANIFEST
            || name == STAGE_MARK
            || is_temp_name(&name)
            || listed.contains(&name);
        if ours || fs::symlink_metadata(root.join(&name)).is_ok() {
            continue;
        }
        let moved = op("rename").and_then(|()| fs::rename(e.path(), root.join(&name)));
        if first.is_ok() {
            first = moved;
        }
    }
    first
}

/// Finishes the commits of runs that were killed beside `abs` (only called with `abs`'s lock
/// held): a stage that still holds its marker was never swapped in and is removed; one without
/// it holds a replaced result, whose other entries ([`keep_entries`]) go back into the root
/// before it is removed.
fn recover(abs: &Path) {
    let (Some(parent), Some(prefix)) = (abs.parent(), stage_prefix(abs)) else {
        return;
    };
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let dir = e.path();
        if !is_stage_of(&prefix, &name) || !fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        let what = if dir.join(STAGE_MARK).exists() {
            "an unfinished result of a run that was stopped"
        } else {
            let _ = keep_entries(&dir, abs);
            "a replaced result that a stopped run did not finish removing"
        };
        eprintln!(
            "negsim: warning: removing {what}: '{}'",
            crate::fmt::printable(&dir.display().to_string())
        );
        let _ = op("remove").and_then(|()| fs::remove_dir_all(&dir));
    }
}

/// Swaps `stage` and `abs` with one rename (`renameat2(RENAME_EXCHANGE)`), or, on a file
/// system without it, renames `abs` aside and `stage` into its place (for an instant there is
/// no folder at all, never a mixed one). Returns where the replaced root now is.
fn swap(stage: &Path, abs: &Path) -> io::Result<PathBuf> {
    op("rename")?;
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt as _;
        let c = |p: &Path| {
            std::ffi::CString::new(p.as_os_str().as_bytes())
                .map_err(|_| io::Error::other("a path holds a NUL byte"))
        };
        let (from, to) = (c(stage)?, c(abs)?);
        // SAFETY: both are valid NUL-terminated paths that outlive the call.
        let r = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if r == 0 {
            return Ok(stage.to_path_buf());
        }
        let e = io::Error::last_os_error();
        if !matches!(
            e.raw_os_error(),
            Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
        ) {
            return Err(e);
        }
    }
    let aside = stage.with_file_name(format!(
        "{}{:016x}",
        stage_prefix(abs).unwrap_or_default(),
        random_suffix()
    ));
    fs::rename(abs, &aside)?;
    if let Err(e) = op("rename").and_then(|()| fs::rename(stage, abs)) {
        let _ = fs::rename(&aside, abs);
        return Err(e);
    }
    Ok(aside)
}

/// Creates the directory `d` through the fault hook.
fn mkdir(d: &Path) -> Result<(), OutputError> {
    op("mkdir")
        .and_then(|()| fs::create_dir(d))
        .map_err(|e| OutputError(format!("cannot create '{}': {}", d.display(), reason(&e))))
}

/// Creates `root` and its missing ancestors; returns those it created, outermost first.
fn create_missing(root: &Path) -> Result<Vec<PathBuf>, OutputError> {
    let shown = root.display();
    let mut created = Vec::new();
    if !root.exists() {
        let mut missing = Vec::new();
        let mut p = root.to_path_buf();
        while !p.as_os_str().is_empty() && !p.exists() {
            missing.push(p.clone());
            if !p.pop() {
                break;
            }
        }
        for d in missing.iter().rev() {
            op("mkdir").and_then(|()| fs::create_dir(d)).map_err(|e| {
                OutputError(format!(
                    "cannot create output directory '{shown}': {}",
                    reason(&e)
                ))
            })?;
            created.push(d.clone());
        }
    } else if !root.is_dir() {
        return Err(OutputError(format!(
            "output path '{shown}' exists and is not a directory"
        )));
    }
    Ok(created)
}

/// Without `--force`: refuses a root (or a sub-directory) that holds a result, and a non-empty
/// root that holds someone else's files.
fn refuse_existing(root: &Path, subdirs: &[String]) -> Result<(), OutputError> {
    let shown = root.display();
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
    if let Some(s) = subdirs
        .iter()
        .find(|s| root.join(s).join(MANIFEST).exists())
    {
        return Err(OutputError(format!(
            "'{}' already holds a negsim result; use --force to overwrite it",
            root.join(s).display()
        )));
    }
    Ok(())
}

/// A fresh stage beside `abs`, holding its marker; None when the result must be committed in
/// place: `abs` is a mount point, the working directory is in it (renaming it away would leave
/// the user's shell in a removed folder), or its parent cannot be written.
fn stage_beside(abs: &Path) -> Result<Option<PathBuf>, OutputError> {
    let cwd_inside = std::env::current_dir()
        .ok()
        .and_then(|c| fs::canonicalize(c).ok())
        .is_some_and(|c| c.starts_with(abs));
    let (Some(parent), Some(prefix)) = (abs.parent(), stage_prefix(abs)) else {
        return Ok(None);
    };
    if cwd_inside || is_mount_point(abs) {
        return Ok(None);
    }
    let stage = parent.join(format!("{prefix}{:016x}", random_suffix()));
    op("mkdir").map_err(|e| {
        OutputError(format!(
            "cannot create '{}': {}",
            stage.display(),
            reason(&e)
        ))
    })?;
    match fs::create_dir(&stage) {
        Ok(()) => {}
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            return Ok(None);
        }
        Err(e) => {
            return Err(OutputError(format!(
                "cannot create '{}': {}",
                stage.display(),
                reason(&e)
            )));
        }
    }
    let marked = op("create").and_then(|()| {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(stage.join(STAGE_MARK))
            .map(drop)
    });
    if let Err(e) = marked {
        let _ = fs::remove_dir_all(&stage);
        return Err(OutputError(format!(
            "cannot create '{}': {}",
            stage.display(),
            reason(&e)
        )));
    }
    Ok(Some(stage))
}

impl OutputDir {
    /// Prepares `root` with sub-directories `subdirs`. Refuses a directory that already holds a
    /// result (unless `force`) or that another run is writing to. The result is written into a
    /// fresh sibling directory and swapped in whole by [`OutputDir::commit`].
    pub fn prepare(root: &Path, subdirs: &[String], force: bool) -> Result<OutputDir, OutputError> {
        Self::prepare_with(root, subdirs, force, true)
    }

    /// [`OutputDir::prepare`], staging beside the root only if `beside` (tests of the in-place
    /// commit turn it off).
    fn prepare_with(
        root: &Path,
        subdirs: &[String],
        force: bool,
        beside: bool,
    ) -> Result<OutputDir, OutputError> {
        let shown = root.display();
        check_root(root)?;
        for s in subdirs {
            check_relative(s)?;
        }
        let created_dirs = create_missing(root)?;
        let lock = take_lock(root, subdirs, force)?;
        let mut out = OutputDir {
            root: root.to_path_buf(),
            staging: Staging::InPlace,
            files: Vec::new(),
            lock: Some(lock),
            created_dirs,
            previous: Vec::new(),
        };
        nested_runs(root, subdirs)?;
        if !force {
            refuse_existing(root, subdirs)?;
        }
        let abs = fs::canonicalize(root).map_err(|e| {
            OutputError(format!(
                "cannot write to output directory '{shown}': {}",
                reason(&e)
            ))
        })?;
        recover(&abs);
        let stage = if beside { stage_beside(&abs)? } else { None };
        match stage {
            Some(stage) => {
                out.staging = Staging::Beside {
                    stage,
                    abs,
                    swapped: false,
                };
            }
            None if force => out.previous = previous_files(root),
            None => {}
        }
        for s in subdirs {
            out.ensure_dir(s)?;
        }
        Ok(out)
    }

    /// Where `rel` is written until the commit.
    fn staged(&self, rel: &str) -> PathBuf {
        match &self.staging {
            Staging::Beside { stage, .. } => stage.join(rel),
            Staging::InPlace => self.root.join(rel),
        }
    }

    /// Creates the sub-directory `rel` (checked by [`check_relative`]) if it is missing; a
    /// directory it creates is removed again if the result is never committed.
    pub fn ensure_dir(&mut self, rel: &str) -> Result<(), OutputError> {
        check_relative(rel)?;
        let d = self.staged(rel);
        if !d.is_dir() {
            mkdir(&d)?;
            if matches!(self.staging, Staging::InPlace) {
                self.created_dirs.push(d);
            }
        }
        Ok(())
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates `rel` (relative to the root, checked by [`check_relative`]) in the stage, or in
    /// place under a temporary name with a random suffix; opened with `create_new`, so a file or
    /// symlink planted under that name is refused, never followed. Returns a buffered writer.
    pub fn create(&mut self, rel: &str) -> Result<Sink, OutputError> {
        check_relative(rel)?;
        let fin = self.root.join(rel);
        let at = match &self.staging {
            Staging::Beside { .. } => self.staged(rel),
            Staging::InPlace => {
                let name = fin.file_name().and_then(|n| n.to_str()).unwrap_or("out");
                fin.with_file_name(temp_name(name))
            }
        };
        let f = op("create")
            .and_then(|()| {
                fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&at)
            })
            .map_err(|e| {
                OutputError(format!("cannot create '{}': {}", at.display(), reason(&e)))
            })?;
        self.files.push((at, fin));
        Ok(BufWriter::with_capacity(1 << 16, OutFile(f)))
    }

    /// Writes a whole file from bytes.
    pub fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<(), OutputError> {
        let mut w = self.create(rel)?;
        w.write_all(bytes).map_err(|e| self.write_error(rel, &e))?;
        finish(w).map_err(|e| self.write_error(rel, &e))
    }

    /// The SHA-256 (hex) of the file `rel` this run has written and finished (read back from
    /// where it is staged), for a shard's manifest.
    pub fn digest(&self, rel: &str) -> Result<String, OutputError> {
        use sha2::Digest as _;
        let at = self
            .files
            .iter()
            .find(|(_, fin)| *fin == self.root.join(rel))
            .map(|(at, _)| at.clone())
            .ok_or_else(|| OutputError(format!("'{rel}' was not written by this run")))?;
        let mut h = sha2::Sha256::new();
        let mut f = File::open(&at)
            .map_err(|e| OutputError(format!("cannot read '{}': {}", at.display(), reason(&e))))?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = io::Read::read(&mut f, &mut buf).map_err(|e| {
                OutputError(format!("cannot read '{}': {}", at.display(), reason(&e)))
            })?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        Ok(crate::fmt::hex(&h.finalize()))
    }

    /// An error for a failed write to `rel`.
    pub fn write_error(&self, rel: &str, e: &io::Error) -> OutputError {
        OutputError(format!(
            "cannot write '{}': {}",
            self.root.join(rel).display(),
            reason(e)
        ))
    }

    /// Puts the result in place and releases the lock; returns the final paths of its files.
    ///
    /// Staged beside the root, the result goes in with one rename that swaps the stage and
    /// the root: the folder holds the previous result (or nothing) until that instant and the
    /// new complete result from then on. The replaced folder's entries that were not part of
    /// its result (nested results of other runs, files that were there under `--force`) are
    /// then moved into the new one, and the rest removed; a run killed in between leaves that
    /// work to the next run into the folder ([`recover`]). In place, see `commit_in_place`.
    pub fn commit(mut self) -> Result<Vec<PathBuf>, OutputError> {
        let done: Vec<PathBuf> = self.files.iter().map(|(_, fin)| fin.clone()).collect();
        let Staging::Beside {
            stage,
            abs,
            swapped,
        } = &mut self.staging
        else {
            return self.commit_in_place();
        };
        let failed = |e: io::Error| {
            OutputError(format!(
                "cannot put the result in place in '{}': {}",
                self.root.display(),
                reason(&e)
            ))
        };
        // Without its marker the stage is a complete result: from here on a killed run leaves
        // the previous result or this one, never a part of it.
        op("remove")
            .and_then(|()| fs::remove_file(stage.join(STAGE_MARK)))
            .map_err(failed)?;
        // The lock travels into place with the result (a second name for the same file, so
        // the heartbeat and the release still find it).
        let _ = op("link").and_then(|()| fs::hard_link(abs.join(LOCK), stage.join(LOCK)));
        let old = swap(stage, abs).map_err(failed)?;
        *swapped = true;
        let tidy = keep_entries(&old, abs)
            .and_then(|()| op("remove"))
            .and_then(|()| fs::remove_dir_all(&old));
        if let Err(e) = tidy {
            eprintln!(
                "negsim: warning: the result is in place, but '{}' (what it replaced) could not be removed: {}; the next run into '{}' finishes it",
                crate::fmt::printable(&old.display().to_string()),
                reason(&e),
                crate::fmt::printable(&self.root.display().to_string())
            );
        }
        self.files.clear();
        drop(self.lock.take());
        self.created_dirs.clear();
        Ok(done)
    }

    /// The in-place commit: renames every temporary file into place. The manifest marks a
    /// complete result, so it goes first out and last in: the previous manifest is removed
    /// before any file is renamed, and the new one is renamed last. At every moment the folder
    /// holds the previous complete result, a folder without a manifest (which no later run
    /// overwrites without `--force`), or the new complete result. Files of the previous result
    /// (listed in its manifest) that the new one does not write are removed after the new
    /// manifest is in place, so `--force` leaves no stale runs.csv or charts.
    fn commit_in_place(mut self) -> Result<Vec<PathBuf>, OutputError> {
        let mut files = std::mem::take(&mut self.files);
        let manifest = self.root.join(MANIFEST);
        // A stable sort: the manifest last, everything else in creation order.
        files.sort_by_key(|(_, fin)| *fin == manifest);
        if manifest.exists() {
            op("remove")
                .and_then(|()| fs::remove_file(&manifest))
                .map_err(|e| {
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
            op("rename")
                .and_then(|()| fs::rename(tmp, fin))
                .map_err(|e| {
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
                let _ = op("remove").and_then(|()| fs::remove_file(&p));
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
pub fn finish(w: Sink) -> io::Result<()> {
    let f = w.into_inner().map_err(|e| e.into_error())?;
    op("fsync")?;
    f.0.sync_all()
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        match &self.staging {
            // Never swapped in: the stage and everything in it go.
            Staging::Beside {
                stage,
                swapped: false,
                ..
            } => {
                let _ = op("remove").and_then(|()| fs::remove_dir_all(stage));
            }
            Staging::Beside { .. } => {}
            Staging::InPlace => {
                for (tmp, _) in &self.files {
                    let _ = op("remove").and_then(|()| fs::remove_file(tmp));
                }
            }
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
        let mut out = OutputDir::prepare_with(&root, &[], true, false).expect("prepare");
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
        let mut out = OutputDir::prepare_with(&d, &[], false, false).expect("prepare");
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

    /// Names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .expect("dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_result_is_swapped_in_whole_and_keeps_what_was_not_part_of_the_old_one() {
        let d = std::env::temp_dir().join(format!("negsim-swap-{:x}", random_suffix()));
        let root = d.join("r");
        fs::create_dir_all(root.join("arm")).expect("dirs");
        fs::create_dir_all(root.join("nested")).expect("dirs");
        fs::write(root.join("a.csv"), "old").expect("old");
        fs::write(root.join("arm/x.csv"), "old").expect("old");
        fs::write(root.join("nested").join(MANIFEST), "{}").expect("nested");
        fs::write(root.join("notes.txt"), "mine").expect("notes");
        fs::write(
            root.join(MANIFEST),
            r#"{"files": ["a.csv", "arm/x.csv", "manifest.json"]}"#,
        )
        .expect("manifest");
        let before = names(&root);
        let mut out = OutputDir::prepare(&root, &["arm".into()], true).expect("prepare");
        out.write("arm/y.csv", b"new").expect("y");
        out.write("b.csv", b"new").expect("b");
        out.write(
            MANIFEST,
            br#"{"files": ["arm/y.csv", "b.csv", "manifest.json"]}"#,
        )
        .expect("m");
        // Nothing of the new result is visible before the commit: the old one is untouched.
        let mut during = names(&root);
        during.retain(|n| n != LOCK);
        assert_eq!(during, before);
        assert_eq!(fs::read(root.join("a.csv")).expect("a"), b"old");
        let stages: Vec<String> = names(&d)
            .into_iter()
            .filter(|n| n.starts_with(".r.negsim-"))
            .collect();
        assert_eq!(stages.len(), 1, "one stage beside the root: {stages:?}");
        out.commit().expect("commit");
        assert_eq!(
            names(&root),
            ["arm", "b.csv", "manifest.json", "nested", "notes.txt"]
        );
        assert_eq!(names(&root.join("arm")), ["y.csv"]);
        assert_eq!(
            names(&d),
            ["r"],
            "no stage or replaced folder is left beside it"
        );
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_commit_cut_short_is_finished_by_the_next_run_into_the_folder() {
        let d = std::env::temp_dir().join(format!("negsim-recover-{:x}", random_suffix()));
        let root = d.join("r");
        fs::create_dir_all(&root).expect("root");
        fs::write(
            root.join(MANIFEST),
            r#"{"files": ["new.csv", "manifest.json"]}"#,
        )
        .expect("new result");
        fs::write(root.join("new.csv"), "new").expect("new");
        // Killed before its swap: a stage with its marker.
        let unswapped = d.join(".r.negsim-00000000000000aa");
        fs::create_dir_all(&unswapped).expect("stage");
        fs::write(unswapped.join(STAGE_MARK), "").expect("mark");
        fs::write(unswapped.join("half.csv"), "half").expect("half");
        // Killed after its swap: the replaced result, with a nested result of another run.
        let replaced = d.join(".r.negsim-00000000000000bb");
        fs::create_dir_all(replaced.join("nested")).expect("aside");
        fs::write(
            replaced.join(MANIFEST),
            r#"{"files": ["old.csv", "manifest.json"]}"#,
        )
        .expect("old manifest");
        fs::write(replaced.join("old.csv"), "old").expect("old");
        fs::write(replaced.join("nested").join(MANIFEST), "{}").expect("nested");
        // Not a stage: a name that only looks like one.
        fs::create_dir_all(d.join(".r.negsim-notastage")).expect("other");
        let out = OutputDir::prepare(&root, &[], true).expect("prepare");
        drop(out);
        assert_eq!(names(&root), ["manifest.json", "nested", "new.csv"]);
        assert_eq!(names(&d), [".r.negsim-notastage", "r"]);
        let _ = fs::remove_dir_all(&d);
    }
}
