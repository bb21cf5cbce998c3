/* ppofw core — the measurements of `ppofw bench` (see ppo_bench_private.h).
 *
 * Each throughput figure runs its loop for the time the caller gives, on trainers built here from
 * the session, so a measurement sees exactly the code `ppofw run` runs: the env phase steps the
 * trainer's env instances on its worker pool in the collection chunks, the collection phase calls
 * ppo_collect_rollout, the update phase ppo_update_estimate and ppo_update_run (restoring the
 * parameters before every repetition, so each one does the same work), and the training phase
 * ppo_trainer_iterate on a fresh trainer. The GEMM ceiling runs last, after peak RSS is read, so
 * its 48 MB of matrices do not count as the pipeline's memory.
 *
 * Left out: files (no metrics, TensorBoard or checkpoints are written) and the allocation counter
 * itself, which the program provides.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cblas.h>
/* OpenBLAS's cblas.h pulls in <complex.h>, whose macro I would shadow names below */
#undef I

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
void openblas_set_num_threads(int num_threads);
#endif

#include <ppofw/nn.h>

#include "ppo_bench_private.h"
#include "ppo_collect_private.h"
#include "ppo_trainer_private.h"

/* the ceiling's matrix size */
#define CEILING_SIZE 2048
/* random action rounds the env phase cycles through */
#define ENV_ROUNDS 64
/* iterations after the first the training phase runs at least */
#define TRAIN_MIN_ITERATIONS 3

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *alloc_floats(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, (n > 0 ? n : 1) * sizeof(float)) != 0)
        return NULL;
    return p;
}

static bool out_of_memory(GError **error, const char *what)
{
    g_set_error(error, PPO_ERROR, PPO_ERROR_INTERNAL, "out of memory for %s", what);
    return false;
}

double ppo_bench_segment_flops(const ppo_segment_t *segments, uint32_t n_segments)
{
    double forward = 0.0;
    for (uint32_t k = 0; k < n_segments; k++)
        if (segments[k].name != NULL && g_str_has_suffix(segments[k].name, "weight") &&
            segments[k].cols > 1)
            forward += 2.0 * segments[k].rows * segments[k].cols;
    return forward;
}

double ppo_bench_forward_flops(const ppo_model_t *model, bool *from_policy)
{
    const ppo_plugin_t *p = model->plugin;
    *from_policy = false;
    if (p->vt.policy.forward_flops != NULL) {
        ppo_plugin_enter(p, "forward_flops");
        const double f = p->vt.policy.forward_flops(model->inst);
        ppo_plugin_leave();
        if (isfinite(f) && f >= 0.0) {
            *from_policy = true;
            return f;
        }
        ppo_log(PPO_LOG_WARNING,
                "policy \"%s\": forward_flops() returned %g, not a count; using the default "
                "formula",
                p->name, f);
    }
    return ppo_bench_segment_flops(model->segments, model->n_segments);
}

double ppo_bench_flops_per_step(double forward_flops, uint32_t epochs)
{
    return forward_flops * (1.0 + 3.0 * epochs);
}

/* A convolution's weight: a segment named like "conv.0.weight" or "pi.conv.1.weight". */
static bool is_conv_weight(const ppo_segment_t *s)
{
    return s->name != NULL && g_str_has_suffix(s->name, "weight") &&
           (g_str_has_prefix(s->name, "conv.") || strstr(s->name, ".conv.") != NULL);
}

/* The forward FLOPs of the model's policy: its own count when it gives one (ABI 1.2), the fixed
 * formula otherwise; and the part in conv layers, the policy's count less the matrix products of
 * every other weight (0 without a count or without conv weights). */
