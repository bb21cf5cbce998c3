# plugins/advantage: advantage estimators (gae, mc) and their Check suites, which compare every
# output element with values printed by tests/plugins/advantage_reference.py.
plugin_LTLIBRARIES += plugins/advantage/gae.la
plugins_advantage_gae_la_SOURCES = plugins/advantage/gae.c
plugins_advantage_gae_la_LDFLAGS = $(PLUGIN_LINK)
plugins_advantage_gae_la_LIBADD = $(PLUGIN_LIBS)

plugin_LTLIBRARIES += plugins/advantage/mc.la
plugins_advantage_mc_la_SOURCES = plugins/advantage/mc.c
plugins_advantage_mc_la_LDFLAGS = $(PLUGIN_LINK)
plugins_advantage_mc_la_LIBADD = $(PLUGIN_LIBS)

check_PROGRAMS += tests/plugins/test_gae
tests_plugins_test_gae_SOURCES = tests/plugins/test_gae.c
tests_plugins_test_gae_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_gae_LDADD = $(TEST_LIBS)
TESTS += tests/plugins/test_gae

check_PROGRAMS += tests/plugins/test_mc
tests_plugins_test_mc_SOURCES = tests/plugins/test_mc.c
tests_plugins_test_mc_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_mc_LDADD = $(TEST_LIBS)
TESTS += tests/plugins/test_mc

EXTRA_DIST += tests/plugins/advantage_reference.py
