# libppofw-check: the testing API for plugins (include/ppofw-check/check.h), in the spirit of
# GStreamer's libgstcheck. A shared library of its own with the core inside (linked from
# libppocore), exporting only the functions check.h declares (harness/libppofw-check.sym, made
# from the header); found by third parties through ppofw-check.pc.
ppofwcheckincludedir = $(includedir)/ppofw-check
ppofwcheckinclude_HEADERS = include/ppofw-check/check.h
pkgconfig_DATA += ppofw-check.pc

lib_LTLIBRARIES += libppofw-check.la
libppofw_check_la_SOURCES = harness/ppo_harness.c
libppofw_check_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(GC_SECTIONS_CFLAGS)
libppofw_check_la_LIBADD = libppocore.la
libppofw_check_la_LDFLAGS = -version-info $(PPO_CHECK_LT_VERSION_INFO) -no-undefined \
	-export-symbols harness/libppofw-check.sym $(GC_SECTIONS_LDFLAGS)
EXTRA_libppofw_check_la_DEPENDENCIES = harness/libppofw-check.sym
CLEANFILES += harness/libppofw-check.sym

harness/libppofw-check.sym: $(ppofwcheckinclude_HEADERS)
	$(AM_V_GEN)$(MKDIR_P) harness && \
	for h in $(ppofwcheckinclude_HEADERS); do cat $(srcdir)/$$h; done | $(PPO_API_NAMES) | \
	  LC_ALL=C sort -u > $@-t && test -s $@-t && mv -f $@-t $@

# its Check suite uses only the installed interface: the header, this library and libppofw; its
# fixture env hx_echo shows the action it was handed
check_LTLIBRARIES += tests/harness/hx_echo.la
tests_harness_hx_echo_la_SOURCES = tests/harness/hx_echo.c
tests_harness_hx_echo_la_LDFLAGS = $(PLUGIN_LINK) -rpath /nowhere
tests_harness_hx_echo_la_LIBADD = $(PLUGIN_LIBS)

check_PROGRAMS += tests/harness/test_ppo_harness
tests_harness_test_ppo_harness_SOURCES = tests/harness/test_ppo_harness.c
tests_harness_test_ppo_harness_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(GLIB_CFLAGS)
tests_harness_test_ppo_harness_LDADD = libppofw-check.la libppofw.la $(CHECK_LIBS) $(GLIB_LIBS) -lm
TESTS += tests/harness/test_ppo_harness
