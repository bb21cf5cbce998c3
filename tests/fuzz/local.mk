# libFuzzer harnesses (configure CC=clang --enable-fuzzing): the pipeline loader+validator and
# the checkpoint reader. tests/fuzz/run.sh runs each for a bounded time over its seed corpus.
if FUZZING
fuzz_programs = tests/fuzz/fuzz_pipeline tests/fuzz/fuzz_checkpoint
check_PROGRAMS += $(fuzz_programs)
tests_fuzz_fuzz_pipeline_SOURCES = tests/fuzz/fuzz_pipeline.c
tests_fuzz_fuzz_pipeline_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_fuzz_fuzz_pipeline_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_pipeline_LDADD = libppocore.la $(GLIB_LIBS)
tests_fuzz_fuzz_checkpoint_SOURCES = tests/fuzz/fuzz_checkpoint.c
tests_fuzz_fuzz_checkpoint_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_fuzz_fuzz_checkpoint_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_checkpoint_LDADD = libppocore.la $(GLIB_LIBS)
endif
EXTRA_DIST += tests/fuzz/run.sh tests/fuzz/ckpt-pipeline.yaml tests/fuzz/pipeline.dict \
	tests/fuzz/corpus
