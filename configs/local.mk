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
	configs/halfcheetah-cleanrl.yaml \
	configs/hopper.yaml \
	configs/hopper-cleanrl.yaml \
	configs/hopper-zoo.yaml \
	configs/walker2d.yaml \
	configs/walker2d-cleanrl.yaml \
	configs/walker2d-zoo.yaml \
	configs/ant.yaml \
	configs/ant-cleanrl.yaml \
	configs/inverted-pendulum.yaml \
	configs/minatar-asterix.yaml \
	configs/minatar-breakout.yaml \
	configs/minatar-freeway.yaml \
	configs/minatar-seaquest.yaml \
	configs/minatar-space-invaders.yaml \
	configs/cartpole-novel.yaml \
	configs/pendulum-novel.yaml \
	configs/mountaincar-continuous-novel.yaml
dist_configs_DATA += configs/bench-cleanrl-cartpole.yaml
include configs/sweeps/local.mk
