# examples: plugins built outside the tree against the installed SDK, each with a plain Makefile
# (pkg-config only), a pipeline and Check suites written against the installed testing API
# (ppofw-check). They are installed with the documentation, in $(docdir)/examples, and never
# built by this Makefile: tests/sdk/test_sdk_install.sh copies them out of a staged install and
# builds, tests and trains them during `make check`, and out of the real install during
# `make installcheck` (below), where the installed ppofw must find its plugins unaided.
examplesdir = $(docdir)/examples
dist_examples_DATA = examples/README.md
gridworldexampledir = $(docdir)/examples/gridworld
dist_gridworldexample_DATA = \
	examples/gridworld/gridworld.c \
	examples/gridworld/gridworld.yaml \
	examples/gridworld/test_gridworld.c \
	examples/gridworld/Makefile
linearexampledir = $(docdir)/examples/linear_policy
dist_linearexample_DATA = \
	examples/linear_policy/linear_policy.c \
	examples/linear_policy/linear_policy.yaml \
	examples/linear_policy/test_linear_policy.c \
	examples/linear_policy/test_export.c \
	examples/linear_policy/Makefile

installcheck-local:
	@$(MKDIR_P) tests/sdk
	@{ echo "root='$(DESTDIR)'"; echo "stage_owned=0"; \
	  $(SDK_INSTALL_VARS); } > tests/sdk/installed.env
	$(SHELL) $(srcdir)/tests/sdk/test_sdk_install.sh tests/sdk/installed.env
CLEANFILES += tests/sdk/installed.env
