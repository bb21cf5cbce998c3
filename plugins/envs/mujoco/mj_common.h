/* ppofw MuJoCo envs — what the five locomotion plugins share (compiled into each plugin).
 *
 * The model: each plugin embeds its MJCF text and keeps one mjModel per process, compiled from
 * memory through MuJoCo's virtual file system on the first create (under a mutex), shared
 * read-only by every instance and freed with the last one. Each instance owns one mjData.
 *
 * The simulation: one env step sets ctrl from the action, calls mj_step frame_skip times with the
 * same ctrl (and mj_rnePostConstraint when the env reads cfrc_ext), as Gymnasium's
 * do_simulation does. MuJoCo's own error and warning output is redirected for the calling
 * thread only, through MuJoCo 2.2.2's thread-local handlers, so nothing is printed, nothing is
 * written to MUJOCO_LOG.TXT and no process-wide handler is touched; a MuJoCo error (which
 * would otherwise exit the process) becomes a failed call. A warning counted in the instance's
 * own mjData (unstable simulation, bad qpos/qvel/qacc, full contact or constraint buffers) or a
 * non-finite qpos/qvel/qacc after a step fails that step with a message naming the env and the
 * warning.
 *
 * The state for exact resume: qpos (nq), qvel (nv), act (na), time, qacc_warmstart (nv), and
 * after them whatever the env itself keeps. Restoring it recomputes the derived quantities with
 * mj_forward and then puts qpos and qacc_warmstart back: mj_forward overwrites the warm start
 * with the solver's answer and renormalizes free-joint quaternions in qpos (changing last bits
 * each time), and the next step must start exactly from the saved state.
 *
 * Pictures (mj_render.c): render_size/render_rgb draw the state through MuJoCo's own OpenGL
 * renderer into an offscreen buffer, with an OSMesa (software) context, as Gymnasium's
 * rgb_array mode does with MUJOCO_GL=osmesa.
 *
 * Left out: models other than the embedded one, the Python bindings'
 * per-env random generators (randomness is the core's ppo_rng_t).
 */
#ifndef PPO_MJ_COMMON_H
#define PPO_MJ_COMMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mujoco/mujoco.h>

#include <ppofw/ppofw.h>

/* One plugin's model, shared by all its instances in the process. Define one static object per
 * plugin with PPO_MJ_MODEL_INIT; the helpers below fill and free `model`. */
typedef struct ppo_mj_model {
    pthread_mutex_t lock;     /* guards model and n_users */
    const char *env_name;     /* the plugin's name, for messages: "half_cheetah" */
    const char *file_name;    /* the name the text has in the virtual file system */
    const unsigned char *xml; /* (xml_len) the embedded MJCF text */
    size_t xml_len;           /* bytes of MJCF text, without a terminating NUL */
    mjModel *model;           /* the compiled model, or NULL while nobody uses it */
    unsigned n_users;         /* instances holding `model` */
} ppo_mj_model_t;

/* Static initializer: NAME is the plugin name, XML a NUL-terminated unsigned char array. */
#define PPO_MJ_MODEL_INIT(NAME, XML)                                                               \
    {                                                                                              \
        .lock = PTHREAD_MUTEX_INITIALIZER, .env_name = (NAME), .file_name = NAME ".xml",           \
        .xml = (XML), .xml_len = sizeof(XML) - 1, .model = NULL, .n_users = 0,                     \
    }

/* Writes the observation of an instance's current state (the plugin's instance struct, which
 * starts with its ppo_mj_env_t). */
typedef void (*ppo_mj_observe_fn)(const void *inst, float *obs_out);

/* What every MuJoCo env instance holds. Plugins embed it as the first member of their own
 * instance struct. */
typedef struct ppo_mj_env {
    const ppo_host_t *host; /* services (borrowed, valid until destroy) */
    ppo_mj_model_t *shared; /* the plugin's model registry entry (static storage) */
    const mjModel *m;       /* the shared model, read only */
    mjData *d;              /* this instance's simulation data (owned) */
    int frame_skip;         /* mj_step calls per env step */
    double dt;              /* seconds per env step: timestep * frame_skip */
    bool post_constraint;   /* call mj_rnePostConstraint after each env step (cfrc_ext) */
    bool has_state;         /* reset or set_state has run since create */
    double *act_low;        /* (nu) action box: the actuators' ctrlrange */
    double *act_high;       /* (nu) */
    double *obs_low;        /* (obs_dim) -HUGE_VAL */
    double *obs_high;       /* (obs_dim) +HUGE_VAL */
    uint32_t obs_dim;       /* observation size */
    ppo_mj_observe_fn observe; /* the plugin's observation writer */
    struct ppo_mj_render *render; /* made by the first render call (owned), or NULL */
} ppo_mj_env_t;

