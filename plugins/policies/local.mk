# plugins/policies: policy networks (mlp, whose export_c writer is mlp_export.c) and their Check
# suites. test_mlp compiles the C file export_c writes with tests/plugins/mlp_export_driver.c.
plugin_LTLIBRARIES += plugins/policies/mlp.la
plugins_policies_mlp_la_SOURCES = plugins/policies/mlp.c plugins/policies/mlp_export.c \
	plugins/policies/mlp_export.h
plugins_policies_mlp_la_LDFLAGS = $(PLUGIN_LINK)
plugins_policies_mlp_la_LIBADD = $(PLUGIN_LIBS)

check_PROGRAMS += tests/plugins/test_mlp
tests_plugins_test_mlp_SOURCES = tests/plugins/test_mlp.c
tests_plugins_test_mlp_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_mlp_LDADD = $(TEST_LIBS)
TESTS += tests/plugins/test_mlp

EXTRA_DIST += tests/plugins/mlp_export_driver.c
