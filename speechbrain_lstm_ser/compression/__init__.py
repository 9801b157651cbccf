"""Model compression: int8 quantisation, structured pruning, distillation."""
