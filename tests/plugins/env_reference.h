/* ppofw tests — checking a classic-control env plugin against Gymnasium's reference data.
 *
 * Each env's test program describes its env once in a ppo_envref_spec_t (what Gymnasium declares:
 * spaces, time limit, reset distribution, which observation components are plain casts of the
 * state; and how closely the plugin must follow the recorded trajectories) and calls the checks
 * below from its Check tests. The reference files are tests/data/<EnvId>.csv, .edge.csv and
 * .reset.csv (see shared/reference/gymnasium/README.md); every check that reads them reads EVERY
 * row.
 *
 * Tolerances (DESIGN.md §8):
 *   - states and rewards after one step: |got - ref| <= 1e-12 + 1e-9 |ref|, or bit for bit when
 *     the spec says bit_exact (MountainCar, MountainCarContinuous, whose only libm call is cos,
 *     which Gymnasium also takes from glibc);
 *   - terminated: exactly;
 *   - observations (float32): equal to the reference bit for bit, with one allowance: a
 *     component may be 1 float32 ulp away from the reference when the double it is cast from
 *     legitimately differs from Gymnasium's by ulps, which is when
 *       (a) the component is computed through sin/cos of the state (obs_source = -1: numpy's
 *           SIMD sin/cos and glibc's differ in the last bit for most arguments), or
 *       (b) it is the cast of a state component whose double is not bit-identical to the
 *           reference state (that difference itself comes from sin/cos inside the step).
 *     A cast of a bit-identical double must match exactly, and bit_exact envs get no allowance.
 *     The rows that needed the allowance are counted and printed, with the maximum errors, on
 *     the test's standard output (the .log file under `make check`).
 *   - open loop (replaying an episode's recorded actions from its reset state): states within
 *     replay_tol absolute (0: bit for bit) over the first replay_steps steps, rewards within
 *     replay_tol + 1e-9 |ref|, terminated exactly on every replayed step.
 *
 * Left out: anything about the core's time limit or auto-reset (the env never truncates), and
 * the policies that produced the actions (the recorded actions are replayed instead).
 */
#ifndef PPO_TESTS_ENV_REFERENCE_H
#define PPO_TESTS_ENV_REFERENCE_H

#include <stdbool.h>

#include "ppo_test.h"

/* Largest state and observation of the classic-control envs. */
#define PPO_ENVREF_MAX_DIM 8

/* What an env is and how closely it must match Gymnasium. */
typedef struct ppo_envref_spec {
    const char *plugin;         /* plugin name, e.g. "cartpole" */
    const char *env_id;         /* Gymnasium id and stem of the data files, e.g. "CartPole-v1" */
    uint32_t max_episode_steps; /* Gymnasium's registered time limit */
    uint32_t state_dim;         /* S: components of Gymnasium's `state` */
    uint32_t obs_dim;           /* D */
    const int *obs_source;      /* (D) the state component each observation component is the
                                   float cast of, or -1 when it is computed through sin/cos */
    const double *obs_low;      /* (D) the declared observation box */
    const double *obs_high;     /* (D) */
    uint32_t n_actions;         /* discrete: number of actions; box: 0 */
    const double *act_low;      /* box: (1) action bounds; discrete: NULL */
    const double *act_high;     /* box: (1); discrete: NULL */
    const double *reset_low;    /* (S) reset draws component i uniformly in
                                   [reset_low[i], reset_high[i]); equal bounds: a constant */
    const double *reset_high;   /* (S) */
    bool reset_float32;         /* the reset state is rounded to float32 values (Acrobot) */
    /* The observation of a state, written in the test independently of the plugin. */
    void (*observe)(const double *state, float *obs_out);
    bool bit_exact;        /* one-step states, rewards and observations bit for bit */
    double replay_tol;     /* open-loop state tolerance, absolute (0: bit for bit) */
    uint32_t replay_steps; /* steps replayed per episode (0: the whole episode) */
} ppo_envref_spec_t;

/* One instance of a plugin, made through the core's loader and parameter validation. */
typedef struct ppo_envref_env {
    ppo_plugin_t *plugin;       /* the loaded plugin (owned by the registry) */
    const ppo_env_vtable_t *vt; /* its env vtable */
    ppo_params_t *params;       /* validated params (owned) */
    void *inst;                 /* the instance (owned) */
} ppo_envref_env_t;

/* Load the spec's plugin and create an instance with params from flow YAML ("" = defaults).
 * Aborts the test on failure. Free with ppo_envref_close. */
ppo_envref_env_t *ppo_envref_open(const ppo_envref_spec_t *spec, const char *flow_yaml);
/* Destroy the instance and free its params. Accepts NULL. */
void ppo_envref_close(ppo_envref_env_t *env);

/* Callbacks that abort the test unless they succeed. obs_out may be NULL for set_state. */
void ppo_envref_set_state(ppo_envref_env_t *env, const double *state, float *obs_out);
void ppo_envref_get_state(ppo_envref_env_t *env, double *state_out);
void ppo_envref_step(ppo_envref_env_t *env, float action, float *obs_out, double *reward_out,
                     int *terminated_out);

