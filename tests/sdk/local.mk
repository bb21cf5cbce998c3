# Tests of the plugin SDK: the checkers behind check-env and check-policy on the fixture plugins
# of tests/sdk/fixtures/ (tests/core/test_ppo_check.c, tests/core/test_ppo_check_policy.c), the
# verification of exported policies (tests/core/test_ppo_export_verify.c), the pinned plugin ABI
# and a plugin laid out for an older minor (tests/core/test_abi.c against tests/data/abi-1.2.txt),
# the examples built for ABI 1.1 training the same bits as built now (tests/sdk/test_sdk_abi11.c),
# the SDK commands spawned as a user runs them
# (tests/sdk/test_sdk_commands.c), and the installed SDK used from outside the tree
# (tests/sdk/test_sdk_install.sh over a staged `make install`). Tests name fixtures by path.

# ---- fixture plugins: real shared objects, built only by `make check` ----
SDK_FX_LINK = -module -avoid-version -no-undefined -rpath /nowhere \
	-export-symbols-regex '^ppo_plugin_entry$$'
SDK_FX_ENV_H = tests/sdk/fixtures/sdk_env.h
SDK_FX_POLICY_H = tests/sdk/fixtures/sdk_policy.h
SDK_FX_LN_H = tests/sdk/fixtures/sdk_layernorm.h
SDK_FX_RNN_H = tests/sdk/fixtures/sdk_rnn.h

check_LTLIBRARIES += tests/sdk/fixtures/sdk_good_env.la
tests_sdk_fixtures_sdk_good_env_la_SOURCES = tests/sdk/fixtures/sdk_good_env.c $(SDK_FX_ENV_H)
tests_sdk_fixtures_sdk_good_env_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_good_env_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_nan_obs.la
tests_sdk_fixtures_sdk_nan_obs_la_SOURCES = tests/sdk/fixtures/sdk_nan_obs.c $(SDK_FX_ENV_H)
tests_sdk_fixtures_sdk_nan_obs_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_nan_obs_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_out_of_box.la
tests_sdk_fixtures_sdk_out_of_box_la_SOURCES = tests/sdk/fixtures/sdk_out_of_box.c $(SDK_FX_ENV_H)
tests_sdk_fixtures_sdk_out_of_box_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_out_of_box_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_seedless.la
tests_sdk_fixtures_sdk_seedless_la_SOURCES = tests/sdk/fixtures/sdk_seedless.c $(SDK_FX_ENV_H)
tests_sdk_fixtures_sdk_seedless_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_seedless_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_zero_dim.la
tests_sdk_fixtures_sdk_zero_dim_la_SOURCES = tests/sdk/fixtures/sdk_zero_dim.c $(SDK_FX_ENV_H)
tests_sdk_fixtures_sdk_zero_dim_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_zero_dim_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_old_minor.la
tests_sdk_fixtures_sdk_old_minor_la_SOURCES = tests/sdk/fixtures/sdk_old_minor.c $(SDK_FX_ENV_H)
tests_sdk_fixtures_sdk_old_minor_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_old_minor_la_LIBADD = libppofw.la

SDK_FX_BYTES_H = tests/sdk/fixtures/sdk_bytes_env.h

check_LTLIBRARIES += tests/sdk/fixtures/sdk_bytes_env.la
tests_sdk_fixtures_sdk_bytes_env_la_SOURCES = tests/sdk/fixtures/sdk_bytes_env.c $(SDK_FX_BYTES_H)
tests_sdk_fixtures_sdk_bytes_env_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_bytes_env_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_bytes_out_of_box.la
tests_sdk_fixtures_sdk_bytes_out_of_box_la_SOURCES = tests/sdk/fixtures/sdk_bytes_out_of_box.c \
	$(SDK_FX_BYTES_H)
tests_sdk_fixtures_sdk_bytes_out_of_box_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_bytes_out_of_box_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_good_policy.la
tests_sdk_fixtures_sdk_good_policy_la_SOURCES = tests/sdk/fixtures/sdk_good_policy.c \
	$(SDK_FX_POLICY_H)
tests_sdk_fixtures_sdk_good_policy_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_good_policy_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_entropy_sign.la
tests_sdk_fixtures_sdk_entropy_sign_la_SOURCES = tests/sdk/fixtures/sdk_entropy_sign.c \
	$(SDK_FX_POLICY_H)
tests_sdk_fixtures_sdk_entropy_sign_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_entropy_sign_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_shared_cache.la
tests_sdk_fixtures_sdk_shared_cache_la_SOURCES = tests/sdk/fixtures/sdk_shared_cache.c \
	$(SDK_FX_POLICY_H)
