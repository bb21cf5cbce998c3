#!/usr/bin/env python3
"""Reference values for tests/plugins/test_adam.c and tests/plugins/test_sgd.c.

Plain Python 3 (no numpy). The update rules are torch.optim.Adam and torch.optim.SGD (dampening
0) written out for one flat float32 array; they do not call the plugins. Every stored quantity
(parameters, Adam's m and v, SGD's momentum buffer) is rounded to float32 after each step, as the
core's arrays hold floats; the arithmetic in between is double. Three steps (t = 1, 2, 3) per
case, each with its own gradient; the state after every step is printed as C initializers to
paste into the tests (nine significant digits, which name a float32 exactly).

  Adam:  g += wd * p;  m = b1 * m + (1 - b1) * g;  v = b2 * v + (1 - b2) * g * g;
         bc1 = 1 - b1^t;  bc2 = 1 - b2^t;  denom = sqrt(v) / sqrt(bc2) + eps;
         p -= (lr / bc1) * m / denom
  SGD:   g += wd * p;  if momentum: buf = g at t = 1, else momentum * buf + g;
         g = g + momentum * buf if nesterov else buf;  p -= lr * g

Usage: python3 tests/plugins/optimizer_reference.py
"""

import math
import struct


def f32(x):
    """Round a double to the nearest float32, as storing it in a float array does."""
    return struct.unpack("f", struct.pack("f", x))[0]


def adam(p0, grads, lr, b1, b2, eps, wd):
    p = [f32(x) for x in p0]
    m = [0.0] * len(p)
    v = [0.0] * len(p)
    steps = []
    for t, g_t in enumerate(grads, start=1):
        bc1 = 1.0 - b1 ** t
        bc2 = 1.0 - b2 ** t
        step_size = lr / bc1
        bc2_sqrt = math.sqrt(bc2)
        for j in range(len(p)):
            g = f32(g_t[j])
            if wd != 0.0:
                g = g + wd * p[j]
            m[j] = f32(b1 * m[j] + (1.0 - b1) * g)
            v[j] = f32(b2 * v[j] + (1.0 - b2) * g * g)
            denom = math.sqrt(v[j]) / bc2_sqrt + eps
            p[j] = f32(p[j] - step_size * m[j] / denom)
        steps.append((list(p), list(m), list(v)))
    return steps


def sgd(p0, grads, lr, momentum, nesterov, wd):
    p = [f32(x) for x in p0]
    buf = [0.0] * len(p)
    steps = []
    for t, g_t in enumerate(grads, start=1):
        for j in range(len(p)):
            g = f32(g_t[j])
            if wd != 0.0:
                g = g + wd * p[j]
            if momentum != 0.0:
                buf[j] = f32(g if t == 1 else momentum * buf[j] + g)
                g = g + momentum * buf[j] if nesterov else buf[j]
            p[j] = f32(p[j] - lr * g)
        steps.append((list(p), list(buf)))
    return steps


# The same start and gradients serve every case. Element 3 has gradient 0 at t = 1 (Adam must
# leave it in place, not divide 0 by 0); element 2 changes sign between steps.
PARAMS0 = [0.5, -1.25, 2.0, 0.0, 3.0]
GRADS = [
    [0.1, -0.2, 0.3, 0.0, -1.5],
    [0.05, 0.4, -0.6, 0.25, -1.0],
    [-0.3, 0.1, 0.2, -0.125, 2.0],
]

ADAM_RUNS = [
    # (label, lr given to step, beta1, beta2, eps, weight_decay)
    ("adam_defaults", 0.05, 0.9, 0.999, 1e-5, 0.0),
    ("adam_weight_decay", 0.1, 0.8, 0.99, 1e-8, 0.1),
]

SGD_RUNS = [
    # (label, lr given to step, momentum, nesterov, weight_decay)
    ("sgd_plain", 0.1, 0.0, False, 0.0),
    ("sgd_momentum", 0.1, 0.9, False, 0.0),
    ("sgd_nesterov", 0.1, 0.9, True, 0.0),
    ("sgd_weight_decay", 0.1, 0.0, False, 0.01),
    ("sgd_momentum_weight_decay", 0.1, 0.5, False, 0.2),
]


def c_list(xs, fmt):
    return "{" + ", ".join(fmt(x) for x in xs) + "}"


def c_float(x):
    return "%.1ff" % x if x == int(x) else "%gf" % x


def print_steps(label, names, steps):
    for what_index, what in enumerate(names):
        print("static const double %s_%s[3][N_PARAMS] = {" % (label, what))
        for state in steps:
            print("    %s," % c_list(state[what_index], lambda x: "%.9g" % x))
        print("};")


def main():
    print("/* ---- inputs (both tests) ---- */")
    print("#define N_PARAMS %d" % len(PARAMS0))
    print("static const float params0[N_PARAMS] = %s;" % c_list(PARAMS0, c_float))
    print("static const float grads[3][N_PARAMS] = {")
    for g in GRADS:
        print("    %s," % c_list(g, c_float))
    print("};")
    print()
    print("/* ---- expected values for test_adam.c ---- */")
    for label, lr, b1, b2, eps, wd in ADAM_RUNS:
        print("/* %s: lr %r, beta1 %r, beta2 %r, eps %r, weight_decay %r;\n * rows t = 1, 2, 3 */"
              % (label, lr, b1, b2, eps, wd))
        print_steps(label, ("params", "m", "v"), adam(PARAMS0, GRADS, lr, b1, b2, eps, wd))
        print()
    print("/* ---- expected values for test_sgd.c ---- */")
    for label, lr, mom, nest, wd in SGD_RUNS:
        print("/* %s: lr %r, momentum %r, nesterov %r, weight_decay %r;\n * rows t = 1, 2, 3 */"
              % (label, lr, mom, nest, wd))
        names = ("params", "buf") if mom != 0.0 else ("params",)
        print_steps(label, names, sgd(PARAMS0, GRADS, lr, mom, nest, wd))
        print()


if __name__ == "__main__":
    main()
