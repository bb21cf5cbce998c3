# The ppofw program: subcommands, thin over the core (linked statically). Built at the top of
# the build tree.
bin_PROGRAMS += ppofw
ppofw_SOURCES = \
	cli/ppofw.c cli/cli_private.h cli/cli_util.c cli/cli_man.c \
	cli/cmd_run.c \
	cli/cmd_validate.c \
	cli/cmd_eval.c \
	cli/cmd_export.c
# more command files are added below, one line each
ppofw_SOURCES += cli/cmd_plugins.c
ppofw_SOURCES += cli/cmd_check.c
ppofw_SOURCES += cli/cmd_new_plugin.c
ppofw_SOURCES += cli/cmd_sweep.c cli/cmd_plot.c
ppofw_SOURCES += cli/cmd_bench.c

ppofw_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
ppofw_LDADD = libppocore.la $(GLIB_LIBS)
