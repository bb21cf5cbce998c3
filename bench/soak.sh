#!/bin/sh
# Soak benchmark: one long CartPole training run (10M+ env steps by default) while its resident
# memory and open file descriptors are sampled, to show that neither grows: every buffer of the
# loop is allocated once before it starts, and files are opened once (checkpoints are written and
# closed). Not a unit test; the results are recorded in bench/SOAK.md.
#
#   bench/soak.sh [PPOFW [STEPS [OUT_DIR]]]
#
# PPOFW defaults to ./ppofw (the in-tree build), STEPS to 10240000, OUT_DIR to a new temporary
# directory. Writes OUT_DIR/samples.csv (elapsed_s,rss_kb,fds) every SOAK_INTERVAL seconds
# (default 5) and prints a summary: RSS after warm-up (the first sample past 10% of the run),
# at the end, and its largest value; the open descriptors at the first sample, after warm-up
# and at the last sample.
# Exits 1 when RSS grew by more than 5% (and 4 MiB) after warm-up, when the descriptor count
# changed, or when the run failed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
ppofw=${1:-$top/ppofw}
steps=${2:-10240000}
out=${3:-$(mktemp -d /tmp/ppofw-soak-XXXXXX)}
interval=${SOAK_INTERVAL:-5}
mkdir -p "$out"
samples="$out/samples.csv"
echo "elapsed_s,rss_kb,fds" >"$samples"

start=$(date +%s)
"$ppofw" run "$top/configs/cartpole.yaml" --run-dir "$out/run" --overwrite \
    --set ppo.total_steps="$steps" -q &
pid=$!
# the libtool wrapper (an uninstalled ./ppofw) execs the real program under the same pid
while kill -0 "$pid" 2>/dev/null; do
    rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null || true)
    fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
    [ -n "$rss" ] && echo "$(( $(date +%s) - start )),$rss,$fds" >>"$samples"
    sleep "$interval"
done
set +e
wait "$pid"
rc=$?
set -e
end=$(date +%s)

awk -F, -v rc="$rc" -v secs="$((end - start))" -v steps="$steps" -v out="$out" '
NR == 1 { next }
{ t[n] = $1; rss[n] = $2; fd[n] = $3; n++ }
END {
    if (n < 3) { print "soak: too few samples"; exit 1 }
    w = 0
    while (w < n - 1 && t[w] < 0.1 * t[n - 1]) w++
    max = 0
    for (i = w; i < n; i++) if (rss[i] > max) max = rss[i]
    growth = rss[n - 1] - rss[w]
    printf "soak: %d steps in %d s (%.0f steps/s), exit %d, run dir %s\n", steps, secs, \
        steps / (secs > 0 ? secs : 1), rc, out "/run"
    printf "soak: %d samples; RSS after warm-up (t=%d s) %d kB, at the end (t=%d s) %d kB, " \
        "max %d kB, growth %+d kB (%+.2f%%)\n", n, t[w], rss[w], t[n - 1], rss[n - 1], max, \
        growth, 100.0 * growth / rss[w]
    printf "soak: open fds at the first sample %d, after warm-up %d, at the last %d\n", fd[0], \
        fd[w], fd[n - 1]
    bad = rc != 0 || (growth > 4096 && growth > 0.05 * rss[w]) || fd[w] != fd[n - 1]
    print bad ? "soak: FAILED" : "soak: RSS flat, no descriptor leaked"
    exit bad
}' "$samples"