static void model_flops(const ppo_model_t *m, ppo_bench_result_t *res)
{
    res->forward_flops = ppo_bench_forward_flops(m, &res->policy_counts_flops);
    res->conv_flops = 0.0;
    if (!res->policy_counts_flops)
        return;
    double dense = 0.0;
    bool has_conv = false;
    for (uint32_t k = 0; k < m->n_segments; k++) {
        const ppo_segment_t *s = &m->segments[k];
        if (is_conv_weight(s))
            has_conv = true;
        else
            dense += ppo_bench_segment_flops(s, 1);
    }
    res->conv_flops = has_conv && res->forward_flops > dense ? res->forward_flops - dense : 0.0;
}

/* ---- GEMM ---- */

static void fill_uniform(float *x, size_t n, ppo_rng_t *rng)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)ppo_rng_uniform_range(rng, -1.0, 1.0);
}

/* y (M, N) = x (M, K) W^T through sgemm (layer = false) or ppo_linear_forward (layer = true) */
static void gemm_call(bool layer, uint32_t M, uint32_t N, uint32_t K, const float *x,
                      const float *W, float *y)
{
    if (layer)
        ppo_linear_forward(M, K, N, x, W, NULL, y);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)N, (int)K, 1.0f, x,
                    (int)K, W, (int)K, 0.0f, y, (int)N);
}

/* Best GFLOP/s of y (M, N) = x (M, K) W^T over batches of calls, within about `budget` s. */
static double gemm_rate(bool layer, uint32_t M, uint32_t N, uint32_t K, const float *x,
                        const float *W, float *y, double budget)
{
    const double flops = 2.0 * M * N * K;
    /* calls per batch: a batch should take about a fifth of the budget */
    const double t0 = now_s();
    gemm_call(layer, M, N, K, x, W, y);
    const double one = fmax(now_s() - t0, 1e-8);
    const uint64_t calls = (uint64_t)fmax(1.0, fmin(1e7, budget / 5.0 / one));
    double best = 0.0;
    const double start = now_s();
    for (int batch = 0; batch < 5 || (now_s() - start < budget && batch < 50); batch++) {
        const double b0 = now_s();
        for (uint64_t c = 0; c < calls; c++)
            gemm_call(layer, M, N, K, x, W, y);
        const double dt = now_s() - b0;
        if (dt > 0.0)
            best = fmax(best, flops * (double)calls / dt / 1e9);
        if (now_s() - start >= budget && batch >= 2)
            break;
    }
    return best;
}

/* sgemm at the weight segments' shapes with M = the update's gradient chunk rows. */
static bool bench_shapes(const ppo_trainer_t *tr, double budget, ppo_bench_result_t *res,
                         GError **error)
{
    const ppo_model_t *m = tr->model;
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 0, "bench-gemm", 0);
    res->n_shapes = 0;
    for (uint32_t k = 0; k < m->n_segments && res->n_shapes < PPO_BENCH_MAX_SHAPES; k++) {
        const ppo_segment_t *s = &m->segments[k];
        /* a conv weight's product is not rows x cols per sample: conv_bench measures those */
        if (s->name == NULL || !g_str_has_suffix(s->name, "weight") || is_conv_weight(s))
            continue;
        ppo_bench_shape_t *sh = &res->shapes[res->n_shapes++];
        g_strlcpy(sh->name, s->name, sizeof(sh->name));
        sh->M = tr->grad_chunk;
        sh->N = s->rows;
        sh->K = s->cols;
        float *x = alloc_floats((size_t)sh->M * sh->K);
        float *W = alloc_floats((size_t)sh->N * sh->K);
        float *y = alloc_floats((size_t)sh->M * sh->N);
        if (x == NULL || W == NULL || y == NULL) {
            free(x);
            free(W);
            free(y);
            return out_of_memory(error, "the GEMM measurement");
        }
        fill_uniform(x, (size_t)sh->M * sh->K, &rng);
        fill_uniform(W, (size_t)sh->N * sh->K, &rng);
        sh->gflops = gemm_rate(false, sh->M, sh->N, sh->K, x, W, y, budget);
        sh->layer_gflops = gemm_rate(true, sh->M, sh->N, sh->K, x, W, y, budget);
        free(x);
        free(W);
        free(y);
    }
    return true;
}

