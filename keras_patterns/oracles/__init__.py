"""Exact oracles of the synthetic tasks: the Bayes-optimal answers trained models are measured against.

Each module is plain numpy (no Keras import), so a limit can be computed on a machine without a
deep-learning backend and checked by brute force in its tests.
"""
