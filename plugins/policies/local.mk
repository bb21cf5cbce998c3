# plugins/policies: policy networks and their Check suites. mlp (export_c writer mlp_export.c)
# and cnn (cnn_export.c) share policy_common (segment table, action head) and policy_export (the
# common pieces of an exported C file), compiled into each. test_mlp and test_cnn share
# tests/plugins/policy_test and compile the C files export_c writes with policy_export_driver.c.
POLICY_COMMON = plugins/policies/policy_common.c plugins/policies/policy_common.h \
	plugins/policies/policy_export.c plugins/policies/policy_export.h

plugin_LTLIBRARIES += plugins/policies/mlp.la
plugins_policies_mlp_la_SOURCES = plugins/policies/mlp.c plugins/policies/mlp_export.c \
	$(POLICY_COMMON)
plugins_policies_mlp_la_LDFLAGS = $(PLUGIN_LINK)
plugins_policies_mlp_la_LIBADD = $(PLUGIN_LIBS)

plugin_LTLIBRARIES += plugins/policies/cnn.la
plugins_policies_cnn_la_SOURCES = plugins/policies/cnn.c plugins/policies/cnn_export.c \
	plugins/policies/cnn_private.h $(POLICY_COMMON)
plugins_policies_cnn_la_LDFLAGS = $(PLUGIN_LINK)
plugins_policies_cnn_la_LIBADD = $(PLUGIN_LIBS) -lm

check_PROGRAMS += tests/plugins/test_mlp tests/plugins/test_cnn
POLICY_TEST = tests/plugins/policy_test.c tests/plugins/policy_test.h
tests_plugins_test_mlp_SOURCES = tests/plugins/test_mlp.c $(POLICY_TEST)
tests_plugins_test_mlp_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_mlp_LDADD = $(TEST_LIBS)
tests_plugins_test_cnn_SOURCES = tests/plugins/test_cnn.c $(POLICY_TEST)
tests_plugins_test_cnn_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_cnn_LDADD = $(TEST_LIBS)
TESTS += tests/plugins/test_mlp tests/plugins/test_cnn

EXTRA_DIST += tests/plugins/policy_export_driver.c
