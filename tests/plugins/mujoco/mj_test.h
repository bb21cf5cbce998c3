/* ppofw tests — shared checks for the MuJoCo env plugins (linked into each test_<env>).
 *
 * Two halves. The model half compiles a shipped MJCF file (plugins/envs/mujoco/models/) with
 * MuJoCo directly and compares what MuJoCo computes with a table of pinned figures: sizes,
 * options, every body's mass, principal inertias and inertial frame, geom placement and contact
 * settings, joints, actuators, and the 100-step fingerprint of shared/reference/
 * mujoco-models.md §6. The env half drives a plugin through the core's real loader: random
 * steps with the observation, reward and termination recomputed from the state before and after
 * each step by the test's own formula, bit-exact resume through get_state/set_state, the plugin
 * against the model file stepped by hand, reset distributions, two threads against one, and the
 * failure of a step whose simulation turns unstable.
 *
 * Every check prints the largest deviation it measured, so the test log records how closely
 * each pinned figure was met.
 */
#ifndef PPO_MJ_TEST_H
#define PPO_MJ_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mujoco/mujoco.h>

#include "ppo_test.h"

/* ---- pinned model figures ---- */

/* How a geom's orientation is described. */
typedef enum mjt_axis_kind {
    MJT_AXIS_NONE = 0, /* a sphere: orientation has no effect */
    MJT_AXIS_VEC = 1,  /* capsule axis (either sign) or plane normal along `axis` */
    MJT_AXIS_YROT = 2, /* capsule axis: local z rotated by `yrot` radians about +y */
} mjt_axis_kind_t;

/* One body as pinned (§6) and described (§1-5). */
typedef struct mjt_body_pin {
    const char *name;  /* NULL for an unnamed body */
    int parent;        /* parent body id */
    double pos[3];     /* body_pos in the parent frame (description) */
    double mass;       /* body_mass, 17 significant digits */
    double inertia[3]; /* body_inertia, 6 significant digits, non-increasing */
    double ipos[3];    /* body_ipos, 6 significant digits */
    double iquat[4];   /* body_iquat, 6 significant digits (compared where it is unique) */
} mjt_body_pin_t;

/* One joint as pinned (§6) and described (§1-5). */
typedef struct mjt_joint_pin {
    const char *name;
    int body; /* body id */
    int type; /* mjJNT_* */
    int qposadr;
    int dofadr;
    int limited;
    double range[2]; /* radians or metres, 17 significant digits (when limited) */
    double stiffness;
    double damping;  /* dof_damping of the joint's first dof */
    double armature; /* dof_armature of the joint's first dof */
    double pos[3];   /* jnt_pos (description) */
    double axis[3];  /* jnt_axis before normalization (description); unused for free joints */
} mjt_joint_pin_t;

/* One geom as described (§1-5). */
typedef struct mjt_geom_pin {
    const char *name;
    int body;       /* body id */
    int type;       /* mjGEOM_* */
    double size[2]; /* radius (or plane half-sizes) and half-length */
    double pos[3];  /* geom_pos in the body frame */
    mjt_axis_kind_t axis_kind;
    double axis[3];     /* MJT_AXIS_VEC */
    double yrot;        /* MJT_AXIS_YROT */
    double friction[3]; /* sliding, torsional, rolling */
    int contype;
    int conaffinity;
    int condim;
} mjt_geom_pin_t;

/* One actuator as pinned (§6). */
typedef struct mjt_actuator_pin {
    const char *joint; /* the joint it drives */
    double gear;
    double ctrlrange[2];
    int ctrllimited;
} mjt_actuator_pin_t;

/* Everything pinned for one model. Arrays have nbody, njnt, ngeom, nu, nq, nv entries. */
typedef struct mjt_model_pin {
    const char *file; /* in plugins/envs/mujoco/models/ */
    int nq, nv, nu, nbody, njnt, ngeom;
    double timestep;
    int integrator;       /* mjINT_EULER or mjINT_RK4 */
    double total_mass_6;  /* 6 significant digits */
    double total_mass_17; /* 17 significant digits */
    const mjt_body_pin_t *bodies;
    const mjt_joint_pin_t *joints;
    const mjt_geom_pin_t *geoms;
    const mjt_actuator_pin_t *actuators;
    const double *qpos0;
    const double *dof_damping;
    const double *dof_armature;
    double fp_time;        /* d->time after the 100 fingerprint steps */
    int fp_ncon;           /* d->ncon after them */
    const double *fp_qpos; /* (nq) */
    const double *fp_qvel; /* (nv) */
} mjt_model_pin_t;

/* Compile a shipped model file with MuJoCo (aborts the test on failure). Free with
 * mj_deleteModel. */
mjModel *mjt_load_model(const char *file);

/* Each check compiles pin->file, compares, prints its largest deviation and frees the model.
 * Tolerances: counts, types, flags and options exactly; 17-digit figures within 1e-12
 * relative; 6-digit figures to the printed digits (half a unit in the 6th significant digit);
 * descriptions (positions, sizes, axes, frictions) within 1e-9; the fingerprint within 1e-8
 * absolute, as §6 states. */
void mjt_check_sizes(const mjt_model_pin_t *pin);
void mjt_check_bodies(const mjt_model_pin_t *pin);
void mjt_check_joints(const mjt_model_pin_t *pin);
void mjt_check_geoms(const mjt_model_pin_t *pin);
void mjt_check_actuators(const mjt_model_pin_t *pin);
void mjt_check_fingerprint(const mjt_model_pin_t *pin);

