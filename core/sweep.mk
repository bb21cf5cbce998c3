# Sweeps and learning-curve reports (`ppofw sweep`, `ppofw plot`): the sweep file and its cells,
# the runner, the statistics across seeds and the SVG figures.
libppocore_la_SOURCES += \
	core/ppo_sweep.c core/ppo_sweep_run.c core/ppo_sweep_eta.c core/ppo_sweep_private.h \
	core/ppo_curves.c core/ppo_curves_private.h \
	core/ppo_svg.c core/ppo_svg_private.h core/ppo_figure_png.c

# tests: the core parts directly, the commands by spawning the built program (so they need
# ppofw, the shipped plugins and the fixture plugins, all built before tests run)
sweep_tests = \
	tests/core/test_ppo_sweep \
	tests/core/test_ppo_curves \
	tests/core/test_ppo_svg \
	tests/core/test_ppo_metrics_progress \
	tests/cli/test_cmd_sweep \
	tests/cli/test_cmd_plot
check_PROGRAMS += $(sweep_tests)
TESTS += $(sweep_tests)
tests_core_test_ppo_sweep_SOURCES = tests/core/test_ppo_sweep.c
tests_core_test_ppo_sweep_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_sweep_LDADD = $(TEST_LIBS)
tests_core_test_ppo_curves_SOURCES = tests/core/test_ppo_curves.c
tests_core_test_ppo_curves_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_curves_LDADD = $(TEST_LIBS)
tests_core_test_ppo_svg_SOURCES = tests/core/test_ppo_svg.c
tests_core_test_ppo_svg_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_svg_LDADD = $(TEST_LIBS)
tests_core_test_ppo_metrics_progress_SOURCES = tests/core/test_ppo_metrics_progress.c
tests_core_test_ppo_metrics_progress_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_metrics_progress_LDADD = $(TEST_LIBS)
tests_cli_test_cmd_sweep_SOURCES = tests/cli/test_cmd_sweep.c
tests_cli_test_cmd_sweep_CFLAGS = $(TEST_CFLAGS)
tests_cli_test_cmd_sweep_LDADD = $(TEST_LIBS)
tests_cli_test_cmd_plot_SOURCES = tests/cli/test_cmd_plot.c tests/image_read.c tests/image_read.h
tests_cli_test_cmd_plot_CFLAGS = $(TEST_CFLAGS) $(PNG_CFLAGS)
tests_cli_test_cmd_plot_LDADD = $(TEST_LIBS) $(PNG_LIBS) $(GIF_LIBS)
