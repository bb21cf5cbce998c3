# The Open MPI backend of the core's communicator, built by configure --with-mpi (auto).
EXTRA_DIST += plugins/comm/comm_mpi.c
if HAVE_MPI
plugin_LTLIBRARIES += plugins/comm/comm_mpi.la
plugins_comm_comm_mpi_la_SOURCES = plugins/comm/comm_mpi.c
plugins_comm_comm_mpi_la_CFLAGS = $(AM_CFLAGS) $(MPI_CFLAGS) $(GLIB_CFLAGS)
plugins_comm_comm_mpi_la_LDFLAGS = $(PLUGIN_LINK)
plugins_comm_comm_mpi_la_LIBADD = $(PLUGIN_LIBS) $(MPI_LIBS)
endif
