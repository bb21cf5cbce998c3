# plugins/policies: policy networks and their Check suites. mlp, the recurrent lstm and the
# convolutional cnn share libpolicynet (net.h: segment tables, dense stacks, heads, call checks,
# workspaces, and the pieces of export_c over <ppofw/codegen.h>; their writers are
# mlp_export.c, lstm_export.c and cnn_export.c). libpolicynet is linked into each plugin, whose
# symbols stay hidden, since plugins never link each other.
noinst_LTLIBRARIES += plugins/policies/libpolicynet.la
plugins_policies_libpolicynet_la_SOURCES = plugins/policies/net.c plugins/policies/net.h

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
	plugins/policies/cnn_private.h
plugins_policies_cnn_la_LDFLAGS = $(PLUGIN_LINK)
plugins_policies_cnn_la_LIBADD = plugins/policies/libpolicynet.la $(PLUGIN_LIBS) -lm

check_PROGRAMS += tests/plugins/test_mlp tests/plugins/test_cnn tests/plugins/test_lstm
POLICY_TEST = tests/plugins/policy_test.c tests/plugins/policy_test.h
tests_plugins_test_mlp_SOURCES = tests/plugins/test_mlp.c $(POLICY_TEST)
tests_plugins_test_mlp_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_mlp_LDADD = $(TEST_LIBS)
tests_plugins_test_cnn_SOURCES = tests/plugins/test_cnn.c $(POLICY_TEST)
tests_plugins_test_cnn_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_cnn_LDADD = $(TEST_LIBS)
tests_plugins_test_lstm_SOURCES = tests/plugins/test_lstm.c $(POLICY_TEST)
tests_plugins_test_lstm_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_lstm_LDADD = $(TEST_LIBS)
TESTS += tests/plugins/test_mlp tests/plugins/test_cnn tests/plugins/test_lstm

# The suites share tests/plugins/policy_test.c; each compiles the C file export_c writes into a
# program with tests/plugins/policy_export_driver.c.
EXTRA_DIST += tests/plugins/policy_export_driver.c
