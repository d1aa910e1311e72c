"""`vpo watch`: libraries that look after themselves (SPEC section 17, docs/watching.md)."""
