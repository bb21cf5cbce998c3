# plugins/policies: policy networks and their Check suites: mlp and the recurrent lstm (export_c
# writers mlp_export.c and lstm_export.c) share libpolicynet (net.h: segment tables, dense
# stacks, heads; cwriter.h: the C writer); cnn (cnn_export.c) uses policy_common (segment table,
# action head) and policy_export (the common pieces of an exported C file). Helpers are linked
# into each plugin, whose symbols stay hidden, since plugins never link each other. test_mlp and
# test_lstm compile the C file export_c writes with tests/plugins/mlp_export_driver.c and
# lstm_export_driver.c, test_cnn with policy_export_driver.c.
noinst_LTLIBRARIES += plugins/policies/libpolicynet.la
plugins_policies_libpolicynet_la_SOURCES = plugins/policies/net.c plugins/policies/net.h \
	plugins/policies/cwriter.c plugins/policies/cwriter.h

POLICY_COMMON = plugins/policies/policy_common.c plugins/policies/policy_common.h \
	plugins/policies/policy_export.c plugins/policies/policy_export.h

plugin_LTLIBRARIES += plugins/policies/mlp.la
plugins_policies_mlp_la_SOURCES = plugins/policies/mlp.c plugins/policies/mlp_export.c \
	plugins/policies/mlp_export.h
plugins_policies_mlp_la_LDFLAGS = $(PLUGIN_LINK)
plugins_policies_mlp_la_LIBADD = plugins/policies/libpolicynet.la $(PLUGIN_LIBS)

plugin_LTLIBRARIES += plugins/policies/lstm.la
plugins_policies_lstm_la_SOURCES = plugins/policies/lstm.c plugins/policies/lstm.h \
	plugins/policies/lstm_export.c
plugins_policies_lstm_la_LDFLAGS = $(PLUGIN_LINK)
plugins_policies_lstm_la_LIBADD = plugins/policies/libpolicynet.la $(PLUGIN_LIBS)

plugin_LTLIBRARIES += plugins/policies/cnn.la
plugins_policies_cnn_la_SOURCES = plugins/policies/cnn.c plugins/policies/cnn_export.c \
	plugins/policies/cnn_private.h $(POLICY_COMMON)
plugins_policies_cnn_la_LDFLAGS = $(PLUGIN_LINK)
plugins_policies_cnn_la_LIBADD = $(PLUGIN_LIBS) -lm

check_PROGRAMS += tests/plugins/test_mlp tests/plugins/test_cnn tests/plugins/test_lstm
POLICY_TEST = tests/plugins/policy_test.c tests/plugins/policy_test.h
tests_plugins_test_mlp_SOURCES = tests/plugins/test_mlp.c
tests_plugins_test_mlp_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_mlp_LDADD = $(TEST_LIBS)
tests_plugins_test_cnn_SOURCES = tests/plugins/test_cnn.c $(POLICY_TEST)
tests_plugins_test_cnn_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_cnn_LDADD = $(TEST_LIBS)
tests_plugins_test_lstm_SOURCES = tests/plugins/test_lstm.c
tests_plugins_test_lstm_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_lstm_LDADD = $(TEST_LIBS)
TESTS += tests/plugins/test_mlp tests/plugins/test_cnn tests/plugins/test_lstm

EXTRA_DIST += tests/plugins/mlp_export_driver.c tests/plugins/lstm_export_driver.c \
	tests/plugins/policy_export_driver.c
