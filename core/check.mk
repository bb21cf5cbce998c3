# The plugin checkers behind `ppofw check-env` and `ppofw check-policy` (core/ppo_check.c for the
# report and the env checks, core/ppo_check_policy.c for the policy checks).
libppocore_la_SOURCES += \
	core/ppo_check.c core/ppo_check_policy.c core/ppo_check_private.h
