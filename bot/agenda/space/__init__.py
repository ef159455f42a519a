"""The mediator's space: sign-in by e-mailed link, their appointments, their weekly hours
(from which the agenda generates their slots), their calendar feed and busy times.

Server-rendered French pages on the agenda's aiohttp app (web.py, templates/); the
database work is in hours.py, calendars.py, auth.py and appointments.py.
"""
