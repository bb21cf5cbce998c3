#!/bin/sh
# Data-parallel training over MPI (needs Open MPI and comm_mpi.so; skipped, exit 77, without):
#  1. 2 ranks x 4 envs and 1 process x 8 envs, one update of the whole batch: the averaged
#     gradient equals the single-process gradient to 1e-6 relative (the reduction, the global
#     normalizer and advantage statistics, and the per-env streams are right), and both ranks
#     applied the same gradient;
#  2. CartPole on 2 ranks x 4 envs solves within cartpole.yaml's budget for one process x 8 envs,
#     with every rank checked to hold identical parameters every 5 updates;
#  3. a checkpoint of 2 ranks resumes to the same final state, and a different rank count is
#     refused;
#  4. the same gradient equality as 1. for uint8 image observations (stored as bytes, and as
#     normalized floats) and for a recurrent policy (each rank's envs keep their own states), and
#     a 2-rank recurrent run resumes exactly.
#  5. the same with CleanRL's semantics (per-env Gymnasium normalization, truncations as
#     terminations), and rank 0's episodes.csv holds every rank's episodes, identical after the
#     resume apart from its time_s column.
set -eu
src=${PPO_TEST_SRCDIR:?}
build=${PPO_TEST_BUILDDIR:?}
ppofw="$build/ppofw"
fixtures="$build/tests/mpi/.libs"

command -v mpirun >/dev/null 2>&1 || { echo "skip: mpirun not found"; exit 77; }
[ -f "$build/plugins/comm/.libs/comm_mpi.so" ] || { echo "skip: comm_mpi.so not built"; exit 77; }

# running as root in a container, on a small machine, without ssh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_plm=isolated
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
# Open MPI's own allocations are not ours
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
mpirun="mpirun -np 2"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "FAIL: $*"; status=1; }

# 1. the first update's gradient
PPO_TEST_GRAD_FILE="$tmp/single.grad" "$ppofw" run "$src/tests/mpi/mpi-grad.yaml" \
    --plugin-path "$fixtures" --run-dir "$tmp/single" -q || fail "single-process run"
PPO_TEST_GRAD_FILE="$tmp/mpi.grad" $mpirun "$ppofw" run "$src/tests/mpi/mpi-grad.yaml" \
    --plugin-path "$fixtures" --set env.num_envs=4 --run-dir "$tmp/mpi" -q || fail "2-rank run"
"$build/tests/mpi/grad_compare" "$tmp/single.grad" "$tmp/mpi.grad.rank0" 1e-6 ||
    fail "rank 0's averaged gradient differs from the single-process gradient"
"$build/tests/mpi/grad_compare" "$tmp/mpi.grad.rank0" "$tmp/mpi.grad.rank1" 0 ||
    fail "the ranks applied different gradients"

# 2. CartPole learns on 2 ranks within the single-process budget (150k steps)
$mpirun "$ppofw" run "$src/configs/cartpole.yaml" --set env.num_envs=4 \
    --set mpi.check_sync_every=5 --run-dir "$tmp/cartpole" -q || fail "2-rank CartPole run"
solved=$(awk -F, 'NR > 1 && $4 >= 475 { print $1; exit }' "$tmp/cartpole/metrics.csv")
if [ -n "$solved" ]; then
    echo "ok: 2 ranks x 4 envs solved CartPole at step $solved"
else
    fail "2 ranks x 4 envs did not solve CartPole within 150k steps"
fi

# 3. resume: stop after 10 iterations, continue, compare with an uninterrupted run
common="--set env.num_envs=4 --set ppo.total_steps=10240 --set checkpoint.every_steps=2048"
$mpirun "$ppofw" run "$src/configs/pendulum.yaml" $common --run-dir "$tmp/full" -q \
    --set normalize.obs=true --set normalize.reward=true || fail "uninterrupted 2-rank run"
$mpirun "$ppofw" run "$src/configs/pendulum.yaml" $common --run-dir "$tmp/part" -q \
    --set normalize.obs=true --set normalize.reward=true --set ppo.total_steps=4096 ||
    fail "first half of the resumed run"
$mpirun "$ppofw" run "$src/configs/pendulum.yaml" $common --resume "$tmp/part" -q \
    --set normalize.obs=true --set normalize.reward=true || fail "resumed 2-rank run"
cut -d, -f1-5,8-16 "$tmp/full/metrics.csv" > "$tmp/full.csv"
cut -d, -f1-5,8-16 "$tmp/part/metrics.csv" > "$tmp/part.csv"
cmp -s "$tmp/full.csv" "$tmp/part.csv" || fail "the resumed 2-rank run's metrics differ"
last=$(ls "$tmp/part/checkpoints" | grep '^ckpt-' | tail -n 1)
"$ppofw" eval --checkpoint "$tmp/part/checkpoints/$last" -n 1 >/dev/null ||
    fail "the 2-rank checkpoint does not evaluate in one process"
