#!/bin/sh
# Memory on partially observable tasks: the NoVel pipelines (velocities observed as 0, as
# rl-baselines3-zoo's NoVel tasks) with their recurrent `lstm` policy and, for comparison, with the
# memoryless `mlp` in its place (its defaults: [64, 64] tanh actor and critic), seeds 1-3, each at
# its config's budget. The runs are those of the sweep configs/sweeps/memory.yaml (`ppofw sweep`,
# under nice -n 10, one thread per run), so docs/ablations.md and this file come from the same
# runs. Reported per run: the first step at which ep_return_mean (mean raw return of the last 100
# training episodes) reached the target with a full window of 100 episodes, the final
# ep_return_mean, the wall time and a curve; then the mean over seeds against the targets. Then
# `ppofw bench` of the CartPoleNoVel pipeline, and the solved CartPoleNoVel checkpoint (lstm,
# seed 1) evaluated deterministically over 100 episodes and exported to C (`export --verify`:
# the compiled file, stepped with its state through episodes with resets inside, must pick the
# plugin's actions). Writes bench/memory.md.
#
#   bench/memory.sh [PPOFW]   PPOFW defaults to ./ppofw (run from the build tree)
#   MEMORY_RUNS=DIR           the sweep's output directory, kept (a finished sweep there is not
#                             run again; an interrupted one continues)
#   MEMORY_MD=FILE            write FILE instead of bench/memory.md
#   BENCH_JOBS=2              runs at a time
set -eu
ppofw=${1:-./ppofw}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
out="${MEMORY_MD:-$here/memory.md}"
bench_lib="$here/learning.sh"
. "$bench_lib"
if [ -n "${MEMORY_RUNS:-}" ]; then
    runs=$MEMORY_RUNS
else
    runs=$(mktemp -d)
    trap 'rm -rf "$runs"' EXIT
fi

# config, target, what the target asks (each: every seed reaches it within the budget; mean: the
# mean final return over seeds), budget (the config's ppo.total_steps), zoo's ppo_lstm benchmark
rows="cartpole-novel 475 each 100000 500.0+-0.0(100k)
pendulum-novel -220 mean 200000 -217.9+-140.1(100k)
mountaincar-continuous-novel 85 mean 300000 91.5+-1.8(300k)"

