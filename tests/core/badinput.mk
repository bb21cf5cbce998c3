# Bad-input suites of core/: the YAML tree, parameter schemas, the pipeline schema and the plugin
# loader, each refusal checked for its exit code and message. The loader suite loads the fixture
# plugins of tests/fixtures/ (built by `make check` before the tests run).
check_PROGRAMS += tests/core/test_ppo_yaml
tests_core_test_ppo_yaml_SOURCES = tests/core/test_ppo_yaml.c
tests_core_test_ppo_yaml_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_yaml_LDADD = $(TEST_LIBS)
TESTS += tests/core/test_ppo_yaml

check_PROGRAMS += tests/core/test_ppo_params
tests_core_test_ppo_params_SOURCES = tests/core/test_ppo_params.c
tests_core_test_ppo_params_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_params_LDADD = $(TEST_LIBS)
TESTS += tests/core/test_ppo_params

check_PROGRAMS += tests/core/test_ppo_pipeline
tests_core_test_ppo_pipeline_SOURCES = tests/core/test_ppo_pipeline.c
tests_core_test_ppo_pipeline_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_pipeline_LDADD = $(TEST_LIBS)
TESTS += tests/core/test_ppo_pipeline

check_PROGRAMS += tests/core/test_ppo_loader
tests_core_test_ppo_loader_SOURCES = tests/core/test_ppo_loader.c
tests_core_test_ppo_loader_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_loader_LDADD = $(TEST_LIBS)
TESTS += tests/core/test_ppo_loader
