#!/bin/sh
# Run each libFuzzer harness of tests/fuzz/ for a bounded time over its seed corpus.
#
#   tests/fuzz/run.sh BUILD_DIR [SECONDS_PER_HARNESS [OUT_DIR]]
#
# BUILD_DIR is a build configured with `CC=clang configure --enable-fuzzing` (the harnesses are
# built here if needed). Seeds: fuzz_pipeline gets configs/*.yaml, tests/data/pipelines/*.yaml
# (the bad-input catalogue) and tests/fuzz/corpus/pipeline/; fuzz_checkpoint gets the real
# checkpoints of a short run of tests/fuzz/ckpt-pipeline.yaml and tests/fuzz/corpus/checkpoint/;
# fuzz_ckpt_sections the same checkpoints without their header and CRC (it writes those);
# fuzz_resume the directory of the same run with TensorBoard on, packed by the harness itself
# (FUZZ_RESUME_PACK).
# The growing corpora, logs and any crash inputs stay in OUT_DIR (default BUILD_DIR/fuzz-out),
# so a later run continues where this one stopped. Prints the executions of each harness; exits
# non-zero when a harness found a crash, a leak or a timeout (its input is in OUT_DIR).
# PPOFW=PROGRAM picks the ppofw that trains the seed checkpoints (default BUILD_DIR/ppofw; any
# build of the same tree writes the same format).
set -eu
build=$(cd "${1:?usage: run.sh BUILD_DIR [SECONDS [OUT_DIR]]}" && pwd)
seconds=${2:-60}
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${3:-$build/fuzz-out}
mkdir -p "$out"
out=$(cd "$out" && pwd)

harnesses="pipeline checkpoint ckpt_sections resume"
make -C "$build" -s $(for h in $harnesses; do printf 'tests/fuzz/fuzz_%s ' "$h"; done) >/dev/null

# seeds
mkdir -p "$out/pipeline" "$out/checkpoint" "$out/ckpt_sections" "$out/resume" "$out/sandbox"
cp "$src"/configs/*.yaml "$src"/tests/data/pipelines/*.yaml "$out/pipeline/"
cp "$src"/configs/sweeps/*.yaml "$out/pipeline/" 2>/dev/null || true
cp "$src"/tests/fuzz/corpus/pipeline/* "$out/pipeline/" 2>/dev/null || true
cp "$src"/tests/fuzz/corpus/checkpoint/* "$out/checkpoint/" 2>/dev/null || true
rm -rf "$out/ckpt-run"
ASAN_OPTIONS=detect_leaks=0 "${PPOFW:-$build/ppofw}" run "$src/tests/fuzz/ckpt-pipeline.yaml" \
    --run-dir "$out/ckpt-run" -q
for f in "$out"/ckpt-run/checkpoints/*.ckpt; do
    cp "$f" "$out/checkpoint/seed-$(basename "$f")"
    # the section table alone: after the 24-byte header, before the 4-byte CRC
    size=$(wc -c <"$f")
    tail -c +25 "$f" | head -c $((size - 28)) >"$out/ckpt_sections/seed-$(basename "$f")"
done
# fuzz_resume's pipeline writes TensorBoard events too: a run of its own
rm -rf "$out/resume-run"
ASAN_OPTIONS=detect_leaks=0 "${PPOFW:-$build/ppofw}" run "$src/tests/fuzz/ckpt-pipeline.yaml" \
    --set log.tensorboard=true --run-dir "$out/resume-run" -q
FUZZ_RESUME_PACK="$out/resume-run" FUZZ_RESUME_OUT="$out/resume/seed-run" \
    "$build/tests/fuzz/fuzz_resume" >/dev/null 2>&1

export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export PPO_TEST_SRCDIR="$src"
status=0
for h in $harnesses; do
    dict=
    [ -f "$src/tests/fuzz/$h.dict" ] && dict="-dict=$src/tests/fuzz/$h.dict"
    log="$out/fuzz_$h.log"
    echo "fuzz: fuzz_$h for $seconds s (corpus $out/$h, log $log)"
    set +e
    (cd "$out/sandbox" && "$build/tests/fuzz/fuzz_$h" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=4096 -max_len=262144 -print_final_stats=1 \
        -artifact_prefix="$out/crash-$h-" $dict "$out/$h") >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    files=$(ls "$out/$h" | wc -l)
    echo "fuzz: fuzz_$h: ${execs:-?} executions, $cov, corpus $files files, exit $rc"
    if [ "$rc" -ne 0 ]; then
        echo "fuzz: fuzz_$h FAILED; the end of its log:"
        tail -n 60 "$log"
        ls "$out"/crash-"$h"-* 2>/dev/null || true
        status=1
    fi
done
exit $status
