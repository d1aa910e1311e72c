"""`vpo hook`: a Radarr/Sonarr Custom Script (SPEC section 18, docs/media-stack.md)."""
