"""Thin Rasa SDK actions: they read the tracker, call bot/, and return events."""
