# libppofw: the core. Shared, so that the ppofw program and every plugin use one copy.
lib_LTLIBRARIES += libppofw.la
libppofw_la_SOURCES = \
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
	core/ppo_checkpoint.c core/ppo_checkpoint_private.h \
	core/ppo_signal.c core/ppo_signal_private.h \
	core/ppo_comm.c core/ppo_comm_private.h
libppofw_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(YAML_CFLAGS) $(BLAS_CFLAGS)
libppofw_la_LIBADD = $(GLIB_LIBS) $(YAML_LIBS) $(BLAS_LIBS) -lm
libppofw_la_LDFLAGS = -version-info $(PPO_LT_VERSION_INFO) -no-undefined

# the dense-math helpers (dist.h, nn.h) are kept in their own fragment
include core/nn.mk

include core/tboard.mk
include core/bench.mk
include core/check.mk
include core/sweep.mk
