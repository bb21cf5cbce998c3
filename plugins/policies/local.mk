# plugins/policies: policy networks (mlp and the recurrent lstm, whose export_c writers are
# mlp_export.c and lstm_export.c) and their Check suites. test_mlp and test_lstm compile the C
# file export_c writes with tests/plugins/mlp_export_driver.c and lstm_export_driver.c.
#
# libpolicynet holds what the policies share (net.h, cwriter.h); it is linked into each plugin,
# whose symbols stay hidden, since plugins never link each other.
noinst_LTLIBRARIES += plugins/policies/libpolicynet.la
plugins_policies_libpolicynet_la_SOURCES = plugins/policies/net.c plugins/policies/net.h \
	plugins/policies/cwriter.c plugins/policies/cwriter.h

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

check_PROGRAMS += tests/plugins/test_mlp
tests_plugins_test_mlp_SOURCES = tests/plugins/test_mlp.c
tests_plugins_test_mlp_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_mlp_LDADD = $(TEST_LIBS)
TESTS += tests/plugins/test_mlp

check_PROGRAMS += tests/plugins/test_lstm
tests_plugins_test_lstm_SOURCES = tests/plugins/test_lstm.c
tests_plugins_test_lstm_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_lstm_LDADD = $(TEST_LIBS)
TESTS += tests/plugins/test_lstm

EXTRA_DIST += tests/plugins/mlp_export_driver.c tests/plugins/lstm_export_driver.c
