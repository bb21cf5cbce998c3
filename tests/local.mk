# Tests: Check suites mirroring core/ and plugins/. Each area's fragment adds its own programs to
# check_PROGRAMS and TESTS; the shared helpers and the environment are defined here.
noinst_LTLIBRARIES += tests/libppotest.la
tests_libppotest_la_SOURCES = tests/ppo_test.c tests/ppo_test.h
tests_libppotest_la_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(GLIB_CFLAGS) $(YAML_CFLAGS)

# Every test program links the core statically (libppocore, through TEST_LIBS), so it may call
# the core's internal functions; the plugins a test loads bring the shared libppofw with them.
TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(GLIB_CFLAGS) -I$(top_srcdir)/tests
TEST_LIBS = tests/libppotest.la libppocore.la $(CHECK_LIBS) $(GLIB_LIBS) -lm

# tests see fixture plugins through PPOFW_PLUGIN_PATH and shipped plugins through the build tree;
# never installed plugins; the list of trusted plugin directories `ppofw run` keeps is the build
# tree's, never the user's
AM_TESTS_ENVIRONMENT = \
	PPOFW_PLUGIN_PATH='$(abs_top_builddir)/tests/fixtures/.libs'; export PPOFW_PLUGIN_PATH; \
	PPO_TEST_SRCDIR='$(abs_top_srcdir)'; export PPO_TEST_SRCDIR; \
	PPO_TEST_BUILDDIR='$(abs_top_builddir)'; export PPO_TEST_BUILDDIR; \
	CK_DEFAULT_TIMEOUT=300; export CK_DEFAULT_TIMEOUT; \
	XDG_CONFIG_HOME='$(abs_top_builddir)/tests/xdg-config'; export XDG_CONFIG_HOME; \
	ASAN_OPTIONS="$${ASAN_OPTIONS:-detect_leaks=1}"; export ASAN_OPTIONS; \
	LSAN_OPTIONS="$${LSAN_OPTIONS:-suppressions=$(abs_top_srcdir)/tests/lsan.supp}"; \
	export LSAN_OPTIONS; \
	UBSAN_OPTIONS="$${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"; export UBSAN_OPTIONS;

EXTRA_DIST += tests/data tests/lsan.supp

# shell tests run with $(SHELL)
TEST_EXTENSIONS = .test .sh
SH_LOG_COMPILER = $(SHELL)

include tests/core/local.mk
include tests/fixtures/local.mk
include tests/cli/local.mk
include tests/reliability/local.mk
include tests/sdk/local.mk
include tests/configs/local.mk
include tests/mpi/local.mk

# what the tests' runs recorded as trusted plugin directories
clean-local: clean-test-xdg
clean-test-xdg:
	-rm -rf tests/xdg-config
.PHONY: clean-test-xdg
