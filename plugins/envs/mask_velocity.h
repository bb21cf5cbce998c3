/* ppofw classic-control envs — the `mask_velocity` parameter they share: velocity entries of the
 * observation read 0, as rl-baselines3-zoo's MaskVelocityWrapper makes its "NoVel" tasks
 * (CartPoleNoVel-v1, PendulumNoVel-v1, MountainCarNoVel-v0, MountainCarContinuousNoVel-v0). The
 * observation keeps its size and its declared box; the state, the dynamics, get_state and
 * set_state are those of the unmasked env. A policy needs memory to infer what is hidden.
 */
#ifndef PPO_PLUGINS_ENVS_MASK_VELOCITY_H
#define PPO_PLUGINS_ENVS_MASK_VELOCITY_H

#include <ppofw/ppofw.h>

/* The parameter spec; `entries` names the observation entries that read 0. */
#define MASK_VELOCITY_PARAM(entries)                                                               \
    {                                                                                              \
        PPO_PARAM_SPEC_INIT,                                                                       \
            .type = PPO_PARAM_BOOL, .name = "mask_velocity", .default_value = "false",             \
            .doc = "observe " entries " as 0, a partially observable task (rl-baselines3-zoo's "   \
                   "MaskVelocityWrapper); the observation keeps its size",                         \
    }

#endif /* PPO_PLUGINS_ENVS_MASK_VELOCITY_H */
