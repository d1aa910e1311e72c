"""`vpo check`: integrity checks of catalogued files (SPEC section 14)."""
