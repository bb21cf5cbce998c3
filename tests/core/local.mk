# tests of core/ (Check suites named test_<file>)
