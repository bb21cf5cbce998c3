/* policy_export — the shared pieces of the policies' export_c files (see policy_export.h).
 *
 * The helpers the file defines repeat ppo_tanh (core/ppo_nn.c) and the small-batch path of
 * ppo_linear_forward operation for operation, with the same constants, so the file computes what
 * the plugin computes: bit for bit where neither uses fused multiply-adds, to float rounding
 * otherwise. The observation's loading is the core's: a uint8 element x becomes
 * (x - low) / (high - low) in double, rounded to float; the normalization is ppo_rms_normalize's
 * formula. Left out: any allocation or global state in the output.
 */
#include <math.h>
#include <stdio.h>

#include "policy_export.h"

static const char export_linear[] =
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

static const char export_tanh[] =
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
    "\n"
    "static void ppo_policy_activate(int n, float *x)\n"
    "{\n"
    "    int i;\n"
    "    for (i = 0; i < n; i++)\n"
    "        x[i] = ppo_policy_tanh1(x[i]);\n"
    "}\n"
    "\n";

static const char export_relu[] = "static void ppo_policy_activate(int n, float *x)\n"
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

/* 1 when every element of a uint8 space has the same bounds */
static int bounds_uniform(const pe_spec_t *spec)
{
    for (uint32_t i = 1; i < spec->D; i++)
        if (spec->obs_low[i] != spec->obs_low[0] || spec->obs_high[i] != spec->obs_high[0])
            return 0;
    return 1;
}

int pe_check(const ppo_host_t *host, pe_spec_t *spec)
{
    /* a normalizer that is off is the same as none */
    if (spec->norm != NULL && !spec->norm->enabled)
        spec->norm = NULL;
    if (spec->norm != NULL && !norm_fits(spec->norm, spec->D)) {
        host->error(host,
                    "export_c: the observation normalizer does not fit the policy (dimension %u "
                    "for %u observations, or a value that is not finite)",
                    spec->norm->dim, spec->D);
        return -1;
    }
    if (spec->obs_u8 && (spec->obs_low == NULL || spec->obs_high == NULL)) {
        host->error(host, "export_c: the uint8 observation space has no bounds");
        return -1;
    }
    return 0;
}

void pe_preamble(FILE *out, const pe_spec_t *spec, const char *network)
{
    fprintf(out, "/* ppo_policy: the deterministic action of a ppofw %s policy, as C99.\n *\n",
            spec->policy);
    fprintf(out, " * Network: %s.\n", network);
    switch (spec->act) {
    case PPO_SPACE_DISCRETE:
        fprintf(out, " * The action is the index of the first largest logit.\n");
        break;
    case PPO_SPACE_MULTI_DISCRETE:
        fprintf(out, " * The action is each component's first largest logit, component by "
                     "component.\n");
        break;
    default:
        fprintf(out, " * The action is the MEAN of the Gaussian, NOT clipped to the action "
                     "space's\n * bounds: clip it before giving it to the env.\n");
        break;
    }
    if (spec->obs_u8)
        fprintf(out, " * Observations are the env's bytes; each x becomes (x - low) / (high - "
                     "low)\n * as ppofw scales them.\n");
    if (spec->norm != NULL)
        fprintf(out,
                " * Each observation component x is %snormalized as ppofw does in training:\n"
                " * clip((x - mean) / sqrt(var + %.17g), -%.17g, %.17g).\n",
                spec->obs_u8 ? "then " : "first ", spec->norm->epsilon, spec->norm->clip,
                spec->norm->clip);
    else if (!spec->obs_u8)
        fprintf(out, " * Observations are used as given (no normalization).\n");
    fprintf(out,
            " * Arithmetic is float, in the order the ppofw plugin uses, so the actions match\n"
            " * its deterministic act. Needs only <math.h> (link with -lm). No allocation, no\n"
            " * global state: ppo_policy_act is thread-safe.\n */\n"
            "#include <math.h>\n\n");
    fprintf(out, "#define PPO_POLICY_OBS_DIM %u\n", spec->D);
    fprintf(out, "#define PPO_POLICY_ACT_DIM %u\n", spec->A);
    if (spec->act == PPO_SPACE_DISCRETE)
        fprintf(out, "#define PPO_POLICY_N_ACTIONS %u /* the action is in [0, N_ACTIONS) */\n",
                spec->n_out);
    if (spec->act == PPO_SPACE_MULTI_DISCRETE) {
        fprintf(out, "#define PPO_POLICY_NVEC {");
        for (uint32_t k = 0; k < spec->A; k++)
            fprintf(out, "%s%u", k > 0 ? ", " : "", spec->nvec[k]);
        fprintf(out, "} /* component k is in [0, NVEC[k]) */\n");
    }
    if (spec->obs_u8)
        fprintf(out, "#define PPO_POLICY_OBS_UINT8 1\n");
    fprintf(out, "\n");
}

static void export_doubles(FILE *out, const char *name, const double *v, uint32_t n)
{
    fprintf(out, "static const double %s[%u] = {", name, n);
    for (uint32_t i = 0; i < n; i++)
        fprintf(out, "%s%.17g%s", i % 3 == 0 ? "\n    " : " ", v[i], i + 1 < n ? "," : "");
    fprintf(out, "\n};\n\n");
}

