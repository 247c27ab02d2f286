"""Rulesets: finding, inheritance, resolving, formulas and the target grammar."""
