"""The catalogue seen by the commands that change files: which files a PATH argument names."""
