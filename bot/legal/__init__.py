"""Pre-litigation triage: the reviewed rule table (rules.yml) and the engine that evaluates it."""
