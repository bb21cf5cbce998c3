# plugins/optimizers
