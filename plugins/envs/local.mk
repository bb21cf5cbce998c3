# plugins/envs: the Gymnasium classic-control envs, one plugin per file, and their reference
# tests (tests/plugins/test_<env>.c, sharing the checker in tests/plugins/env_reference.c).
#
# The envs are built with -ffp-contract=off: a fused multiply-add would round differently from
# Gymnasium's separate multiply and add, and MountainCar must match bit for bit.

ENV_PLUGIN_CFLAGS = $(AM_CFLAGS) -ffp-contract=off

# drawing a state as Gymnasium draws it (cairo), linked into the five classic-control plugins
noinst_LTLIBRARIES += plugins/envs/libccdraw.la
plugins_envs_libccdraw_la_SOURCES = plugins/envs/cc_draw.c plugins/envs/cc_draw.h
plugins_envs_libccdraw_la_CFLAGS = $(AM_CFLAGS) $(CAIRO_CFLAGS)
CC_PLUGIN_CFLAGS = $(ENV_PLUGIN_CFLAGS) $(CAIRO_CFLAGS)
CC_PLUGIN_LIBS = plugins/envs/libccdraw.la $(PLUGIN_LIBS) $(CAIRO_LIBS) -lm

plugin_LTLIBRARIES += plugins/envs/cartpole.la
plugins_envs_cartpole_la_SOURCES = plugins/envs/cartpole.c plugins/envs/mask_velocity.h
plugins_envs_cartpole_la_CFLAGS = $(CC_PLUGIN_CFLAGS)
plugins_envs_cartpole_la_LDFLAGS = $(PLUGIN_LINK)
plugins_envs_cartpole_la_LIBADD = $(CC_PLUGIN_LIBS)

plugin_LTLIBRARIES += plugins/envs/acrobot.la
plugins_envs_acrobot_la_SOURCES = plugins/envs/acrobot.c
plugins_envs_acrobot_la_CFLAGS = $(CC_PLUGIN_CFLAGS)
plugins_envs_acrobot_la_LDFLAGS = $(PLUGIN_LINK)
plugins_envs_acrobot_la_LIBADD = $(CC_PLUGIN_LIBS)

plugin_LTLIBRARIES += plugins/envs/mountain_car.la
plugins_envs_mountain_car_la_SOURCES = plugins/envs/mountain_car.c plugins/envs/mask_velocity.h
plugins_envs_mountain_car_la_CFLAGS = $(CC_PLUGIN_CFLAGS)
plugins_envs_mountain_car_la_LDFLAGS = $(PLUGIN_LINK)
plugins_envs_mountain_car_la_LIBADD = $(CC_PLUGIN_LIBS)

plugin_LTLIBRARIES += plugins/envs/mountain_car_continuous.la
plugins_envs_mountain_car_continuous_la_SOURCES = plugins/envs/mountain_car_continuous.c plugins/envs/mask_velocity.h
plugins_envs_mountain_car_continuous_la_CFLAGS = $(CC_PLUGIN_CFLAGS)
plugins_envs_mountain_car_continuous_la_LDFLAGS = $(PLUGIN_LINK)
plugins_envs_mountain_car_continuous_la_LIBADD = $(CC_PLUGIN_LIBS)

plugin_LTLIBRARIES += plugins/envs/pendulum.la
plugins_envs_pendulum_la_SOURCES = plugins/envs/pendulum.c plugins/envs/mask_velocity.h
plugins_envs_pendulum_la_CFLAGS = $(CC_PLUGIN_CFLAGS)
plugins_envs_pendulum_la_LDFLAGS = $(PLUGIN_LINK)
plugins_envs_pendulum_la_LIBADD = $(CC_PLUGIN_LIBS)

# the reference checker, written once and linked into every env test
check_LTLIBRARIES += tests/plugins/libenvref.la
tests_plugins_libenvref_la_SOURCES = tests/plugins/env_reference.c tests/plugins/env_reference.h
tests_plugins_libenvref_la_CFLAGS = $(TEST_CFLAGS)

ENV_TEST_LIBS = tests/plugins/libenvref.la $(TEST_LIBS)

check_PROGRAMS += tests/plugins/test_cartpole
tests_plugins_test_cartpole_SOURCES = tests/plugins/test_cartpole.c
tests_plugins_test_cartpole_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_cartpole_LDADD = $(ENV_TEST_LIBS)
TESTS += tests/plugins/test_cartpole

check_PROGRAMS += tests/plugins/test_acrobot
tests_plugins_test_acrobot_SOURCES = tests/plugins/test_acrobot.c
tests_plugins_test_acrobot_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_acrobot_LDADD = $(ENV_TEST_LIBS)
TESTS += tests/plugins/test_acrobot

check_PROGRAMS += tests/plugins/test_mountain_car
tests_plugins_test_mountain_car_SOURCES = tests/plugins/test_mountain_car.c
tests_plugins_test_mountain_car_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_mountain_car_LDADD = $(ENV_TEST_LIBS)
TESTS += tests/plugins/test_mountain_car

check_PROGRAMS += tests/plugins/test_mountain_car_continuous
tests_plugins_test_mountain_car_continuous_SOURCES = tests/plugins/test_mountain_car_continuous.c
tests_plugins_test_mountain_car_continuous_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_mountain_car_continuous_LDADD = $(ENV_TEST_LIBS)
TESTS += tests/plugins/test_mountain_car_continuous

check_PROGRAMS += tests/plugins/test_pendulum
tests_plugins_test_pendulum_SOURCES = tests/plugins/test_pendulum.c
tests_plugins_test_pendulum_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_pendulum_LDADD = $(ENV_TEST_LIBS)
TESTS += tests/plugins/test_pendulum

# the pictures: Gymnasium's geometry, memory per frame, and MuJoCo's renderer
check_PROGRAMS += tests/plugins/test_render
tests_plugins_test_render_SOURCES = tests/plugins/test_render.c tests/alloc_count.h
tests_plugins_test_render_CFLAGS = $(TEST_CFLAGS)
tests_plugins_test_render_LDADD = $(TEST_LIBS)
TESTS += tests/plugins/test_render

# the MuJoCo envs and the MinAtar games keep their own fragments
include plugins/envs/mujoco/local.mk
include plugins/envs/minatar/local.mk
