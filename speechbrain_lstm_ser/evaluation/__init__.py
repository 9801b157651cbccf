"""Evaluation: metrics, reports, plots, cross-validation and report privacy."""
