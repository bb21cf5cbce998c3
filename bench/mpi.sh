#!/bin/sh
# Throughput of data-parallel training over MPI on this machine: the same total number of envs
# run by one process and by 2 ranks (one thread each), end-to-end training steps per second as
# rank 0's metrics.csv reports it (env steps of all ranks / wall time). Writes bench/MPI.md's
# table; the scaling model below it is written by hand (docs/mpi.md explains it).
#
#   bench/mpi.sh [PPOFW]        PPOFW defaults to ./ppofw (run from the build tree)
set -eu
ppofw=${1:-./ppofw}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_plm=isolated
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none

# config, total envs, extra settings
rows="cartpole 8 -
bench-cleanrl-cartpole 4 -
hopper 2 ppo.total_steps=204800"

echo "| pipeline | envs in all | ranks x envs | threads per rank | train steps/s | speed-up |"
echo "| --- | --- | --- | --- | --- | --- |"
echo "$rows" | while read -r cfg envs extra; do
    base=""
    for ranks in 1 2; do
        per=$((envs / ranks))
        set -- --set env.num_envs="$per" --set ppo.threads=1
        [ "$extra" = "-" ] || set -- "$@" --set "$extra"
        rm -rf "$tmp/run"
        # mpirun would read the rows of this loop from stdin
        mpirun -np "$ranks" "$ppofw" run "$src/configs/$cfg.yaml" "$@" --run-dir "$tmp/run" -q \
            < /dev/null
        sps=$(tail -n 1 "$tmp/run/metrics.csv" | cut -d, -f7)
        [ -n "$base" ] || base=$sps
        awk -v c="$cfg" -v e="$envs" -v r="$ranks" -v p="$per" -v s="$sps" -v b="$base" \
            'BEGIN { printf "| %s | %d | %d x %d | 1 | %.0f | %.2f |\n", c, e, r, p, s, s / b }'
    done
done
