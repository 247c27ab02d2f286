"""Scoring and checks: the compiled scorer, its traces, findings."""
