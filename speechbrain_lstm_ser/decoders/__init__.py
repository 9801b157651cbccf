"""Searches over the outputs of a trained model (CTC prefix beam search)."""
