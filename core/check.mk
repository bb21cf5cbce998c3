# The plugin checkers behind `ppofw check-env` and `ppofw check-policy` (core/ppo_check.c for the
# report and the env checks, core/ppo_check_policy.c and the batteries it runs for the policy
# checks), and the verification of exported policies they and `ppofw export --verify` share
# (core/ppo_export_verify.c), whose driver program is embedded as a GResource.
libppocore_la_SOURCES += \
	core/ppo_check.c core/ppo_check_private.h \
	core/ppo_check_policy.c core/ppo_check_policy_private.h \
	core/ppo_check_grad.c core/ppo_check_workspaces.c core/ppo_check_recurrent.c \
	core/ppo_check_export.c \
	core/ppo_export_verify.c core/ppo_export_verify_private.h
nodist_libppocore_la_SOURCES = core/ppo_core_resources.c core/ppo_core_resources.h

# the resources: files compiled into the core as data (read with g_resource_lookup_data)
PPO_CORE_RESOURCES = core/resources/ppo_export_driver.c
EXTRA_DIST += core/ppo_core.gresource.xml $(PPO_CORE_RESOURCES)
BUILT_SOURCES += core/ppo_core_resources.c core/ppo_core_resources.h
CLEANFILES += core/ppo_core_resources.c core/ppo_core_resources.h
PPO_GRESOURCE_FLAGS = --sourcedir=$(srcdir)/core --c-name ppo_core --internal --manual-register
core/ppo_core_resources.c: core/ppo_core.gresource.xml $(PPO_CORE_RESOURCES)
	$(AM_V_GEN)$(MKDIR_P) core && $(GLIB_COMPILE_RESOURCES) $(PPO_GRESOURCE_FLAGS) \
		--generate-source --target=$@ $(srcdir)/core/ppo_core.gresource.xml
core/ppo_core_resources.h: core/ppo_core.gresource.xml $(PPO_CORE_RESOURCES)
	$(AM_V_GEN)$(MKDIR_P) core && $(GLIB_COMPILE_RESOURCES) $(PPO_GRESOURCE_FLAGS) \
		--generate-header --target=$@ $(srcdir)/core/ppo_core.gresource.xml