/* A reference CSV with its columns resolved. */
typedef struct ppo_envref_data {
    ppo_csv_t *csv;                     /* the rows (owned) */
    char *name;                         /* file name, for messages (owned) */
    guint n_rows;                       /* rows after the header */
    uint32_t state_dim;                 /* S */
    uint32_t obs_dim;                   /* D */
    int col_episode;                    /* column indices */
    int col_t;                          /* -1 in .reset.csv */
    int col_a0;                         /* -1 in .reset.csv */
    int col_reward;                     /* -1 in .reset.csv */
    int col_terminated;                 /* -1 in .reset.csv */
    int col_s[PPO_ENVREF_MAX_DIM];      /* (S) s0.. */
    int col_o[PPO_ENVREF_MAX_DIM];      /* (D) o0.. */
    int col_next_s[PPO_ENVREF_MAX_DIM]; /* (S) next_s0..; -1 in .reset.csv */
    int col_next_o[PPO_ENVREF_MAX_DIM]; /* (D) next_o0..; -1 in .reset.csv */
} ppo_envref_data_t;

/* Load tests/data/<env_id><suffix>, suffix ".csv", ".edge.csv" or ".reset.csv", and check its
 * columns against the spec. Aborts the test on failure. Free with ppo_envref_data_free. */
ppo_envref_data_t *ppo_envref_data_load(const ppo_envref_spec_t *spec, const char *suffix);
void ppo_envref_data_free(ppo_envref_data_t *data);

/* Row accessors (row 0 is the first after the header): the action as the float32 the env receives,
 * the S doubles of s* or next_s*, the D floats of o* or next_o*. */
float ppo_envref_row_action(const ppo_envref_data_t *data, guint row);
void ppo_envref_row_state(const ppo_envref_data_t *data, guint row, double *state_out);
void ppo_envref_row_next_state(const ppo_envref_data_t *data, guint row, double *state_out);
void ppo_envref_row_obs(const ppo_envref_data_t *data, guint row, float *obs_out);
void ppo_envref_row_next_obs(const ppo_envref_data_t *data, guint row, float *obs_out);

/* Distance between two floats in float32 ulps (+0 and -0 are 0 apart). */
uint32_t ppo_envref_float_ulps(float a, float b);

/* One-step check of every row of <EnvId><suffix>: set_state(s*) (its observation must match
 * o*), step(a*), then next_s*, reward, terminated and next_o* as the tolerances above say.
 * Prints the maximum errors and allowance counts. */
void ppo_envref_check_one_step(const ppo_envref_spec_t *spec, const char *suffix);

/* Open-loop check: for every episode of <EnvId>.reset.csv, set its reset state, replay the
 * recorded actions of <EnvId>.csv in order and compare states, rewards and terminated at every
 * replayed step. Prints the maximum errors. */
void ppo_envref_check_open_loop(const ppo_envref_spec_t *spec);

/* The descriptor and spaces: kind, name, description, max_episode_steps, state_size, the
 * observation box and the action space exactly as the spec declares them. */
void ppo_envref_check_descriptor(const ppo_envref_spec_t *spec);

/* reset over many seeds: each state in the reset bounds (float32 values when reset_float32), the
 * observation equal to spec->observe(state) and to set_state's observation of that state. */
void ppo_envref_check_reset_bounds(const ppo_envref_spec_t *spec);

/* reset draws from the stream it is given and from nothing else: the same stream gives the same
 * state on any instance, different seeds give different states, and a reset advances the
 * stream so the next reset differs. */
void ppo_envref_check_reset_seeds(const ppo_envref_spec_t *spec);

/* Many resets from one stream: per uniform component, the sample mean and variance near those
 * of the uniform distribution and the extremes near the bounds; constant components constant. */
void ppo_envref_check_reset_statistics(const ppo_envref_spec_t *spec);

/* get_state returns what set_state was given, bit for bit, for every s* of <EnvId>.csv; a state
 * taken mid-episode and restored in another instance continues identically. */
void ppo_envref_check_state_round_trip(const ppo_envref_spec_t *spec);

/* With `mask_velocity: true` the entries masked (n_masked) of every observation (set_state, step
 * and reset) read +0 and the others are those of the plain env bit for bit; the states, rewards
 * and terminations are the plain env's. */
void ppo_envref_check_mask_velocity(const ppo_envref_spec_t *spec, const uint32_t *masked,
                                    uint32_t n_masked);

/* set_state refuses a non-finite component with a message naming it and keeps the old state;
 * step before any reset fails with a message. */
void ppo_envref_check_refuses_bad_state(const ppo_envref_spec_t *spec);

/* Discrete envs: step refuses negative, too large, fractional and non-finite actions with a
 * message naming the action and the range, leaving the state unchanged; it takes 0..n-1. */
void ppo_envref_check_refuses_bad_action(const ppo_envref_spec_t *spec);

/* Several instances replaying every episode of <EnvId>.csv at once on different threads give
 * exactly the results of one instance replaying them alone. */
void ppo_envref_check_threads(const ppo_envref_spec_t *spec);

/* render_text writes one or two lines of at most 100 columns, and different states draw
 * differently. */
void ppo_envref_check_render(const ppo_envref_spec_t *spec);

#endif /* PPO_TESTS_ENV_REFERENCE_H */
