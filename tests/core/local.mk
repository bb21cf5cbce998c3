# tests of core/ (Check suites named test_<file>)
core_tests = \
	tests/core/test_ppo_objective \
	tests/core/test_ppo_normalizer \
	tests/core/test_ppo_pool \
	tests/core/test_ppo_model \
	tests/core/test_ppo_trainer \
	tests/core/test_ppo_abi12 \
	tests/core/test_ppo_semantics
check_PROGRAMS += $(core_tests)
TESTS += $(core_tests)

tests_core_test_ppo_objective_SOURCES = tests/core/test_ppo_objective.c
tests_core_test_ppo_objective_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_objective_LDADD = $(TEST_LIBS)
tests_core_test_ppo_normalizer_SOURCES = tests/core/test_ppo_normalizer.c
tests_core_test_ppo_normalizer_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_normalizer_LDADD = $(TEST_LIBS)
tests_core_test_ppo_pool_SOURCES = tests/core/test_ppo_pool.c
tests_core_test_ppo_pool_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_pool_LDADD = $(TEST_LIBS)
tests_core_test_ppo_model_SOURCES = tests/core/test_ppo_model.c
tests_core_test_ppo_model_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_model_LDADD = $(TEST_LIBS)
include tests/core/badinput.mk
tests_core_test_ppo_trainer_SOURCES = tests/core/test_ppo_trainer.c
tests_core_test_ppo_trainer_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_trainer_LDADD = $(TEST_LIBS)
tests_core_test_ppo_abi12_SOURCES = tests/core/test_ppo_abi12.c
tests_core_test_ppo_abi12_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_abi12_LDADD = $(TEST_LIBS)
tests_core_test_ppo_semantics_SOURCES = tests/core/test_ppo_semantics.c
tests_core_test_ppo_semantics_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_semantics_LDADD = $(TEST_LIBS)
