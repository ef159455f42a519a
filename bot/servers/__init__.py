"""The two processes started from the command line: the Rasa server and the action server."""
