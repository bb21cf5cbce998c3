# Data-parallel training over MPI, run when configure built comm_mpi.so (the test skips itself
# when mpirun is missing).
EXTRA_DIST += tests/mpi/test_mpi.sh tests/mpi/mpi-grad.yaml tests/mpi/mpi-grad-recurrent.yaml \
	tests/mpi/fx_record_grad.c \
	tests/mpi/grad_compare.c
if HAVE_MPI
check_LTLIBRARIES += tests/mpi/fx_record_grad.la
tests_mpi_fx_record_grad_la_SOURCES = tests/mpi/fx_record_grad.c
tests_mpi_fx_record_grad_la_LDFLAGS = $(PLUGIN_LINK) -rpath /nowhere
tests_mpi_fx_record_grad_la_LIBADD = $(PLUGIN_LIBS)

check_PROGRAMS += tests/mpi/grad_compare
tests_mpi_grad_compare_SOURCES = tests/mpi/grad_compare.c
tests_mpi_grad_compare_LDADD = -lm

TESTS += tests/mpi/test_mpi.sh
endif
