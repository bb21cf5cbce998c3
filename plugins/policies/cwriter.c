/* cwriter — the pieces of export_c's C99 files (cwriter.h). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "cwriter.h"

static const char helper_linear[] =
    "/* y (O) = W (O, I) x (I) + b, each output summed in the order ppofw's small-batch path\n"
    " * uses: eight lane sums over i mod 8, the lanes pairwise, the tail inputs, the bias */\n"
    "static void ppo_policy_linear(int n_in, int n_out, const float *x, const float *w,\n"
    "                              const float *b, float *y)\n"
    "{\n"
    "    int o, i, k;\n"
    "    const int i8 = n_in - n_in % 8;\n"
    "    for (o = 0; o < n_out; o++) {\n"
    "        const float *wo = w + (long)o * n_in;\n"
    "        float l[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};\n"
    "        float s;\n"
    "        for (i = 0; i < i8; i += 8)\n"
    "            for (k = 0; k < 8; k++) {\n"
    "                const float p = x[i + k] * wo[i + k];\n"
    "                l[k] = l[k] + p;\n"
    "            }\n"
    "        s = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));\n"
    "        for (i = i8; i < n_in; i++) {\n"
    "            const float p = x[i] * wo[i];\n"
    "            s = s + p;\n"
    "        }\n"
    "        y[o] = s + b[o];\n"
    "    }\n"
    "}\n"
    "\n";

static const char helper_tanh1[] =
    "/* tanh as ppofw computes it (absolute error about 1e-7): with m = expm1(-2|x|), tanh(|x|)\n"
    " * = -m / (2 + m), m from a range reduction -2|x| = k ln2 + r and a polynomial */\n"
    "static float ppo_policy_tanh1(float x)\n"
    "{\n"
    "    const float a = fabsf(x);\n"
    "    float v, sum, k, r, e, s, m, den;\n"
    "    if (a != a)\n"
    "        return x;\n"
    "    v = (a > 9.1f ? 9.1f : a) * -2.0f;\n"
    "    sum = v * 1.44269504089f;\n"
    "    sum = sum + 12582912.0f;\n"
    "    k = sum - 12582912.0f;\n"
    "    r = v - k * 0.693145751953125f;\n"
    "    r = r - k * 1.42860682030941723e-6f;\n"
    "    e = 0.000198909808697f;\n"
    "    e = e * r + 0.00139336410320f;\n"
    "    e = e * r + 0.00833331093445f;\n"
    "    e = e * r + 0.0416664650060f;\n"
    "    e = e * r + 0.166666666816f;\n"
    "    e = e * r + 0.500000001346f;\n"
    "    e = (r * r) * e;\n"
    "    e = e + r;\n"
    "    s = ldexpf(1.0f, (int)k);\n"
    "    e = s * e;\n"
    "    m = e + (s - 1.0f);\n"
    "    den = e + (s + 1.0f);\n"
    "    return copysignf(fabsf(m / den), x);\n"
    "}\n"
    "\n";

static const char helper_sigmoid1[] =
    "/* the sigmoid as 0.5 tanh(x / 2) + 0.5, as ppofw's LSTM */\n"
    "static float ppo_policy_sigmoid1(float x)\n"
    "{\n"
    "    return 0.5f * ppo_policy_tanh1(0.5f * x) + 0.5f;\n"
    "}\n"
    "\n";

static const char helper_activate_tanh[] = "static void ppo_policy_activate(int n, float *x)\n"
                                           "{\n"
                                           "    int i;\n"
                                           "    for (i = 0; i < n; i++)\n"
                                           "        x[i] = ppo_policy_tanh1(x[i]);\n"
                                           "}\n"
                                           "\n";

static const char helper_activate_relu[] = "static void ppo_policy_activate(int n, float *x)\n"
                                           "{\n"
                                           "    int i;\n"
                                           "    for (i = 0; i < n; i++)\n"
                                           "        x[i] = x[i] < 0.0f ? 0.0f : x[i];\n"
                                           "}\n"
                                           "\n";

