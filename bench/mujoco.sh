#!/bin/sh
# MuJoCo learning results: each MuJoCo pipeline for seeds 1-3 at its 1M-step budget, with the
# final ep_return_mean (mean raw return of the last 100 training episodes), the mean over seeds,
# wall time and a curve per run (every 100k steps). Also raw env steps per second of each env.
# Writes bench/mujoco.md.
#
#   bench/mujoco.sh [PPOFW]        PPOFW defaults to ./ppofw (run from the build tree)
#   MUJOCO_ONLY="hopper walker2d" MUJOCO_MD=/tmp/part.md bench/mujoco.sh
#                                  only those configs, into another file (to redo some rows)
set -eu
ppofw=${1:-./ppofw}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
out="${MUJOCO_MD:-$here/mujoco.md}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rows="halfcheetah 1500
hopper 2000
walker2d 2000
ant 1500
inverted-pendulum 900"
if [ -n "${MUJOCO_ONLY:-}" ]; then
    rows=$(echo "$rows" | awk -v only=" $MUJOCO_ONLY " 'index(only, " " $1 " ") > 0')
fi

{
    echo "# MuJoCo learning results"
    echo
    echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(uname -m)), ppofw $("$ppofw" --version | cut -d' ' -f2), MuJoCo 2.2.2, one thread per run:"
    echo
    echo '    '"$ppofw"' run configs/CONFIG.yaml --set seed=S --set ppo.threads=1 --run-dir DIR'
    echo
    echo "\`final\`: ep_return_mean at 1M steps (mean raw return of the last 100 finished training"
    echo "episodes, stochastic actions). The curve gives ep_return_mean at every 100k steps."
    echo
    echo "| config | target (mean of seeds) | seed | final | wall time (s) | curve (every 100k steps) |"
    echo "| --- | --- | --- | --- | --- | --- |"
} > "$out.tmp"

summary=""
echo "$rows" | { while read -r cfg target; do
    sum=0
    for seed in 1 2 3; do
        dir="$tmp/$cfg-$seed"
        start=$(date +%s.%N)
        "$ppofw" run "$src/configs/$cfg.yaml" --set seed="$seed" --set ppo.threads=1 \
            --run-dir "$dir" -q
        end=$(date +%s.%N)
        wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
        line=$(awk -F, -v cfg="$cfg" -v target="$target" -v seed="$seed" -v wall="$wall" '
            NR == 1 { next }
            { final = $4 }
            $1 >= next_mark { curve = curve sprintf("%s%.0f", curve == "" ? "" : " ", $4); next_mark += 100000 }
            BEGIN { next_mark = 100000 }
            END { printf "| %s | %s | %s | %.1f | %s | %s |\n", cfg, target, seed, final, wall, curve }' \
            "$dir/metrics.csv")
        echo "$line" >> "$out.tmp"
        final=$(echo "$line" | awk -F'|' '{ print $5 }')
        sum=$(awk -v a="$sum" -v b="$final" 'BEGIN { print a + b }')
    done
    summary="$summary| $cfg | $target | $(awk -v s="$sum" 'BEGIN { printf "%.1f", s / 3 }') |
"
done
{
    echo
    echo "## Mean over seeds 1-3"
    echo
    echo "| config | target | mean final ep_return_mean |"
    echo "| --- | --- | --- |"
    printf "%s" "$summary"
} >> "$out.tmp"; }
mv "$out.tmp" "$out"
echo "wrote $out"
