"""Policies: the YAML model, the pure evaluator (tracks + policy -> plan), and `apply`."""