static bool bench_ceiling(double budget, ppo_bench_result_t *res, GError **error)
{
    const size_t n = (size_t)CEILING_SIZE * CEILING_SIZE;
    float *a = alloc_floats(n), *b = alloc_floats(n), *c = alloc_floats(n);
    if (a == NULL || b == NULL || c == NULL) {
        free(a);
        free(b);
        free(c);
        return out_of_memory(error, "the 2048^3 GEMM");
    }
    ppo_rng_t rng;
    ppo_rng_seed(&rng, 0, "bench-gemm", 1);
    fill_uniform(a, n, &rng);
    fill_uniform(b, n, &rng);
    memset(c, 0, n * sizeof(float));
    res->gemm_gflops = gemm_rate(false, CEILING_SIZE, CEILING_SIZE, CEILING_SIZE, a, b, c, budget);
    free(a);
    free(b);
    free(c);
    return true;
}

/* ---- env steps ---- */

typedef struct {
    ppo_trainer_t *tr;
    float *obs;             /* (N, D) where the envs write */
    const float *actions;   /* (ENV_ROUNDS, N, A) valid random actions */
    uint32_t round;         /* which round of actions this step uses */
} env_ctx_t;

static void env_task(void *vctx, uint32_t c, uint32_t worker)
{
    env_ctx_t *ctx = vctx;
    ppo_trainer_t *tr = ctx->tr;
    const uint32_t N = tr->N, D = tr->D, A = tr->A;
    const uint32_t i0 = c * PPO_COLLECT_CHUNK, i1 = MIN(N, i0 + PPO_COLLECT_CHUNK);
    const ppo_plugin_t *envp = tr->session->env;
    ppo_plugin_enter(envp, "step or reset");
    for (uint32_t i = i0; i < i1; i++) {
        ppo_env_slot_t *slot = &tr->slots[i];
        float *obs = ctx->obs + (size_t)i * D;
        const float *a = ctx->actions + ((size_t)ctx->round * N + i) * A;
        double reward = 0.0;
        int terminated = 0;
        int rc = envp->vt.env.step(slot->inst, a, &slot->env_rng, obs, &reward, &terminated);
        const char *callback = "step";
        if (rc == 0 && (terminated || (tr->max_steps > 0 && ++slot->ep_len >= tr->max_steps))) {
            rc = envp->vt.env.reset(slot->inst, &slot->env_rng, obs);
            callback = "reset";
            slot->ep_len = 0;
        }
        if (rc != 0) {
            GError *e = ppo_plugin_error(envp, callback, rc);
            tr->chunk_status[c] = PPO_ERROR_PLUGIN;
            tr->chunk_message[c] = g_strdup_printf("%s (env %u)", e->message, i);
            g_error_free(e);
            break;
        }
    }
    ppo_plugin_leave();
    (void)worker;
}

/* The first failing chunk's error; clears every chunk's report. */
static bool env_errors(ppo_trainer_t *tr, GError **error)
{
    bool ok = true;
    for (uint32_t c = 0; c < tr->n_env_chunks; c++) {
        if (tr->chunk_status[c] != 0 && ok) {
            g_set_error_literal(error, PPO_ERROR, tr->chunk_status[c], tr->chunk_message[c]);
            ok = false;
        }
        g_free(tr->chunk_message[c]);
        tr->chunk_message[c] = NULL;
        tr->chunk_status[c] = 0;
    }
    return ok;
}

