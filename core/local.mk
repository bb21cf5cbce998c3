# The core, libppocore: a libtool convenience library (never installed) linked into the ppofw
# program, the tests and the two shared libraries, which can then call everything in it.
# Core sources go into libppocore_la_SOURCES (here and in the fragments included below).
noinst_LTLIBRARIES += libppocore.la
libppocore_la_SOURCES = \
	core/ppo_error.c core/ppo_error_private.h \
	core/ppo_rng.c \
	core/ppo_yaml.c core/ppo_yaml_private.h \
	core/ppo_params.c core/ppo_params_private.h \
	core/ppo_host.c \
	core/ppo_loader.c core/ppo_plugin_private.h \
	core/ppo_pipeline.c core/ppo_pipeline_private.h \
	core/ppo_session.c core/ppo_session_private.h \
	core/ppo_space.c core/ppo_space_private.h \
	core/ppo_model.c core/ppo_model_private.h \
	core/ppo_pool.c core/ppo_pool_private.h \
	core/ppo_normalizer.c core/ppo_normalizer_private.h \
	core/ppo_objective.c core/ppo_objective_private.h \
	core/ppo_trainer.c core/ppo_trainer_private.h \
	core/ppo_collect.c core/ppo_collect_private.h \
	core/ppo_update.c \
	core/ppo_metrics.c core/ppo_metrics_private.h \
	core/ppo_run.c core/ppo_run_private.h \
	core/ppo_rundir.c core/ppo_rundir_private.h \
	core/ppo_file.c core/ppo_file_private.h \
	core/ppo_trust.c core/ppo_trust_private.h \
	core/ppo_guard.c core/ppo_guard_private.h \
	core/ppo_eval.c core/ppo_eval_private.h \
	core/ppo_record.c core/ppo_record_private.h \
	core/ppo_image.c core/ppo_image_private.h \
	core/ppo_checkpoint.c core/ppo_checkpoint_private.h \
	core/ppo_signal.c core/ppo_signal_private.h \
	core/ppo_comm.c core/ppo_comm_private.h
libppocore_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(YAML_CFLAGS) $(BLAS_CFLAGS) $(CAIRO_CFLAGS) \
	$(PNG_CFLAGS) $(GC_SECTIONS_CFLAGS)
libppocore_la_LIBADD = $(GLIB_LIBS) $(YAML_LIBS) $(BLAS_LIBS) $(CAIRO_LIBS) $(PNG_LIBS) \
	$(GIF_LIBS) -lm

# libppofw, the shared library plugins link for the SDK's helpers (rng.h, dist.h, nn.h, ...): the
# core with every symbol hidden except the functions the installed headers declare with PPO_API
# (core/libppofw.sym, made from the headers). The ppofw program and the tests carry their own copy
# of the core; a plugin reaches theirs only through the host table, and the exported helpers
# keep no state, so the two copies in one process never disagree (docs/design.md §2).
lib_LTLIBRARIES += libppofw.la
libppofw_la_SOURCES =
# a library made only of a convenience library is linked by the C compiler when told so
nodist_EXTRA_libppofw_la_SOURCES = core/ppo_none.c
libppofw_la_LIBADD = libppocore.la
libppofw_la_LDFLAGS = -version-info $(PPO_LT_VERSION_INFO) -no-undefined \
	-export-symbols core/libppofw.sym $(GC_SECTIONS_LDFLAGS)
EXTRA_libppofw_la_DEPENDENCIES = core/libppofw.sym
CLEANFILES += core/libppofw.sym

# the names of the functions declared with PPO_API in headers $(1..): one per line, sorted
PPO_API_NAMES = sed -n 's/^.*PPO_API[^(]*[^A-Za-z0-9_]\(ppo_[a-z0-9_]*\)[ ]*(.*$$/\1/p'

core/libppofw.sym: $(ppofwinclude_HEADERS)
	$(AM_V_GEN)set dummy $(libppofw_la_SOURCES); if test $$# -gt 1; then \
	  echo "core/local.mk: libppofw_la_SOURCES must stay empty: add core sources to" \
	    "libppocore_la_SOURCES" >&2; exit 1; fi; \
	$(MKDIR_P) core && \
	for h in $(ppofwinclude_HEADERS); do cat $(srcdir)/$$h; done | $(PPO_API_NAMES) | \
	  LC_ALL=C sort -u > $@-t && test -s $@-t && mv -f $@-t $@

# the dense-math helpers (dist.h, nn.h) are kept in their own fragment
include core/nn.mk

include core/tboard.mk
include core/bench.mk
include core/check.mk
include core/sweep.mk
