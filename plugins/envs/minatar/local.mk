# plugins/envs/minatar: the five MinAtar games, one plugin each (minatar_asterix.so, ...), each
# built from its game file and the shared module minatar.c, and their tests
# (tests/plugins/minatar/). The tests compile the game sources with a scripted random source;
# the reference data they replay is tests/data/<game>*.csv.

PPO_MINATAR_COMMON = plugins/envs/minatar/minatar.c plugins/envs/minatar/minatar.h

plugin_LTLIBRARIES += plugins/envs/minatar_asterix.la
plugins_envs_minatar_asterix_la_SOURCES = plugins/envs/minatar/asterix.c $(PPO_MINATAR_COMMON)
plugins_envs_minatar_asterix_la_CFLAGS = $(ENV_PLUGIN_CFLAGS)
plugins_envs_minatar_asterix_la_LDFLAGS = $(PLUGIN_LINK)
plugins_envs_minatar_asterix_la_LIBADD = $(PLUGIN_LIBS) -lm

plugin_LTLIBRARIES += plugins/envs/minatar_breakout.la
plugins_envs_minatar_breakout_la_SOURCES = plugins/envs/minatar/breakout.c $(PPO_MINATAR_COMMON)
plugins_envs_minatar_breakout_la_CFLAGS = $(ENV_PLUGIN_CFLAGS)
plugins_envs_minatar_breakout_la_LDFLAGS = $(PLUGIN_LINK)
plugins_envs_minatar_breakout_la_LIBADD = $(PLUGIN_LIBS) -lm

plugin_LTLIBRARIES += plugins/envs/minatar_freeway.la
plugins_envs_minatar_freeway_la_SOURCES = plugins/envs/minatar/freeway.c $(PPO_MINATAR_COMMON)
plugins_envs_minatar_freeway_la_CFLAGS = $(ENV_PLUGIN_CFLAGS)
plugins_envs_minatar_freeway_la_LDFLAGS = $(PLUGIN_LINK)
plugins_envs_minatar_freeway_la_LIBADD = $(PLUGIN_LIBS) -lm

plugin_LTLIBRARIES += plugins/envs/minatar_seaquest.la
plugins_envs_minatar_seaquest_la_SOURCES = plugins/envs/minatar/seaquest.c $(PPO_MINATAR_COMMON)
plugins_envs_minatar_seaquest_la_CFLAGS = $(ENV_PLUGIN_CFLAGS)
plugins_envs_minatar_seaquest_la_LDFLAGS = $(PLUGIN_LINK)
plugins_envs_minatar_seaquest_la_LIBADD = $(PLUGIN_LIBS) -lm

plugin_LTLIBRARIES += plugins/envs/minatar_space_invaders.la
plugins_envs_minatar_space_invaders_la_SOURCES = plugins/envs/minatar/space_invaders.c \
	$(PPO_MINATAR_COMMON)
plugins_envs_minatar_space_invaders_la_CFLAGS = $(ENV_PLUGIN_CFLAGS)
plugins_envs_minatar_space_invaders_la_LDFLAGS = $(PLUGIN_LINK)
plugins_envs_minatar_space_invaders_la_LIBADD = $(PLUGIN_LIBS) -lm
include tests/plugins/minatar/local.mk
