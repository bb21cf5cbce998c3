# Shared by bench/classic-control.sh and bench/mujoco.sh (sourced, not run): training runs kept
# in a runs directory, at most two at a time, and what the learning tables read from each run.
#
# A job is "NAME CONFIG SEED [--set KEY=VALUE...]": the run of configs/CONFIG.yaml with that seed,
# ppo.threads 1, under `nice -n 10`, in RUNS/NAME-SEED. A run directory that already holds
# `wall_s` is finished and kept (so an interrupted bench resumes where it stopped; delete the
# directory to run it again). Each run's wall time goes to RUNS/NAME-SEED/wall_s, its stderr to
# RUNS/NAME-SEED.log.
#
# Needs: $ppofw (the program), $src (the source tree), $runs (the runs directory).

# Run one job (the arguments of a job line).
bench_run_one() {
    name=$1 cfg=$2 seed=$3
    shift 3
    dir="$runs/$name-$seed"
    [ -f "$dir/wall_s" ] && return 0
    rm -rf "$dir"
    start=$(date +%s.%N)
    if nice -n 10 "$ppofw" run "$src/configs/$cfg.yaml" --set seed="$seed" --set ppo.threads=1 \
        "$@" --run-dir "$dir" -q 2> "$runs/$name-$seed.log"; then
        end=$(date +%s.%N)
        awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f\n", b - a }' > "$dir/wall_s"
    else
        echo "bench: $name seed $seed failed; see $runs/$name-$seed.log" >&2
        return 1
    fi
}

# Run every job line of the file $1, two at a time (the machine's other work gets the rest).
bench_run_all() {
    mkdir -p "$runs"
    export ppofw src runs
    # shellcheck disable=SC2016
    tr '\n' '\0' < "$1" | xargs -0 -P "${BENCH_JOBS:-2}" -I '{}' sh -c '
        . "$0"; eval "set -- $1"; bench_run_one "$@"' "$bench_lib" '{}'
}

# The final ep_return_mean (mean raw return of the last 100 training episodes) of run dir $1.
bench_final() {
    awk -F, 'NR > 1 && $4 != "" { v = $4 } END { printf "%.1f", v }' "$1/metrics.csv"
}

# The first global_step at which ep_return_mean (100 episodes, a full window) reached $2 in run
# dir $1, or "-".
bench_reached100() {
    awk -F, -v target="$2" 'NR > 1 && $3 >= 100 && $4 != "" && $4 + 0 >= target + 0 {
        print $1; found = 1; exit } END { if (!found) print "-" }' "$1/metrics.csv"
}

# The first global_step at which the mean return of the last $3 episodes of episodes.csv
# reached $2 in run dir $1 (once $3 episodes have finished), or "-".
bench_reached_last() {
    awk -F, -v target="$2" -v n="$3" 'NR > 1 {
        k++; r[k] = $3; sum += $3; if (k > n) sum -= r[k - n]
        if (k >= n && sum / n >= target + 0) { print $1; found = 1; exit } }
        END { if (!found) print "-" }' "$1/episodes.csv"
}

# ep_return_mean at every $2 steps of run dir $1, space separated.
bench_curve() {
    awk -F, -v every="$2" 'BEGIN { mark = every } NR > 1 && $1 >= mark && $4 != "" {
        printf "%s%.0f", sep, $4; sep = " "; while (mark <= $1) mark += every }' \
        "$1/metrics.csv"
}

# Mean and sample standard deviation of the numbers on stdin ("MEAN STD").
bench_mean_std() {
    awk '{ x[NR] = $1; s += $1 } END { m = s / NR; for (i = 1; i <= NR; i++) v += (x[i] - m) ^ 2;
        printf "%.1f %.1f", m, (NR > 1 ? sqrt(v / (NR - 1)) : 0) }'
}
