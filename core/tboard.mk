# TensorBoard event files (core/ppo_tboard.c) and the CRC-32C they and checkpoints use.
libppocore_la_SOURCES += \
	core/ppo_crc32c.c core/ppo_crc32c_private.h \
	core/ppo_tboard.c core/ppo_tboard_private.h

check_PROGRAMS += tests/core/test_ppo_crc32c tests/core/test_ppo_tboard
tests_core_test_ppo_crc32c_SOURCES = tests/core/test_ppo_crc32c.c
tests_core_test_ppo_crc32c_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_crc32c_LDADD = $(TEST_LIBS)
tests_core_test_ppo_tboard_SOURCES = tests/core/test_ppo_tboard.c tests/alloc_count.h
tests_core_test_ppo_tboard_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_tboard_LDADD = $(TEST_LIBS)
TESTS += tests/core/test_ppo_crc32c tests/core/test_ppo_tboard

# a second, independent decoder the tboard test runs when python3 is present
EXTRA_DIST += tests/core/tfevents_read.py
