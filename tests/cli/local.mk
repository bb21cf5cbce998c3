# tests of cli/: the ppofw program spawned as a user would run it. Needs the program, the shipped
# plugins and the fixture plugins of tests/fixtures/, all built before `make check` runs tests.
check_PROGRAMS += tests/cli/test_cli_errors
tests_cli_test_cli_errors_SOURCES = tests/cli/test_cli_errors.c
tests_cli_test_cli_errors_CFLAGS = $(TEST_CFLAGS)
tests_cli_test_cli_errors_LDADD = $(TEST_LIBS)
TESTS += tests/cli/test_cli_errors

# eval of a solved CartPole, and exported C policies against their checkpoints
check_PROGRAMS += tests/cli/test_cli_lifecycle
tests_cli_test_cli_lifecycle_SOURCES = tests/cli/test_cli_lifecycle.c
tests_cli_test_cli_lifecycle_CFLAGS = $(TEST_CFLAGS)
tests_cli_test_cli_lifecycle_LDADD = $(TEST_LIBS)
TESTS += tests/cli/test_cli_lifecycle
