//! The distributed recipes of docs/SCALING.md, run under their real tools. Each test looks for
//! its tool and prints a loud SKIPPED line when it is missing; `.ci/run` installs the tools, so
//! in CI they run for real.

use std::process::Command;

use super::{assert_same_files, root, texts};

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// If `missing`, says loudly that the `recipe` recipe was not tested and why; returns `missing`.
fn skipped(missing: bool, why: &str, recipe: &str) -> bool {
    if missing {
        super::loud!("SKIPPED: {why}, so the {recipe} recipe of docs/SCALING.md was NOT tested");
    }
    missing
}

/// The unsharded comparison of the baseline `with` overlays, 400 replicates, into `dir/full`.
fn unsharded(dir: &std::path::Path, with: &[&str]) -> std::path::PathBuf {
    let full = dir.join("full");
    let o = Command::new(env!("CARGO_BIN_EXE_negsim"))
        .current_dir(root())
        .args(["compare", "scenarios/baseline.toml"])
        .args(with)
        .args(["--runs", "400", "--quiet", "--out"])
        .arg(&full)
        .output()
        .expect("unsharded run");
    assert_eq!(o.status.code(), Some(0), "{}", texts(&o).1);
    full
}

#[test]
fn the_gnu_parallel_recipe_merges_byte_identically_even_after_a_task_fails_and_is_retried() {
    if skipped(
        !have("parallel"),
        "GNU parallel is not installed (apt-get install parallel; .ci/run installs it)",
        "GNU parallel",
    ) {
        return;
    }
    let d = tempfile::tempdir().expect("temp dir");
    let real = env!("CARGO_BIN_EXE_negsim");
    let full = unsharded(
        d.path(),
        &[
            "--with",
            "scenarios/interventions/restore_kushner_channel.toml",
        ],
    );
    // `negsim` on PATH is the binary, except that the first attempt of shard 2 fails part-way
    // through the fault hook (its 5th output operation), as a task on a lost node would.
    let bin = d.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    let mark = d.path().join("shard-2-failed-once");
    let wrapper = bin.join("negsim");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\ncase \"$*\" in *\"--shard 2/\"*) if [ ! -e '{m}' ]; then NEGSIM_FAULT_AT=5 '{real}' \"$@\" 2>'{m}.err'; s=$?; echo $s > '{m}'; exit $s; fi;; esac\nexec '{real}' \"$@\"\n",
            m = mark.display()
        ),
    )
    .expect("wrapper");
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let out = d.path().join("big");
    // The recipe of docs/SCALING.md, "GNU parallel", with 4 shards of 400 replicates.
    let recipe = format!(
        "N=4\nparallel --retries 2 -j \"$N\" negsim compare scenarios/baseline.toml \\\n    --with scenarios/interventions/restore_kushner_channel.toml --runs 400 \\\n    --threads 1 --quiet --shard {{}}/$N --out {o}/shard-{{}} ::: $(seq 1 $N)\nnegsim merge {o}/shard-* --out {o}/merged\n",
        o = out.display()
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("sh")
        .current_dir(root())
        .env("PATH", path)
        .args(["-ec", &recipe])
        .output()
        .expect("sh runs");
    let (so, se) = texts(&o);
    assert_eq!(o.status.code(), Some(0), "{so}\n{se}");
    let first = std::fs::read_to_string(&mark).expect("shard 2's first attempt ran");
    assert_eq!(first.trim(), "1", "shard 2's first attempt failed");
    let why = std::fs::read_to_string(mark.with_extension("err")).unwrap_or_default();
    assert!(why.contains("injected fault"), "and said why: {why}");
    let compared = assert_same_files(
        &full,
        &out.join("merged"),
        "between the unsharded and the GNU parallel run",
    );
    assert!(compared >= 20, "compared only {compared} files");
    super::loud!(
        "GNU parallel recipe: 4 shards, shard 2 failed once and was retried, {compared} files byte-identical to the unsharded run"
    );
}

/// Whether a Slurm cluster answers with an idle node (`scripts/slurm-single-node.sh` brings one
/// up; `.ci/run` runs it).
fn slurm_up() -> bool {
    Command::new("sinfo")
        .args(["-h", "-o", "%t"])
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("idle"))
}

