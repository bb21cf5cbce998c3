#!/usr/bin/env python3
"""Reference values for tests/plugins/test_gae.c and tests/plugins/test_mc.c.

Plain Python 3 (no numpy): each case's inputs are rounded to float32 (what the rollout holds),
every sum is carried in double, and the results are printed (shortest round-trip repr) as C
initializers to paste into the tests. The recursions are written from DESIGN.md section 3 and
include/ppofw/advantage.h, index [t * N + i]; they do not call the plugins.

  GAE:  terminated -> next value 0, chain cut; truncated -> next value bootstrap_values[t], chain
        cut; otherwise next value values[t+1] (last_values[i] at t = T-1), chain continues.
        delta = r + gamma * next - V;  A = delta + gamma * lambda * continue * A_next;  R = A + V.
  MC:   G = r + gamma * (0 if terminated else bootstrap if truncated else
                         last_values[i] if t = T-1 else G_next);  A = G - V;  R = G.

Usage: python3 tests/plugins/advantage_reference.py
"""

import struct


def f32(x):
    """Round a double to the nearest float32, as storing it in a float array does."""
    return struct.unpack("f", struct.pack("f", x))[0]


def gae(case, gamma, lam):
    T, N = case["T"], case["N"]
    r = [f32(x) for x in case["rewards"]]
    v = [f32(x) for x in case["values"]]
    term = case["terminated"]
    trunc = case["truncated"]
    boot = [f32(x) for x in case["bootstrap"]]
    last = [f32(x) for x in case["last"]]
    adv = [0.0] * (T * N)
    ret = [0.0] * (T * N)
    for i in range(N):
        a = 0.0
        for t in reversed(range(T)):
            k = t * N + i
            if term[k]:
                nxt, cont = 0.0, 0.0
            elif trunc[k]:
                nxt, cont = boot[k], 0.0
            else:
                nxt = last[i] if t == T - 1 else v[k + N]
                cont = 1.0
            delta = r[k] + gamma * nxt - v[k]
            a = delta + gamma * lam * cont * a
            adv[k] = a
            ret[k] = a + v[k]
    return adv, ret


def mc(case, gamma):
    T, N = case["T"], case["N"]
    r = [f32(x) for x in case["rewards"]]
    v = [f32(x) for x in case["values"]]
    term = case["terminated"]
    trunc = case["truncated"]
    boot = [f32(x) for x in case["bootstrap"]]
    last = [f32(x) for x in case["last"]]
    adv = [0.0] * (T * N)
    ret = [0.0] * (T * N)
    for i in range(N):
        g = 0.0
        for t in reversed(range(T)):
            k = t * N + i
            if term[k]:
                nxt = 0.0
            elif trunc[k]:
                nxt = boot[k]
            elif t == T - 1:
                nxt = last[i]
            else:
                nxt = g
            g = r[k] + gamma * nxt
            adv[k] = g - v[k]
            ret[k] = g
    return adv, ret


# One env over six steps: a termination at t = 1, a truncation at t = 3 (bootstrap 2.5), and the
# rollout cut after t = 5 (last value 0.75).
SINGLE = {
    "T": 6, "N": 1,
    "rewards": [1.0, 0.5, -0.25, 2.0, 0.0, 1.5],
    "values": [0.5, 1.0, 0.25, -0.5, 1.25, 0.75],
    "terminated": [0, 1, 0, 0, 0, 0],
    "truncated": [0, 0, 0, 1, 0, 0],
    "bootstrap": [0.0, 0.0, 0.0, 2.5, 0.0, 0.0],
    "last": [0.75],
}

# Step 1 is both terminated and truncated, with a bootstrap value that must be ignored.
BOTH_FLAGS = {
    "T": 3, "N": 1,
    "rewards": [1.0, 2.0, 0.5],
    "values": [0.25, 0.5, -1.0],
    "terminated": [0, 1, 0],
    "truncated": [0, 1, 0],
    "bootstrap": [0.0, 8.0, 0.0],
    "last": [2.0],
}

