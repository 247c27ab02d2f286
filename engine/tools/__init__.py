"""Tools over rulesets: diff, impact, rule tests, explain."""
