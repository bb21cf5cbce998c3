# Benchmark scripts and the results they recorded; run by hand (bench/run-bench.sh), never by
# make check, since timings depend on the machine and its load.
EXTRA_DIST += bench/run-bench.sh bench/solve-time.sh bench/run-vs-bench.sh bench/common.sh \
	bench/RESULTS.md \
	bench/classic-control.sh bench/classic-control.md bench/mujoco.sh bench/mujoco.md \
	bench/learning.sh bench/memory.sh bench/memory.md bench/minatar.sh bench/minatar.md \
	bench/mpi.sh bench/MPI.md bench/cnn.sh bench/cnn-minatar-shaped.yaml bench/torch_minatar.py

# conv_bench: the convolution kernels' GFLOP/s in isolation (bench/conv.md). Built by make check
# so it cannot rot; run by hand.
check_PROGRAMS += bench/conv_bench
bench_conv_bench_SOURCES = bench/conv_bench.c
bench_conv_bench_CFLAGS = $(AM_CFLAGS) $(BLAS_CFLAGS)
bench_conv_bench_LDADD = libppofw.la $(BLAS_LIBS) -lm