/* 1 when the normalizer fits D observations and holds finite values */
static int norm_fits(const ppo_obs_norm_t *norm, uint32_t D)
{
    if (norm->dim != D || norm->mean == NULL || norm->var == NULL || !isfinite(norm->epsilon) ||
        !isfinite(norm->clip) || !(norm->clip > 0.0))
        return 0;
    for (uint32_t i = 0; i < D; i++)
        if (!isfinite(norm->mean[i]) || !isfinite(norm->var[i]) ||
            !(norm->var[i] + norm->epsilon > 0.0))
            return 0;
    return 1;
}

static int obs_is_u8(const cw_file_t *f)
{
    return f->obs->struct_size >= offsetof(ppo_space_t, dtype) + sizeof(f->obs->dtype) &&
           f->obs->dtype == PPO_DTYPE_UINT8;
}

int cw_begin(cw_file_t *f, FILE *out, const ppo_host_t *host, const ppo_obs_norm_t *norm,
             const ppo_space_t *obs, const net_dist_t *dist, uint32_t state_size)
{
    *f = (cw_file_t){out, host, norm, obs, dist, state_size};
    if (out == NULL) {
        host->error(host, "export_c needs an output file");
        return -1;
    }
    /* a normalizer that is off is the same as none */
    if (norm != NULL && !norm->enabled)
        f->norm = NULL;
    if (f->norm != NULL && !norm_fits(f->norm, obs->dim)) {
        host->error(host,
                    "export_c: the observation normalizer does not fit the policy (dimension %u "
                    "for %u observations, or a value that is not finite)",
                    f->norm->dim, obs->dim);
        return -1;
    }
    if (obs_is_u8(f))
        for (uint32_t i = 0; i < obs->dim; i++)
            if (obs->low == NULL || obs->high == NULL || !isfinite(obs->low[i]) ||
                !isfinite(obs->high[i]) || !(obs->low[i] < obs->high[i])) {
                host->error(host,
                            "export_c: the uint8 observation space's bounds of element %u are "
                            "not finite with low < high; the file could not scale it",
                            i);
                return -1;
            }
    return 0;
}

void cw_about(const cw_file_t *f)
{
    FILE *out = f->out;
    const net_dist_t *d = f->dist;
    const uint32_t D = f->obs->dim;
    switch (d->kind) {
    case NET_DIST_CATEGORICAL:
        fprintf(out, " * The action is the index of the first largest logit.\n");
        break;
    case NET_DIST_MULTI:
        fprintf(out, " * Action component k is the index of the first largest of its logits.\n");
        break;
    case NET_DIST_GAUSSIAN:
        fprintf(out, " * The action is the MEAN of the Gaussian, NOT clipped to the action "
                     "space's\n * bounds: clip it before giving it to the env.\n");
        break;
    }
    if (obs_is_u8(f))
        fprintf(out, " * Observations are D bytes; element x is first scaled to (x - low) / "
                     "(high - low),\n * computed in double and rounded to float.\n");
    if (f->norm != NULL)
        fprintf(out,
                " * Each observation component x is %snormalized as ppofw does in training:\n"
                " * clip((x - mean) / sqrt(var + %.17g), -%.17g, %.17g).\n",
                obs_is_u8(f) ? "then " : "first ", f->norm->epsilon, f->norm->clip, f->norm->clip);
    else
        fprintf(out, " * Observations are used as %s (no normalization).\n",
                obs_is_u8(f) ? "scaled" : "given");
    if (f->state_size > 0)
        fprintf(out,
                " * The policy has memory: PPO_POLICY_STATE_SIZE floats of state per episode,\n"
                " * which ppo_policy_act reads and overwrites. Call ppo_policy_reset(state)\n"
                " * before the first step of every episode.\n");
    fprintf(out,
            " * Arithmetic is float, in the order the ppofw plugin uses, so the actions match\n"
            " * its deterministic act. Needs only <math.h> (link with -lm). No allocation, no\n"
            " * global state: ppo_policy_act is thread-safe.\n */\n"
            "#include <math.h>\n\n");
    fprintf(out, "#define PPO_POLICY_OBS_DIM %u\n", D);
    fprintf(out, "#define PPO_POLICY_ACT_DIM %u\n", d->A);
    if (d->kind == NET_DIST_CATEGORICAL)
        fprintf(out, "#define PPO_POLICY_N_ACTIONS %u /* the action is in [0, N_ACTIONS) */\n",
                d->P);
    if (d->kind == NET_DIST_MULTI) {
        fprintf(out, "#define PPO_POLICY_NVEC {");
        for (uint32_t k = 0; k < d->A; k++)
            fprintf(out, "%s%u", k > 0 ? ", " : "", d->nvec[k]);
        fprintf(out, "} /* component k is in [0, NVEC[k]) */\n");
    }
    if (obs_is_u8(f))
        fprintf(out, "#define PPO_POLICY_OBS_UINT8 1\n");
    if (f->state_size > 0)
        fprintf(out, "#define PPO_POLICY_STATE_SIZE %u\n", f->state_size);
    fprintf(out, "\n");
}

