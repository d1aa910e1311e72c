"""The command line: parses options, builds settings, calls one service, renders the result."""
