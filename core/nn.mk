# the core's distribution and layer helpers (include/ppofw/dist.h, include/ppofw/nn.h).
libppocore_la_SOURCES += core/ppo_dist.c core/ppo_nn.c

check_PROGRAMS += tests/core/test_ppo_dist tests/core/test_ppo_nn
tests_core_test_ppo_dist_SOURCES = tests/core/test_ppo_dist.c
tests_core_test_ppo_dist_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_dist_LDADD = $(TEST_LIBS)
tests_core_test_ppo_nn_SOURCES = tests/core/test_ppo_nn.c
tests_core_test_ppo_nn_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_nn_LDADD = $(TEST_LIBS)
TESTS += tests/core/test_ppo_dist tests/core/test_ppo_nn
