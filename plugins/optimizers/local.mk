# plugins/optimizers: optimizers (adam, sgd) and their Check suites, which compare every
# parameter and state element after each step with values printed by
# tests/plugins/optimizer_reference.py.
plugin_LTLIBRARIES += plugins/optimizers/adam.la
plugins_optimizers_adam_la_SOURCES = plugins/optimizers/adam.c
# the step is one loop over every parameter: let it vectorize (no errno from sqrt)
plugins_optimizers_adam_la_CFLAGS = $(AM_CFLAGS) -fno-math-errno $(VECTORIZE_CFLAGS)
plugins_optimizers_adam_la_LDFLAGS = $(PLUGIN_LINK)
plugins_optimizers_adam_la_LIBADD = $(PLUGIN_LIBS) -lm

plugin_LTLIBRARIES += plugins/optimizers/sgd.la
plugins_optimizers_sgd_la_SOURCES = plugins/optimizers/sgd.c
plugins_optimizers_sgd_la_LDFLAGS = $(PLUGIN_LINK)
plugins_optimizers_sgd_la_LIBADD = $(PLUGIN_LIBS)

check_PROGRAMS += tests/plugins/test_adam
tests_plugins_test_adam_SOURCES = tests/plugins/test_adam.c
tests_plugins_test_adam_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_adam_LDADD = $(TEST_LIBS)
TESTS += tests/plugins/test_adam

check_PROGRAMS += tests/plugins/test_sgd
tests_plugins_test_sgd_SOURCES = tests/plugins/test_sgd.c
tests_plugins_test_sgd_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_sgd_LDADD = $(TEST_LIBS)
TESTS += tests/plugins/test_sgd

EXTRA_DIST += tests/plugins/optimizer_reference.py
