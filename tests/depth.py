"""How many examples a property test tries: a quarter of its count in the default run
(`make test`), every one in `make test-all`, which sets VPO_TEST_ALL=1. The examples a
test names with `@example` run in both: they are the cases a bug once hid in."""

from __future__ import annotations

import os

FULL = os.environ.get("VPO_TEST_ALL") == "1"
SHARE = 4  # the default run tries 1/SHARE of a test's examples


def examples(full: int) -> int:
    """`full` under `make test-all`; a quarter of it (at least one) otherwise."""
    return full if FULL else max(1, full // SHARE)
