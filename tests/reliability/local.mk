# Reliability tests (issue 9): the bad-input catalogue run through the ppofw program as a user
# would meet it — NaN/Inf from an env, NaN gradients and parameters, plugins crashing with
# SIGSEGV/SIGBUS, damaged and foreign checkpoints, unwritable run directories, a full disk,
# signals and kill -9 — each checked for its exit code, its message and that nothing written
# before the failure was damaged. The fixture plugins (rel_*) land in tests/reliability/.libs/;
# the tests put that directory on PPOFW_PLUGIN_PATH for the program they spawn.
REL_LINK = -module -avoid-version -no-undefined -rpath /nowhere \
	-export-symbols-regex '^ppo_plugin_entry$$'

check_LTLIBRARIES += tests/reliability/rel_env_fault.la
tests_reliability_rel_env_fault_la_SOURCES = tests/reliability/rel_env_fault.c
tests_reliability_rel_env_fault_la_LDFLAGS = $(REL_LINK)
tests_reliability_rel_env_fault_la_LIBADD = libppofw.la -lm

check_LTLIBRARIES += tests/reliability/rel_nan_policy.la
tests_reliability_rel_nan_policy_la_SOURCES = tests/reliability/rel_nan_policy.c
tests_reliability_rel_nan_policy_la_LDFLAGS = $(REL_LINK)
tests_reliability_rel_nan_policy_la_LIBADD = libppofw.la -lm

check_LTLIBRARIES += tests/reliability/rel_nan_optimizer.la
tests_reliability_rel_nan_optimizer_la_SOURCES = tests/reliability/rel_nan_optimizer.c
tests_reliability_rel_nan_optimizer_la_LDFLAGS = $(REL_LINK)
tests_reliability_rel_nan_optimizer_la_LIBADD = libppofw.la -lm

REL_UTIL = tests/reliability/rel_util.c tests/reliability/rel_util.h

rel_tests = \
	tests/reliability/test_rel_numeric \
	tests/reliability/test_rel_crash \
	tests/reliability/test_rel_checkpoint \
	tests/reliability/test_rel_io \
	tests/reliability/test_rel_signals \
	tests/reliability/test_rel_resume \
	tests/reliability/test_rel_sweep
check_PROGRAMS += $(rel_tests)
TESTS += $(rel_tests)

# Regression tests of bugs once found outside tests/reliability/ (each file says which).
rel_regressions = \
	tests/reliability/test_rel_skipped_count \
	tests/reliability/test_rel_sweep_negative
check_PROGRAMS += $(rel_regressions)
TESTS += $(rel_regressions)

tests_reliability_test_rel_numeric_SOURCES = tests/reliability/test_rel_numeric.c $(REL_UTIL)
tests_reliability_test_rel_numeric_CFLAGS = $(TEST_CFLAGS)
tests_reliability_test_rel_numeric_LDADD = $(TEST_LIBS)
tests_reliability_test_rel_crash_SOURCES = tests/reliability/test_rel_crash.c $(REL_UTIL)
tests_reliability_test_rel_crash_CFLAGS = $(TEST_CFLAGS)
tests_reliability_test_rel_crash_LDADD = $(TEST_LIBS)
tests_reliability_test_rel_checkpoint_SOURCES = tests/reliability/test_rel_checkpoint.c \
	$(REL_UTIL)
tests_reliability_test_rel_checkpoint_CFLAGS = $(TEST_CFLAGS)
tests_reliability_test_rel_checkpoint_LDADD = $(TEST_LIBS)
tests_reliability_test_rel_io_SOURCES = tests/reliability/test_rel_io.c $(REL_UTIL)
tests_reliability_test_rel_io_CFLAGS = $(TEST_CFLAGS)
tests_reliability_test_rel_io_LDADD = $(TEST_LIBS)
tests_reliability_test_rel_signals_SOURCES = tests/reliability/test_rel_signals.c $(REL_UTIL)
tests_reliability_test_rel_signals_CFLAGS = $(TEST_CFLAGS)
tests_reliability_test_rel_signals_LDADD = $(TEST_LIBS)
tests_reliability_test_rel_resume_SOURCES = tests/reliability/test_rel_resume.c $(REL_UTIL)
tests_reliability_test_rel_resume_CFLAGS = $(TEST_CFLAGS)
tests_reliability_test_rel_resume_LDADD = $(TEST_LIBS)
tests_reliability_test_rel_sweep_SOURCES = tests/reliability/test_rel_sweep.c $(REL_UTIL)
tests_reliability_test_rel_sweep_CFLAGS = $(TEST_CFLAGS)
tests_reliability_test_rel_sweep_LDADD = $(TEST_LIBS)
tests_reliability_test_rel_skipped_count_SOURCES = \
	tests/reliability/test_rel_skipped_count.c $(REL_UTIL)
tests_reliability_test_rel_skipped_count_CFLAGS = $(TEST_CFLAGS)
tests_reliability_test_rel_skipped_count_LDADD = $(TEST_LIBS)
tests_reliability_test_rel_sweep_negative_SOURCES = \
	tests/reliability/test_rel_sweep_negative.c $(REL_UTIL)
tests_reliability_test_rel_sweep_negative_CFLAGS = $(TEST_CFLAGS)
tests_reliability_test_rel_sweep_negative_LDADD = $(TEST_LIBS)
# the libFuzzer harnesses (built only by configure --enable-fuzzing)
include tests/fuzz/local.mk

# the soak benchmark and the recorded soak and fuzzing results (not run by make check)
EXTRA_DIST += bench/soak.sh bench/SOAK.md bench/FUZZ.md
