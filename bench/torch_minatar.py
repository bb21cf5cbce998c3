#!/usr/bin/env python3
"""The network side of configs/minatar-breakout.yaml in PyTorch, for bench/RESULTS.md.

The same network as ppofw's cnn preset `minatar` with share_trunk: true (conv 16 3x3 stride 1,
ReLU, dense 128, ReLU, then a 3-way policy head and a value head on the shared trunk) and the
same PPO iteration: 64 envs x 128 steps of acting (forward, categorical sample, log-prob), the
values of the rollout, GAE (gamma 0.999, lambda 0.95), then 4 epochs of 8 minibatches of 1024
with the clipped policy loss, the clipped value loss (0.2), the entropy bonus (0.01), the
gradient norm clipped at 0.5 and Adam (lr 5e-4, eps 1e-5). The env is left out: every step's
observations are random binary 4x10x10 grids made before timing starts (MinAtar's steps cost
ppofw well under 1% of an iteration, see `ppofw bench`), so the figure is an upper bound of what
a PyTorch agent with this network trains at on this machine.

    python3 bench/torch_minatar.py [THREADS] [ITERATIONS]

Prints one JSON line: torch version, threads, steps/s over the iterations after the first.
Needs Debian's python3-torch (apt-get install python3-torch).
"""
import json
import sys
import time

import torch
import torch.nn as nn

N, T, EPOCHS, MINIBATCHES = 64, 128, 4, 8
C, H, W, A = 4, 10, 10, 3
GAMMA, LAM, CLIP, VF_CLIP, ENT, VF, MAX_NORM = 0.999, 0.95, 0.2, 0.2, 0.01, 0.5, 0.5


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(C, 16, 3, 1)
        self.fc = nn.Linear(16 * (H - 2) * (W - 2), 128)
        self.pi = nn.Linear(128, A)
        self.v = nn.Linear(128, 1)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        h = torch.relu(self.fc(h.flatten(1)))
        return self.pi(h), self.v(h).squeeze(-1)


def iteration(net, opt, grids, gen):
    obs = torch.empty((T + 1, N, C, H, W))
    actions = torch.empty((T, N), dtype=torch.long)
    logp = torch.empty((T, N))
    values = torch.empty((T + 1, N))
    rewards = torch.zeros((T, N))
    dones = torch.zeros((T, N))
    with torch.no_grad():
        for t in range(T + 1):
            obs[t] = grids[t]
            logits, v = net(obs[t])
            values[t] = v
            if t == T:
                break
            dist = torch.distributions.Categorical(logits=logits)
            a = dist.sample()
            actions[t] = a
            logp[t] = dist.log_prob(a)
            rewards[t] = (torch.rand(N, generator=gen) < 0.05).float()
        adv = torch.zeros((T, N))
        last = torch.zeros(N)
        for t in reversed(range(T)):
            nonterm = 1.0 - dones[t]
            delta = rewards[t] + GAMMA * values[t + 1] * nonterm - values[t]
            last = delta + GAMMA * LAM * nonterm * last
            adv[t] = last
        ret = adv + values[:T]
    b_obs = obs[:T].reshape(T * N, C, H, W)
    b_act, b_logp = actions.reshape(-1), logp.reshape(-1)
    b_adv, b_ret, b_val = adv.reshape(-1), ret.reshape(-1), values[:T].reshape(-1)
    mb = T * N // MINIBATCHES
    for _ in range(EPOCHS):
        perm = torch.randperm(T * N, generator=gen)
        for m in range(MINIBATCHES):
            idx = perm[m * mb:(m + 1) * mb]
            logits, v = net(b_obs[idx])
            dist = torch.distributions.Categorical(logits=logits)
            new_logp = dist.log_prob(b_act[idx])
            ratio = (new_logp - b_logp[idx]).exp()
            a = b_adv[idx]
            a = (a - a.mean()) / (a.std() + 1e-8)
            pg = torch.max(-a * ratio, -a * ratio.clamp(1 - CLIP, 1 + CLIP)).mean()
            v_clipped = b_val[idx] + (v - b_val[idx]).clamp(-VF_CLIP, VF_CLIP)
            vl = 0.5 * torch.max((v - b_ret[idx]) ** 2, (v_clipped - b_ret[idx]) ** 2).mean()
            loss = pg - ENT * dist.entropy().mean() + VF * vl
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), MAX_NORM)
            opt.step()


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    gen = torch.Generator().manual_seed(1)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=5e-4, eps=1e-5)
    grids = (torch.rand((T + 1, N, C, H, W), generator=gen) < 0.1).float()
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        iteration(net, opt, grids, gen)
        times.append(time.perf_counter() - t0)
    steady = times[1:] if len(times) > 1 else times
    print(json.dumps({"torch": torch.__version__, "threads": threads,
                      "iterations": len(steady),
                      "steps_per_s": round(N * T * len(steady) / sum(steady), 1)}))


if __name__ == "__main__":
    main()
