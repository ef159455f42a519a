"""Orientation: pre-litigation triage, the outcomes, the routes and the written complaint."""
