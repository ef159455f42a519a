"""Input channels: Rasa channels hardened for a public-facing assistant."""
