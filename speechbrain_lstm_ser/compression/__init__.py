"""Model compression: structured pruning and knowledge distillation."""
