/* ppofw core — code generation helpers for a policy's export_c (include/ppofw/codegen.h): the
 * pieces of the C99 file PPO_EXPORT_CONTRACT describes, written as text.
 *
 * The arithmetic written here follows libppofw's: ppo_policy_linear is the eight-lane sum mlp's
 * export has always written (ppo_linear_forward's small-batch result to float rounding),
 * ppo_policy_tanh repeats ppo_tanh (core/ppo_nn.c) with the same constants operation for
 * operation, ppo_policy_layernorm repeats ppo_layernorm_forward (core/ppo_layernorm.c), and the
 * observation input repeats the core's uint8 conversion (core/ppo_space.c) and ppo_rms_normalize
 * (core/ppo_normalizer.c). Change them together.
 *
 * Left out: anything about a particular network; checking the result (core/ppo_check_export.c
 * compiles and runs it).
 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <ppofw/codegen.h>

/* 0, or -1 once writing to `out` has failed. */
static int status(FILE *out)
{
    return ferror(out) ? -1 : 0;
}

/* ---- what the spaces say ---- */

static bool obs_uint8(const ppo_codegen_policy_t *pol)
{
    return pol->obs_space->struct_size > PPO_SPACE_SIZE_1_0 &&
           pol->obs_space->dtype == PPO_DTYPE_UINT8;
}

/* The spaces are ones the contract covers. */
static bool spaces_ok(const ppo_codegen_policy_t *pol)
{
    if (pol == NULL || pol->struct_size < offsetof(ppo_codegen_policy_t, reserved) ||
        pol->obs_space == NULL || pol->act_space == NULL)
        return false;
    const ppo_space_t *o = pol->obs_space, *a = pol->act_space;
    if (o->kind != PPO_SPACE_BOX || o->dim == 0)
        return false;
    if (obs_uint8(pol) && (o->low == NULL || o->high == NULL))
        return false;
    switch (a->kind) {
    case PPO_SPACE_DISCRETE:
        return a->n >= 1;
    case PPO_SPACE_BOX:
        return a->dim >= 1;
    case PPO_SPACE_MULTI_DISCRETE:
        return a->dim >= 1 && a->struct_size > PPO_SPACE_SIZE_1_0 && a->nvec != NULL;
    default:
        return false;
    }
}

/* The normalizer in use, or NULL for none; *ok false when it does not fit. */
static const ppo_obs_norm_t *norm_of(const ppo_codegen_policy_t *pol, bool *ok)
{
    const ppo_obs_norm_t *norm = pol->norm;
    *ok = true;
    if (norm == NULL || !norm->enabled)
        return NULL;
    const uint32_t D = pol->obs_space->dim;
    if (norm->dim != D || norm->mean == NULL || norm->var == NULL || !isfinite(norm->epsilon) ||
        !isfinite(norm->clip) || !(norm->clip > 0.0)) {
        *ok = false;
        return NULL;
    }
    for (uint32_t i = 0; i < D; i++)
        if (!isfinite(norm->mean[i]) || !isfinite(norm->var[i]) ||
            !(norm->var[i] + norm->epsilon > 0.0)) {
            *ok = false;
            return NULL;
        }
    return norm;
}

/* The spaces are the contract's and the normalizer, if any, fits: *norm gets it (NULL for none).
 */
static bool usable(const ppo_codegen_policy_t *pol, const ppo_obs_norm_t **norm)
{
    bool ok = false;
    if (!spaces_ok(pol))
        return false;
    *norm = norm_of(pol, &ok);
    return ok;
}

/* A uint8 space whose every element has the same bounds (then the code holds two literals). */
static bool bounds_uniform(const ppo_space_t *o)
{
    for (uint32_t i = 1; i < o->dim; i++)
        if (o->low[i] != o->low[0] || o->high[i] != o->high[0])
            return false;
    return true;
}

static uint32_t act_dim(const ppo_space_t *a)
{
    return a->kind == PPO_SPACE_DISCRETE ? 1u : a->dim;
}

/* ---- macros and prototypes (shared by the file and the header) ---- */

