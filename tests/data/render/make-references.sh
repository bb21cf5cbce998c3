#!/bin/sh
# Make the reference pictures of tests/cli/test_cmd_eval_record.c: the first frame ppofw eval
# records for each classic-control env with the evaluation seed 0, i.e. the state reset draws
# from the stream (0, "eval-env", 0). That frame depends on the env's reset and drawing only, not
# on the policy, so a one-iteration run gives the checkpoint. Run from the top of a built tree:
#   sh tests/data/render/make-references.sh
# Look at the pictures before committing them: they must show what Gymnasium's renderer shows.
set -eu
out=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for pair in cartpole:cartpole acrobot:acrobot mountaincar:mountain_car \
    mountaincar-continuous:mountain_car_continuous pendulum:pendulum; do
    config=${pair%%:*}
    env=${pair##*:}
    ./ppofw run "configs/$config.yaml" --run-dir "$tmp/$env" -q --set ppo.total_steps=256 \
        --set env.num_envs=1 --set ppo.rollout_steps=256 --set ppo.minibatches=1
    ckpt=$(ls "$tmp/$env"/checkpoints/ckpt-*.ckpt | head -n 1)
    ./ppofw eval --checkpoint "$ckpt" -n 1 --deterministic --set env.max_episode_steps=1 \
        --record "$tmp/$env-frames" --frames
    cp "$tmp/$env-frames"/ep000-*/frame-00000.png "$out/$env-reset.png"
    echo "wrote $out/$env-reset.png"
done