nice -n 10 "$ppofw" sweep "$src/configs/sweeps/memory.yaml" --out "$runs" -j "${BENCH_JOBS:-2}" -q
run_s=$(cat "$runs"/runs/*/metrics.csv | awk -F, '$1 == "global_step" && NR > 1 { s += t }
    { t = $6 } END { printf "%.0f", s + t }')

{
    echo "# Memory: recurrent (lstm) against memoryless (mlp) policies on the NoVel tasks"
    echo
    echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(uname -m)), ppofw $("$ppofw" --version | cut -d' ' -f2), one thread per run, two runs at a time, under \`nice -n 10\` (\`bench/memory.sh\`):"
    echo
    echo '    nice -n 10 '"$ppofw"' sweep configs/sweeps/memory.yaml --out DIR -j '"${BENCH_JOBS:-2}"
    echo
    echo "which runs, for each config, policy P and seed S (ppo.threads 0 becomes 1 with two runs at a time):"
    echo
    echo '    '"$ppofw"' run configs/CONFIG.yaml --set policy.plugin=P --set seed=S --set ppo.threads=1'
    echo
    echo "Its 18 runs trained for ${run_s} s together (the sum of their last \`time_s\`), two at a time."
    echo
    echo "The tasks are the classic-control envs with \`mask_velocity: true\`: the velocity entries of the"
    echo "observation read 0 (rl-baselines3-zoo's MaskVelocityWrapper), so a policy has to infer them"
    echo "from the observations it remembers. \`lstm\` rows run the config as shipped; \`mlp\` rows put the"
    echo "memoryless \`mlp\` policy with its defaults (actor and critic [64, 64], tanh, orthogonal init,"
    echo "log std 0) in its place and keep everything else."
    echo
    echo "\`steps to target\`: the first iteration whose ep_return_mean (mean raw return of the last 100"
    echo "finished training episodes, stochastic actions) met the target with at least 100 episodes"
    echo "finished; \`-\`: never. \`final\`: ep_return_mean at the last iteration (\`last step\`; a budget"
    echo "ends at the first whole rollout past it). \`curve\`: ep_return_mean at every tenth of the"
    echo "budget. Wall times come from a machine shared with other builds and runs."
    echo
    echo "| config | policy | target | seed | steps to target | final | last step | wall time (s) | curve |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
} > "$out.tmp"

summary=$(mktemp)
echo "$rows" | while read -r cfg target rule budget zoo; do
    for policy in lstm mlp; do
        finals="" reached=0
        for seed in 1 2 3; do
            dir="$runs/runs/base=$cfg,policy.plugin=$policy-s$seed"
            final=$(bench_final "$dir")
            finals="$finals$final
"
            steps=$(bench_reached100 "$dir" "$target")
            last=$(awk -F, 'NR > 1 { s = $1 } END { print s }' "$dir/metrics.csv")
            [ "$steps" != "-" ] && [ "$steps" -le "$budget" ] && reached=$((reached + 1))
            echo "| $cfg | $policy | $target | $seed | $steps | $final | $last | $(awk -F, 'NR > 1 { t = $6 } END { printf "%.1f", t }' "$dir/metrics.csv") | $(bench_curve "$dir" $((budget / 10))) |" >> "$out.tmp"
        done
        ms=$(printf "%s" "$finals" | bench_mean_std)
        mean=${ms% *}
        if [ "$rule" = each ]; then
            ask="each seed >= $target within $budget"
            met=$([ "$reached" -eq 3 ] && echo yes || echo no)
        else
            ask="mean final >= $target"
            met=$(awk -v m="$mean" -v t="$target" 'BEGIN { print (m + 0 >= t + 0) ? "yes" : "no" }')
        fi
        echo "| $cfg | $policy | $mean | ${ms#* } | $reached of 3 | $ask | $met | $(echo "$zoo" | sed 's/+-/ +- /; s/(/ (/') |" >> "$summary"
    done
done
{
    echo
    echo "## Mean over seeds 1-3"
    echo
    echo "\`zoo\`: rl-baselines3-zoo's ppo_lstm benchmark (one trained agent, deterministic evaluation,"
    echo "at the training budget in brackets), for scale; it is not the same measure as the training"
    echo "return here."
    echo
    echo "| config | policy | mean final | std over seeds | seeds reaching the target | target | met | zoo (RecurrentPPO) |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
    cat "$summary"
} >> "$out.tmp"
rm -f "$summary"

# the pipeline's cost: FLOPs of the LSTM, fraction of the GEMM ceiling, allocations
{
    echo
    echo "## Cost of the CartPoleNoVel pipeline"
    echo
    echo "\`forward per row\` is lstm's forward_flops: 8 H (in + H) per LSTM layer and step, for the"
    echo "actor's and the critic's LSTM (H 64, in 4: 2 x 34816), plus 2 in out per dense layer (the"
    echo "[64] heads: 16768). Throughput and the fraction of the ceiling move with the machine's load;"
    echo "the FLOP count and the allocations per iteration do not."
    echo
    echo '    '"$ppofw"' bench configs/cartpole-novel.yaml --set ppo.threads=1'
    echo
    nice -n 10 "$ppofw" bench "$src/configs/cartpole-novel.yaml" --set ppo.threads=1 2>&1 |
        sed "s|$src/||g; s/^/    /"
} >> "$out.tmp"

# the solved checkpoint: deterministic evaluation and the exported C
ckpt=$(ls "$runs/runs/base=cartpole-novel,policy.plugin=lstm-s1/checkpoints/"ckpt-*.ckpt | tail -n 1)
exp=$(mktemp -d)
{
    echo
    echo "## The solved CartPoleNoVel checkpoint"
    echo
    echo "The last checkpoint of the lstm run with seed 1 ($(basename "$ckpt")), evaluated with the"
    echo "distribution's mode over 100 episodes of fresh envs, and exported to C:"
    echo
    echo '    '"$ppofw"' eval --checkpoint RUN/checkpoints/'"$(basename "$ckpt")"' --deterministic -n 100'
    echo
    "$ppofw" eval --checkpoint "$ckpt" --deterministic -n 100 2>&1 |
        sed "s|$(dirname "$ckpt")|RUN/checkpoints|g; s/^/    /"
    echo
    echo '    '"$ppofw"' export --checkpoint RUN/checkpoints/'"$(basename "$ckpt")"' -o policy.c --header policy.h --verify'
    echo
    "$ppofw" export --checkpoint "$ckpt" -o "$exp/policy.c" --header "$exp/policy.h" --verify 2>&1 |
        sed "s|$exp/||g; s/^/    /"
} >> "$out.tmp"
rm -rf "$exp"

# how the configs got their settings: fixed text, measured by hand when they were tuned
cat >> "$out.tmp" <<'EOF_TUNING'

## From rl-baselines3-zoo's settings to the shipped ones

The configs start from rl-baselines3-zoo's `ppo_lstm` entries (hyperparams/ppo_lstm.yml; see
each config's comment). `lstm` has no gSDE, which the zoo uses on PendulumNoVel (sde_sample_freq
4) and MountainCarContinuousNoVel (sde_sample_freq 8): both configs use a Gaussian head with a
state-independent log std instead. The zoo's CartPoleNoVel benchmark evaluates the final agent
deterministically; the target here is the training return of the last 100 episodes, which lags
behind. These runs were measured by hand on 2026-12-07 while tuning (not rerun by this script);
each is `nice -n 10 ./ppofw run configs/CONFIG.yaml --set seed=S --set ppo.threads=1` with the
overrides given, which turn the shipped config back into the setting named:

| config | setting | overrides | seed 1 | seed 2 | seed 3 |
| --- | --- | --- | --- | --- | --- |
| cartpole-novel | the zoo's (8 envs, lr 1e-3, no entropy bonus) | `env.num_envs=8 optimizer.params.lr=1e-3 ppo.ent_coef=0` | 475 at 74752, final 500.0 | final 387.0 | final 442.1 |
| cartpole-novel | lr 2e-3 | `env.num_envs=8 ppo.ent_coef=0` | 475 at 67072, final 500.0 | 475 at 92416, final 498.5 | final 416.5 |
| cartpole-novel | lr 2e-3, 16 envs | `ppo.ent_coef=0` | 475 at 60416, final 500.0 | final 292.4 (fell from 459) | 475 at 72704, final 500.0 |
| cartpole-novel | shipped: lr 2e-3, 16 envs, entropy 0.01 | | see above | | |
| pendulum-novel | the zoo's (constant lr) | `ppo.lr_schedule=constant` | final -234.8 | final -237.2 | final -360.2 |
| mountaincar-continuous-novel | the zoo's without gSDE | `policy.params.log_std_init=0 optimizer.params.lr=7.77e-5 ppo.ent_coef=0.00429 ppo.rollout_steps=1024 ppo.minibatches=32` | final -22.1 | | |

On MountainCarContinuousNoVel the zoo's settings without gSDE's held noise learn to stand
still. A wide Gaussian kept wide by the entropy bonus (log std 1, ent_coef 0.1) with lr 1e-3
found the flag (seed 1: final 84.97 at 303104 steps with 1024-step rollouts); halving the rollouts to
512 steps (twice the updates) made it the shipped setting.
EOF_TUNING
mv "$out.tmp" "$out"
echo "wrote $out"
