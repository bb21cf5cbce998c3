#!/bin/sh
# `ppofw run` against `ppofw bench`, run after run: prints a Markdown section for bench/RESULTS.md.
#
# For each pipeline and thread count, RUNS times in turn: `ppofw bench PIPELINE --json` (its
# train_sps: ppo_run's own loop with its files, after the first iteration) and `ppofw run
# PIPELINE -q` to STEPS env steps (steps/s after the first iteration, from metrics.csv's
# global_step and time_s; and the CPU seconds the whole process used per million steps, from
# /usr/bin/time when it is installed). Each row carries the 1-minute load average read just
# before it: on a shared machine a row's timing says as much about the neighbours as about ppofw.
# Then the median and range of each column over the runs.
#
#   bench/run-vs-bench.sh [PPOFW]              PPOFW: the program (default ./ppofw, else PATH)
#   RUNS=5 STEPS=1000000 SECONDS_BENCH=2 THREADS="1 2" \
#   PIPELINES="configs/bench-cleanrl-cartpole.yaml configs/cartpole.yaml" bench/run-vs-bench.sh
set -eu

. "$(dirname "$0")/common.sh"
runs=${RUNS:-5}
steps=${STEPS:-1000000}
seconds=${SECONDS_BENCH:-2}
threads_list=${THREADS:-"1 2"}
pipelines=${PIPELINES:-"$top/configs/bench-cleanrl-cartpole.yaml $top/configs/cartpole.yaml"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# median, min and max of the numbers on stdin, one a line: "median (min-max)"
summary() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "-"; exit }
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.0f (%.0f-%.0f)", m, v[1], v[NR] }'
}

timer=
[ -x /usr/bin/time ] && timer=/usr/bin/time

echo "Commands, per pipeline P and thread count T (run after run, alternating):"
echo
echo "- \`ppofw bench P --json --seconds $seconds --set ppo.threads=T\` (train_sps)"
echo "- \`ppofw run P -q --run-dir DIR --overwrite --set ppo.threads=T --set" \
    "ppo.total_steps=$steps\` (steps/s after the first iteration from metrics.csv; CPU s per" \
    "million steps = user + system time of the process / steps)"
echo
for cfg in $pipelines; do
    name=$(basename "$cfg" .yaml)
    for th in $threads_list; do
        : >"$tmp/bench" && : >"$tmp/run" && : >"$tmp/cpu" && : >"$tmp/frac"
        echo "### $name, $th thread(s)"
        echo
        echo "| # | load before bench | FMA peak of the threads, GFLOP/s | bench train steps/s |" \
            "fraction of peak | load before run | run steps/s (after the first iteration) |" \
            "run CPU s per 1M steps |"
        echo "|---|---|---|---|---|---|---|---|"
        i=1
        while [ "$i" -le "$runs" ]; do
            lb=$(cut -d' ' -f1 /proc/loadavg)
            j=$("$ppofw" bench "$cfg" --json --seconds "$seconds" --set ppo.threads="$th" \
                2>"$tmp/err") || { echo "run-vs-bench: $(cat "$tmp/err")" >&2; exit 1; }
            b=$(json_get "$j" train_sps)
            pk=$(json_get "$j" peak_gflops)
            f=$(json_get "$j" fraction_of_peak)
            lr=$(cut -d' ' -f1 /proc/loadavg)
            if [ -n "$timer" ]; then
                $timer -f "%U %S" -o "$tmp/time" "$ppofw" run "$cfg" -q --run-dir "$tmp/run-dir" \
                    --overwrite --set ppo.threads="$th" --set ppo.total_steps="$steps"
                cpu=$(awk -v s="$steps" '{ printf "%.2f", ($1 + $2) / s * 1e6 }' "$tmp/time")
            else
                "$ppofw" run "$cfg" -q --run-dir "$tmp/run-dir" --overwrite \
                    --set ppo.threads="$th" --set ppo.total_steps="$steps"
                cpu=-
            fi
            r=$(awk -F, 'NR == 2 { s0 = $1; t0 = $6 } NR > 2 { s = $1; t = $6 }
                         END { printf "%.0f", (s - s0) / (t - t0) }' "$tmp/run-dir/metrics.csv")
            printf '| %d | %s | %.1f | %.0f | %.3f | %s | %s | %s |\n' "$i" "$lb" "$pk" "$b" "$f" \
                "$lr" "$r" "$cpu"
            echo "$b" >>"$tmp/bench"
            echo "$r" >>"$tmp/run"
            echo "$f" | awk '{ printf "%.0f\n", $1 * 1000 }' >>"$tmp/frac"
            [ "$cpu" != - ] && echo "$cpu" | awk '{ printf "%.0f\n", $1 * 1000 }' >>"$tmp/cpu"
            i=$((i + 1))
        done
        echo
        echo "- bench train steps/s, median (range): $(summary <"$tmp/bench")"
        echo "- run steps/s, median (range): $(summary <"$tmp/run")"
        echo "- fraction of peak x 1000, median (range): $(summary <"$tmp/frac")"
        echo "- run CPU ms per 1M steps, median (range): $(summary <"$tmp/cpu")"
        echo "- run / bench (medians): $(awk -v r="$(summary <"$tmp/run" | cut -d' ' -f1)" \
            -v b="$(summary <"$tmp/bench" | cut -d' ' -f1)" 'BEGIN { printf "%.3f", r / b }')"
        echo
    done
done
