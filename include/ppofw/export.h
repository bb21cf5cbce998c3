/* ppofw — symbol visibility for libppofw and for plugins.
 *
 * libppofw and every plugin are built with -fvisibility=hidden. PPO_API marks the functions of
 * libppofw that plugins may call, and libppofw exports exactly the functions its installed headers
 * declare with it. PPO_PLUGIN_EXPORT marks the one symbol a plugin exports (ppo_plugin_entry,
 * written by PPO_PLUGIN_DEFINE). Nothing else leaves a .so.
 */
#ifndef PPOFW_EXPORT_H
#define PPOFW_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define PPO_API __attribute__((visibility("default")))
#define PPO_PLUGIN_EXPORT __attribute__((visibility("default")))
#define PPO_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define PPO_API
#define PPO_PLUGIN_EXPORT
#define PPO_PRINTF(fmt_index, first_arg)
#endif

#ifdef __cplusplus
#define PPO_BEGIN_DECLS extern "C" {
#define PPO_END_DECLS }
#else
#define PPO_BEGIN_DECLS
#define PPO_END_DECLS
#endif

#endif /* PPOFW_EXPORT_H */
