#!/bin/sh
# How fast configs/cartpole.yaml solves CartPole, and whether cost grows linearly with steps.
#
# Solve time: for seeds 1..5, `ppofw run configs/cartpole.yaml --set seed=S` (default threads);
# the time_s of the first metrics.csv row with ep_return_mean >= 475; prints each seed's and the
# median (target: under 2 s).
#
# Linear cost: `ppofw run configs/bench-cleanrl-cartpole.yaml` at 50k and at 5M total steps, as a
# user runs it (metrics.csv and TensorBoard written every iteration), with the default threads and
# with one. From metrics.csv: the mean steps/s over the iterations after the first, and the
# steps/s of the first-quartile iteration time (each row's time_s minus the previous one), which a
# shared machine's preemptions (4 ms each) barely move; peak RSS is the process's maximum resident
# size (/usr/bin/time). Targets: steps/s at 5M within 10% of 50k, peak RSS the same.
#
#   bench/solve-time.sh [PPOFW]     PPOFW: the program (default: ./ppofw, else ppofw in PATH)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
ppofw=${1:-}
if [ -z "$ppofw" ]; then
    if [ -x ./ppofw ]; then ppofw=./ppofw; else ppofw=ppofw; fi
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan";
        else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "solve time of configs/cartpole.yaml (first row with ep_return_mean >= 475):"
for seed in 1 2 3 4 5; do
    "$ppofw" run "$top/configs/cartpole.yaml" --set seed="$seed" --run-dir "$tmp/solve-$seed" \
        --overwrite -q
    t=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
                 $col["ep_return_mean"] != "" && $col["ep_return_mean"] >= 475 {
                     print $col["time_s"]; found = 1; exit }
                 END { if (!found) print "unsolved" }' "$tmp/solve-$seed/metrics.csv")
    echo "  seed $seed: $t s"
    echo "$t" >>"$tmp/times"
    rm -rf "$tmp/solve-$seed"
done
echo "  median over seeds 1-5: $(grep -v unsolved "$tmp/times" | median) s" \
    "($(grep -c unsolved "$tmp/times" || true) unsolved)"

echo "linear cost, configs/bench-cleanrl-cartpole.yaml (ppofw run, metrics and TensorBoard on;" \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)):"
# per run: mean steps/s after the first iteration, steps/s of the first-quartile iteration time
# (robust against the scheduler taking the core away from a run now and then), peak RSS
for threads in 0 1; do
    for steps in 50000 5000000; do
        if [ -x /usr/bin/time ]; then
            /usr/bin/time -f '%e %M' -o "$tmp/time" "$ppofw" run \
                "$top/configs/bench-cleanrl-cartpole.yaml" --set ppo.total_steps="$steps" \
                --set ppo.threads="$threads" --run-dir "$tmp/lin" --overwrite -q
            rss_kb=$(awk '{ print $2 }' "$tmp/time")
        else
            "$ppofw" run "$top/configs/bench-cleanrl-cartpole.yaml" --set ppo.total_steps="$steps" \
                --set ppo.threads="$threads" --run-dir "$tmp/lin" --overwrite -q
            rss_kb=nan
        fi
        # steps per iteration, mean steps/s after the first iteration, then each iteration's time
        awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
                 { s[NR] = $col["global_step"]; t[NR] = $col["time_s"] }
                 END { print s[3] - s[2], (s[NR] - s[2]) / (t[NR] - t[2]) > "/dev/stderr"
                       for (k = 3; k <= NR; k++) print t[k] - t[k - 1] }' \
            "$tmp/lin/metrics.csv" 2>"$tmp/head" | sort -g >"$tmp/dts"
        read -r per mean <"$tmp/head"
        q1=$(awk -v per="$per" '{ v[NR] = $1 } END { printf "%.0f", per / v[int((NR + 3) / 4)] }' \
            "$tmp/dts")
        mean=$(printf '%.0f' "$mean")
        echo "  threads $threads, total_steps $steps: $mean steps/s (mean after the first" \
            "iteration), $q1 steps/s (first-quartile iteration), peak RSS $rss_kb KiB"
        echo "$threads $steps $mean $q1 $rss_kb" >>"$tmp/lin.txt"
        if [ "$steps" = 5000000 ]; then
            # the same run's first and last 100 iterations after the first
            awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
                     { s[NR] = $col["global_step"]; t[NR] = $col["time_s"] }
                     END { for (k = 3; k <= 102; k++) print "first", t[k] - t[k - 1]
                           for (k = NR - 99; k <= NR; k++) print "last", t[k] - t[k - 1]
                           print "per", s[3] - s[2] }' "$tmp/lin/metrics.csv" >"$tmp/ends"
            per=$(awk '$1 == "per" { print $2 }' "$tmp/ends")
            for part in first last; do
                awk -v p="$part" '$1 == p { print $2 }' "$tmp/ends" | sort -g |
                    awk -v per="$per" -v p="$part" '{ v[NR] = $1 }
                        END { printf "    %s 100 iterations: %.0f steps/s (first quartile)\n", p,
                                     per / v[int((NR + 3) / 4)] }'
            done
        fi
        rm -rf "$tmp/lin"
    done
done
awk '{ k = $1; if ($2 == 50000) { m0[k] = $3; q0[k] = $4; r0[k] = $5 }
       else { m1[k] = $3; q1[k] = $4; r1[k] = $5 } }
     END { for (k = 0; k <= 1; k++)
               printf "  threads %d, 5M / 50k: mean %.3f, first-quartile %.3f (differ by %.1f%%);" \
                      " peak RSS %.3f\n", k, m1[k] / m0[k], q1[k] / q0[k],
                      100 * (q1[k] > q0[k] ? q1[k] - q0[k] : q0[k] - q1[k]) / q0[k],
                      r1[k] / r0[k] }' "$tmp/lin.txt"
