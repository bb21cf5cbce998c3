#!/bin/sh
# Learning results of the classic-control pipelines: for each config and seeds 1-3, train once
# with the config's own budget and report when ep_return_mean (mean RAW return of the last 100
# training episodes) first reached the target with a full window of 100 episodes, the best and
# the final value, and the wall time. Writes bench/classic-control.md.
#
#   bench/classic-control.sh [PPOFW]        PPOFW defaults to ./ppofw (run from the build tree)
set -eu
ppofw=${1:-./ppofw}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
out="$here/classic-control.md"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# config target budget (the budget is the config's own ppo.total_steps)
rows="cartpole 475 150000
cartpole-mc 475 300000
acrobot -85 500000
mountaincar -135 1000000
mountaincar-continuous 85 300000
pendulum -200 200000"

{
    echo "# Classic-control learning results"
    echo
    echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(uname -m)), ppofw $("$ppofw" --version | cut -d' ' -f2), one thread per run:"
    echo
    echo '    '"$ppofw"' run configs/CONFIG.yaml --set seed=S --set ppo.threads=1 --run-dir DIR'
    echo
    echo "\`reached at\`: the first iteration whose ep_return_mean (mean raw return of the last 100"
    echo "finished training episodes, stochastic actions) met the target with at least 100 episodes"
    echo "finished; \`-\` if never. \`final\`: ep_return_mean after the whole budget."
    echo
    echo "| config | target | budget | seed | reached at (steps) | best | final | wall time (s) |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
} > "$out.tmp"

echo "$rows" | while read -r cfg target budget; do
    for seed in 1 2 3; do
        dir="$tmp/$cfg-$seed"
        start=$(date +%s.%N)
        "$ppofw" run "$src/configs/$cfg.yaml" --set seed="$seed" --set ppo.threads=1 \
            --run-dir "$dir" -q
        end=$(date +%s.%N)
        awk -F, -v cfg="$cfg" -v target="$target" -v budget="$budget" -v seed="$seed" \
            -v wall="$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" '
            NR == 1 { next }
            $4 != "" && (best == "" || $4 + 0 > best + 0) { best = $4 }
            $3 >= 100 && $4 != "" && $4 + 0 >= target + 0 && reached == "" { reached = $1 }
            { final = $4 }
            END {
                printf "| %s | %s | %s | %s | %s | %.2f | %.2f | %.1f |\n", cfg, target, budget,
                       seed, reached == "" ? "-" : reached, best, final, wall
            }' "$dir/metrics.csv" >> "$out.tmp"
    done
done
mv "$out.tmp" "$out"
echo "wrote $out"
