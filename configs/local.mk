# Shipped pipelines, installed under $(pkgdatadir)/configs. tests/configs checks every one of
# them runs.
configsdir = $(pkgdatadir)/configs
dist_configs_DATA = \
	configs/cartpole.yaml \
	configs/cartpole-mc.yaml \
	configs/acrobot.yaml \
	configs/mountaincar.yaml \
	configs/mountaincar-continuous.yaml \
	configs/pendulum.yaml \
	configs/halfcheetah.yaml \
	configs/hopper.yaml \
	configs/walker2d.yaml \
	configs/ant.yaml \
	configs/inverted-pendulum.yaml
include configs/sweeps/local.mk
