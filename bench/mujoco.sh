#!/bin/sh
# MuJoCo learning results: each MuJoCo pipeline for seeds 1-3 at its 1M-step budget, each row
# naming the library whose settings and semantics it reproduces (ppofw: the project's own
# setting), with the final ep_return_mean (mean raw return of the last 100 training episodes),
# the first step at which the mean of the last 20 episodes of episodes.csv reached the row's
# target, the wall time and a curve per run; then the mean over seeds against the library's
# published figure. Writes bench/mujoco.md, keeping what was written by hand below its "## Notes".
#
#   bench/mujoco.sh [PPOFW]        PPOFW defaults to ./ppofw (run from the build tree)
#   MUJOCO_ONLY="hopper walker2d"  only those configs
#   MUJOCO_RUNS=DIR                keep the run directories in DIR (default: a temporary one);
#                                  finished runs found there are not run again
#   MUJOCO_MD=FILE                 write FILE instead of bench/mujoco.md
#   BENCH_JOBS=2                   runs at a time (each with one thread, under nice -n 10)
set -eu
ppofw=${1:-./ppofw}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
out="${MUJOCO_MD:-$here/mujoco.md}"
bench_lib="$here/learning.sh"
. "$bench_lib"
if [ -n "${MUJOCO_RUNS:-}" ]; then
    runs=$MUJOCO_RUNS
else
    runs=$(mktemp -d)
    trap 'rm -rf "$runs"' EXIT
fi

# config, library, target (the library's published mean, or ppofw's own target), published std
# (how far the mean of seeds may be from it: 2 std for CleanRL's 3-seed figure, 1 std for the
# zoo's one agent), published source. Longest runs first, so two lanes end together.
rows="halfcheetah zoo 5819.1 663.530 rl-baselines3-zoo benchmark (one agent, v3)
walker2d-zoo zoo 3478.8 821.708 rl-baselines3-zoo benchmark (one agent, v3)
hopper-zoo zoo 2410.4 10.026 rl-baselines3-zoo benchmark (one agent, v3)
ant ppofw 1500 - the config's target
ant-cleanrl cleanrl 1500 - (CleanRL publishes no Ant figure; ppofw's Ant target shown)
halfcheetah-cleanrl cleanrl 1442.64 46.03 CleanRL pr-424 (3 seeds)
walker2d-cleanrl cleanrl 2287.95 571.78 CleanRL pr-424 (3 seeds)
walker2d ppofw 2000 - the config's target
hopper-cleanrl cleanrl 2382.86 271.74 CleanRL pr-424 (3 seeds)
hopper ppofw 2000 - the config's target
inverted-pendulum ppofw 900 - the config's target"
if [ -n "${MUJOCO_ONLY:-}" ]; then
    rows=$(echo "$rows" | awk -v only=" $MUJOCO_ONLY " 'index(only, " " $1 " ") > 0')
fi

jobs=$(mktemp)
echo "$rows" | while read -r cfg lib target std rest; do
    for seed in 1 2 3; do echo "$cfg $cfg $seed"; done
done > "$jobs"
bench_run_all "$jobs"
rm -f "$jobs"

{
    echo "# MuJoCo learning results"
    echo
    echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(uname -m)), ppofw $("$ppofw" --version | cut -d' ' -f2), MuJoCo 2.2.2, one thread per run, two runs at a time, under \`nice -n 10\` (\`bench/mujoco.sh\`):"
    echo
    echo '    nice -n 10 '"$ppofw"' run configs/CONFIG.yaml --set seed=S --set ppo.threads=1 --run-dir DIR'
    echo
    echo "\`library\`: whose settings and semantics the config reproduces. \`zoo\`: rl-baselines3-zoo's"
    echo "entry with Stable-Baselines3's semantics (time-limit ends bootstrapped, VecNormalize,"
    echo "SB3's value loss \`value_loss: mse\`, iterations rounded up). \`cleanrl\`: CleanRL's"
    echo "ppo_continuous_action.py defaults and semantics (time-limit ends as terminations, Gymnasium's"
    echo "per-env NormalizeObservation/NormalizeReward, \`value_loss: half_mse\` with value clipping,"
    echo "1M // 2048 = 488 iterations). \`ppofw\`: the project's own setting (SB3's semantics)."
    echo
    echo "\`final\`: ep_return_mean at the end (mean raw return of the last 100 finished training"
    echo "episodes, stochastic actions). \`last-20 >= target\`: the first env step at which the mean"
    echo "return of the last 20 episodes in episodes.csv reached the target (\`-\`: never). The curve"
    echo "gives ep_return_mean every 100k steps."
    echo
    echo "Wall times were measured on a machine shared with other builds and runs; they are not"
    echo "comparable with earlier recorded ones."
    echo
    echo "| config | library | target | seed | final | last-20 >= target (steps) | wall time (s) | curve (every 100k steps) |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
} > "$out.tmp"

summary=$(mktemp)
echo "$rows" | while read -r cfg lib target std source; do
    finals=""
    for seed in 1 2 3; do
        dir="$runs/$cfg-$seed"
        final=$(bench_final "$dir")
        finals="$finals$final
"
        echo "| $cfg | $lib | $target | $seed | $final | $(bench_reached_last "$dir" "$target" 20) | $(cat "$dir/wall_s") | $(bench_curve "$dir" 100000) |" >> "$out.tmp"
    done
    set -- $(printf "%s" "$finals" | bench_mean_std)
    mean=$1 sd=$2
    if [ "$std" = "-" ]; then
        verdict=$(awk -v m="$mean" -v t="$target" 'BEGIN { print (m >= t ? "met" : "not met") }')
        ref="target $target"
    else
        k=2
        [ "$lib" = "zoo" ] && k=1
        verdict=$(awk -v m="$mean" -v t="$target" -v s="$std" -v k="$k" 'BEGIN {
            d = m - t; if (d < 0) d = -d; printf "%s (within %g std: %.0f to %.0f)", d <= k * s ? "yes" : "no", k, t - k * s, t + k * s }')
        ref="$target +- $std"
    fi
    echo "| $cfg | $lib | $mean | $sd | $ref ($source) | $verdict |" >> "$summary"
done
{
    echo
    echo "## Mean over seeds 1-3"
    echo
    echo "| config | library | mean final | std over seeds | reference | within the reference |"
    echo "| --- | --- | --- | --- | --- | --- |"
    cat "$summary"
    # what was written by hand below "## Notes" stays
    if [ -f "$out" ] && grep -q '^## Notes' "$out"; then
        echo
        sed -n '/^## Notes/,$p' "$out"
    fi
} >> "$out.tmp"
rm -f "$summary"
mv "$out.tmp" "$out"
echo "wrote $out"