# a different rank count is refused with the counts in the message
if "$ppofw" run "$src/configs/pendulum.yaml" $common --resume "$tmp/part" -q \
    --set normalize.obs=true --set normalize.reward=true --set ppo.total_steps=20480 \
    2> "$tmp/refused.err"; then
    fail "a 1-process resume of a 2-rank checkpoint was accepted"
elif ! grep -q "2 process" "$tmp/refused.err"; then
    fail "the refusal does not name the rank counts: $(cat "$tmp/refused.err")"
fi
# 4. ABI 1.2: uint8 observations and recurrent state under MPI (fixtures of tests/fixtures)
grad_equal() { # NAME PIPELINE [--set ...]: 1 process x 8 envs vs 2 ranks x 4
    name=$1 pipeline=$2
    shift 2
    PPO_TEST_GRAD_FILE="$tmp/$name-single.grad" "$ppofw" run "$pipeline" "$@" \
        --plugin-path "$fixtures" --run-dir "$tmp/$name-single" -q || fail "$name: single-process run"
    PPO_TEST_GRAD_FILE="$tmp/$name-mpi.grad" $mpirun "$ppofw" run "$pipeline" "$@" \
        --plugin-path "$fixtures" --set env.num_envs=4 --run-dir "$tmp/$name-mpi" -q ||
        fail "$name: 2-rank run"
    "$build/tests/mpi/grad_compare" "$tmp/$name-single.grad" "$tmp/$name-mpi.grad.rank0" 1e-6 ||
        fail "$name: rank 0's averaged gradient differs from the single-process gradient"
}
grad_equal uint8 "$src/tests/mpi/mpi-grad.yaml" --set env.plugin=fx_grid \
    --set normalize.obs=false
grad_equal uint8-normalized "$src/tests/mpi/mpi-grad.yaml" --set env.plugin=fx_grid
grad_equal recurrent "$src/tests/mpi/mpi-grad-recurrent.yaml"
rec="--set optimizer.plugin=adam --set ppo.lr_schedule=constant --set ppo.total_steps=3840
    --set checkpoint.every_steps=960"
$mpirun "$ppofw" run "$src/tests/mpi/mpi-grad-recurrent.yaml" $rec --set env.num_envs=4 \
    --run-dir "$tmp/rec-full" -q || fail "uninterrupted recurrent 2-rank run"
$mpirun "$ppofw" run "$src/tests/mpi/mpi-grad-recurrent.yaml" $rec --set env.num_envs=4 \
    --set ppo.total_steps=1920 --run-dir "$tmp/rec-part" -q || fail "first half, recurrent"
$mpirun "$ppofw" run "$src/tests/mpi/mpi-grad-recurrent.yaml" $rec --set env.num_envs=4 \
    --resume "$tmp/rec-part" -q || fail "resumed recurrent 2-rank run"
cut -d, -f1-5,8-16 "$tmp/rec-full/metrics.csv" > "$tmp/rec-full.csv"
cut -d, -f1-5,8-16 "$tmp/rec-part/metrics.csv" > "$tmp/rec-part.csv"
cmp -s "$tmp/rec-full.csv" "$tmp/rec-part.csv" || fail "the resumed recurrent 2-rank run differs"

# 5. per-env statistics live with their rank's envs; episodes.csv is rank 0's record of all
gym="--set normalize.obs=true --set normalize.reward=true --set normalize.mode=gymnasium
--set ppo.bootstrap_truncation=false"
$mpirun "$ppofw" run "$src/configs/pendulum.yaml" $common $gym --run-dir "$tmp/gfull" -q ||
    fail "uninterrupted 2-rank run with per-env statistics"
$mpirun "$ppofw" run "$src/configs/pendulum.yaml" $common $gym --run-dir "$tmp/gpart" -q \
    --set ppo.total_steps=4096 || fail "first half of the resumed run with per-env statistics"
$mpirun "$ppofw" run "$src/configs/pendulum.yaml" $common $gym --resume "$tmp/gpart" -q ||
    fail "resumed 2-rank run with per-env statistics"
cut -d, -f1-5,8-16 "$tmp/gfull/metrics.csv" > "$tmp/gfull.csv"
cut -d, -f1-5,8-16 "$tmp/gpart/metrics.csv" > "$tmp/gpart.csv"
cmp -s "$tmp/gfull.csv" "$tmp/gpart.csv" || fail "the resumed run's metrics differ (per-env)"
cut -d, -f1-6 "$tmp/gfull/episodes.csv" > "$tmp/gfull.ep"
cut -d, -f1-6 "$tmp/gpart/episodes.csv" > "$tmp/gpart.ep"
cmp -s "$tmp/gfull.ep" "$tmp/gpart.ep" || fail "the resumed run's episodes.csv differs"
envs=$(awk -F, 'NR > 1 { print $2 }' "$tmp/gfull/episodes.csv" | sort -n -u | tr '\n' ' ')
[ "$envs" = "0 1 2 3 4 5 6 7 " ] || fail "episodes.csv holds the episodes of envs $envs, not 0-7"
exit $status