static void write_macros(FILE *out, const ppo_codegen_policy_t *pol)
{
    const ppo_space_t *a = pol->act_space;
    fprintf(out, "#define PPO_POLICY_OBS_DIM %u\n", pol->obs_space->dim);
    fprintf(out, "#define PPO_POLICY_ACT_DIM %u\n", act_dim(a));
    if (a->kind == PPO_SPACE_DISCRETE)
        fprintf(out, "#define PPO_POLICY_N_ACTIONS %u /* the action is in [0, N_ACTIONS) */\n",
                a->n);
    if (a->kind == PPO_SPACE_MULTI_DISCRETE) {
        fprintf(out, "#define PPO_POLICY_NVEC {");
        for (uint32_t k = 0; k < a->dim; k++)
            fprintf(out, "%s%u", k > 0 ? ", " : "", a->nvec[k]);
        fprintf(out, "} /* component k of the action is in [0, NVEC[k]) */\n");
    }
    if (obs_uint8(pol))
        fprintf(out, "#define PPO_POLICY_OBS_UINT8 1 /* an observation is OBS_DIM bytes */\n");
    if (pol->state_size > 0)
        fprintf(out,
                "#define PPO_POLICY_STATE_SIZE %u /* floats of state the caller keeps per "
                "episode */\n",
                pol->state_size);
}

/* "int ppo_policy_act(const double *obs)" and the like, without the semicolon. */
static void write_signature(FILE *out, const ppo_codegen_policy_t *pol)
{
    const char *obs = obs_uint8(pol) ? "const unsigned char *obs" : "const double *obs";
    const char *state = pol->state_size > 0 ? ", float *state" : "";
    switch (pol->act_space->kind) {
    case PPO_SPACE_DISCRETE:
        fprintf(out, "int ppo_policy_act(%s%s)", obs, state);
        break;
    case PPO_SPACE_BOX:
        fprintf(out, "void ppo_policy_act(%s, double *action%s)", obs, state);
        break;
    default:
        fprintf(out, "void ppo_policy_act(%s, int *action%s)", obs, state);
        break;
    }
}

/* ---- the file ---- */

int ppo_codegen_preamble(FILE *out, const ppo_codegen_policy_t *pol, const char *summary)
{
    const ppo_obs_norm_t *norm = NULL;
    if (!usable(pol, &norm))
        return -1;
    const ppo_space_t *o = pol->obs_space, *a = pol->act_space;
    const uint32_t D = o->dim;

    /* the comment: what the file computes, from what, to what */
    fprintf(out, "/* ppo_policy: the deterministic action of a ppofw policy, as C99 (the "
                 "contract\n * PPO_EXPORT_CONTRACT of <ppofw/policy.h>).\n *\n");
    for (const char *line = summary; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        const int len = end != NULL ? (int)(end - line) : (int)strlen(line);
        fprintf(out, " * %.*s\n", len, line);
        line = end != NULL ? end + 1 : NULL;
    }
    if (obs_uint8(pol)) {
        fprintf(out, " * Input: %u bytes, the uint8 observation", D);
        if (o->rank > 1) {
            fprintf(out, " (");
            for (uint32_t k = 0; k < o->rank; k++)
                fprintf(out, "%s%u", k > 0 ? ", " : "", o->shape[k]);
            fprintf(out, ")");
        }
        fprintf(out, " as the env writes it, each\n * byte x scaled as ppofw does: "
                     "(x - low) / (high - low).\n");
    } else {
        fprintf(out, " * Input: %u observations as the env writes them (raw, as doubles).\n", D);
    }
    if (norm != NULL)
        fprintf(out,
                " * Each observation component x is then normalized as ppofw does in training:\n"
                " * clip((x - mean) / sqrt(var + %.17g), -%.17g, %.17g).\n",
                norm->epsilon, norm->clip, norm->clip);
    else
        fprintf(out, " * Observations are used as given (no normalization).\n");
    switch (a->kind) {
    case PPO_SPACE_DISCRETE:
        fprintf(out, " * Output: the index of the first largest of the %u logits.\n", a->n);
        break;
    case PPO_SPACE_BOX:
        fprintf(out,
                " * Output: the MEAN of the Gaussian (%u values), NOT clipped to the action "
                "space's\n * bounds: clip it before giving it to the env.\n",
                a->dim);
        break;
    default:
        fprintf(out,
                " * Output: for each of the %u components, the index of its first largest "
                "logit.\n",
                a->dim);
        break;
    }
    if (pol->state_size > 0)
        fprintf(out,
                " * State: %u floats the caller keeps for each episode: ppo_policy_reset() "
                "before its\n * first step, then every ppo_policy_act() reads and updates "
                "it.\n",
                pol->state_size);
    fprintf(out, " * Needs only <math.h> (link with -lm). No allocation, no global state: "
                 "ppo_policy_act is\n * thread-safe.\n */\n#include <math.h>\n\n");
    write_macros(out, pol);
    fprintf(out, "\n");

    /* the constants the input block reads */
    if (obs_uint8(pol) && !bounds_uniform(o)) {
        fprintf(out, "static const double ppo_policy_obs_low[%u] = {", D);
        for (uint32_t i = 0; i < D; i++)
            fprintf(out, "%s%.17g%s", i % 3 == 0 ? "\n    " : " ", o->low[i], i + 1 < D ? "," : "");
        fprintf(out, "\n};\n\nstatic const double ppo_policy_obs_high[%u] = {", D);
        for (uint32_t i = 0; i < D; i++)
            fprintf(out, "%s%.17g%s", i % 3 == 0 ? "\n    " : " ", o->high[i],
                    i + 1 < D ? "," : "");
        fprintf(out, "\n};\n\n");
    }
    if (norm != NULL) {
        static const char *const names[2] = {"ppo_policy_obs_mean", "ppo_policy_obs_var"};
        for (int k = 0; k < 2; k++) {
            const double *v = k == 0 ? norm->mean : norm->var;
            fprintf(out, "static const double %s[%u] = {", names[k], D);
            for (uint32_t i = 0; i < D; i++)
                fprintf(out, "%s%.17g%s", i % 3 == 0 ? "\n    " : " ", v[i], i + 1 < D ? "," : "");
            fprintf(out, "\n};\n\n");
        }
    }
    return status(out);
}

