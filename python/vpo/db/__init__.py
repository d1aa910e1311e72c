"""SQLite data access: the only package that holds SQL."""
