//! The lock a run holds on its output directory: a lease with a random token and a heartbeat.
//!
//! A host and a PID are not enough to tell a live lock from a dead one: a Kubernetes or Slurm
//! retry runs on another node and may reuse the PID. So the lock file holds a random token and
//! the holder's PID, and a background thread refreshes the file's modification time every
//! [`HEARTBEAT`]. A lock whose heartbeat is older than [`STALE`] belongs to a run that is gone
//! (killed by SIGKILL, or its node lost) and is taken over with a warning; `--force` takes over
//! any lock, with a warning. The lock is removed on release only while it still holds this
//! run's token, so a run that lost its lock never removes its successor's.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

/// How often a held lock's heartbeat is refreshed.
pub const HEARTBEAT: Duration = Duration::from_secs(10);

/// A lock whose heartbeat is older than this is stale: its run is gone.
pub const STALE: Duration = Duration::from_secs(60);

/// A held lock; released (file removed, heartbeat stopped) on drop.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    token: String,
    stop: Arc<AtomicBool>,
    beat: Option<std::thread::JoinHandle<()>>,
}

/// What a lock file says, as far as a reader can tell.
#[derive(Debug, Default)]
pub struct Holder {
    /// Seconds since its last heartbeat (None: the clock or the file's time is unreadable).
    pub age: Option<u64>,
    /// The holder's PID, if the file names one.
    pub pid: Option<u32>,
}

impl Holder {
    /// Whether the holder's heartbeat is too old for it to be alive.
    pub fn stale(&self) -> bool {
        self.age.is_some_and(|a| a > STALE.as_secs())
    }
}

/// Reads the lock at `path`, if there is one.
pub fn holder(path: &Path) -> Option<Holder> {
    let meta = fs::symlink_metadata(path).ok()?;
    let age = meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .map(|d| d.as_secs());
    let pid = contents(path)
        .lines()
        .find_map(|l| l.strip_prefix("pid="))
        .and_then(|p| p.trim().parse().ok());
    Some(Holder { age, pid })
}

/// A lock file's text; a lock file is a few dozen bytes, so no more than 256 are read.
fn contents(path: &Path) -> String {
    use std::io::Read as _;
    let mut text = String::new();
    if let Ok(f) = fs::File::open(path) {
        let _ = f.take(256).read_to_string(&mut text);
    }
    text
}

/// A random 64-bit value from the standard library's per-process random hash keys (no RNG
/// dependency, and nothing to do with the simulation's streams).
pub fn random_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.finish()
}

/// 128 random bits: two [`random_suffix`]es.
fn random_token() -> String {
    format!("{:016x}{:016x}", random_suffix(), random_suffix())
}

/// Why a lock could not be taken.
#[derive(Debug)]
pub enum Refused {
    /// A live run holds it.
    Held(Holder),
    /// The file system refused.
    Io(io::Error),
}

impl Lock {
    /// Takes the lock at `path`. A stale lock, or any lock when `force`, is taken over: the
    /// returned warning says so.
    pub fn take(path: &Path, force: bool) -> Result<(Lock, Option<String>), Refused> {
        let mut warning = None;
        for attempt in 0..2 {
            let token = random_token();
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(mut f) => {
                    let _ = write!(
                        f,
                        "negsim lock\ntoken={token}\npid={}\n",
                        std::process::id()
                    );
                    let _ = f.sync_all();
                    return Ok((Lock::hold(path, token), warning));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt == 0 => {
                    let h = holder(path).unwrap_or_default();
                    if !(force || h.stale()) {
                        return Err(Refused::Held(h));
                    }
                    let why = if h.stale() {
                        format!(
                            "its heartbeat is {} s old (stale after {} s), so the run that held it is gone",
                            h.age.unwrap_or(0),
                            STALE.as_secs()
                        )
                    } else {
                        "--force takes over any lock; if that run is still active, the two results may mix".into()
                    };
                    warning = Some(format!("taking over the lock {} ({why})", path.display()));
                    fs::remove_file(path).map_err(Refused::Io)?;
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    // Another run took it over between our removal and our creation.
                    return Err(Refused::Held(holder(path).unwrap_or_default()));
                }
                Err(e) => return Err(Refused::Io(e)),
            }
        }
        Err(Refused::Io(io::Error::other("the lock could not be taken")))
    }

    fn hold(path: &Path, token: String) -> Lock {
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (path.to_path_buf(), Arc::clone(&stop));
        let beat = std::thread::Builder::new()
            .name("negsim-lock-heartbeat".into())
            .spawn(move || {
                let step = Duration::from_millis(200);
                let mut waited = Duration::ZERO;
                while !s.load(Ordering::Relaxed) {
                    std::thread::sleep(step);
                    waited += step;
                    if waited >= HEARTBEAT {
                        waited = Duration::ZERO;
                        if let Ok(f) = fs::OpenOptions::new().append(true).open(&p) {
                            let _ = f.set_modified(SystemTime::now());
                        }
                    }
                }
            })
            .ok();
        Lock {
            path: path.to_path_buf(),
            token,
            stop,
            beat,
        }
    }

    /// Whether the lock file still holds this run's token.
    fn still_ours(&self) -> bool {
        contents(&self.path)
            .lines()
            .any(|l| l.strip_prefix("token=") == Some(self.token.as_str()))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(b) = self.beat.take() {
            let _ = b.join();
        }
        if self.still_ours() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("negsim-lock-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).expect("dir");
        d
    }

    #[test]
    fn a_live_lock_refuses_a_stale_one_is_taken_over_and_force_takes_any() {
        let d = dir("lease");
        let p = d.join(".negsim.lock");
        let (held, w) = Lock::take(&p, false).expect("free");
        assert!(w.is_none());
        assert!(matches!(Lock::take(&p, false), Err(Refused::Held(_))));
        drop(held);
        assert!(!p.exists(), "released");

        // A lock left by a killed run: its heartbeat stopped two minutes ago.
        fs::write(&p, "negsim lock\ntoken=dead\npid=1\n").expect("plant");
        let old = SystemTime::now() - Duration::from_secs(120);
        fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .expect("open")
            .set_modified(old)
            .expect("age it");
        let (taken, w) = Lock::take(&p, false).expect("stale lock taken over");
        assert!(w.expect("warned").contains("heartbeat is 1"));
        // A fresh foreign lock: only --force takes it, with a warning.
        drop(taken);
        fs::write(&p, "negsim lock\ntoken=alive\npid=1\n").expect("plant");
        assert!(matches!(Lock::take(&p, false), Err(Refused::Held(_))));
        let (forced, w) = Lock::take(&p, true).expect("forced");
        assert!(w.expect("warned").contains("--force"));
        drop(forced);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_run_that_lost_its_lock_does_not_remove_its_successors() {
        let d = dir("successor");
        let p = d.join(".negsim.lock");
        let (first, _) = Lock::take(&p, false).expect("free");
        let (second, _) = Lock::take(&p, true).expect("forced");
        drop(first);
        assert!(p.exists(), "the successor's lock stays");
        drop(second);
        assert!(!p.exists());
        let _ = fs::remove_dir_all(&d);
    }
}
