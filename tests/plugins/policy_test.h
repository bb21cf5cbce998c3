/* policy_test — helpers the policy plugins' Check suites (tests/plugins/test_mlp.c, test_cnn.c)
 * share: random arrays, segment offsets, central differences, and building the C file a
 * policy's export_c wrote into a program around tests/plugins/policy_export_driver.c.
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

/* A policy instance as the parts check sees it. */
typedef struct pt_policy {
    const ppo_policy_vtable_t *vt;
    void *inst;                /* bound to its parameters */
    const ppo_segment_t *segs; /* (n_segs) */
    uint32_t n_segs;
    size_t n_params;
} pt_policy_t;

/* The parts contract (ABI 1.1) on B rows of obs, actions, old (B, P) and the loss derivatives d
 * (dlogp, dentropy, dkl, dvalue, B each): a shared policy (`shared`) is one part, every segment -1,
 * and refuses evaluate_part; otherwise segments named "vf*" are part 1, the others part 0, each
 * part's evaluate equals evaluate's outputs and its backward adds only into its segments, together
 * backward's gradient, bit for bit, and a part's backward needs that part's evaluate. `label`
 * names the case in messages. */
void pt_check_parts(const pt_policy_t *p, int shared, uint32_t B, const float *obs,
                    const float *actions, const float *old, float *const d[4], const char *label);

/* Run argv; fails the test unless it exits 0. */
void pt_run_or_fail(char **argv);

/* What the exported program computes (the driver's build macros). */
typedef struct pt_export_kind {
    uint32_t obs_dim; /* D */
    uint32_t act_dim; /* A */
    int kind;         /* 0 discrete, 1 box, 2 multi-discrete */
    int uint8;        /* observations are bytes */
} pt_export_kind_t;

/* Compile the exported file c_path alone (C99, -pedantic, warnings as errors), the driver with
 * `k`'s macros, link them in `dir` and run the program on in_path, writing out_path. Returns
 * FALSE (after printing why) when there is no C compiler "cc" on PATH; fails the test on any
 * other problem. */
gboolean pt_export_run(const char *dir, const char *c_path, const pt_export_kind_t *k,
                       const char *in_path, const char *out_path);

#endif /* PPO_POLICY_TEST_H */
