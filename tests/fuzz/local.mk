# libFuzzer harnesses (configure CC=clang --enable-fuzzing): the pipeline loader+validator, the
# checkpoint reader, crafted checkpoints below the CRC, and resume against arbitrary run
# directories. tests/fuzz/run.sh runs each for a bounded time over its seed corpus.
FUZZ_UTIL = tests/fuzz/fuzz_util.c tests/fuzz/fuzz_util.h
if FUZZING
fuzz_programs = tests/fuzz/fuzz_pipeline tests/fuzz/fuzz_checkpoint \
	tests/fuzz/fuzz_ckpt_sections tests/fuzz/fuzz_resume
check_PROGRAMS += $(fuzz_programs)
tests_fuzz_fuzz_pipeline_SOURCES = tests/fuzz/fuzz_pipeline.c
tests_fuzz_fuzz_pipeline_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_fuzz_fuzz_pipeline_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_pipeline_LDADD = libppocore.la $(GLIB_LIBS)
tests_fuzz_fuzz_checkpoint_SOURCES = tests/fuzz/fuzz_checkpoint.c $(FUZZ_UTIL)
tests_fuzz_fuzz_checkpoint_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_fuzz_fuzz_checkpoint_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_checkpoint_LDADD = libppocore.la $(GLIB_LIBS)
tests_fuzz_fuzz_ckpt_sections_SOURCES = tests/fuzz/fuzz_ckpt_sections.c $(FUZZ_UTIL)
tests_fuzz_fuzz_ckpt_sections_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_fuzz_fuzz_ckpt_sections_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_ckpt_sections_LDADD = libppocore.la $(GLIB_LIBS)
tests_fuzz_fuzz_resume_SOURCES = tests/fuzz/fuzz_resume.c $(FUZZ_UTIL)
tests_fuzz_fuzz_resume_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_fuzz_fuzz_resume_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_resume_LDADD = libppocore.la $(GLIB_LIBS)
endif
EXTRA_DIST += $(FUZZ_UTIL) tests/fuzz/run.sh tests/fuzz/ckpt-pipeline.yaml \
	tests/fuzz/pipeline.dict tests/fuzz/corpus
