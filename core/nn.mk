# libppofw's distribution, layer, recurrent and convolution helpers (include/ppofw/dist.h, nn.h,
# rnn.h, conv.h), whose hand-written kernels share core/ppo_simd_private.h.
libppofw_la_SOURCES += core/ppo_dist.c core/ppo_nn.c core/ppo_rnn.c core/ppo_conv.c \
	core/ppo_simd_private.h

check_PROGRAMS += tests/core/test_ppo_dist tests/core/test_ppo_nn tests/core/test_ppo_rnn \
	tests/core/test_ppo_conv
tests_core_test_ppo_dist_SOURCES = tests/core/test_ppo_dist.c
tests_core_test_ppo_dist_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_dist_LDADD = $(TEST_LIBS)
tests_core_test_ppo_nn_SOURCES = tests/core/test_ppo_nn.c
tests_core_test_ppo_nn_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_nn_LDADD = $(TEST_LIBS)
tests_core_test_ppo_rnn_SOURCES = tests/core/test_ppo_rnn.c
tests_core_test_ppo_rnn_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_rnn_LDADD = $(TEST_LIBS)
tests_core_test_ppo_conv_SOURCES = tests/core/test_ppo_conv.c
tests_core_test_ppo_conv_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_conv_LDADD = $(TEST_LIBS)
TESTS += tests/core/test_ppo_dist tests/core/test_ppo_nn tests/core/test_ppo_rnn \
	tests/core/test_ppo_conv
