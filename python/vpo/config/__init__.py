"""Settings: models, loading from YAML, and the precedence resolver."""
