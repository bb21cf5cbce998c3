#!/bin/sh
# Learning results of the classic-control pipelines: for each config and seeds 1-3, train once
# with the config's own budget. Each row names the library whose settings and semantics it
# reproduces (ppofw: the project's own setting). Reported: when ep_return_mean (mean raw return
# of the last 100 training episodes) first reached the target with a full window of 100
# episodes, when the mean of the last 20 episodes of episodes.csv first did, the best and the
# final ep_return_mean, and the wall time. The CleanRL rows run CleanRL ppo.py's defaults and
# semantics (configs/bench-cleanrl-cartpole.yaml, on each of its envs) against its published
# 500k-step scores. Writes bench/classic-control.md.
#
#   bench/classic-control.sh [PPOFW]   PPOFW defaults to ./ppofw (run from the build tree)
#   CLASSIC_RUNS=DIR                   keep the run directories in DIR (finished runs are kept)
#   BENCH_JOBS=2                       runs at a time (each with one thread, under nice -n 10)
set -eu
ppofw=${1:-./ppofw}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
out="$here/classic-control.md"
bench_lib="$here/learning.sh"
. "$bench_lib"
if [ -n "${CLASSIC_RUNS:-}" ]; then
    runs=$CLASSIC_RUNS
else
    runs=$(mktemp -d)
    trap 'rm -rf "$runs"' EXIT
fi

# name, config, library, target, budget (the config's own ppo.total_steps), overrides; the
# cleanrl rows carry CleanRL's published 500k-step score in the summary below
rows="cartpole cartpole ppofw 475 150000
cartpole-mc cartpole-mc ppofw 475 300000
acrobot acrobot zoo -85 500000
mountaincar mountaincar zoo -135 1000000
mountaincar-continuous mountaincar-continuous zoo 85 300000
pendulum pendulum zoo -200 200000
cleanrl-cartpole bench-cleanrl-cartpole cleanrl 475 500000
cleanrl-acrobot bench-cleanrl-cartpole cleanrl -100 500000 --set env.plugin=acrobot
cleanrl-mountaincar bench-cleanrl-cartpole cleanrl -135 500000 --set env.plugin=mountain_car"

jobs=$(mktemp)
echo "$rows" | while read -r name cfg lib target budget overrides; do
    for seed in 1 2 3; do echo "$name $cfg $seed ${overrides:-}"; done
done > "$jobs"
bench_run_all "$jobs"
rm -f "$jobs"

{
    echo "# Classic-control learning results"
    echo
    echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(uname -m)), ppofw $("$ppofw" --version | cut -d' ' -f2), one thread per run, two runs at a time, under \`nice -n 10\` (\`bench/classic-control.sh\`):"
    echo
    echo '    nice -n 10 '"$ppofw"' run configs/CONFIG.yaml --set seed=S --set ppo.threads=1 [--set env.plugin=ENV] --run-dir DIR'
    echo
    echo "\`library\`: whose settings and semantics the row reproduces. \`zoo\`: rl-baselines3-zoo's entry"
    echo "with Stable-Baselines3's semantics (time-limit ends bootstrapped, VecNormalize, SB3's value"
    echo "loss \`value_loss: mse\`, gSDE noise drawn at every rollout start). \`cleanrl\`: CleanRL"
    echo "ppo.py's defaults and semantics (configs/bench-cleanrl-cartpole.yaml: 4 envs x 128 steps,"
    echo "time-limit ends as terminations, value clipping, 500000 // 512 = 976 iterations), on"
    echo "CartPole, Acrobot and MountainCar. \`ppofw\`: the project's own setting (SB3's semantics)."
    echo
    echo "\`last-100 >= target\`: the first iteration whose ep_return_mean (mean raw return of the last"
    echo "100 finished training episodes, stochastic actions) met the target with at least 100"
    echo "episodes finished. \`last-20 >= target\`: the first env step at which the mean return of the"
    echo "last 20 episodes in episodes.csv did. \`-\`: never. \`final\`: ep_return_mean after the whole"
    echo "budget. Wall times come from a machine shared with other builds and runs; they are not"
    echo "comparable with earlier recorded ones."
    echo
    echo "| config | library | target | budget | seed | last-100 >= target (steps) | last-20 >= target (steps) | best | final | wall time (s) |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
} > "$out.tmp"

summary=$(mktemp)
echo "$rows" | while read -r name cfg lib target budget overrides; do
    finals=""
    for seed in 1 2 3; do
        dir="$runs/$name-$seed"
        final=$(bench_final "$dir")
        finals="$finals$final
"
        best=$(awk -F, 'NR > 1 && $4 != "" && (b == "" || $4 + 0 > b + 0) { b = $4 } END { printf "%.2f", b }' "$dir/metrics.csv")
        echo "| $name | $lib | $target | $budget | $seed | $(bench_reached100 "$dir" "$target") | $(bench_reached_last "$dir" "$target" 20) | $best | $final | $(cat "$dir/wall_s") |" >> "$out.tmp"
    done
    case "$name" in
    cleanrl-cartpole) ref="490.04 +- 6.12" ;;
    cleanrl-acrobot) ref="-86.36 +- 1.32" ;;
    cleanrl-mountaincar) ref="-200.00 +- 0.00" ;;
    *) ref="-" ;;
    esac
    echo "| $name | $lib | $(printf "%s" "$finals" | bench_mean_std | tr ' ' '|' | sed 's/|/ | /') | $ref |" >> "$summary"
done
{
    echo
    echo "## Mean over seeds 1-3"
    echo
    echo "CleanRL's published ppo.py scores are at 500k steps, 3 seeds (docs/benchmark/ppo.md)."
    echo
    echo "| config | library | mean final | std over seeds | CleanRL's published score |"
    echo "| --- | --- | --- | --- | --- |"
    cat "$summary"
} >> "$out.tmp"
rm -f "$summary"
mv "$out.tmp" "$out"
echo "wrote $out"