/// Waits until no task of job `jid` is pending or running (at most 5 minutes).
fn wait_for(jid: &str) {
    for _ in 0..300 {
        let o = Command::new("squeue")
            .args(["-h", "-j", jid])
            .output()
            .expect("squeue");
        if String::from_utf8_lossy(&o.stdout).trim().is_empty() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    panic!("job {jid} did not finish in 5 minutes");
}

#[test]
fn the_slurm_job_array_recipe_merges_byte_identically_even_after_a_task_fails_and_is_requeued() {
    if skipped(
        !have("sbatch") || !slurm_up(),
        "no Slurm cluster answers (scripts/slurm-single-node.sh brings one up; .ci/run runs it)",
        "Slurm",
    ) {
        return;
    }
    let d = tempfile::tempdir().expect("temp dir");
    let real = env!("CARGO_BIN_EXE_negsim");
    let full = unsharded(
        d.path(),
        &[
            "--with",
            "scenarios/interventions/restore_kushner_channel.toml",
            "--with",
            "scenarios/interventions/all_of_the_above.toml",
        ],
    );
    // `negsim` on PATH, as the recipe expects (sbatch passes the environment on).
    let bin = d.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    std::os::unix::fs::symlink(real, bin.join("negsim")).expect("link");
    let results = d.path().join("results");
    let mark = d.path().join("shard-2-failed-once");
    // The job array of docs/SCALING.md with 4 tasks and 400 replicates; task 2's first attempt
    // fails part-way through the fault hook, as a task on a lost node would.
    let script = d.path().join("negsim-shards.sbatch");
    std::fs::write(
        &script,
        format!(
            "#!/bin/bash\n#SBATCH --job-name=negsim\n#SBATCH --array=1-4\n#SBATCH --cpus-per-task=1\n#SBATCH --output={logs}/negsim-%a.out\nset -euo pipefail\nN=${{SLURM_ARRAY_TASK_COUNT}}\nK=${{SLURM_ARRAY_TASK_ID}}\nif [ \"$K\" = 2 ] && [ ! -e '{mark}' ]; then touch '{mark}'; export NEGSIM_FAULT_AT=5; fi\nnegsim compare scenarios/baseline.toml \\\n    --with scenarios/interventions/restore_kushner_channel.toml \\\n    --with scenarios/interventions/all_of_the_above.toml \\\n    --runs 400 --threads \"${{SLURM_CPUS_PER_TASK}}\" --quiet \\\n    --shard \"${{K}}/${{N}}\" --out \"{results}/shard-${{K}}\"\n",
            logs = d.path().display(),
            mark = mark.display(),
            results = results.display()
        ),
    )
    .expect("script");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("sbatch")
        .current_dir(root())
        .env("PATH", &path)
        .args(["--parsable", "--wait"])
        .arg(&script)
        .output()
        .expect("sbatch");
    let jid = String::from_utf8_lossy(&o.stdout)
        .trim()
        .split(';')
        .next()
        .unwrap_or("")
        .to_string();
    assert!(!jid.is_empty(), "sbatch gave no job id: {}", texts(&o).1);
    assert_ne!(o.status.code(), Some(0), "task 2 failed, so the array did");
    assert!(mark.exists(), "task 2's first attempt ran");
    let log2 = std::fs::read_to_string(d.path().join("negsim-2.out")).unwrap_or_default();
    assert!(log2.contains("injected fault"), "task 2 said why: {log2}");
    for k in [1, 3, 4] {
        assert!(
            results.join(format!("shard-{k}/manifest.json")).is_file(),
            "shard {k} has no result; its task's log:\n{}",
            std::fs::read_to_string(d.path().join(format!("negsim-{k}.out"))).unwrap_or_default()
        );
    }
    assert!(
        !results.join("shard-2/manifest.json").exists(),
        "the failed shard left no result"
    );
    // Requeue the failed task, as an operator (or Slurm's --requeue) would.
    let o = Command::new("scontrol")
        .args(["requeue", &format!("{jid}_2")])
        .output()
        .expect("scontrol");
    assert_eq!(o.status.code(), Some(0), "requeue: {}", texts(&o).1);
    // A requeued job waits two minutes before it is eligible again; start it now.
    let _ = Command::new("scontrol")
        .args(["update", &format!("jobid={jid}_2"), "StartTime=now"])
        .output();
    wait_for(&jid);
    let merged = results.join("merged");
    let o = Command::new("negsim")
        .current_dir(root())
        .env("PATH", &path)
        .arg("merge")
        .args((1..=4).map(|k| results.join(format!("shard-{k}"))))
        .arg("--out")
        .arg(&merged)
        .output()
        .expect("merge");
    assert_eq!(o.status.code(), Some(0), "merge: {}", texts(&o).1);
    let compared = assert_same_files(&full, &merged, "between the unsharded and the Slurm run");
    assert!(compared >= 20, "compared only {compared} files");
    super::loud!(
        "Slurm recipe: job {jid}, 4 array tasks, task 2 failed once through the fault hook and was requeued, {compared} files byte-identical to the unsharded run"
    );
}
