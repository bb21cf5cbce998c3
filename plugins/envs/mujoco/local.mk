# plugins/envs/mujoco: the MuJoCo locomotion envs (half_cheetah, hopper, walker2d, ant,
# inverted_pendulum) and their tests, built only when configure found MuJoCo (HAVE_MUJOCO).
#
# Each plugin embeds its model: a header generated from models/NAME.xml holds the text as a
# byte array (od + sed, no other tools). The .so files land in plugins/envs/.libs with the other
# envs. The XML files are installed to $(pkgdatadir)/mujoco for users who want to look at them.

PPO_MJ_MODELS = \
	plugins/envs/mujoco/models/half_cheetah.xml \
	plugins/envs/mujoco/models/hopper.xml \
	plugins/envs/mujoco/models/walker2d.xml \
	plugins/envs/mujoco/models/ant.xml \
	plugins/envs/mujoco/models/inverted_pendulum.xml

PPO_MJ_COMMON = plugins/envs/mujoco/mj_common.c plugins/envs/mujoco/mj_common.h \
	plugins/envs/mujoco/mj_render.c
PPO_MJ_TEST_COMMON = tests/plugins/mujoco/mj_test.c tests/plugins/mujoco/mj_test.h

# sources are distributed whether or not this machine builds them
EXTRA_DIST += tests/plugins/mujoco/test_mujoco_learning.c
EXTRA_DIST += $(PPO_MJ_MODELS) $(PPO_MJ_COMMON) $(PPO_MJ_TEST_COMMON) \
	plugins/envs/mujoco/half_cheetah.c plugins/envs/mujoco/hopper.c \
	plugins/envs/mujoco/walker2d.c plugins/envs/mujoco/ant.c \
	plugins/envs/mujoco/inverted_pendulum.c \
	tests/plugins/mujoco/test_half_cheetah.c tests/plugins/mujoco/test_hopper.c \
	tests/plugins/mujoco/test_walker2d.c tests/plugins/mujoco/test_ant.c \
	tests/plugins/mujoco/test_inverted_pendulum.c

# print a C header declaring `static const unsigned char ppo_mj_xml[]` with the bytes of file $1
# and a terminating NUL
PPO_MJ_EMBED = embed() { \
	echo "/* generated from models/$$(basename "$$1") by plugins/envs/mujoco/local.mk */"; \
	echo 'static const unsigned char ppo_mj_xml[] = {'; \
	od -A n -v -t x1 "$$1" | sed -e 's/ *\([0-9a-fA-F][0-9a-fA-F]\)/0x\1,/g'; \
	echo '0x00};'; \
	}; embed

if HAVE_MUJOCO

PPO_MJ_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir)/plugins/envs/mujoco \
	-I$(top_srcdir)/plugins/envs/mujoco
# pictures through MuJoCo's renderer on an OSMesa context, when configure found OSMesa
PPO_MJ_GL_LIBS =
if HAVE_OSMESA
PPO_MJ_CPPFLAGS += -DPPO_MJ_OSMESA=1 $(OSMESA_CFLAGS)
PPO_MJ_GL_LIBS += $(OSMESA_LIBS)
endif
# no fused multiply-add, so rewards are computed in the order written (as the tests recompute them)
PPO_MJ_CFLAGS = $(AM_CFLAGS) -ffp-contract=off
PPO_MJ_GENERATED = \
	plugins/envs/mujoco/half_cheetah_xml.h \
	plugins/envs/mujoco/hopper_xml.h \
	plugins/envs/mujoco/walker2d_xml.h \
	plugins/envs/mujoco/ant_xml.h \
	plugins/envs/mujoco/inverted_pendulum_xml.h
BUILT_SOURCES += $(PPO_MJ_GENERATED)
CLEANFILES += $(PPO_MJ_GENERATED)

plugins/envs/mujoco/half_cheetah_xml.h: plugins/envs/mujoco/models/half_cheetah.xml
	$(AM_V_GEN)$(MKDIR_P) plugins/envs/mujoco && \
	($(PPO_MJ_EMBED) $(srcdir)/plugins/envs/mujoco/models/half_cheetah.xml) > $@-t && \
	mv -f $@-t $@
plugins/envs/mujoco/hopper_xml.h: plugins/envs/mujoco/models/hopper.xml
	$(AM_V_GEN)$(MKDIR_P) plugins/envs/mujoco && \
	($(PPO_MJ_EMBED) $(srcdir)/plugins/envs/mujoco/models/hopper.xml) > $@-t && \
	mv -f $@-t $@
