"""The apply document's per-file JSON is built from pieces for speed (cli/plan_render.py):
it must equal `json.dumps(outcome.to_dict())`, key order included."""

from __future__ import annotations

import json

from vpo.apply.outcome import FileOutcome
from vpo.cli.plan_render import _Encoded, file_json

SHARED_ACTIONS = [
    {"action": "remove", "kind": "removed", "track": 2, "from": None, "to": None, "reason": "r"}
]
SHARED_EXTRA = {
    "original_language": {"code": "jpn", "source": "rule 1"},
    "rule": None,
    "warnings": ["w"],
    "notes": [],
}

OUTCOMES = [
    FileOutcome("/lib/a.mkv", "planned", SHARED_ACTIONS, extra=SHARED_EXTRA),
    FileOutcome("/lib/b.mkv", "planned", SHARED_ACTIONS, extra=SHARED_EXTRA, kept_bytes=7),
    FileOutcome('/lib/\udcff "quoted" \\ é 日本.mkv', "failed", error='cannot read: "x"\n', note="n"),
    FileOutcome("/lib/c.mkv", "unchanged"),
]


def test_file_json_equals_the_plain_encoding_key_for_key() -> None:
    shared = _Encoded()
    for outcome in OUTCOMES:
        assert file_json(outcome, shared) == json.dumps(outcome.to_dict())


def test_a_shared_value_is_encoded_once_and_a_new_object_at_a_reused_id_is_not_confused() -> None:
    shared = _Encoded()
    assert shared(SHARED_ACTIONS) is shared(SHARED_ACTIONS)
    for n in range(50):  # short-lived lists get reused ids; each must encode as itself
        assert json.loads(shared([n])) == [n]
