"""The agenda service: mediator directory, availability slots, holds and bookings.

Plain Python (SQLAlchemy Core + aiohttp), independent of Rasa: the action server talks
to it over HTTP (bot/agenda/client.py), as any other front end could.
"""
