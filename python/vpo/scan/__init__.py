"""The scan use case: discover, diff against the catalogue, probe what changed."""
