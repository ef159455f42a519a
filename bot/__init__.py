"""Médiation Accueil: the assistant's own logic, independent of Rasa where it can be."""
