"""Benchmarks: accuracy and cost of the emotion models, side by side.

Run ``python -m bench.run`` from the repository root (see
``docs/performance.md``).
"""
