# ppofw bench: the measurements behind `ppofw bench` (core/ppo_bench.c).
libppocore_la_SOURCES += core/ppo_bench.c core/ppo_bench_private.h

# the FLOPs formula, the JSON keys and zero allocations per iteration (never the timings)
check_PROGRAMS += tests/core/test_ppo_bench
tests_core_test_ppo_bench_SOURCES = tests/core/test_ppo_bench.c
tests_core_test_ppo_bench_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_bench_LDADD = $(TEST_LIBS)
TESTS += tests/core/test_ppo_bench
