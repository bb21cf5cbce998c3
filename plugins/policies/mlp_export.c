/* mlp_export — export_c of the mlp policy: one dependency-free C99 file that computes the
 * deterministic action from a raw observation.
 *
 * The file holds the weights of the policy branch (hidden layers and head) as static const float
 * arrays, the observation normalization the core applied in training (when enabled), and a
 * function ppo_policy_act: the index of the first largest logit for discrete actions, the
 * Gaussian's mean for box actions (unclipped). Its code repeats ppo_tanh (core/ppo_nn.c) and the
 * small-batch path of ppo_linear_forward operation for operation, with the same constants, so it
 * computes what the plugin computes: bit for bit where neither uses fused multiply-adds, to
 * float rounding otherwise. The normalization is the core's ppo_rms_normalize formula.
 *
 * Left out: the value branch, sampling, and any allocation or global state in the output.
 */
#include <math.h>
#include <stdio.h>

#include <ppofw/ppofw.h>

#include "mlp_export.h"

static const char export_helpers[] =
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

/* "pi_K" for hidden layer K, "pi_head" for the last layer */
static void layer_name(char *buf, size_t size, uint32_t k, uint32_t n_layers)
{
    if (k + 1 < n_layers)
        snprintf(buf, size, "pi_%u", k);
    else
        snprintf(buf, size, "pi_head");
}

/* One static const float array; 0, or -1 when a value is not finite. */
static int export_array(FILE *out, const char *name, const float *v, uint32_t rows, uint32_t cols)
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

static void export_doubles(FILE *out, const char *name, const double *v, uint32_t n)
{
    fprintf(out, "static const double %s[%u] = {", name, n);
    for (uint32_t i = 0; i < n; i++)
        fprintf(out, "%s%.17g%s", i % 3 == 0 ? "\n    " : " ", v[i], i + 1 < n ? "," : "");
    fprintf(out, "\n};\n\n");
}

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

/* The header comment and the macros. */
static void export_preamble(FILE *out, const ppo_obs_norm_t *norm, const mlp_export_io_t *io,
                            int relu, uint32_t n_layers, const uint32_t *widths)
{
    const uint32_t D = widths[0], n_out = widths[n_layers];
    const int discrete = io->action == MLP_EXPORT_DISCRETE;
    fprintf(out, "/* ppo_policy: the deterministic action of a ppofw mlp policy, as C99.\n *\n");
    fprintf(out, " * Network: %u observations", D);
    for (uint32_t k = 1; k < n_layers; k++)
        fprintf(out, " -> %u (%s)", widths[k], relu ? "relu" : "tanh");
    if (io->obs_u8)
        fprintf(out, ".\n * Observations are bytes, each scaled to [0, 1] as (x - low) / (high - "
                     "low) first");
    if (discrete)
        fprintf(out, " -> %u logits.\n * The action is the index of the first largest logit.\n",
                n_out);
    else if (io->action == MLP_EXPORT_MULTI_DISCRETE)
        fprintf(out,
                " -> %u logits, %u components.\n * Each component of the action is the index of "
                "the first largest logit of\n * its slice of the logits.\n",
                n_out, io->n_comp);
    else
        fprintf(out,
                " -> %u means.\n * The action is the MEAN of the Gaussian, NOT clipped to the "
                "action space's\n * bounds: clip it before giving it to the env.\n",
                n_out);
    if (norm != NULL)
        fprintf(out,
                " * Each observation component x is first normalized as ppofw does in training:\n"
                " * clip((x - mean) / sqrt(var + %.17g), -%.17g, %.17g).\n",
                norm->epsilon, norm->clip, norm->clip);
    else
        fprintf(out, " * Observations are used as given (no normalization).\n");
    fprintf(out,
            " * Arithmetic is float, in the order the ppofw plugin uses, so the actions match\n"
            " * its deterministic act. Needs only <math.h> (link with -lm). No allocation, no\n"
            " * global state: ppo_policy_act is thread-safe.\n */\n"
            "#include <math.h>\n\n");
    fprintf(out, "#define PPO_POLICY_OBS_DIM %u\n", D);
    fprintf(out, "#define PPO_POLICY_ACT_DIM %u\n",
            discrete ? 1 : io->action == MLP_EXPORT_MULTI_DISCRETE ? io->n_comp : n_out);
    if (discrete)
        fprintf(out, "#define PPO_POLICY_N_ACTIONS %u /* the action is in [0, N_ACTIONS) */\n",
                n_out);
    if (io->action == MLP_EXPORT_MULTI_DISCRETE) {
        fprintf(out, "#define PPO_POLICY_NVEC {");
        for (uint32_t k = 0; k < io->n_comp; k++)
            fprintf(out, "%s%u", k > 0 ? ", " : "", io->nvec[k]);
        fprintf(out, "} /* component k is in [0, NVEC[k]) */\n");
    }
    if (io->obs_u8)
        fprintf(out, "#define PPO_POLICY_OBS_UINT8 1\n");
    fprintf(out, "\n");
}