int cw_array(const cw_file_t *f, const char *name, const float *v, uint32_t rows, uint32_t cols)
{
    const size_t n = (size_t)rows * cols;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) {
            f->host->error(f->host,
                           "export_c: the parameters hold a NaN or Inf; nothing to export");
            return -1;
        }
    if (cols > 1)
        fprintf(f->out, "static const float %s[%u * %u] = {", name, rows, cols);
    else
        fprintf(f->out, "static const float %s[%u] = {", name, rows);
    for (size_t i = 0; i < n; i++)
        fprintf(f->out, "%s%.8ef%s", i % 4 == 0 ? "\n    " : " ", (double)v[i],
                i + 1 < n ? "," : "");
    fprintf(f->out, "\n};\n\n");
    return 0;
}

static void write_doubles(FILE *out, const char *name, const double *v, uint32_t n)
{
    fprintf(out, "static const double %s[%u] = {", name, n);
    for (uint32_t i = 0; i < n; i++)
        fprintf(out, "%s%.17g%s", i % 3 == 0 ? "\n    " : " ", v[i], i + 1 < n ? "," : "");
    fprintf(out, "\n};\n\n");
}

void cw_constants(const cw_file_t *f)
{
    const uint32_t D = f->obs->dim;
    if (obs_is_u8(f)) {
        write_doubles(f->out, "ppo_policy_obs_low", f->obs->low, D);
        write_doubles(f->out, "ppo_policy_obs_high", f->obs->high, D);
    }
    if (f->norm != NULL) {
        write_doubles(f->out, "ppo_policy_obs_mean", f->norm->mean, D);
        write_doubles(f->out, "ppo_policy_obs_var", f->norm->var, D);
    }
}

void cw_helpers(const cw_file_t *f, int activation, int relu, int cell)
{
    fputs(helper_linear, f->out);
    if (cell || (activation && !relu))
        fputs(helper_tanh1, f->out);
    if (cell)
        fputs(helper_sigmoid1, f->out);
    if (activation)
        fputs(relu ? helper_activate_relu : helper_activate_tanh, f->out);
}

