# Every shipped pipeline runs one iteration, so configs cannot rot.
TESTS += tests/configs/test_configs.sh
EXTRA_DIST += tests/configs/test_configs.sh
