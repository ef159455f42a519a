"""Everything config.yml and endpoints.yml name: the NLU components, the tracker store and the
lock store, with the patches of Rasa they rely on. The only part of bot/ besides the channels
and the servers that imports Rasa.

Importing any plug-in installs the per-turn speed-ups of the Rasa server (speedups.py: what
each patch does and why; it switches itself off on any other Rasa version). Only the Rasa
server and `rasa train` import this package; the action server and the agenda never do.
"""
from bot.rasa_plugins import speedups

speedups.install()