tests_sdk_fixtures_sdk_shared_cache_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_shared_cache_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_leaky_parts.la
tests_sdk_fixtures_sdk_leaky_parts_la_SOURCES = tests/sdk/fixtures/sdk_leaky_parts.c \
	$(SDK_FX_POLICY_H)
tests_sdk_fixtures_sdk_leaky_parts_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_leaky_parts_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_overwrite_grad.la
tests_sdk_fixtures_sdk_overwrite_grad_la_SOURCES = tests/sdk/fixtures/sdk_overwrite_grad.c \
	$(SDK_FX_POLICY_H)
tests_sdk_fixtures_sdk_overwrite_grad_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_overwrite_grad_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_static_scratch.la
tests_sdk_fixtures_sdk_static_scratch_la_SOURCES = tests/sdk/fixtures/sdk_static_scratch.c $(SDK_FX_POLICY_H)
tests_sdk_fixtures_sdk_static_scratch_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_static_scratch_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_export_not_c.la
tests_sdk_fixtures_sdk_export_not_c_la_SOURCES = tests/sdk/fixtures/sdk_export_not_c.c $(SDK_FX_POLICY_H)
tests_sdk_fixtures_sdk_export_not_c_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_export_not_c_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_export_wrong.la
tests_sdk_fixtures_sdk_export_wrong_la_SOURCES = tests/sdk/fixtures/sdk_export_wrong.c $(SDK_FX_POLICY_H)
tests_sdk_fixtures_sdk_export_wrong_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_export_wrong_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_layernorm.la
tests_sdk_fixtures_sdk_layernorm_la_SOURCES = tests/sdk/fixtures/sdk_layernorm.c $(SDK_FX_LN_H)
tests_sdk_fixtures_sdk_layernorm_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_layernorm_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_layernorm_grad.la
tests_sdk_fixtures_sdk_layernorm_grad_la_SOURCES = tests/sdk/fixtures/sdk_layernorm_grad.c $(SDK_FX_LN_H)
tests_sdk_fixtures_sdk_layernorm_grad_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_layernorm_grad_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_rnn.la
tests_sdk_fixtures_sdk_rnn_la_SOURCES = tests/sdk/fixtures/sdk_rnn.c $(SDK_FX_RNN_H)
tests_sdk_fixtures_sdk_rnn_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_rnn_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_rnn_no_carry.la
tests_sdk_fixtures_sdk_rnn_no_carry_la_SOURCES = tests/sdk/fixtures/sdk_rnn_no_carry.c $(SDK_FX_RNN_H)
tests_sdk_fixtures_sdk_rnn_no_carry_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_rnn_no_carry_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_rnn_no_reset.la
tests_sdk_fixtures_sdk_rnn_no_reset_la_SOURCES = tests/sdk/fixtures/sdk_rnn_no_reset.c $(SDK_FX_RNN_H)
tests_sdk_fixtures_sdk_rnn_no_reset_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_rnn_no_reset_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_rnn_bptt.la
tests_sdk_fixtures_sdk_rnn_bptt_la_SOURCES = tests/sdk/fixtures/sdk_rnn_bptt.c $(SDK_FX_RNN_H)
tests_sdk_fixtures_sdk_rnn_bptt_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_rnn_bptt_la_LIBADD = libppofw.la

check_LTLIBRARIES += tests/sdk/fixtures/sdk_rnn_shared_scratch.la
tests_sdk_fixtures_sdk_rnn_shared_scratch_la_SOURCES = tests/sdk/fixtures/sdk_rnn_shared_scratch.c $(SDK_FX_RNN_H)
tests_sdk_fixtures_sdk_rnn_shared_scratch_la_LDFLAGS = $(SDK_FX_LINK)
tests_sdk_fixtures_sdk_rnn_shared_scratch_la_LIBADD = libppofw.la

# ---- Check suites ----
sdk_tests = \
	tests/core/test_ppo_check \
	tests/core/test_ppo_check_policy \
	tests/core/test_ppo_export_verify \
	tests/core/test_abi \
	tests/sdk/test_sdk_abi11 \
	tests/sdk/test_sdk_commands
check_PROGRAMS += $(sdk_tests)
TESTS += $(sdk_tests)

