# plugins/envs
