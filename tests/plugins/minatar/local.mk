# tests/plugins/minatar: one program per MinAtar game, each compiling its game file and the
# shared module with the reference checks of minatar_test.c (scripted and numpy random
# sources), plus test_minatar.c for what the plugins share, through the real .so files.

PPO_MINATAR_TEST_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/plugins/envs/minatar
PPO_MINATAR_TEST_COMMON = tests/plugins/minatar/minatar_test.c \
	tests/plugins/minatar/minatar_test.h $(PPO_MINATAR_COMMON)
PPO_MINATAR_TEST_LIBS = $(TEST_LIBS) -lm

check_PROGRAMS += tests/plugins/minatar/test_breakout
tests_plugins_minatar_test_breakout_SOURCES = tests/plugins/minatar/test_breakout.c \
	plugins/envs/minatar/breakout.c $(PPO_MINATAR_TEST_COMMON)
tests_plugins_minatar_test_breakout_CFLAGS = $(PPO_MINATAR_TEST_CFLAGS)
tests_plugins_minatar_test_breakout_LDADD = $(PPO_MINATAR_TEST_LIBS)
TESTS += tests/plugins/minatar/test_breakout

check_PROGRAMS += tests/plugins/minatar/test_asterix
tests_plugins_minatar_test_asterix_SOURCES = tests/plugins/minatar/test_asterix.c \
	plugins/envs/minatar/asterix.c $(PPO_MINATAR_TEST_COMMON)
tests_plugins_minatar_test_asterix_CFLAGS = $(PPO_MINATAR_TEST_CFLAGS)
tests_plugins_minatar_test_asterix_LDADD = $(PPO_MINATAR_TEST_LIBS)
TESTS += tests/plugins/minatar/test_asterix

check_PROGRAMS += tests/plugins/minatar/test_freeway
tests_plugins_minatar_test_freeway_SOURCES = tests/plugins/minatar/test_freeway.c \
	plugins/envs/minatar/freeway.c $(PPO_MINATAR_TEST_COMMON)
tests_plugins_minatar_test_freeway_CFLAGS = $(PPO_MINATAR_TEST_CFLAGS)
tests_plugins_minatar_test_freeway_LDADD = $(PPO_MINATAR_TEST_LIBS)
TESTS += tests/plugins/minatar/test_freeway

check_PROGRAMS += tests/plugins/minatar/test_seaquest
tests_plugins_minatar_test_seaquest_SOURCES = tests/plugins/minatar/test_seaquest.c \
	plugins/envs/minatar/seaquest.c $(PPO_MINATAR_TEST_COMMON)
tests_plugins_minatar_test_seaquest_CFLAGS = $(PPO_MINATAR_TEST_CFLAGS)
tests_plugins_minatar_test_seaquest_LDADD = $(PPO_MINATAR_TEST_LIBS)
TESTS += tests/plugins/minatar/test_seaquest

check_PROGRAMS += tests/plugins/minatar/test_space_invaders
tests_plugins_minatar_test_space_invaders_SOURCES = tests/plugins/minatar/test_space_invaders.c \
	plugins/envs/minatar/space_invaders.c $(PPO_MINATAR_TEST_COMMON)
tests_plugins_minatar_test_space_invaders_CFLAGS = $(PPO_MINATAR_TEST_CFLAGS)
tests_plugins_minatar_test_space_invaders_LDADD = $(PPO_MINATAR_TEST_LIBS)
TESTS += tests/plugins/minatar/test_space_invaders

# what the plugins share, through the .so files (no game file compiled in)
check_PROGRAMS += tests/plugins/minatar/test_minatar
tests_plugins_minatar_test_minatar_SOURCES = tests/plugins/minatar/test_minatar.c \
	$(PPO_MINATAR_TEST_COMMON)
tests_plugins_minatar_test_minatar_CFLAGS = $(PPO_MINATAR_TEST_CFLAGS)
tests_plugins_minatar_test_minatar_LDADD = $(PPO_MINATAR_TEST_LIBS)
TESTS += tests/plugins/minatar/test_minatar
