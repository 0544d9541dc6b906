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

#[test]
fn the_gnu_parallel_recipe_merges_byte_identically_even_after_a_task_fails_and_is_retried() {
    if !have("parallel") {
        eprintln!(
            "SKIPPED: GNU parallel is not installed (apt-get install parallel; .ci/run installs it), so the GNU parallel recipe of docs/SCALING.md was NOT tested"
        );
        return;
    }
    let d = tempfile::tempdir().expect("temp dir");
    let real = env!("CARGO_BIN_EXE_negsim");
    let full = d.path().join("full");
    let o = Command::new(real)
        .current_dir(root())
        .args([
            "compare",
            "scenarios/baseline.toml",
            "--with",
            "scenarios/interventions/restore_kushner_channel.toml",
            "--runs",
            "400",
            "--quiet",
            "--out",
        ])
        .arg(&full)
        .output()
        .expect("unsharded run");
    assert_eq!(o.status.code(), Some(0), "{}", texts(&o).1);
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
    eprintln!(
        "GNU parallel recipe: 4 shards, shard 2 failed once and was retried, {compared} files byte-identical to the unsharded run"
    );
}