int ppo_codegen_floats(FILE *out, const char *name, const float *values, uint32_t rows,
                       uint32_t cols)
{
    const size_t n = (size_t)rows * cols;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(values[i]))
            return -1;
    if (cols > 1)
        fprintf(out, "static const float %s[%u * %u] = {", name, rows, cols);
    else
        fprintf(out, "static const float %s[%u] = {", name, rows);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%.8ef%s", i % 4 == 0 ? "\n    " : " ", (double)values[i],
                i + 1 < n ? "," : "");
    fprintf(out, "\n};\n\n");
    return status(out);
}

int ppo_codegen_linear_fn(FILE *out)
{
    fputs("/* y (O) = W (O, I) x (I) + b, each output summed in the order ppofw's small-batch "
          "path\n"
          " * uses: eight lane sums over i mod 8, the lanes pairwise, the tail inputs, the bias "
          "*/\n"
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
          "        y[o] = b != 0 ? s + b[o] : s;\n"
          "    }\n"
          "}\n"
          "\n",
          out);
    return status(out);
}

int ppo_codegen_activation_fn(FILE *out, ppo_activation_t act)
{
    switch (act) {
    case PPO_ACTIVATION_TANH:
        fputs("/* tanh as ppofw computes it (absolute error about 1e-7): with m = expm1(-2|x|), "
              "tanh(|x|)\n"
              " * = -m / (2 + m), m from a range reduction -2|x| = k ln2 + r and a polynomial "
              "*/\n"
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
              "static void ppo_policy_tanh(int n, float *x)\n"
              "{\n"
              "    int i;\n"
              "    for (i = 0; i < n; i++)\n"
              "        x[i] = ppo_policy_tanh1(x[i]);\n"
              "}\n"
              "\n",
              out);
        break;
    case PPO_ACTIVATION_RELU:
        fputs("static void ppo_policy_relu(int n, float *x)\n"
              "{\n"
              "    int i;\n"
              "    for (i = 0; i < n; i++)\n"
              "        x[i] = x[i] < 0.0f ? 0.0f : x[i];\n"
              "}\n"
              "\n",
              out);
        break;
    case PPO_ACTIVATION_IDENTITY:
        break;
    default:
        return -1;
    }
    return status(out);
}

