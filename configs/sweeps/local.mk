# Shipped ablation sweeps (`ppofw sweep`), installed under $(pkgdatadir)/configs/sweeps. Their
# base pipelines are the files one directory up; tests/cli/test_cmd_sweep checks every sweep here
# validates.
sweepsdir = $(pkgdatadir)/configs/sweeps
dist_sweeps_DATA = \
	configs/sweeps/ablation-advantage.yaml \
	configs/sweeps/ablation-objective.yaml \
	configs/sweeps/minatar.yaml \
	configs/sweeps/memory.yaml
