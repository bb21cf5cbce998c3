/* policy_test — helpers the policy plugins' Check suites (tests/plugins/test_mlp.c, test_cnn.c,
 * test_lstm.c) share: random arrays, segment offsets, central differences, checking each
 * segment's gradient against them, the parts contract, and export_c: the file's checks, building
 * it into a program around tests/plugins/policy_export_driver.c, and comparing its actions with
 * act's.
 *
 * Left out: making policies (each suite knows its plugin's params and spaces).
 */
#ifndef PPO_POLICY_TEST_H
#define PPO_POLICY_TEST_H

#include "ppo_test.h"

/* n floats uniform in [lo, hi) (g_free them). */
float *pt_rand_floats(GRand *r, size_t n, double lo, double hi);

/* The first float of segment k in a table laid out back to back. */
size_t pt_seg_offset(const ppo_segment_t *segs, uint32_t k);

/* The central difference of loss(ctx) in theta[i] with step h: the float steps actually taken
 * divide, theta[i] is restored. */
double pt_central_difference(float *theta, size_t i, float h, double (*loss)(const void *ctx),
                             const void *ctx);

/* A policy instance as the checks below see it. */
typedef struct pt_policy {
    const ppo_policy_vtable_t *vt;
    void *inst;                /* bound to its parameters */
    const ppo_segment_t *segs; /* (n_segs) */
    uint32_t n_segs;
    size_t n_params;
    const ppo_space_t *act_space; /* the action space it was made for */
    uint32_t D, A, P;             /* observation, action and distribution floats per row */
} pt_policy_t;

/* act, value and evaluate agree on B rows of obs, three steps running: act's values are value's
 * and evaluate's, evaluate's logp of act's own sample is act's logp and its KL to act's
 * distribution 0 (rows' streams seeded ppo_rng_seed(5, "act", row), env indices the rows); the
 * deterministic act takes the mode (the mean, the first largest logit, each component's); with
 * `parts`, act without the value function samples the same. */
void pt_check_act_value_evaluate(const pt_policy_t *p, uint32_t B, const float *obs, int parts,
                                 const char *label);

/* Two workspaces used from two threads, each running evaluate then backward (every loss
 * derivative coef[t]) `iterations` times on its Bs[t] rows of obs, actions and old, give bit for
 * bit the outputs and gradients of the same calls one after the other. */
void pt_check_two_threads(const pt_policy_t *p, int iterations, const uint32_t Bs[2],
                          float *const obs[2], float *const actions[2], float *const old[2],
                          float *const coef[2]);

/* The parts contract (ABI 1.1) on B rows of obs, actions, old (B, P) and the loss derivatives d
 * (dlogp, dentropy, dkl, dvalue, B each): a shared policy (`shared`) is one part, every segment -1,
 * and refuses evaluate_part; otherwise segments named "vf*" are part 1, the others part 0, each
 * part's evaluate equals evaluate's outputs and its backward adds only into its segments, together
 * backward's gradient, bit for bit, and a part's backward needs that part's evaluate. `label`
 * names the case in messages. */
void pt_check_parts(const pt_policy_t *p, int shared, uint32_t B, const float *obs,
                    const float *actions, const float *old, float *const d[4], const char *label);

/* A parameter's finite difference: the derivative of the loss in parameter i (of segment seg),
 * or NAN to leave the parameter out (a relu kink inside the step). */
typedef double (*pt_fd_fn)(void *ctx, uint32_t seg, size_t i);

/* Each segment's gradient grad against fd over all its parameters (theta laid out as segs says):
 * the relative L2 error max |fd - grad| / max(|grad|, |fd|, 1e-6) below tol, a gradient that is
 * not zero (unless zero_ok and the differences are zero too), at most a tenth of a segment left
 * out. `label` names the case in messages. Returns the largest relative error of a segment. */
double pt_fd_segments(const ppo_segment_t *segs, uint32_t n_segs, const float *grad, pt_fd_fn fd,
                      void *ctx, double tol, int zero_ok, const char *label);

/* Backward adds into its output: grad2, from a second evaluate and backward into a copy of grad,
 * is twice grad (to 1e-5 relative). */
void pt_check_backward_adds(const float *grad, const float *grad2, size_t n);

/* Write export_c's file (export_c(inst, theta, norm)) to DIR/policy.c and check it: it has the
 * prototype `proto` (a substring of the file), defines PPO_POLICY_OBS_DIM and PPO_POLICY_ACT_DIM
 * and never calls malloc. Returns the path (g_free it). */
char *pt_export_write(const ppo_policy_vtable_t *vt, void *inst, const float *theta,
                      const ppo_obs_norm_t *norm, const char *dir, const char *proto);

/* export_c refuses parameters that hold a NaN (theta, bound to inst, holds one): it returns < 0
 * and its message names the NaN. */
void pt_check_export_refuses_nan(const ppo_policy_vtable_t *vt, void *inst, const float *theta);

/* Compile the exported file c_path alone (C99, -pedantic, warnings as errors), then
 * tests/plugins/policy_export_driver.c around it the same way, in `dir`, and run the program on
 * in_path (the driver's input), writing out_path. Returns FALSE (after printing why) when there is
 * no C compiler "cc" on PATH; fails the test on any other problem. */
gboolean pt_export_run(const char *dir, const char *c_path, const char *in_path,
                       const char *out_path);

/* The plugin's deterministic act on the N observations `seen` (N, D) (as the core hands them
 * over), all rows in one call and in chunks of 8, against the exported program's actions in
 * out_path (N lines of A values): discrete and multi-discrete actions (`box` 0) equal, bit for
 * bit; returns the largest |exported - plugin| over both for box actions (0 otherwise). */
double pt_export_compare_act(const ppo_policy_vtable_t *vt, void *inst, uint32_t D, uint32_t A,
                             uint32_t P, int box, uint32_t N, const float *seen,
                             const char *out_path, const char *label);

#endif /* PPO_POLICY_TEST_H */