plugins/envs/mujoco/walker2d_xml.h: plugins/envs/mujoco/models/walker2d.xml
	$(AM_V_GEN)$(MKDIR_P) plugins/envs/mujoco && \
	($(PPO_MJ_EMBED) $(srcdir)/plugins/envs/mujoco/models/walker2d.xml) > $@-t && \
	mv -f $@-t $@
plugins/envs/mujoco/ant_xml.h: plugins/envs/mujoco/models/ant.xml
	$(AM_V_GEN)$(MKDIR_P) plugins/envs/mujoco && \
	($(PPO_MJ_EMBED) $(srcdir)/plugins/envs/mujoco/models/ant.xml) > $@-t && \
	mv -f $@-t $@
plugins/envs/mujoco/inverted_pendulum_xml.h: plugins/envs/mujoco/models/inverted_pendulum.xml
	$(AM_V_GEN)$(MKDIR_P) plugins/envs/mujoco && \
	($(PPO_MJ_EMBED) $(srcdir)/plugins/envs/mujoco/models/inverted_pendulum.xml) > $@-t && \
	mv -f $@-t $@

mujocomodeldir = $(pkgdatadir)/mujoco
mujocomodel_DATA = $(PPO_MJ_MODELS)

plugin_LTLIBRARIES += plugins/envs/half_cheetah.la
plugins_envs_half_cheetah_la_SOURCES = plugins/envs/mujoco/half_cheetah.c $(PPO_MJ_COMMON)
nodist_plugins_envs_half_cheetah_la_SOURCES = plugins/envs/mujoco/half_cheetah_xml.h
plugins_envs_half_cheetah_la_CPPFLAGS = $(PPO_MJ_CPPFLAGS)
plugins_envs_half_cheetah_la_CFLAGS = $(PPO_MJ_CFLAGS)
plugins_envs_half_cheetah_la_LDFLAGS = $(PLUGIN_LINK)
plugins_envs_half_cheetah_la_LIBADD = $(PLUGIN_LIBS) $(MUJOCO_LIBS) $(PPO_MJ_GL_LIBS) -lm

plugin_LTLIBRARIES += plugins/envs/hopper.la
plugins_envs_hopper_la_SOURCES = plugins/envs/mujoco/hopper.c $(PPO_MJ_COMMON)
nodist_plugins_envs_hopper_la_SOURCES = plugins/envs/mujoco/hopper_xml.h
plugins_envs_hopper_la_CPPFLAGS = $(PPO_MJ_CPPFLAGS)
plugins_envs_hopper_la_CFLAGS = $(PPO_MJ_CFLAGS)
plugins_envs_hopper_la_LDFLAGS = $(PLUGIN_LINK)
plugins_envs_hopper_la_LIBADD = $(PLUGIN_LIBS) $(MUJOCO_LIBS) $(PPO_MJ_GL_LIBS) -lm

plugin_LTLIBRARIES += plugins/envs/walker2d.la
plugins_envs_walker2d_la_SOURCES = plugins/envs/mujoco/walker2d.c $(PPO_MJ_COMMON)
nodist_plugins_envs_walker2d_la_SOURCES = plugins/envs/mujoco/walker2d_xml.h
plugins_envs_walker2d_la_CPPFLAGS = $(PPO_MJ_CPPFLAGS)
plugins_envs_walker2d_la_CFLAGS = $(PPO_MJ_CFLAGS)
plugins_envs_walker2d_la_LDFLAGS = $(PLUGIN_LINK)
plugins_envs_walker2d_la_LIBADD = $(PLUGIN_LIBS) $(MUJOCO_LIBS) $(PPO_MJ_GL_LIBS) -lm

plugin_LTLIBRARIES += plugins/envs/ant.la
plugins_envs_ant_la_SOURCES = plugins/envs/mujoco/ant.c $(PPO_MJ_COMMON)
nodist_plugins_envs_ant_la_SOURCES = plugins/envs/mujoco/ant_xml.h
plugins_envs_ant_la_CPPFLAGS = $(PPO_MJ_CPPFLAGS)
plugins_envs_ant_la_CFLAGS = $(PPO_MJ_CFLAGS)
plugins_envs_ant_la_LDFLAGS = $(PLUGIN_LINK)
plugins_envs_ant_la_LIBADD = $(PLUGIN_LIBS) $(MUJOCO_LIBS) $(PPO_MJ_GL_LIBS) -lm