/* The body of ppo_policy_act. */
static void export_act(FILE *out, const ppo_obs_norm_t *norm, const mlp_export_io_t *io,
                       uint32_t n_layers, const uint32_t *widths)
{
    const uint32_t D = widths[0], n_out = widths[n_layers];
    const char *obs_type = io->obs_u8 ? "const unsigned char *obs" : "const double *obs";
    uint32_t width = 0;
    for (uint32_t k = 0; k <= n_layers; k++)
        width = widths[k] > width ? widths[k] : width;
    if (io->action == MLP_EXPORT_DISCRETE)
        fprintf(out, "int ppo_policy_act(%s);\n\nint ppo_policy_act(%s)\n{\n", obs_type,
                obs_type);
    else if (io->action == MLP_EXPORT_MULTI_DISCRETE)
        fprintf(out,
                "void ppo_policy_act(%s, int *action);\n\n"
                "void ppo_policy_act(%s, int *action)\n{\n",
                obs_type, obs_type);
    else
        fprintf(out,
                "void ppo_policy_act(%s, double *action);\n\n"
                "void ppo_policy_act(%s, double *action)\n{\n",
                obs_type, obs_type);
    fprintf(out, "    float buf0[%u], buf1[%u];\n    int i;\n", width, width);
    /* the input as the core hands it to the policy: uint8 scaled as ppofw scales it (in
     * double, rounded to float), then the normalization */
    const char *x = "obs[i]";
    if (io->obs_u8) {
        fprintf(out,
                "    for (i = 0; i < %u; i++)\n"
                "        buf0[i] = (float)(((double)obs[i] - ppo_policy_obs_low[i]) /\n"
                "                          (ppo_policy_obs_high[i] - ppo_policy_obs_low[i]));\n",
                D);
        x = "(double)buf0[i]";
    }
    if (norm != NULL)
        fprintf(out,
                "    for (i = 0; i < %u; i++) {\n"
                "        const double inv = 1.0 / sqrt(ppo_policy_obs_var[i] + %.17g);\n"
                "        double v = (%s - ppo_policy_obs_mean[i]) * inv;\n"
                "        v = v < -%.17g ? -%.17g : v > %.17g ? %.17g : v;\n"
                "        buf0[i] = (float)v;\n    }\n",
                D, norm->epsilon, x, norm->clip, norm->clip, norm->clip, norm->clip);
    else if (!io->obs_u8)
        fprintf(out, "    for (i = 0; i < %u; i++)\n        buf0[i] = (float)obs[i];\n", D);

    /* the layers alternate between the two buffers; all but the head are activated */
    static const char *const bufs[2] = {"buf0", "buf1"};
    int cur = 0;
    for (uint32_t k = 0; k < n_layers; k++) {
        char name[16];
        layer_name(name, sizeof(name), k, n_layers);
        fprintf(out,
                "    ppo_policy_linear(%u, %u, %s, ppo_policy_%s_weight, ppo_policy_%s_bias, "
                "%s);\n",
                widths[k], widths[k + 1], bufs[cur], name, name, bufs[1 - cur]);
        cur = 1 - cur;
        if (k + 1 < n_layers)
            fprintf(out, "    ppo_policy_activate(%u, %s);\n", widths[k + 1], bufs[cur]);
    }
    if (io->action == MLP_EXPORT_DISCRETE)
        fprintf(out,
                "    {\n        int best = 0;\n"
                "        for (i = 1; i < %u; i++)\n"
                "            if (%s[i] > %s[best])\n                best = i;\n"
                "        return best;\n    }\n}\n",
                n_out, bufs[cur], bufs[cur]);
    else if (io->action == MLP_EXPORT_MULTI_DISCRETE)
        fprintf(out,
                "    {\n        static const int nvec[%u] = PPO_POLICY_NVEC;\n"
                "        const float *l = %s;\n        int k;\n"
                "        for (k = 0; k < %u; k++) {\n"
                "            int best = 0;\n"
                "            for (i = 1; i < nvec[k]; i++)\n"
                "                if (l[i] > l[best])\n                    best = i;\n"
                "            action[k] = best;\n            l += nvec[k];\n        }\n"
                "    }\n}\n",
                io->n_comp, bufs[cur], io->n_comp);
    else
        fprintf(out, "    for (i = 0; i < %u; i++)\n        action[i] = (double)%s[i];\n}\n", n_out,
                bufs[cur]);
}