int ppo_codegen_layernorm_fn(FILE *out)
{
    fputs("/* layer normalization of n floats as ppofw computes it: the mean and variance in "
          "double,\n"
          " * rounded to float once, then (x - mean) * rstd * gain + bias in float */\n"
          "static void ppo_policy_layernorm(int n, const float *x, const float *gain, const "
          "float *bias,\n"
          "                                 float eps, float *y)\n"
          "{\n"
          "    double sum = 0.0, sq = 0.0, mean, var;\n"
          "    float mf, rf;\n"
          "    int i;\n"
          "    for (i = 0; i < n; i++)\n"
          "        sum += x[i];\n"
          "    mean = n > 0 ? sum / n : 0.0;\n"
          "    for (i = 0; i < n; i++) {\n"
          "        const double d = x[i] - mean;\n"
          "        sq += d * d;\n"
          "    }\n"
          "    var = n > 0 ? sq / n : 0.0;\n"
          "    mf = (float)mean;\n"
          "    rf = (float)(1.0 / sqrt(var + (double)eps));\n"
          "    for (i = 0; i < n; i++) {\n"
          "        const float h = (x[i] - mf) * rf;\n"
          "        const float g = gain != 0 ? gain[i] : 1.0f;\n"
          "        y[i] = bias != 0 ? h * g + bias[i] : h * g;\n"
          "    }\n"
          "}\n"
          "\n",
          out);
    return status(out);
}

int ppo_codegen_reset(FILE *out, const ppo_codegen_policy_t *pol, const float *initial)
{
    if (!spaces_ok(pol) || pol->state_size == 0)
        return -1;
    const uint32_t S = pol->state_size;
    if (initial != NULL && ppo_codegen_floats(out, "ppo_policy_initial_state", initial, S, 1) != 0)
        return -1;
    fprintf(out,
            "void ppo_policy_reset(float *state);\n\n"
            "/* the state an episode starts from: call before its first step */\n"
            "void ppo_policy_reset(float *state)\n{\n    int i;\n"
            "    for (i = 0; i < %u; i++)\n        state[i] = %s;\n}\n\n",
            S, initial != NULL ? "ppo_policy_initial_state[i]" : "0.0f");
    return status(out);
}

int ppo_codegen_act_begin(FILE *out, const ppo_codegen_policy_t *pol)
{
    if (!spaces_ok(pol))
        return -1;
    write_signature(out, pol);
    fprintf(out, ";\n\n");
    write_signature(out, pol);
    fprintf(out, "\n{\n");
    return status(out);
}

int ppo_codegen_obs_input(FILE *out, const ppo_codegen_policy_t *pol, const char *buf)
{
    const ppo_obs_norm_t *norm = NULL;
    if (!usable(pol, &norm))
        return -1;
    const ppo_space_t *o = pol->obs_space;
    fprintf(out, "    {\n        int ppo_i;\n        for (ppo_i = 0; ppo_i < %u; ppo_i++) {\n",
            o->dim);
    /* the element as a policy sees it before normalization */
    if (obs_uint8(pol)) {
        if (bounds_uniform(o))
            fprintf(
                out,
                "            const double ppo_x = (float)(((double)obs[ppo_i] - %.17g) / (%.17g - "
                "%.17g));\n",
                o->low[0], o->high[0], o->low[0]);
        else
            fprintf(out, "            const double ppo_x = (float)(((double)obs[ppo_i] - "
                         "ppo_policy_obs_low[ppo_i]) /\n"
                         "                                         (ppo_policy_obs_high[ppo_i] - "
                         "ppo_policy_obs_low[ppo_i]));\n");
    } else {
        fprintf(out, "            const double ppo_x = obs[ppo_i];\n");
    }
    if (norm != NULL)
        fprintf(
            out,
            "            const double ppo_inv = 1.0 / sqrt(ppo_policy_obs_var[ppo_i] + %.17g);\n"
            "            double ppo_v = (ppo_x - ppo_policy_obs_mean[ppo_i]) * ppo_inv;\n"
            "            ppo_v = ppo_v < -%.17g ? -%.17g : ppo_v > %.17g ? %.17g : ppo_v;\n"
            "            %s[ppo_i] = (float)ppo_v;\n",
            norm->epsilon, norm->clip, norm->clip, norm->clip, norm->clip, buf);
    else
        fprintf(out, "            %s[ppo_i] = (float)ppo_x;\n", buf);
    fprintf(out, "        }\n    }\n");
    return status(out);
}

int ppo_codegen_activation(FILE *out, ppo_activation_t act, uint32_t n, const char *buf)
{
    switch (act) {
    case PPO_ACTIVATION_TANH:
        fprintf(out, "    ppo_policy_tanh(%u, %s);\n", n, buf);
        break;
    case PPO_ACTIVATION_RELU:
        fprintf(out, "    ppo_policy_relu(%u, %s);\n", n, buf);
        break;
    case PPO_ACTIVATION_IDENTITY:
        break;
    default:
        return -1;
    }
    return status(out);
}