# Three envs over five steps, rows t*3+i. env 0 terminates at t = 2 and then runs to the cut;
# env 1 is truncated at t = 1 (bootstrap -1.5) and terminates on the last step (its last value
# must be ignored); env 2 never ends (only the rollout cut).
MULTI = {
    "T": 5, "N": 3,
    "rewards": [
        1.0, 0.5, -1.0,
        0.25, 2.0, 0.5,
        -0.5, 1.0, 1.5,
        2.0, -0.25, 0.0,
        0.75, 1.25, -0.5,
    ],
    "values": [
        0.5, 1.5, -0.25,
        1.0, 0.75, 0.5,
        -0.25, 2.25, 1.0,
        0.25, -1.0, 0.75,
        1.5, 0.5, -0.75,
    ],
    "terminated": [
        0, 0, 0,
        0, 0, 0,
        1, 0, 0,
        0, 0, 0,
        0, 1, 0,
    ],
    "truncated": [
        0, 0, 0,
        0, 1, 0,
        0, 0, 0,
        0, 0, 0,
        0, 0, 0,
    ],
    "bootstrap": [
        0.0, 0.0, 0.0,
        0.0, -1.5, 0.0,
        0.0, 0.0, 0.0,
        0.0, 0.0, 0.0,
        0.0, 0.0, 0.0,
    ],
    "last": [1.0, 3.0, -2.0],
}

# The smallest rollout: one step of one env, cut with a last value.
ONE_STEP = {
    "T": 1, "N": 1,
    "rewards": [0.5],
    "values": [0.25],
    "terminated": [0],
    "truncated": [0],
    "bootstrap": [0.0],
    "last": [1.5],
}

CASES = [
    ("SINGLE", SINGLE),
    ("BOTH_FLAGS", BOTH_FLAGS),
    ("MULTI", MULTI),
    ("ONE_STEP", ONE_STEP),
]

RUNS = [
    # (estimator, case, gamma, lambda, array name in the tests)
    ("gae", "SINGLE", 0.99, 0.95, "single_defaults"),
    ("gae", "BOTH_FLAGS", 0.9, 0.8, "both_flags"),
    ("gae", "MULTI", 0.9, 0.8, "multi"),
    ("gae", "MULTI", 0.9, 0.0, "multi_lambda0"),
    ("gae", "MULTI", 0.9, 1.0, "multi_lambda1"),
    ("gae", "MULTI", 1.0, 0.95, "multi_gamma1"),
    ("gae", "ONE_STEP", 0.99, 0.95, "one_step"),
    ("mc", "SINGLE", 0.99, None, "single_defaults"),
    ("mc", "BOTH_FLAGS", 0.9, None, "both_flags"),
    ("mc", "MULTI", 0.9, None, "multi"),
    ("mc", "MULTI", 1.0, None, "multi_gamma1"),
    ("mc", "ONE_STEP", 0.99, None, "one_step"),
]


def c_floats(xs, per_line, indent):
    lines = []
    for j in range(0, len(xs), per_line):
        lines.append(indent + ", ".join("%.1ff" % x if x == int(x) else "%gf" % x
                                        for x in xs[j:j + per_line]) + ",")
    return "\n".join(lines)


def c_doubles(xs, per_line, indent):
    lines = []
    for j in range(0, len(xs), per_line):
        lines.append(indent + ", ".join(repr(x) for x in xs[j:j + per_line]) + ",")
    return "\n".join(lines)


def per_line(case):
    return case["N"] if case["N"] > 1 else 4


def main():
    cases = dict(CASES)
    print("/* ---- inputs (both tests) ---- */")
    for name, case in CASES:
        print("static const adv_case_t case_%s = {" % name.lower())
        print("    .T = %d," % case["T"])
        print("    .N = %d," % case["N"])
        for key in ("rewards", "values", "terminated", "truncated", "bootstrap", "last"):
            xs = [float(x) for x in case[key]]
            if case["N"] == 1 or key == "last":
                print("    .%s = (const float[]){%s}," % (key, c_floats(xs, len(xs), "")[:-1]))
            else:
                print("    .%s =" % key)
                print("        (const float[]){")
                print(c_floats(xs, case["N"], " " * 12))
                print("        },")
        print("};")
        print()
    previous = None
    for est, cname, gamma, lam, label in RUNS:
        case = cases[cname]
        if est != previous:
            print("/* ---- expected values for test_%s.c ---- */" % est)
            previous = est
        if est == "gae":
            adv, ret = gae(case, gamma, lam)
            print("/* gae on %s, gamma %r, lambda %r */" % (cname, gamma, lam))
        else:
            adv, ret = mc(case, gamma)
            print("/* mc on %s, gamma %r */" % (cname, gamma))
        for what, xs in (("adv", adv), ("ret", ret)):
            print("static const double %s_%s[] = {" % (label, what))
            print(c_doubles(xs, per_line(case), " " * 4))
            print("};")
        print()


if __name__ == "__main__":
    main()
