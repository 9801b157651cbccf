"""Training: the shared Brain and its stage hooks, checked hparams, checkpoints."""