plugin_LTLIBRARIES += plugins/envs/inverted_pendulum.la
plugins_envs_inverted_pendulum_la_SOURCES = plugins/envs/mujoco/inverted_pendulum.c \
	$(PPO_MJ_COMMON)
nodist_plugins_envs_inverted_pendulum_la_SOURCES = plugins/envs/mujoco/inverted_pendulum_xml.h
plugins_envs_inverted_pendulum_la_CPPFLAGS = $(PPO_MJ_CPPFLAGS)
plugins_envs_inverted_pendulum_la_CFLAGS = $(PPO_MJ_CFLAGS)
plugins_envs_inverted_pendulum_la_LDFLAGS = $(PLUGIN_LINK)
plugins_envs_inverted_pendulum_la_LIBADD = $(PLUGIN_LIBS) $(MUJOCO_LIBS) $(PPO_MJ_GL_LIBS) -lm

# tests: one suite per plugin, each also checking the compiled model of its XML file
PPO_MJ_TEST_CFLAGS = $(TEST_CFLAGS) -ffp-contract=off
PPO_MJ_TEST_LIBS = $(TEST_LIBS) $(MUJOCO_LIBS) -lm

check_PROGRAMS += tests/plugins/mujoco/test_half_cheetah
tests_plugins_mujoco_test_half_cheetah_SOURCES = tests/plugins/mujoco/test_half_cheetah.c \
	$(PPO_MJ_TEST_COMMON)
tests_plugins_mujoco_test_half_cheetah_CFLAGS = $(PPO_MJ_TEST_CFLAGS)
tests_plugins_mujoco_test_half_cheetah_LDADD = $(PPO_MJ_TEST_LIBS)
TESTS += tests/plugins/mujoco/test_half_cheetah

check_PROGRAMS += tests/plugins/mujoco/test_hopper
tests_plugins_mujoco_test_hopper_SOURCES = tests/plugins/mujoco/test_hopper.c \
	$(PPO_MJ_TEST_COMMON)
tests_plugins_mujoco_test_hopper_CFLAGS = $(PPO_MJ_TEST_CFLAGS)
tests_plugins_mujoco_test_hopper_LDADD = $(PPO_MJ_TEST_LIBS)
TESTS += tests/plugins/mujoco/test_hopper

check_PROGRAMS += tests/plugins/mujoco/test_walker2d
tests_plugins_mujoco_test_walker2d_SOURCES = tests/plugins/mujoco/test_walker2d.c \
	$(PPO_MJ_TEST_COMMON)
tests_plugins_mujoco_test_walker2d_CFLAGS = $(PPO_MJ_TEST_CFLAGS)
tests_plugins_mujoco_test_walker2d_LDADD = $(PPO_MJ_TEST_LIBS)
TESTS += tests/plugins/mujoco/test_walker2d

check_PROGRAMS += tests/plugins/mujoco/test_ant
tests_plugins_mujoco_test_ant_SOURCES = tests/plugins/mujoco/test_ant.c $(PPO_MJ_TEST_COMMON)
tests_plugins_mujoco_test_ant_CFLAGS = $(PPO_MJ_TEST_CFLAGS)
tests_plugins_mujoco_test_ant_LDADD = $(PPO_MJ_TEST_LIBS)
TESTS += tests/plugins/mujoco/test_ant

check_PROGRAMS += tests/plugins/mujoco/test_inverted_pendulum
tests_plugins_mujoco_test_inverted_pendulum_SOURCES = \
	tests/plugins/mujoco/test_inverted_pendulum.c $(PPO_MJ_TEST_COMMON)
tests_plugins_mujoco_test_inverted_pendulum_CFLAGS = $(PPO_MJ_TEST_CFLAGS)
tests_plugins_mujoco_test_inverted_pendulum_LDADD = $(PPO_MJ_TEST_LIBS)
TESTS += tests/plugins/mujoco/test_inverted_pendulum

# a short learning run through the whole trainer
check_PROGRAMS += tests/plugins/mujoco/test_mujoco_learning
tests_plugins_mujoco_test_mujoco_learning_SOURCES = tests/plugins/mujoco/test_mujoco_learning.c
tests_plugins_mujoco_test_mujoco_learning_CFLAGS = $(TEST_CFLAGS)
tests_plugins_mujoco_test_mujoco_learning_LDADD = $(TEST_LIBS)
TESTS += tests/plugins/mujoco/test_mujoco_learning

endif