tests_core_test_ppo_check_SOURCES = tests/core/test_ppo_check.c tests/sdk/sdk_test.h
tests_core_test_ppo_check_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_check_LDADD = $(TEST_LIBS)
tests_core_test_ppo_check_policy_SOURCES = tests/core/test_ppo_check_policy.c tests/sdk/sdk_test.h
tests_core_test_ppo_check_policy_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_check_policy_LDADD = $(TEST_LIBS)
tests_core_test_ppo_export_verify_SOURCES = tests/core/test_ppo_export_verify.c tests/sdk/sdk_test.h
tests_core_test_ppo_export_verify_CFLAGS = $(TEST_CFLAGS)
tests_core_test_ppo_export_verify_LDADD = $(TEST_LIBS)
tests_core_test_abi_SOURCES = tests/core/test_abi.c tests/sdk/sdk_test.h
tests_core_test_abi_CFLAGS = $(TEST_CFLAGS)
tests_core_test_abi_LDADD = $(TEST_LIBS)
tests_sdk_test_sdk_abi11_SOURCES = tests/sdk/test_sdk_abi11.c tests/sdk/sdk_test.h
tests_sdk_test_sdk_abi11_CFLAGS = $(TEST_CFLAGS)
tests_sdk_test_sdk_abi11_LDADD = $(TEST_LIBS)
tests_sdk_test_sdk_commands_SOURCES = tests/sdk/test_sdk_commands.c tests/sdk/sdk_test.h
tests_sdk_test_sdk_commands_CFLAGS = $(TEST_CFLAGS)
tests_sdk_test_sdk_commands_LDADD = $(TEST_LIBS)

# ---- the installed SDK, from a staged install ----
TESTS += tests/sdk/test_sdk_install.sh
EXTRA_DIST += tests/sdk/test_sdk_install.sh
CLEANFILES += tests/sdk/stage.env tests/sdk/stage.log

# One `make install DESTDIR=tests/sdk/stage` for the test, described by tests/sdk/stage.env; the
# test removes both when it ends, so every `make check` that runs it stages afresh. The install
# must be done before any test runs: libtool relinks each plugin for its new home, moving the
# build tree's .so aside meanwhile, and tests load those. So stage.env is check_DATA, made with
# the check programs, and the install takes the files as built (make -o, passed down through
# AM_MAKEFLAGS since make does not pass -o to sub-makes), rebuilding nothing. When the test is
# not among TESTS nothing is staged.
check_DATA = tests/sdk/stage.env
SDK_STAGE = $(abs_top_builddir)/tests/sdk/stage
SDK_STAGE_BUILT = $(lib_LTLIBRARIES) $(bin_PROGRAMS) $(plugin_LTLIBRARIES) $(MANS)
tests/sdk/stage.env: $(SDK_STAGE_BUILT)
	@rm -rf tests/sdk/stage $@
	@case ' $(TESTS) ' in *' tests/sdk/test_sdk_install.sh '*) ;; *) exit 0 ;; esac; \
	$(MKDIR_P) tests/sdk && \
	echo "  GEN      $@ (make install DESTDIR=$(SDK_STAGE))" && \
	keep=`for f in $(SDK_STAGE_BUILT); do printf ' -o %s' "$$f"; done` && \
	{ $(MAKE) install DESTDIR='$(SDK_STAGE)' AM_MAKEFLAGS="$(AM_MAKEFLAGS) $$keep" \
		> tests/sdk/stage.log 2>&1 || { cat tests/sdk/stage.log; exit 1; }; } && \
	{ echo "root='$(SDK_STAGE)'"; echo "stage_owned=1"; \
	  $(SDK_INSTALL_VARS); } > $@-t && mv -f $@-t $@

# what the install script needs to know about an installation, as shell assignments
SDK_INSTALL_VARS = \
	echo "bindir='$(bindir)'"; echo "libdir='$(libdir)'"; \
	echo "includedir='$(includedir)'"; echo "pkgconfigdir='$(pkgconfigdir)'"; \
	echo "plugindir='$(plugindir)'"; echo "pkgdatadir='$(pkgdatadir)'"; \
	echo "docdir='$(docdir)'"; echo "man1dir='$(man1dir)'"; echo "man3dir='$(man3dir)'"; \
	echo "srcdir='$(abs_top_srcdir)'"; \
	echo "plugin_files='$(plugin_LTLIBRARIES)'"; \
	echo "header_files='$(ppofwinclude_HEADERS) $(nodist_ppofwinclude_HEADERS)'"; \
	echo "check_header_files='$(ppofwcheckinclude_HEADERS)'"; \
	echo "doc_files='$(dist_doc_DATA)'"; \
	echo "man_pages='$(PPO_MAN1) $(PPO_MAN3)'"; \
	echo "example_files='$(dist_examples_DATA) $(dist_gridworldexample_DATA) \
	  $(dist_linearexample_DATA)'"