/* Set up `env`: check the MuJoCo library version against the headers, take a reference on the
 * plugin's model (compiling it on first use), make the mjData and the space bounds, and keep
 * the plugin's observation writer. Returns 0, or < 0 after host->error() with `env` left empty.
 * Undo with ppo_mj_env_fini. */
int ppo_mj_env_init(ppo_mj_env_t *env, const ppo_host_t *host, ppo_mj_model_t *shared,
                    int frame_skip, uint32_t obs_dim, bool post_constraint,
                    ppo_mj_observe_fn observe);

/* Free what ppo_mj_env_init made and drop the model reference (the last one frees the model).
 * Accepts an env that was never set up or whose setup failed. */
void ppo_mj_env_fini(ppo_mj_env_t *env);

/* Fill the observation box (unbounded) and the action box (the actuators' ctrlrange). */
void ppo_mj_spaces(const ppo_mj_env_t *env, ppo_space_t *obs_space, ppo_space_t *act_space);

/* mj_resetData: qpos = qpos0, qvel = 0, time = 0, warm start = 0, warnings cleared. The env
 * then adds its noise to qpos/qvel and calls ppo_mj_forward. */
void ppo_mj_reset_data(ppo_mj_env_t *env);

/* mj_forward (and mj_rnePostConstraint when the env reads cfrc_ext), as Gymnasium's set_state
 * does after writing qpos and qvel. Returns 0, or < 0 after host->error() on a MuJoCo error. */
int ppo_mj_forward(ppo_mj_env_t *env);

/* One env step: ctrl = action (MuJoCo clamps it to ctrlrange), frame_skip mj_step calls, then
 * mj_rnePostConstraint when enabled. Returns 0, or < 0 after host->error() when the step hit a
 * MuJoCo error or warning or left a non-finite qpos, qvel or qacc. */
int ppo_mj_simulate(ppo_mj_env_t *env, const float *action);

/* Fail (after host->error(), returning < 0) unless reset or set_state has run. */
int ppo_mj_require_state(const ppo_mj_env_t *env);

/* Number of doubles of the simulator state (without the env's extra doubles). */
size_t ppo_mj_state_size(const ppo_mj_env_t *env);

/* Write ppo_mj_state_size() doubles: qpos, qvel, act, time, qacc_warmstart. */
void ppo_mj_get_state(const ppo_mj_env_t *env, double *state_out);

/* Restore a state written by ppo_mj_get_state: write it, run ppo_mj_forward, put qpos and the
 * warm start back. Returns 0, or < 0 after host->error(). */
int ppo_mj_set_state(ppo_mj_env_t *env, const double *state);

/* Env vtable callbacks for a plugin whose instance is one malloc'd struct starting with its
 * ppo_mj_env_t: destroy (ppo_mj_env_fini, then free; accepts NULL), and, when its state is the
 * simulator's alone, state_size, get_state and set_state (which writes the observation through
 * env->observe). */
void ppo_mj_vt_destroy(void *inst);
size_t ppo_mj_vt_state_size(void *inst);
int ppo_mj_vt_get_state(void *inst, double *state_out);
int ppo_mj_vt_set_state(void *inst, const double *state, float *obs_out);

/* Write one text line "NAME t=... " followed by `coords` (already formatted) to `out`. Returns
 * 0, or < 0 after host->error() when the stream fails. */
int ppo_mj_render_line(const ppo_mj_env_t *env, FILE *out, const char *coords);

/* Read a [low, high] list parameter into range (2): `n_min` to 2 elements (one element means no
 * upper bound: high = +HUGE_VAL), low < high. Returns 0, or < 0 after host->error() naming the
 * parameter and where it was given. */
int ppo_mj_range_param(const ppo_host_t *host, const ppo_params_t *params, const char *name,
                       size_t n_min, double range[2]);

/* Sum of squares of the action, in double. */
double ppo_mj_sum_squares(const float *action, int n);

/* Run fn(arg) with MuJoCo errors raised on this thread caught: 0, or -1 with MuJoCo's message
 * in *error_text (valid until the next guarded call on this thread). */
int ppo_mj_call_guarded(void (*fn)(void *arg), void *arg, const char **error_text);

/* ---- pictures (mj_render.c) ---- */

/* Env vtable callbacks for a plugin whose instance starts with its ppo_mj_env_t: frames of
 * PPO_MJ_RENDER_W x PPO_MJ_RENDER_H from a camera tracking the model's first body (Gymnasium's
 * default size). The first call makes the OpenGL context; when the machine or the build cannot
 * (no OSMesa), both fail after host->error() saying why and what to install. */
#define PPO_MJ_RENDER_W 480
#define PPO_MJ_RENDER_H 480
int ppo_mj_vt_render_size(void *inst, uint32_t *width_out, uint32_t *height_out);
int ppo_mj_vt_render_rgb(void *inst, uint8_t *rgb_out);

/* Free what the first render call made. Accepts NULL. */
void ppo_mj_render_free(struct ppo_mj_render *render);

#endif /* PPO_MJ_COMMON_H */