static bool bench_env(ppo_trainer_t *tr, double seconds, ppo_bench_result_t *res, GError **error)
{
    const uint32_t N = tr->N, A = tr->A;
    /* rows of D floats hold an env's row of any dtype (env_task strides by D floats) */
    float *obs = alloc_floats((size_t)N * tr->D);
    float *actions = alloc_floats((size_t)ENV_ROUNDS * N * A);
    if (obs == NULL || actions == NULL) {
        free(obs);
        free(actions);
        return out_of_memory(error, "the env measurement");
    }
    ppo_rng_t rng;
    ppo_rng_seed(&rng, tr->pl->seed, "bench-act", 0);
    for (size_t r = 0; r < (size_t)ENV_ROUNDS * N; r++)
        ppo_space_random_action(&tr->act_space, &rng, actions + r * A);
    env_ctx_t ctx = {.tr = tr, .obs = obs, .actions = actions};
    bool ok = true;
    uint64_t steps = 0;
    const double t0 = now_s();
    double dt = 0.0;
    while (ok && (dt < seconds || steps == 0)) {
        ppo_pool_run(tr->pool, tr->n_env_chunks, env_task, &ctx);
        ok = env_errors(tr, error);
        ctx.round = (ctx.round + 1) % ENV_ROUNDS;
        steps += N;
        dt = now_s() - t0;
    }
    res->env_sps = (double)steps / dt;
    free(obs);
    free(actions);
    return ok;
}

/* ---- collection, update, training ---- */

static bool bench_collect(ppo_trainer_t *tr, double seconds, ppo_bench_result_t *res,
                          GError **error)
{
    /* one rollout to warm up */
    if (!ppo_collect_rollout(tr, error))
        return false;
    ppo_trainer_carry_observations(tr);
    uint64_t steps = 0;
    const double t0 = now_s();
    double dt = 0.0;
    while (dt < seconds || steps == 0) {
        if (!ppo_collect_rollout(tr, error))
            return false;
        ppo_trainer_carry_observations(tr);
        steps += (uint64_t)tr->T * tr->N;
        dt = now_s() - t0;
    }
    res->collect_sps = (double)steps / dt;
    return true;
}

/* Updates on the last collected rollout, each from the same parameters, optimizer state and
 * shuffling stream. */
static bool bench_update(ppo_trainer_t *tr, double seconds, ppo_bench_result_t *res,
                         GError **error)
{
    ppo_model_t *m = tr->model;
    const size_t np = m->n_params, ns = (size_t)m->state_floats * np;
    float *params = alloc_floats(np), *state = alloc_floats(ns);
    if (params == NULL || state == NULL) {
        free(params);
        free(state);
        return out_of_memory(error, "the update measurement");
    }
    memcpy(params, m->params, np * sizeof(float));
    if (ns > 0)
        memcpy(state, m->opt_state, ns * sizeof(float));
    const ppo_rng_t shuffle = tr->shuffle_rng;
    const uint64_t opt_steps = tr->opt_steps;
    const double lr = tr->session->base_lr, clip = tr->pl->ppo.clip;

    bool ok = true;
    uint64_t samples = 0;
    double busy = 0.0;
    for (int rep = 0; ok && (busy < seconds || samples == 0); rep++) {
        memcpy(m->params, params, np * sizeof(float));
        if (ns > 0)
            memcpy(m->opt_state, state, ns * sizeof(float));
        tr->shuffle_rng = shuffle;
        tr->opt_steps = opt_steps;
        ppo_update_stats_t st;
        const double t0 = now_s();
        ok = ppo_update_estimate(tr, error) && ppo_update_run(tr, lr, clip, &st, error);
        const double dt = now_s() - t0;
        /* the first repetition warms up */
        if (rep > 0) {
            busy += dt;
            samples += (st.minibatches + st.skipped + (st.early_stopped ? 1 : 0)) * tr->mb_size;
        }
    }
    res->update_samples_per_s = ok ? (double)samples / busy : NAN;
    free(params);
    free(state);
    return ok;
}

