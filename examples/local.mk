# examples: plugins built outside the tree against the installed SDK, each with a plain Makefile
# (`pkg-config --cflags --libs ppofw`) and a pipeline. They are distributed, never built by this
# Makefile: tests/sdk/test_sdk_install.sh copies them out of the tree and builds and trains them
# against a staged install during `make check`, and against the real install during
# `make installcheck` (below), where the installed ppofw must find its plugins unaided.
EXAMPLES_DIST = \
	examples/README.md \
	examples/gridworld/gridworld.c \
	examples/gridworld/gridworld.yaml \
	examples/gridworld/Makefile \
	examples/linear_policy/linear_policy.c \
	examples/linear_policy/linear_policy.yaml \
	examples/linear_policy/Makefile
EXTRA_DIST += $(EXAMPLES_DIST)

installcheck-local:
	@$(MKDIR_P) tests/sdk
	@{ echo "root='$(DESTDIR)'"; echo "stage_owned=0"; \
	  $(SDK_INSTALL_VARS); } > tests/sdk/installed.env
	$(SHELL) $(srcdir)/tests/sdk/test_sdk_install.sh tests/sdk/installed.env
CLEANFILES += tests/sdk/installed.env
