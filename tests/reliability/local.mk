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

check_LTLIBRARIES += tests/reliability/rel_env_misbehave.la
tests_reliability_rel_env_misbehave_la_SOURCES = tests/reliability/rel_env_misbehave.c
tests_reliability_rel_env_misbehave_la_LDFLAGS = $(REL_LINK)
tests_reliability_rel_env_misbehave_la_LIBADD = libppofw.la -lm

# Plugin files that misbehave when merely loaded, in a directory of their own (issue 18): one
# whose constructor crashes, one whose constructor leaves a mark.
check_LTLIBRARIES += tests/reliability/bad/rel_ctor_crash.la tests/reliability/bad/rel_ctor_mark.la
tests_reliability_bad_rel_ctor_crash_la_SOURCES = tests/reliability/bad/rel_ctor_crash.c
tests_reliability_bad_rel_ctor_crash_la_LDFLAGS = $(REL_LINK)
tests_reliability_bad_rel_ctor_crash_la_LIBADD = libppofw.la -lm
tests_reliability_bad_rel_ctor_mark_la_SOURCES = tests/reliability/bad/rel_ctor_mark.c
tests_reliability_bad_rel_ctor_mark_la_LDFLAGS = $(REL_LINK)
tests_reliability_bad_rel_ctor_mark_la_LIBADD = libppofw.la -lm

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

# Issue 18, one suite per root cause: untrusted checkpoints, resume proofs, one writer, only
# our own files, special files, misbehaving plugins, unbounded work, SIGPIPE, messages.
rel18_tests = \
	tests/reliability/test_rel_trust \
	tests/reliability/test_rel_resume_proof \
	tests/reliability/test_rel_lock \
	tests/reliability/test_rel_ownership \
	tests/reliability/test_rel_special_files \
	tests/reliability/test_rel_plugin_faults \
	tests/reliability/test_rel_bounds \
	tests/reliability/test_rel_sigpipe \
	tests/reliability/test_rel_messages
check_PROGRAMS += $(rel18_tests)
TESTS += $(rel18_tests)
tests_reliability_test_rel_trust_SOURCES = tests/reliability/test_rel_trust.c $(REL_UTIL)
tests_reliability_test_rel_trust_CFLAGS = $(TEST_CFLAGS)
tests_reliability_test_rel_trust_LDADD = $(TEST_LIBS)
tests_reliability_test_rel_resume_proof_SOURCES = tests/reliability/test_rel_resume_proof.c \
	$(REL_UTIL)
tests_reliability_test_rel_resume_proof_CFLAGS = $(TEST_CFLAGS)
tests_reliability_test_rel_resume_proof_LDADD = $(TEST_LIBS)
tests_reliability_test_rel_lock_SOURCES = tests/reliability/test_rel_lock.c $(REL_UTIL)
tests_reliability_test_rel_lock_CFLAGS = $(TEST_CFLAGS)
tests_reliability_test_rel_lock_LDADD = $(TEST_LIBS)
tests_reliability_test_rel_ownership_SOURCES = tests/reliability/test_rel_ownership.c $(REL_UTIL)
tests_reliability_test_rel_ownership_CFLAGS = $(TEST_CFLAGS)
tests_reliability_test_rel_ownership_LDADD = $(TEST_LIBS)
tests_reliability_test_rel_special_files_SOURCES = tests/reliability/test_rel_special_files.c \
	$(REL_UTIL)
tests_reliability_test_rel_special_files_CFLAGS = $(TEST_CFLAGS)
tests_reliability_test_rel_special_files_LDADD = $(TEST_LIBS)
tests_reliability_test_rel_plugin_faults_SOURCES = tests/reliability/test_rel_plugin_faults.c \
	$(REL_UTIL)
tests_reliability_test_rel_plugin_faults_CFLAGS = $(TEST_CFLAGS)
tests_reliability_test_rel_plugin_faults_LDADD = $(TEST_LIBS)
tests_reliability_test_rel_bounds_SOURCES = tests/reliability/test_rel_bounds.c $(REL_UTIL)
tests_reliability_test_rel_bounds_CFLAGS = $(TEST_CFLAGS)
tests_reliability_test_rel_bounds_LDADD = $(TEST_LIBS)
tests_reliability_test_rel_sigpipe_SOURCES = tests/reliability/test_rel_sigpipe.c $(REL_UTIL)
tests_reliability_test_rel_sigpipe_CFLAGS = $(TEST_CFLAGS)
tests_reliability_test_rel_sigpipe_LDADD = $(TEST_LIBS)
tests_reliability_test_rel_messages_SOURCES = tests/reliability/test_rel_messages.c $(REL_UTIL)
tests_reliability_test_rel_messages_CFLAGS = $(TEST_CFLAGS)
tests_reliability_test_rel_messages_LDADD = $(TEST_LIBS)

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
