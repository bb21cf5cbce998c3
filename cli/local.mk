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

# the new-plugin templates: files in cli/templates/, compiled into the program as GResources
PPO_CLI_TEMPLATES = cli/templates/env.c cli/templates/env_image.c cli/templates/policy.c \
	cli/templates/advantage.c cli/templates/optimizer.c cli/templates/Makefile \
	cli/templates/pipeline.yaml
nodist_ppofw_SOURCES = cli/ppo_cli_resources.c cli/ppo_cli_resources.h
EXTRA_DIST += cli/templates.gresource.xml $(PPO_CLI_TEMPLATES)
BUILT_SOURCES += cli/ppo_cli_resources.c cli/ppo_cli_resources.h
CLEANFILES += cli/ppo_cli_resources.c cli/ppo_cli_resources.h
PPO_CLI_GRESOURCE_FLAGS = --sourcedir=$(srcdir)/cli --c-name ppo_cli --internal --manual-register
cli/ppo_cli_resources.c: cli/templates.gresource.xml $(PPO_CLI_TEMPLATES)
	$(AM_V_GEN)$(MKDIR_P) cli && $(GLIB_COMPILE_RESOURCES) $(PPO_CLI_GRESOURCE_FLAGS) \
		--generate-source --target=$@ $(srcdir)/cli/templates.gresource.xml
cli/ppo_cli_resources.h: cli/templates.gresource.xml $(PPO_CLI_TEMPLATES)
	$(AM_V_GEN)$(MKDIR_P) cli && $(GLIB_COMPILE_RESOURCES) $(PPO_CLI_GRESOURCE_FLAGS) \
		--generate-header --target=$@ $(srcdir)/cli/templates.gresource.xml

ppofw_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) -I$(top_builddir)/cli
ppofw_LDADD = libppocore.la $(GLIB_LIBS)