/* Equal within `tol`, relative to max(1, |want|). */
void mjt_assert_close(double got, double want, double tol, const char *what);

/* ---- the env half ---- */

/* One env plugin with a parameter set, and the test's own formulas for it. The state layout is
 * the plugin's: qpos (nq), qvel (nv), act (na), time, qacc_warmstart (nv), then `n_extra`. */
typedef struct mjt_env {
    const char *plugin;     /* plugin name = file stem */
    const char *model_file; /* in plugins/envs/mujoco/models/ */
    const char *params;     /* flow YAML for ppo_test_params */
    int frame_skip;
    uint32_t obs_dim;
    uint32_t act_dim;
    size_t n_extra;   /* doubles after the simulator state */
    const void *task; /* the test's own copy of the task's constants */
    /* The observation of a state, as doubles (obs_dim). */
    void (*observe)(const struct mjt_env *env, const mjModel *m, const double *state, double *obs);
    /* Reward and termination of a step from `before` to `after` with `action`. */
    void (*reward)(const struct mjt_env *env, const mjModel *m, const double *before,
                   const double *after, const float *action, double *reward, int *terminated);
} mjt_env_t;

/* A live plugin instance for tests. */
typedef struct mjt_inst {
    ppo_plugin_t *plugin; /* (transfer none) */
    ppo_params_t *params; /* owned */
    void *inst;           /* owned */
    const ppo_env_vtable_t *vt;
    uint32_t obs_dim, act_dim;
    const double *act_low, *act_high;
    size_t state_size;
} mjt_inst_t;

/* Create an instance with `params` flow YAML (NULL: env->params); aborts on failure. */
void mjt_inst_open(mjt_inst_t *t, const mjt_env_t *env, const char *params);
void mjt_inst_close(mjt_inst_t *t);
/* Reset / step / state calls that abort the test on failure. */
void mjt_reset(mjt_inst_t *t, ppo_rng_t *rng, float *obs);
void mjt_step(mjt_inst_t *t, const float *action, ppo_rng_t *rng, float *obs, double *reward,
              int *terminated);
void mjt_get_state(mjt_inst_t *t, double *state);
void mjt_set_state(mjt_inst_t *t, const double *state, float *obs);
/* A random action uniform in the action box. */
void mjt_random_action(const mjt_inst_t *t, ppo_rng_t *rng, float *action);
/* The state of a (nq, nv, na) model, offsets into it. */
size_t mjt_qvel_at(const mjModel *m);
size_t mjt_time_at(const mjModel *m);
size_t mjt_extra_at(const mjModel *m);

/* Spaces, time limit, state size and render_text. */
void mjt_check_spaces(const mjt_env_t *env);
/* `n_steps` random steps: observation shape and finiteness, observation, reward and
 * termination recomputed from the states around each step (reward within 1e-12 relative).
 * Returns the number of terminations seen (episodes are reset after each). */
int mjt_check_random_steps(const mjt_env_t *env, int n_steps);
/* The state after each of the first 40 steps of a run, set into another instance: the
 * observation set_state writes and the 8 following steps (observations, rewards, flags,
 * states) are bit-identical to the uninterrupted run. */
void mjt_check_resume_bitwise(const mjt_env_t *env);
/* The plugin's steps equal ctrl = action then frame_skip mj_step calls on the shipped model
 * file, bit for bit. */
void mjt_check_matches_model_file(const mjt_env_t *env);
/* `n` resets: qpos - qpos0 in [-qpos_noise, qpos_noise] (a free joint's quaternion: the
 * normalized form of such a value); qvel in [-qvel_noise, qvel_noise] (uniform) or with mean ~0
 * and std ~qvel_noise (normal); time 0; the same stream gives the same start; observation
 * matches. */
void mjt_check_reset_distribution(const mjt_env_t *env, int n, double qpos_noise, double qvel_noise,
                                  bool qvel_normal);
/* Two instances stepped at once in two threads give what they give one after the other. */
void mjt_check_threads_match_sequential(const mjt_env_t *env);
/* A state with a velocity of 1e11 makes MuJoCo warn: step fails naming the env and the
 * warning, prints nothing to MUJOCO_LOG.TXT, and a reset recovers. */
void mjt_check_unstable_step_fails(const mjt_env_t *env);
/* A MuJoCo error inside a step (raised here from a control callback; MuJoCo's default would end
 * the process) fails that step with MuJoCo's message; the process lives on and a reset
 * recovers. */
void mjt_check_mujoco_error_fails_step(const mjt_env_t *env);
/* Step once from `state` (after set_state) with a zero action; return terminated, and write the
 * reward and the state after the step (`after` may be NULL). */
int mjt_step_from(const mjt_env_t *env, const char *params, const double *state, double *reward,
                  double *after);
/* create with `params` must fail; returns the plugin's message (g_free). */
char *mjt_create_fails(const mjt_env_t *env, const char *params);
/* A valid state of the instance right after a reset with seed 1 (state_size doubles, owned by
 * the caller: g_free). */
double *mjt_reset_state(const mjt_env_t *env, const char *params, size_t *state_size);

#endif /* PPO_MJ_TEST_H */
