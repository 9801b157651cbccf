"""Training: the shared Brain, the recipe steps, checked hparams, checkpoints."""