static bool bench_train(ppo_session_t *session, const ppo_bench_options_t *opt,
                        ppo_bench_result_t *res, GError **error)
{
    ppo_trainer_t *tr = ppo_trainer_new(session, error);
    if (tr == NULL)
        return false;
    ppo_metrics_row_t row;
    bool ok = ppo_trainer_iterate(tr, &row, error);
    const uint64_t allocs0 = opt->alloc_count != NULL ? opt->alloc_count() : 0;
    const uint64_t step0 = tr->global_step;
    uint64_t iterations = 0;
    const double t0 = now_s();
    double dt = 0.0;
    while (ok && (iterations < TRAIN_MIN_ITERATIONS ||
                  (dt < opt->seconds && !ppo_trainer_done(tr)))) {
        ok = ppo_trainer_iterate(tr, &row, error);
        iterations++;
        dt = now_s() - t0;
    }
    const uint64_t allocs1 = opt->alloc_count != NULL ? opt->alloc_count() : 0;
    if (ok) {
        res->train_sps = (double)(tr->global_step - step0) / dt;
        res->train_iterations = iterations;
        res->allocs_per_iter =
            opt->alloc_count != NULL ? (double)(allocs1 - allocs0) / (double)iterations : NAN;
    }
    ppo_trainer_free(tr);
    return ok;
}

static uint64_t peak_rss(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (uint64_t)ru.ru_maxrss * 1024u; /* kilobytes on Linux */
}

bool ppo_bench_run(ppo_session_t *session, const ppo_bench_options_t *opt,
                   ppo_bench_result_t *res, GError **error)
{
    g_return_val_if_fail(opt != NULL && opt->seconds > 0.0, false);
    memset(res, 0, sizeof(*res));
    res->allocs_per_iter = NAN;
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    /* the ceiling is one thread's; the trainer runs BLAS single-threaded as well */
    openblas_set_num_threads(1);
#endif
    ppo_trainer_t *tr = ppo_trainer_new(session, error);
    if (tr == NULL)
        return false;
    const ppo_pipeline_t *pl = session->pipeline;
    res->threads = ppo_pool_threads(tr->pool);
    res->n_envs = tr->N;
    res->rollout_steps = tr->T;
    res->epochs = pl->ppo.epochs;
    res->minibatches = pl->ppo.minibatches;
    res->n_params = tr->model->n_params;
    model_flops(tr->model, res);
    res->flops_per_step = ppo_bench_flops_per_step(res->forward_flops, pl->ppo.epochs);

    /* env alone, then collection and update on the same instances (reset in between) */
    bool ok = bench_env(tr, opt->seconds, res, error) && ppo_collect_reset_all(tr, true, error) &&
              bench_collect(tr, opt->seconds, res, error) &&
              bench_update(tr, opt->seconds, res, error);
    ok = ok && bench_shapes(tr, fmin(0.2, opt->seconds / 4.0), res, error);
    ppo_trainer_free(tr);
    ok = ok && bench_train(session, opt, res, error);
    if (!ok)
        return false;
    res->peak_rss_bytes = peak_rss();
    if (!bench_ceiling(fmin(2.0, opt->seconds), res, error))
        return false;
    res->fraction_of_ceiling = res->gemm_gflops > 0.0
                                   ? res->train_sps * res->flops_per_step / (res->gemm_gflops * 1e9)
                                   : NAN;
    return true;
}

/* ---- output ---- */

static void print_rate(FILE *out, const char *what, double per_s, const char *unit)
{
    fprintf(out, "  %-40s %14.0f %s\n", what, per_s, unit);
}

