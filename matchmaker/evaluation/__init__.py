"""Evaluation: the consortium-recovery protocol and its metrics on real CORDIS data."""
