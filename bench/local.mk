# Benchmark scripts and the results they recorded; run by hand (bench/run-bench.sh), never by
# make check, since timings depend on the machine and its load.
EXTRA_DIST += bench/run-bench.sh bench/solve-time.sh bench/RESULTS.md \
	bench/classic-control.sh bench/classic-control.md bench/mujoco.sh bench/mujoco.md \
	bench/learning.sh \
	bench/mpi.sh bench/MPI.md
