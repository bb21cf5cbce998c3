/* ppofw-check — a testing API for ppofw plugins (libppofw-check), in the spirit of GStreamer's
 * libgstcheck.
 *
 * A test program, written with any test framework (the examples use Check), makes a *harness*
 * around one instance of a plugin, by its name or the path of its .so and a params block in YAML,
 * and calls it the way the core does: an env is reset and stepped with the core's random stream
 * and its actions clipped to the action space; a policy acts and evaluates with its parameters in
 * the core's parameter store (laid out from its segment table and initialized as declared), and
 * back-propagates into the store's gradient array; an advantage estimator estimates; an optimizer
 * steps with its state kept for it. A checkpoint opens as a policy harness bound to the trained
 * parameters and the observation normalizer it was trained with, and an env harness and a policy
 * harness run whole episodes together, as `ppofw eval` does.
 *
 * Build a test with `pkg-config --cflags --libs ppofw-check` (which includes ppofw's own flags).
 * The plugin's parameters are validated exactly as in a pipeline; plugins are found by name as
 * `ppofw run` finds them (PPOFW_PLUGIN_PATH, then the installed plugin directory), or named by
 * path (anything containing '/' or ending in ".so").
 *
 * Errors: a function that makes a harness returns NULL and, when `error_out` is not NULL, stores
 * a message there (free it with free()). A call on a harness returns 0, or a negative number and
 * keeps the message for ppo_harness_error(). Messages have the shape of the ppofw program's.
 *
 * Threads: a harness is used by one thread at a time; different harnesses may be used at once.
 * Nothing here keeps state outside its harnesses.
 *
 * The library appeared with plugin ABI 1.2. The guide to writing and testing plugins is
 * plugin-guide.md in ppofw's documentation directory (`pkg-config --variable=docdir ppofw`),
 * docs/plugin-guide.md in the source tree; ppofw-plugin(3) summarizes the plugin API.
 */
#ifndef PPOFW_CHECK_CHECK_H
#define PPOFW_CHECK_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include <ppofw/ppofw.h>

PPO_BEGIN_DECLS

/* One plugin instance and what the core would give it. */
typedef struct ppo_harness ppo_harness_t;

/* ---- making and freeing harnesses ---- */

/* A harness around a new instance of the env, advantage or optimizer plugin `plugin` (a name or a
 * path) made with `params`, a YAML mapping in flow style such as "{width: 5}" (NULL or "" for the
 * defaults). Its random stream is seeded from (1, "env", 0), as env 0 of a run with seed 1; see
 * ppo_harness_seed. For a policy, use ppo_harness_new_policy. Returns NULL on failure (plugin not
 * found or refused, bad params, create failed). Free it with ppo_harness_free. */
PPO_API ppo_harness_t *ppo_harness_new(const char *plugin, const char *params, char **error_out);

/* A harness around a new instance of the policy plugin `plugin` (a name or a path) made with
 * `params` (as for ppo_harness_new) for these spaces (copied; an env harness's spaces come from
 * ppo_harness_env_spaces) and calls of up to `max_rows` rows (>= 1): row i of a call acts for env
 * i, with its own sampler stream seeded from (1, "act", i). The parameter store holds the
 * parameters, initialized as the segment table declares from the stream (1, "init", 0) as in a
 * run with seed 1 (see ppo_harness_policy_init), and a zeroed gradient array. Returns NULL on
 * failure. Free it with ppo_harness_free. */
PPO_API ppo_harness_t *ppo_harness_new_policy(const char *plugin, const char *params,
                                              const ppo_space_t *obs_space,
                                              const ppo_space_t *act_space, uint32_t max_rows,
                                              char **error_out);

/* A policy harness for the policy a checkpoint (a .ckpt file written by `ppofw run`) was trained
 * with: the plugin and params of its pipeline, bound to the checkpoint's parameters, with its
 * observation normalizer (ppo_harness_obs_norm), for calls of up to `max_rows` rows. The
 * checkpoint's plugins are found as `ppofw eval` finds them. Returns NULL on failure (unreadable
 * or damaged checkpoint, plugin not found). Free it with ppo_harness_free. */
PPO_API ppo_harness_t *ppo_harness_open_checkpoint(const char *checkpoint, uint32_t max_rows,
                                                   char **error_out);

/* An env harness for the env a checkpoint was trained on: the env plugin and params of its
 * pipeline, with the pipeline's time limit. Returns NULL on failure. Free it with
 * ppo_harness_free. */
PPO_API ppo_harness_t *ppo_harness_open_checkpoint_env(const char *checkpoint, char **error_out);

/* Destroy the instance and free the harness. Accepts NULL. */
PPO_API void ppo_harness_free(ppo_harness_t *harness);

/* ---- any kind ---- */

/* What the plugin is. */
PPO_API ppo_kind_t ppo_harness_kind(const ppo_harness_t *harness);

