"""Privacy of stored conversations: encryption at rest (crypto.py) and retention (retention.py).

`python -m bot.privacy purge|rotate` runs the maintenance commands (__main__.py).
"""