int mlp_export_write(FILE *out, const ppo_host_t *host, const ppo_obs_norm_t *norm,
                     const mlp_export_io_t *io, int relu, uint32_t n_layers,
                     const uint32_t *widths, const float *const *weights,
                     const float *const *biases)
{
    /* a normalizer that is off is the same as none */
    if (norm != NULL && !norm->enabled)
        norm = NULL;
    if (norm != NULL && !norm_fits(norm, widths[0])) {
        host->error(host,
                    "export_c: the observation normalizer does not fit the policy (dimension %u "
                    "for %u observations, or a value that is not finite)",
                    norm->dim, widths[0]);
        return -1;
    }
    export_preamble(out, norm, io, relu, n_layers, widths);

    /* the constants */
    if (io->obs_u8) {
        export_doubles(out, "ppo_policy_obs_low", io->obs_low, widths[0]);
        export_doubles(out, "ppo_policy_obs_high", io->obs_high, widths[0]);
    }
    if (norm != NULL) {
        export_doubles(out, "ppo_policy_obs_mean", norm->mean, widths[0]);
        export_doubles(out, "ppo_policy_obs_var", norm->var, widths[0]);
    }
    for (uint32_t k = 0; k < n_layers; k++) {
        char layer[16], name[64];
        layer_name(layer, sizeof(layer), k, n_layers);
        snprintf(name, sizeof(name), "ppo_policy_%s_weight", layer);
        if (export_array(out, name, weights[k], widths[k + 1], widths[k]) != 0)
            goto out_not_finite;
        snprintf(name, sizeof(name), "ppo_policy_%s_bias", layer);
        if (export_array(out, name, biases[k], widths[k + 1], 1) != 0)
            goto out_not_finite;
    }

    /* the code */
    fputs(export_helpers, out);
    if (n_layers > 1)
        fputs(relu ? export_relu : export_tanh, out);
    export_act(out, norm, io, n_layers, widths);
    if (ferror(out)) {
        host->error(host, "export_c: writing the C file failed");
        return -1;
    }
    return 0;

out_not_finite:
    host->error(host, "export_c: the parameters hold a NaN or Inf; nothing to export");
    return -1;
}
