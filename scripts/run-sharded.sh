#!/bin/sh
# Runs a negsim job as N shards in parallel on this machine, then merges them.
#
#   scripts/run-sharded.sh N OUT NEGSIM [ARGS...]
#
# e.g. scripts/run-sharded.sh 3 output/big target/release/negsim \
#        compare scenarios/baseline.toml --with scenarios/interventions/restore_kushner_channel.toml --runs 30000
#
# Shard K writes OUT/shard-K (a partial result); the merged result, byte-identical to an unsharded
# run, goes to OUT/merged. Each shard uses --threads 1, so N shards use N cores. Any job that
# accepts --shard (run, compare) works; --out, --shard and --threads are added here.
set -eu
if [ "$#" -lt 4 ]; then
    echo "usage: $0 N OUT NEGSIM ARGS..." >&2
    exit 2
fi
n=$1; out=$2; negsim=$3; shift 3
mkdir -p "$out"
pids=""
k=1
while [ "$k" -le "$n" ]; do
    "$negsim" "$@" --quiet --threads 1 --shard "$k/$n" --out "$out/shard-$k" > "$out/shard-$k.log" 2>&1 &
    pids="$pids $!"
    k=$((k + 1))
done
status=0
for p in $pids; do
    wait "$p" || status=1
done
if [ "$status" -ne 0 ]; then
    echo "a shard failed; see $out/shard-*.log" >&2
    exit 1
fi
dirs=""
k=1
while [ "$k" -le "$n" ]; do
    dirs="$dirs $out/shard-$k"
    k=$((k + 1))
done
# shellcheck disable=SC2086
exec "$negsim" merge $dirs --out "$out/merged"