void pe_obs_constants(FILE *out, const pe_spec_t *spec)
{
    if (spec->norm != NULL) {
        export_doubles(out, "ppo_policy_obs_mean", spec->norm->mean, spec->D);
        export_doubles(out, "ppo_policy_obs_var", spec->norm->var, spec->D);
    }
    if (spec->obs_u8 && !bounds_uniform(spec)) {
        export_doubles(out, "ppo_policy_obs_low", spec->obs_low, spec->D);
        export_doubles(out, "ppo_policy_obs_high", spec->obs_high, spec->D);
    }
}

int pe_array(FILE *out, const char *name, const float *v, uint32_t rows, uint32_t cols)
{
    const size_t n = (size_t)rows * cols;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return -1;
    if (cols > 1)
        fprintf(out, "static const float %s[%u * %u] = {", name, rows, cols);
    else
        fprintf(out, "static const float %s[%u] = {", name, rows);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%.8ef%s", i % 4 == 0 ? "\n    " : " ", (double)v[i], i + 1 < n ? "," : "");
    fprintf(out, "\n};\n\n");
    return 0;
}

void pe_helpers(FILE *out, int relu, int activate)
{
    fputs(export_linear, out);
    if (activate)
        fputs(relu ? export_relu : export_tanh, out);
}

void pe_act_begin(FILE *out, const pe_spec_t *spec, uint32_t buf_floats)
{
    const char *obs = spec->obs_u8 ? "const unsigned char *obs" : "const double *obs";
    switch (spec->act) {
    case PPO_SPACE_DISCRETE:
        fprintf(out, "int ppo_policy_act(%s);\n\nint ppo_policy_act(%s)\n{\n", obs, obs);
        break;
    case PPO_SPACE_MULTI_DISCRETE:
        fprintf(
            out,
            "void ppo_policy_act(%s, int *action);\n\nvoid ppo_policy_act(%s, int *action)\n{\n",
            obs, obs);
        break;
    default:
        fprintf(out,
                "void ppo_policy_act(%s, double *action);\n\nvoid ppo_policy_act(%s, double "
                "*action)\n{\n",
                obs, obs);
        break;
    }
    fprintf(out, "    float buf0[%u], buf1[%u];\n    int i;\n", buf_floats, buf_floats);

    /* the value as the policy sees it: x, a double */
    const char *x = "obs[i]";
    fprintf(out, "    for (i = 0; i < %u; i++) {\n", spec->D);
    if (spec->obs_u8) {
        if (bounds_uniform(spec))
            fprintf(out,
                    "        const float x = (float)(((double)obs[i] - %.17g) / (%.17g - "
                    "%.17g));\n",
                    spec->obs_low[0], spec->obs_high[0], spec->obs_low[0]);
        else
            fprintf(out, "        const float x = (float)(((double)obs[i] - ppo_policy_obs_low[i]) "
                         "/\n                                (ppo_policy_obs_high[i] - "
                         "ppo_policy_obs_low[i]));\n");
        x = "(double)x";
    }
    if (spec->norm != NULL)
        fprintf(out,
                "        const double inv = 1.0 / sqrt(ppo_policy_obs_var[i] + %.17g);\n"
                "        double v = (%s - ppo_policy_obs_mean[i]) * inv;\n"
                "        v = v < -%.17g ? -%.17g : v > %.17g ? %.17g : v;\n"
                "        buf0[i] = (float)v;\n",
                spec->norm->epsilon, x, spec->norm->clip, spec->norm->clip, spec->norm->clip,
                spec->norm->clip);
    else
        fprintf(out, "        buf0[i] = %s;\n", spec->obs_u8 ? "x" : "(float)obs[i]");
    fprintf(out, "    }\n");
}

void pe_act_end(FILE *out, const pe_spec_t *spec, const char *result)
{
    switch (spec->act) {
    case PPO_SPACE_DISCRETE:
        fprintf(out,
                "    {\n        int best = 0;\n"
                "        for (i = 1; i < %u; i++)\n"
                "            if (%s[i] > %s[best])\n                best = i;\n"
                "        return best;\n    }\n}\n",
                spec->n_out, result, result);
        break;
    case PPO_SPACE_MULTI_DISCRETE:
        fprintf(out,
                "    {\n        static const int nvec[%u] = PPO_POLICY_NVEC;\n"
                "        int k, at = 0;\n"
                "        for (k = 0; k < %u; k++) {\n"
                "            int best = 0;\n"
                "            for (i = 1; i < nvec[k]; i++)\n"
                "                if (%s[at + i] > %s[at + best])\n"
                "                    best = i;\n"
                "            action[k] = best;\n"
                "            at += nvec[k];\n"
                "        }\n    }\n}\n",
                spec->A, spec->A, result, result);
        break;
    default:
        fprintf(out, "    for (i = 0; i < %u; i++)\n        action[i] = (double)%s[i];\n}\n",
                spec->n_out, result);
        break;
    }
}

int pe_finish(FILE *out, const ppo_host_t *host)
{
    if (ferror(out)) {
        host->error(host, "export_c: writing the C file failed");
        return -1;
    }
    return 0;
}

int pe_not_finite(const ppo_host_t *host)
{
    host->error(host, "export_c: the parameters hold a NaN or Inf; nothing to export");
    return -1;
}
