"""Fairness and bias checks that run offline: counterfactual swaps of group terms in the test
inputs (counterfactual.py, with the lexicons in tuneloop/lexicons.py), group metrics over sensitive slices
(group_metrics.py), the skew of group terms per label in the training data (skew.py), their gates
(gates.py), and the one entry point that runs them all and keeps the result (assessment.py)."""
