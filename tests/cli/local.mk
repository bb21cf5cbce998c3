# tests of cli/: the ppofw program spawned as a user would run it. Needs the program, the shipped
# plugins and the fixture plugins of tests/fixtures/, all built before `make check` runs tests.
check_PROGRAMS += tests/cli/test_cli_errors
tests_cli_test_cli_errors_SOURCES = tests/cli/test_cli_errors.c
tests_cli_test_cli_errors_CFLAGS = $(TEST_CFLAGS)
tests_cli_test_cli_errors_LDADD = $(TEST_LIBS)
TESTS += tests/cli/test_cli_errors

# eval of a solved CartPole (and its recorded episode), and exported C policies against their
# checkpoints
check_PROGRAMS += tests/cli/test_cli_lifecycle
tests_cli_test_cli_lifecycle_SOURCES = tests/cli/test_cli_lifecycle.c tests/image_read.c \
	tests/image_read.h
tests_cli_test_cli_lifecycle_CFLAGS = $(TEST_CFLAGS) $(PNG_CFLAGS)
tests_cli_test_cli_lifecycle_LDADD = $(TEST_LIBS) $(PNG_LIBS) $(GIF_LIBS)
TESTS += tests/cli/test_cli_lifecycle

# recorded episodes: eval --record (GIF, PNG frames, bad inputs) and run with eval.record
check_PROGRAMS += tests/cli/test_cmd_eval_record
tests_cli_test_cmd_eval_record_SOURCES = tests/cli/test_cmd_eval_record.c tests/image_read.c \
	tests/image_read.h
tests_cli_test_cmd_eval_record_CFLAGS = $(TEST_CFLAGS) $(PNG_CFLAGS)
tests_cli_test_cmd_eval_record_LDADD = $(TEST_LIBS) $(PNG_LIBS) $(GIF_LIBS)
TESTS += tests/cli/test_cmd_eval_record
