#!/bin/sh
# Measure the cnn policy's arithmetic speed (bench/conv.md): the convolution kernels alone
# (bench/conv_bench), then `ppofw bench` on bench/cnn-minatar-shaped.yaml with separate and with
# shared trunks, then the same pipeline trained for a fixed number of steps under /usr/bin/time,
# whose FLOPs per CPU-second do not depend on how much of the machine other processes take.
#
#   bench/cnn.sh            from the top of a built tree (make check builds the fixture env)
#   BENCH_SECONDS=3 bench/cnn.sh
#
# Prints Markdown rows for bench/conv.md. Timings depend on the machine and its load; the load
# average is printed with them.
set -eu

cd "$(dirname "$0")/.."
seconds=${BENCH_SECONDS:-3}
steps=${BENCH_STEPS:-131072}
cfg=bench/cnn-minatar-shaped.yaml
make -s bench/conv_bench tests/fixtures/fx_image.la >/dev/null
PPOFW_PLUGIN_PATH=$(pwd)/tests/fixtures/.libs
export PPOFW_PLUGIN_PATH

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo '### Kernels alone (bench/conv_bench, thread CPU time)'
echo
echo '```'
bench/conv_bench 0.5
echo '```'

for trunk in false true; do
    echo
    echo "### ppofw bench $cfg --set policy.params.share_trunk=$trunk"
    echo
    echo '```'
    ./ppofw bench "$cfg" --seconds "$seconds" --set "policy.params.share_trunk=$trunk"
    echo '```'
done

# FLOPs per CPU-second of a fixed-length run (both threads' time counted)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
for trunk in false true; do
    /usr/bin/time -f '%e %U %S' -o "$tmp/time" ./ppofw run "$cfg" -q --run-dir "$tmp/run" \
        --overwrite --set "ppo.total_steps=$steps" --set "policy.params.share_trunk=$trunk"
    flops=$(./ppofw bench "$cfg" --json --seconds 0.05 --set "policy.params.share_trunk=$trunk" |
        tr ',' '\n' | awk -F': ' '/flops_per_step/ { print $2 }')
    awk -v t="$(cat "$tmp/time")" -v f="$flops" -v n="$steps" -v s="$trunk" 'BEGIN {
        split(t, a, " "); cpu = a[2] + a[3];
        printf "share_trunk=%s: %d steps, %.1f s wall, %.1f s CPU: %.1f GFLOP per CPU-second, %.1f GFLOP/s wall\n",
            s, n, a[1], cpu, f * n / cpu / 1e9, f * n / a[1] / 1e9 }'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
