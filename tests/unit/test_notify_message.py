"""vpo/notify's pure parts: which runs are worth a message, what one says, and how a
notification URL is remembered and shown (redact.py)."""

from __future__ import annotations

from vpo import redact
from vpo.notify.message import MAX_FILES, compose
from vpo.notify.models import RunSummary
from vpo.notify.send import worth_sending

DEFAULT_ON = ("failed", "errors", "watch_down")


def test_only_runs_that_did_what_on_names_are_worth_a_message() -> None:
    nothing = RunSummary("scan", job_id="j", counts={"discovered": 5, "skipped": 5})
    changed = RunSummary("scan", counts={"added": 1}, changed=True)
    failed = RunSummary("scan", failed=True, failure="boom")
    errors = RunSummary("check", errors=[("/a.mkv", "cut short")])
    down = RunSummary("watch", errors=[("/media", "is not there")], down=True)
    assert not any(worth_sending(on, nothing) for on in (DEFAULT_ON, ["changed", "transcoded"]))
    assert not worth_sending(DEFAULT_ON, changed) and worth_sending(["changed"], changed)
    assert worth_sending(DEFAULT_ON, failed) and not worth_sending(["errors"], failed)
    assert worth_sending(["errors"], errors) and not worth_sending(["watch_down"], errors)
    assert worth_sending(["watch_down"], down) and not worth_sending(["errors"], down)
    assert not worth_sending([], failed)


def test_a_message_lists_some_files_counts_the_rest_and_escapes_names() -> None:
    errors = [(f"/lib/f{n}.mkv", "cut short") for n in range(MAX_FILES + 3)]
    errors[0] = ("/lib/evil\n- /lib/forged.mkv: ok\x1b[31m", "bad\r\nline")
    run = RunSummary("check", job_id="1234abcd-ef", counts={"checked": 13, "passed": 0}, errors=errors)
    message = compose(run, host="nas")
    assert message.title == f"VPO check on nas: {MAX_FILES + 3} file(s) in error"
    lines = message.body.splitlines()
    assert lines[0] == "checked 13"  # zeros left out
    assert lines[1] == "Files in error:"
    assert lines[2] == "- /lib/evil\\n- /lib/forged.mkv: ok\\x1b[31m: bad\\r\\nline"
    assert len([line for line in lines if line.startswith("- ")]) == MAX_FILES
    assert "... and 3 more" in lines
    assert lines[-1] == "Job 1234abcd-ef (vpo jobs show 1234abcd)"


def test_a_notification_url_is_masked_whole_and_by_its_token_like_parts() -> None:
    url = "tgram://123456789:AAHx-Bot_T0ken/-1001234567?format=markdown"
    redact.remember_secret_url(url)
    assert redact.scrub(f"sending to {url}") == "sending to ***"
    assert redact.scrub("token AAHx-Bot_T0ken refused") == "token *** refused"
    assert redact.scrub("chat -1001234567 format markdown") == "chat *** format markdown"
    assert redact.mask_secret_url(url) == "tgram://***"
    assert redact.mask_secret_url("not a url") == "***"
    assert redact.scrub("webhooks at api.example.com") == "webhooks at api.example.com"
