# libppofw's helpers for policies: distributions (include/ppofw/dist.h), layers
# (include/ppofw/nn.h), the LSTM layer (include/ppofw/rnn.h), convolutions (include/ppofw/conv.h),
# the segment-table builder (include/ppofw/policy.h) and code generation for export_c
# (include/ppofw/codegen.h); the hand-written kernels share core/ppo_simd_private.h.
libppocore_la_SOURCES += core/ppo_dist.c core/ppo_nn.c core/ppo_rnn.c core/ppo_conv.c \
	core/ppo_simd_private.h core/ppo_layernorm.c core/ppo_segments.c core/ppo_codegen.c

check_PROGRAMS += tests/core/test_ppo_dist tests/core/test_ppo_nn tests/core/test_ppo_rnn \
	tests/core/test_ppo_conv tests/core/test_ppo_layernorm tests/core/test_ppo_segments \
	tests/core/test_ppo_codegen
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
tests_core_test_ppo_layernorm_SOURCES = tests/core/test_ppo_layernorm.c
tests_core_test_ppo_layernorm_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_layernorm_LDADD = $(TEST_LIBS)
tests_core_test_ppo_segments_SOURCES = tests/core/test_ppo_segments.c
tests_core_test_ppo_segments_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_segments_LDADD = $(TEST_LIBS)
tests_core_test_ppo_codegen_SOURCES = tests/core/test_ppo_codegen.c
EXTRA_DIST += tests/core/codegen_driver.c
tests_core_test_ppo_codegen_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_codegen_LDADD = $(TEST_LIBS)
TESTS += tests/core/test_ppo_dist tests/core/test_ppo_nn tests/core/test_ppo_rnn \
	tests/core/test_ppo_conv tests/core/test_ppo_layernorm tests/core/test_ppo_segments \
	tests/core/test_ppo_codegen