/* The plugin's name (owned by the harness). */
PPO_API const char *ppo_harness_name(const ppo_harness_t *harness);

/* The message of the last call on this harness that failed, or NULL (owned by the harness, valid
 * until its next call). */
PPO_API const char *ppo_harness_error(const ppo_harness_t *harness);

/* The plugin instance and the vtable of its kind as the core reads it (fields beyond the
 * plugin's struct_size are NULL): cast to ppo_env_vtable_t, ppo_policy_vtable_t, ... For calls
 * this API does not wrap; the harness still owns both. */
PPO_API void *ppo_harness_instance(const ppo_harness_t *harness);
PPO_API const void *ppo_harness_vtable(const ppo_harness_t *harness);

/* Reseed the harness's random streams from `seed` as a run with that seed seeds them: an env's
 * from (seed, "env", 0), a policy's row samplers from (seed, "act", i). Parameters are not
 * touched (ppo_harness_policy_init). Returns 0, or < 0 for an advantage or optimizer harness. */
PPO_API int ppo_harness_seed(ppo_harness_t *harness, uint64_t seed);

/* ---- env ---- */

/* The env's observation and action spaces (owned by the instance, valid until the harness is
 * freed; the observation space has rank >= 1, as the core hands it to policies). Returns 0, or
 * < 0 when the harness is no env. */
PPO_API int ppo_harness_env_spaces(const ppo_harness_t *harness, const ppo_space_t **obs_space,
                                   const ppo_space_t **act_space);

/* The time limit the core applies: the pipeline's env.max_episode_steps for a checkpoint's env,
 * else the env's registered max_episode_steps; 0 for none. */
PPO_API uint32_t ppo_harness_env_max_episode_steps(const ppo_harness_t *harness);

/* reset with the harness's stream, writing the observation (obs_dim elements of the space's
 * dtype) to obs_out. Returns the callback's result: 0, or < 0 with ppo_harness_error set. */
PPO_API int ppo_harness_env_reset(ppo_harness_t *harness, float *obs_out);

/* step with `action` (act_dim floats; a box action is clipped to the action space first, as the
 * core does), writing the next observation to obs_out, the reward to *reward_out and the
 * termination flag to *terminated_out (either may be NULL). Returns 0, or < 0 with
 * ppo_harness_error set. The harness counts no time limit: see ppo_harness_run_episodes. */
PPO_API int ppo_harness_env_step(ppo_harness_t *harness, const float *action, float *obs_out,
                                 double *reward_out, int *terminated_out);

/* One observation as policies receive it, float32: for a float32 space `obs` holds obs_dim floats,
 * copied; for a uint8 space obs_dim bytes, each scaled to [0, 1] by the space's bounds as
 * (x - low) / (high - low), as the core converts them. Writes obs_dim floats to out. Returns 0, or
 * < 0 when the harness is no env. */
PPO_API int ppo_harness_env_obs_floats(const ppo_harness_t *harness, const void *obs, float *out);

/* ---- policy ---- */

/* The parameter store: n_params floats laid out as the segment table says. Writes take effect
 * at the policy's next call (it reads the array, bound once). Owned by the harness. *n_params
 * may be NULL. */
PPO_API float *ppo_harness_policy_params(ppo_harness_t *harness, size_t *n_params);

/* The gradient array backward adds into, laid out like the parameters, zero after creation. Zero
 * it yourself between backward calls you want apart. Owned by the harness. */
PPO_API float *ppo_harness_policy_grads(ppo_harness_t *harness, size_t *n_params);

/* The first float and the size of the segment named `name` in the store. Returns 0, or < 0 when
 * the table has no such segment. */
PPO_API int ppo_harness_policy_segment(const ppo_harness_t *harness, const char *name,
                                       size_t *offset_out, size_t *size_out);

/* P, the floats of distribution parameters per row (dist_size). 0 for a harness that is no
 * policy. */
PPO_API uint32_t ppo_harness_policy_dist_size(const ppo_harness_t *harness);

/* Initialize every parameter again as the segment table declares, from the stream
 * (seed, "init", 0): the parameters of a run with that seed before its first update. Returns 0,
 * or < 0 when the harness is no policy. */
PPO_API int ppo_harness_policy_init(ppo_harness_t *harness, uint64_t seed);

/* act on B <= max_rows rows of obs (B, D) in a workspace of the harness, row i for env i with its
 * sampler stream (unused when deterministic). Writes actions_out (B, A), logp_out (B), value_out
 * (B) and dist_out (B, P); any of them may be NULL (the harness lends the policy space for it).
 * A recurrent policy (ABI 1.2) acts with the harness's state of each row (see
 * ppo_harness_policy_state) and updates it. Returns 0, or < 0 with ppo_harness_error set. */