void ppo_bench_print(const ppo_bench_result_t *r, FILE *out)
{
    const double iter_steps = (double)r->n_envs * r->rollout_steps;
    fprintf(out, "pipeline: %u envs x %u steps, %u epochs x %u minibatches, %zu parameters, "
                 "%u thread%s\n",
            r->n_envs, r->rollout_steps, r->epochs, r->minibatches, r->n_params, r->threads,
            r->threads == 1 ? "" : "s");
    fprintf(out, "machine:\n");
    fprintf(out, "  %-40s %14.1f GFLOP/s\n", "sgemm 2048^3, one thread (ceiling)", r->gemm_gflops);
    for (uint32_t k = 0; k < r->n_shapes; k++) {
        const ppo_bench_shape_t *s = &r->shapes[k];
        char what[96];
        snprintf(what, sizeof(what), "sgemm %s (%u x %u x %u)", s->name, s->M, s->N, s->K);
        fprintf(out, "  %-40s %14.1f GFLOP/s (ppofw's layer: %.1f)\n", what, s->gflops,
                s->layer_gflops);
    }
    fprintf(out, "throughput:\n");
    print_rate(out, "env steps (env plugin alone)", r->env_sps, "steps/s");
    print_rate(out, "collection (act + step + storage)", r->collect_sps, "steps/s");
    print_rate(out, "update (evaluate + backward + optimizer)", r->update_samples_per_s,
               "samples*epochs/s");
    print_rate(out, "training, end to end", r->train_sps, "steps/s");
    fprintf(out, "per iteration (%.0f steps):\n", iter_steps);
    fprintf(out, "  %-40s %14.3f ms\n", "collection", 1e3 * iter_steps / r->collect_sps);
    fprintf(out, "  %-40s %14.3f ms\n", "update", 1e3 * iter_steps * r->epochs /
                                                     r->update_samples_per_s);
    fprintf(out, "  %-40s %14.3f ms (over %" G_GUINT64_FORMAT " iterations)\n", "whole iteration",
            1e3 * iter_steps / r->train_sps, r->train_iterations);
    fprintf(out, "arithmetic:\n");
    fprintf(out, "  %-40s %14.0f FLOP\n",
            r->policy_counts_flops ? "forward per row (the policy's count)"
                                   : "forward per row (2 rows cols per weight)",
            r->forward_flops);
    if (r->conv_flops > 0.0)
        fprintf(out, "  %-40s %14.0f FLOP\n", "  of which in conv layers", r->conv_flops);
    fprintf(out, "  %-40s %14.0f FLOP\n", "per env step (1 + 3 epochs forwards)",
            r->flops_per_step);
    fprintf(out, "  %-40s %14.2f GFLOP/s\n", "achieved in training",
            r->train_sps * r->flops_per_step / 1e9);
    fprintf(out, "  %-40s %14.3f\n", "fraction of the ceiling", r->fraction_of_ceiling);
    fprintf(out, "memory:\n");
    fprintf(out, "  %-40s %14.1f MiB\n", "peak RSS", (double)r->peak_rss_bytes / 1048576.0);
    if (isnan(r->allocs_per_iter))
        fprintf(out, "  %-40s %14s\n", "heap allocations per iteration", "not counted");
    else
        fprintf(out, "  %-40s %14.2f\n", "heap allocations per iteration", r->allocs_per_iter);
}

static void json_number(GString *s, const char *key, double v, bool last)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    if (isfinite(v))
        g_string_append_printf(s, "\"%s\": %s", key, g_ascii_formatd(buf, sizeof(buf), "%.10g", v));
    else
        g_string_append_printf(s, "\"%s\": null", key);
    g_string_append(s, last ? "}" : ", ");
}

char *ppo_bench_json(const ppo_bench_result_t *r)
{
    GString *s = g_string_new("{");
    json_number(s, "gemm_gflops", r->gemm_gflops, false);
    json_number(s, "env_sps", r->env_sps, false);
    json_number(s, "collect_sps", r->collect_sps, false);
    json_number(s, "update_samples_per_s", r->update_samples_per_s, false);
    json_number(s, "train_sps", r->train_sps, false);
    json_number(s, "flops_per_step", r->flops_per_step, false);
    json_number(s, "fraction_of_ceiling", r->fraction_of_ceiling, false);
    g_string_append_printf(s, "\"peak_rss_bytes\": %" G_GUINT64_FORMAT ", ", r->peak_rss_bytes);
    json_number(s, "allocs_per_iter", r->allocs_per_iter, true);
    return g_string_free(s, FALSE);
}
