/* ppofw core — validating YAML against a parameter schema.
 *
 * One mechanism serves both the plugins' `params:` blocks and the pipeline's own sections: a
 * section is a list of ppo_param_spec_t, and a YAML mapping becomes a ppo_params_t whose values
 * are typed, range-checked, defaulted and remember their YAML position. Every message has the
 * shape `file:line:col: section.key: what was expected, what was found`.
 */
#ifndef PPO_PARAMS_PRIVATE_H
#define PPO_PARAMS_PRIVATE_H

#include <ppofw/params.h>

#include "ppo_error_private.h"
#include "ppo_yaml_private.h"

/* A validated block of values (transfer full from ppo_params_build; free with ppo_params_free). */

/* Check a schema a plugin declares: names well formed and unique, types known, ranges sane,
 * enum choices present, and every default valid under its own spec. `owner` names the plugin
 * in messages. Copies the specs (reading each at stride specs[0].struct_size and zero-filling
 * fields an older plugin does not have) into *normalized (transfer full, g_free). */
PPO_INTERNAL bool ppo_schema_check(const ppo_param_spec_t *specs, uint32_t n, const char *owner,
                                   ppo_param_spec_t **normalized, GError **error);

/* Validate `map` (a mapping node, or NULL / null for "nothing given") against specs. `section`
 * is the dotted name used in messages ("advantage.params", "ppo"); `where` is the node's
 * position for errors about the block as a whole (may be NULL). Keys listed in `extra_keys`
 * (NULL-terminated; may be NULL) are allowed and skipped: the caller reads them. Unknown keys
 * are errors that suggest the nearest valid key. */
PPO_INTERNAL ppo_params_t *ppo_params_build(const ppo_param_spec_t *specs, uint32_t n,
                                            const ppo_ynode_t *map, const char *section,
                                            const ppo_mark_t *where,
                                            const char *const *extra_keys, GError **error);

PPO_INTERNAL void ppo_params_free(ppo_params_t *params);

/* Validate one node against one spec into a fresh params block holding just it (used for --set
 * values and for defaults). */
PPO_INTERNAL bool ppo_params_check_value(const ppo_param_spec_t *spec, const ppo_ynode_t *node,
                                         const char *key_path, GError **error);

/* The position of a key's value (defaults have source "default", line 0). */
PPO_INTERNAL ppo_mark_t ppo_params_mark(const ppo_params_t *params, const char *name);

/* The resolved values as a YAML mapping body at `indent` (defaults included). */
PPO_INTERNAL void ppo_params_write_yaml(const ppo_params_t *params, GString *out, int indent);

/* The values as one line of flow YAML, "{gamma: 0.99, lambda: 0.95}". */
PPO_INTERNAL char *ppo_params_to_flow(const ppo_params_t *params);

/* A 64-bit hash of the resolved values (names, types and values), for checkpoints. */
PPO_INTERNAL uint64_t ppo_params_hash(const ppo_params_t *params);

/* "a number in (0, 1]", "an integer >= 1", "one of clip, kl_penalty", "true or false", ... */
PPO_INTERNAL char *ppo_spec_describe(const ppo_param_spec_t *spec);

/* The closest of `candidates` (NULL-terminated) to `word`, or NULL when none is close. */
PPO_INTERNAL const char *ppo_nearest_word(const char *word, const char *const *candidates);

/* The spec of `name`, or NULL (transfer none). */
PPO_INTERNAL const ppo_param_spec_t *ppo_params_spec(const ppo_params_t *params, const char *name);

/* Number of values and the i-th spec, for listing. */
PPO_INTERNAL uint32_t ppo_params_count(const ppo_params_t *params);
PPO_INTERNAL const ppo_param_spec_t *ppo_params_spec_at(const ppo_params_t *params, uint32_t i);

#endif /* PPO_PARAMS_PRIVATE_H */
