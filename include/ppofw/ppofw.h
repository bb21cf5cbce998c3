/* ppofw — the SDK: the one header a plugin author includes.
 *
 * Build a plugin with `pkg-config --cflags --libs ppofw` and -fvisibility=hidden; define its
 * descriptor with PPO_PLUGIN_DEFINE (plugin.h) and the vtable of its kind (env.h, policy.h,
 * advantage.h, optimizer.h). The helpers (rng.h, dist.h, nn.h, conv.h, rnn.h, and codegen.h for
 * export_c) live in libppofw.
 *
 * The plugin guide, plugin-guide.md, walks from zero to a trained, exported and tested policy.
 * It is installed in ppofw's documentation directory (`pkg-config --variable=docdir ppofw`, by
 * default /usr/local/share/doc/ppofw; docs/ in the source tree), with the design, the pipeline
 * reference and the example plugins; ppofw-plugin(3) summarizes this API and ppofw-check(3) the
 * testing API for a plugin's own tests.
 */
#ifndef PPOFW_PPOFW_H
#define PPOFW_PPOFW_H

#include <ppofw/advantage.h>
#include <ppofw/codegen.h>
#include <ppofw/conv.h>
#include <ppofw/dist.h>
#include <ppofw/env.h>
#include <ppofw/export.h>
#include <ppofw/nn.h>
#include <ppofw/optimizer.h>
#include <ppofw/params.h>
#include <ppofw/plugin.h>
#include <ppofw/policy.h>
#include <ppofw/rng.h>
#include <ppofw/rnn.h>
#include <ppofw/version.h>

#endif /* PPOFW_PPOFW_H */