int ppo_codegen_dense(FILE *out, uint32_t n_in, uint32_t n_out, const char *x, const char *w,
                      const char *b, const char *y, ppo_activation_t act)
{
    fprintf(out, "    ppo_policy_linear(%u, %u, %s, %s, %s, %s);\n", n_in, n_out, x, w,
            b != NULL ? b : "0", y);
    return ppo_codegen_activation(out, act, n_out, y);
}

int ppo_codegen_layernorm(FILE *out, uint32_t n, const char *x, const char *gain, const char *bias,
                          float eps, const char *y)
{
    fprintf(out, "    ppo_policy_layernorm(%u, %s, %s, %s, %.9gf, %s);\n", n, x,
            gain != NULL ? gain : "0", bias != NULL ? bias : "0", (double)eps, y);
    return status(out);
}

int ppo_codegen_argmax(FILE *out, uint32_t n, const char *logits)
{
    fprintf(out,
            "    {\n        int ppo_i, ppo_best = 0;\n"
            "        for (ppo_i = 1; ppo_i < %u; ppo_i++)\n"
            "            if (%s[ppo_i] > %s[ppo_best])\n                ppo_best = ppo_i;\n"
            "        return ppo_best;\n    }\n",
            n, logits, logits);
    return status(out);
}

int ppo_codegen_gaussian_mean(FILE *out, uint32_t A, const char *mean)
{
    fprintf(out,
            "    {\n        int ppo_i;\n        for (ppo_i = 0; ppo_i < %u; ppo_i++)\n"
            "            action[ppo_i] = (double)%s[ppo_i];\n    }\n",
            A, mean);
    return status(out);
}

int ppo_codegen_multi_argmax(FILE *out, const ppo_codegen_policy_t *pol, const char *logits)
{
    if (!spaces_ok(pol) || pol->act_space->kind != PPO_SPACE_MULTI_DISCRETE)
        return -1;
    fprintf(out,
            "    {\n        static const int ppo_nvec[%u] = PPO_POLICY_NVEC;\n"
            "        int ppo_k, ppo_i, ppo_off = 0;\n"
            "        for (ppo_k = 0; ppo_k < %u; ppo_k++) {\n"
            "            int ppo_best = 0;\n"
            "            for (ppo_i = 1; ppo_i < ppo_nvec[ppo_k]; ppo_i++)\n"
            "                if (%s[ppo_off + ppo_i] > %s[ppo_off + ppo_best])\n"
            "                    ppo_best = ppo_i;\n"
            "            action[ppo_k] = ppo_best;\n"
            "            ppo_off += ppo_nvec[ppo_k];\n"
            "        }\n    }\n",
            pol->act_space->dim, pol->act_space->dim, logits, logits);
    return status(out);
}

int ppo_codegen_act_end(FILE *out)
{
    fputs("}\n", out);
    return status(out);
}

int ppo_codegen_header(FILE *out, const ppo_codegen_policy_t *pol, const char *guard)
{
    if (!spaces_ok(pol) || guard == NULL)
        return -1;
    fprintf(out,
            "/* The interface of a policy exported by ppofw (the contract PPO_EXPORT_CONTRACT of\n"
            " * <ppofw/policy.h>): the macros and prototypes of the generated C file. */\n"
            "#ifndef %s\n#define %s\n\n",
            guard, guard);
    write_macros(out, pol);
    fprintf(out, "\n");
    switch (pol->act_space->kind) {
    case PPO_SPACE_DISCRETE:
        fprintf(out, "/* the index of the first largest logit for a raw observation */\n");
        break;
    case PPO_SPACE_BOX:
        fprintf(out,
                "/* the mean action (ACT_DIM doubles, not clipped) for a raw observation */\n");
        break;
    default:
        fprintf(out, "/* each component's first largest logit (ACT_DIM ints) for a raw "
                     "observation */\n");
        break;
    }
    write_signature(out, pol);
    fprintf(out, ";\n");
    if (pol->state_size > 0)
        fprintf(out, "/* the state an episode starts from (STATE_SIZE floats): call before its "
                     "first step */\nvoid ppo_policy_reset(float *state);\n");
    fprintf(out, "\n#endif\n");
    return status(out);
}