PPO_API int ppo_harness_policy_act(ppo_harness_t *harness, uint32_t B, const float *obs,
                                   int deterministic, float *actions_out, float *logp_out,
                                   float *value_out, float *dist_out);

/* value of B <= max_rows rows: value_out (B). Returns 0, or < 0 with ppo_harness_error set. */
PPO_API int ppo_harness_policy_value(ppo_harness_t *harness, uint32_t B, const float *obs,
                                     float *value_out);

/* evaluate B <= max_rows stored samples: obs (B, D), actions (B, A), old_dist (B, P) or NULL.
 * Writes logp_out, entropy_out, value_out and, with old_dist, kl_out (B each; any may be NULL).
 * Keeps what backward needs in the harness's workspace. Not for a recurrent policy (use
 * ppo_harness_instance and ppo_harness_vtable). Returns 0, or < 0 with ppo_harness_error set. */
PPO_API int ppo_harness_policy_evaluate(ppo_harness_t *harness, uint32_t B, const float *obs,
                                        const float *actions, const float *old_dist,
                                        float *logp_out, float *entropy_out, float *kl_out,
                                        float *value_out);

/* backward of the last ppo_harness_policy_evaluate given dlogp, dentropy, dkl, dvalue (B each,
 * NULL = zero): the policy ADDS d loss / d parameters into the harness's gradient array
 * (ppo_harness_policy_grads). Returns 0, or < 0 with ppo_harness_error set. */
PPO_API int ppo_harness_policy_backward(ppo_harness_t *harness, uint32_t B, const float *dlogp,
                                        const float *dentropy, const float *dkl,
                                        const float *dvalue);

/* A recurrent policy's state: max_rows rows of S floats (S = state_size(); 0 and NULL for a
 * policy without memory), row i the state env i acts with next, set to the initial state at
 * creation and by ppo_harness_policy_reset_state. Owned by the harness; writable. */
PPO_API float *ppo_harness_policy_state(ppo_harness_t *harness, uint32_t *state_size);

/* Set row `row`'s state to the policy's initial state (an episode start). Returns 0, or < 0. */
PPO_API int ppo_harness_policy_reset_state(ppo_harness_t *harness, uint32_t row);

/* The observation normalization the policy is fed with: for a checkpoint's policy, the frozen
 * statistics of its training (enabled = 0 when it trained on raw observations); for a new policy,
 * none. Owned by the harness. */
PPO_API const ppo_obs_norm_t *ppo_harness_obs_norm(const ppo_harness_t *harness);

/* obs (B, D) = clip((obs - mean) / sqrt(var + epsilon), -clip, clip) in place with the harness's
 * normalization, as the core normalizes what it hands the policy (nothing when it has none).
 * Returns 0, or < 0 when the harness is no policy. */
PPO_API int ppo_harness_normalize_obs(const ppo_harness_t *harness, uint32_t B, float *obs);

/* ---- advantage ---- */

/* estimate over one rollout view (its struct_size is set for you): adv_out and ret_out (T, N).
 * Returns 0, or < 0 with ppo_harness_error set. */
PPO_API int ppo_harness_advantage_estimate(ppo_harness_t *harness, const ppo_rollout_view_t *view,
                                           float *adv_out, float *ret_out);

/* ---- optimizer ---- */

/* One step of params (n) with grads (n) at learning rate lr, with the state the harness keeps
 * (zeroed at the first step, which fixes n) and the step count t it keeps (1 at the first step).
 * Returns 0, or < 0 with ppo_harness_error set (also when n changes). */
PPO_API int ppo_harness_optimizer_step(ppo_harness_t *harness, float *params, const float *grads,
                                       size_t n, double lr);

/* The optimizer's state (state_floats_per_param blocks of n floats) and its size in floats, or
 * NULL before the first step. Owned by the harness. */
PPO_API float *ppo_harness_optimizer_state(ppo_harness_t *harness, size_t *n_floats);

/* ---- episodes ---- */

/* Run n_episodes episodes of `env` (an env harness) with `policy` (a policy harness) on fresh
 * instances of the env, as `ppofw eval` does: observations normalized with the policy's
 * normalizer, box actions clipped, the env's time limit applied as truncation, the mode of the
 * distribution when `deterministic`, else samples; streams seeded from (seed, "eval-env", i) and
 * (seed, "eval-act", i). The harnesses' own instances and streams are not touched. Writes each
 * episode's return to returns_out and its length to lengths_out (n_episodes each; either may be
 * NULL), in the order episodes end. Returns 0, or < 0 with ppo_harness_error set on `policy`. */
PPO_API int ppo_harness_run_episodes(ppo_harness_t *env, ppo_harness_t *policy, uint32_t n_episodes,
                                     int deterministic, uint64_t seed, double *returns_out,
                                     uint32_t *lengths_out);

PPO_END_DECLS

#endif /* PPOFW_CHECK_CHECK_H */
