#!/bin/sh
# Every shipped pipeline in configs/ trains: one iteration of each (ppo.total_steps set to one
# rollout), checking the exit status, that metrics.csv got its row and that episodes.csv is there. MuJoCo pipelines are
# skipped, with a note, when this build has no MuJoCo envs. Shipped sweeps are checked by
# tests/cli/test_cmd_sweep.
set -eu
src=${PPO_TEST_SRCDIR:?}
build=${PPO_TEST_BUILDDIR:?}
ppofw="$build/ppofw"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

status=0
count=0
for cfg in "$src"/configs/*.yaml; do
    name=$(basename "$cfg" .yaml)
    env=$(sed -n '/^env:/,/^[a-z]/s/^  plugin: *\([a-z0-9_]*\).*/\1/p' "$cfg" | head -n 1)
    [ -n "$env" ] || env=$(sed -n 's/^env: *{ *plugin: *\([a-z0-9_]*\).*/\1/p' "$cfg")
    # only the MuJoCo envs may be missing (a build without MuJoCo); anything else must run
    case "$env" in
    half_cheetah | hopper | walker2d | ant | inverted_pendulum)
        if ! "$ppofw" plugins info "$env" >/dev/null 2>&1; then
            echo "skip $name: MuJoCo env \"$env\" is not built here"
            continue
        fi
        ;;
    esac
    T=$(sed -n 's/^  rollout_steps: *\([0-9]*\).*/\1/p' "$cfg")
    N=$(sed -n '/^env:/,/^[a-z]/s/^  num_envs: *\([0-9]*\).*/\1/p' "$cfg")
    steps=$(( ${T:-128} * ${N:-8} ))
    if "$ppofw" run "$cfg" --set ppo.total_steps="$steps" --run-dir "$tmp/$name" -q \
        2> "$tmp/$name.err"; then
        rows=$(($(wc -l < "$tmp/$name/metrics.csv") - 1))
        if [ "$rows" -ne 1 ]; then
            echo "FAIL $name: metrics.csv has $rows rows after one iteration"
            status=1
        elif [ "$(head -n 1 "$tmp/$name/episodes.csv" 2>/dev/null)" != \
            "global_step,env,return,length,terminated,truncated,time_s" ]; then
            echo "FAIL $name: no episodes.csv with its header"
            status=1
        else
            echo "ok $name ($steps steps)"
        fi
    else
        echo "FAIL $name: ppofw run exited $?"
        cat "$tmp/$name.err"
        status=1
    fi
    count=$((count + 1))
done
[ "$count" -gt 0 ] || { echo "FAIL: no config ran"; status=1; }
exit $status