void cw_act_open(const cw_file_t *f)
{
    char sig[160];
    const char *obs = obs_is_u8(f) ? "const unsigned char *obs" : "const double *obs";
    const char *state = f->state_size > 0 ? ", float *state" : "";
    switch (f->dist->kind) {
    case NET_DIST_CATEGORICAL:
        snprintf(sig, sizeof(sig), "int ppo_policy_act(%s%s)", obs, state);
        break;
    case NET_DIST_MULTI:
        snprintf(sig, sizeof(sig), "void ppo_policy_act(%s, int *action%s)", obs, state);
        break;
    case NET_DIST_GAUSSIAN:
    default:
        snprintf(sig, sizeof(sig), "void ppo_policy_act(%s, double *action%s)", obs, state);
        break;
    }
    if (f->state_size > 0)
        fprintf(f->out, "void ppo_policy_reset(float *state);\n\n"
                        "void ppo_policy_reset(float *state)\n{\n"
                        "    int i;\n"
                        "    for (i = 0; i < PPO_POLICY_STATE_SIZE; i++)\n"
                        "        state[i] = 0.0f;\n}\n\n");
    fprintf(f->out, "%s;\n\n%s\n{\n    int i;\n", sig, sig);
}

void cw_obs(const cw_file_t *f, const char *buf)
{
    const uint32_t D = f->obs->dim;
    /* x: the element as the policy saw it before normalization, in double */
    const char *x = obs_is_u8(f) ? "(double)(float)(((double)obs[i] - ppo_policy_obs_low[i]) / "
                                   "(ppo_policy_obs_high[i] - ppo_policy_obs_low[i]))"
                                 : "obs[i]";
    if (f->norm != NULL)
        fprintf(f->out,
                "    for (i = 0; i < %u; i++) {\n"
                "        const double inv = 1.0 / sqrt(ppo_policy_obs_var[i] + %.17g);\n"
                "        double v = (%s - ppo_policy_obs_mean[i]) * inv;\n"
                "        v = v < -%.17g ? -%.17g : v > %.17g ? %.17g : v;\n"
                "        %s[i] = (float)v;\n    }\n",
                D, f->norm->epsilon, x, f->norm->clip, f->norm->clip, f->norm->clip, f->norm->clip,
                buf);
    else
        fprintf(f->out, "    for (i = 0; i < %u; i++)\n        %s[i] = (float)%s;\n", D, buf, x);
}

const char *cw_chain(const cw_file_t *f, uint32_t n, const char *const *names,
                     const uint32_t *widths, const char *in, int activate_last,
                     const char *const bufs[2], int *next)
{
    for (uint32_t k = 0; k < n; k++) {
        const char *y = bufs[*next];
        fprintf(
            f->out,
            "    ppo_policy_linear(%u, %u, %s, ppo_policy_%s_weight, ppo_policy_%s_bias, %s);\n",
            widths[k], widths[k + 1], in, names[k], names[k], y);
        if (k + 1 < n || activate_last)
            fprintf(f->out, "    ppo_policy_activate(%u, %s);\n", widths[k + 1], y);
        in = y;
        *next = 1 - *next;
    }
    return in;
}

int cw_act_close(const cw_file_t *f, const char *y)
{
    const net_dist_t *d = f->dist;
    switch (d->kind) {
    case NET_DIST_CATEGORICAL:
        fprintf(f->out,
                "    {\n        int best = 0;\n"
                "        for (i = 1; i < %u; i++)\n"
                "            if (%s[i] > %s[best])\n                best = i;\n"
                "        return best;\n    }\n}\n",
                d->P, y, y);
        break;
    case NET_DIST_MULTI:
        fprintf(f->out,
                "    {\n        static const int nvec[%u] = PPO_POLICY_NVEC;\n"
                "        const float *z = %s;\n"
                "        int k, best;\n"
                "        for (k = 0; k < %u; k++) {\n"
                "            best = 0;\n"
                "            for (i = 1; i < nvec[k]; i++)\n"
                "                if (z[i] > z[best])\n                    best = i;\n"
                "            action[k] = best;\n"
                "            z += nvec[k];\n"
                "        }\n    }\n}\n",
                d->A, y, d->A);
        break;
    case NET_DIST_GAUSSIAN:
        fprintf(f->out, "    for (i = 0; i < %u; i++)\n        action[i] = (double)%s[i];\n}\n",
                d->A, y);
        break;
    }
    if (ferror(f->out)) {
        f->host->error(f->host, "export_c: writing the C file failed");
        return -1;
    }
    return 0;
}
