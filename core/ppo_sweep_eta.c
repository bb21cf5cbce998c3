/* ppofw core — a sweep's estimate of the time it has left (see ppo_sweep_private.h).
 *
 * Cells cost differently per env step (another env, another network, another budget), so each
 * cell is priced by its own runs: the seconds per step of its finished runs, else of its running
 * ones, else the rate of every finished run, else of every run timed so far. The runs left are
 * then placed, in the order the sweep starts them, on the `jobs` slots as each frees up, and the
 * estimate is when the last slot frees. Leaves out where the timings come from
 * (ppo_sweep_run.c).
 */
#include "config.h"

#include <math.h>

#include "ppo_sweep_private.h"

/* wall seconds and env steps summed over some timed runs */
typedef struct {
    double seconds, steps;
} rate_t;

static void rate_add(rate_t *r, const ppo_sweep_eta_run_t *run)
{
    if (run->steps_timed > 0 && run->seconds_timed >= 0) {
        r->seconds += run->seconds_timed;
        r->steps += run->steps_timed;
    }
}

static double rate_of(const rate_t *r)
{
    return r->steps > 0 ? r->seconds / r->steps : NAN;
}

double ppo_sweep_eta(const ppo_sweep_eta_run_t *runs, size_t n, uint32_t jobs)
{
    uint32_t n_cells = 0;
    for (size_t i = 0; i < n; i++)
        n_cells = MAX(n_cells, runs[i].cell + 1);
    rate_t *finished = g_new0(rate_t, MAX(n_cells, 1)), *running = g_new0(rate_t, MAX(n_cells, 1));
    rate_t all_finished = {0, 0}, all = {0, 0};
    for (size_t i = 0; i < n; i++) {
        const ppo_sweep_eta_run_t *r = &runs[i];
        rate_add(r->finished ? &finished[r->cell] : &running[r->cell], r);
        if (r->finished)
            rate_add(&all_finished, r);
        rate_add(&all, r);
    }
    /* the runs left, each priced by its cell, on the slots in start order */
    const uint32_t slots = MAX(jobs, 1);
    double *free_at = g_new0(double, slots);
    double eta = 0.0;
    for (int pass = 0; pass < 2 && !isnan(eta); pass++) {
        /* the running runs hold their slots; the pending ones follow */
        for (size_t i = 0; i < n && !isnan(eta); i++) {
            const ppo_sweep_eta_run_t *r = &runs[i];
            if (r->finished || r->steps_left <= 0 || r->running != (pass == 0))
                continue;
            double rate = rate_of(&finished[r->cell]);
            if (isnan(rate))
                rate = rate_of(&running[r->cell]);
            if (isnan(rate))
                rate = rate_of(&all_finished);
            if (isnan(rate))
                rate = rate_of(&all);
            if (isnan(rate)) {
                eta = NAN;
                break;
            }
            uint32_t s = 0;
            for (uint32_t k = 1; k < slots; k++)
                if (free_at[k] < free_at[s])
                    s = k;
            free_at[s] += r->steps_left * rate;
            eta = MAX(eta, free_at[s]);
        }
    }
    g_free(free_at);
    g_free(finished);
    g_free(running);
    return eta;
}
