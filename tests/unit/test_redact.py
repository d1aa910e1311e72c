"""vpo/redact.py's rules: where a URL holds a secret, and that no text VPO prints, logs or
stores keeps one (tests/security/test_database_secrets.py runs the CLI on them)."""

from __future__ import annotations

import json
import logging

import pytest

from vpo import redact
from vpo.db.pg_url import url_problem
from vpo.logging import _json_formatter

PW = "Pa55-w0rd-x7"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (f"postgresql://vpo:{PW}@db:5432/vpo", "postgresql://vpo:***@db:5432/vpo"),
        (f"postgresql://vpo@db/vpo?password={PW}", "postgresql://vpo@db/vpo?password=***"),
        (
            f"postgresql://vpo@db/vpo?sslmode=disable&PassWord={PW}&x=1",
            "postgresql://vpo@db/vpo?sslmode=disable&PassWord=***&x=1",
        ),
        (f"postgresql://vpo@db/vpo?sslpassword={PW}", "postgresql://vpo@db/vpo?sslpassword=***"),
        (f"postgresql://vpo:{PW}@[::1/vpo", "postgresql://vpo:***@[::1/vpo"),
        (f"postgresql://vpo:{PW}/vpo", "postgresql://vpo:***/vpo"),
        (f"postgresql://vpo:{PW}@db:notaport/vpo", "postgresql://vpo:***@db:notaport/vpo"),
        ("postgresql://vpo:p@ss/w@db/vpo", "postgresql://vpo:***@db/vpo"),  # unescaped @ and /
        (f"mysql://vpo:{PW}@db/vpo", "mysql://vpo:***@db/vpo"),
        ("postgresql://vpo@[::1]:5432/vpo", "postgresql://vpo@[::1]:5432/vpo"),
        ("postgresql://vpo:@db/vpo", "postgresql://vpo:@db/vpo"),  # an empty password
        ("postgresql://db:5432/vpo", "postgresql://db:5432/vpo"),
        ("postgresql://vpo@/vpo?host=%2Frun%2Fpg", "postgresql://vpo@/vpo?host=%2Frun%2Fpg"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert redact.mask_url(url) == masked


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://vpo:pw@db:notaport/vpo",
        "postgresql://vpo:pw@db:99999/vpo",
        "postgresql://vpo:pw@db:0/vpo",
        "postgresql://vpo:pw/vpo",
        "postgresql://vpo:pw@[::1/vpo",
        "postgresql://vpo:p%ZZw@db/vpo",
        "postgresql://vpo:p w@db/vpo",
        "sqlite:///x.db",
    ],
)
def test_url_problem_names_the_mistake_and_quotes_nothing(url: str) -> None:
    problem = url_problem(url)
    assert problem is not None and "pw" not in problem


def test_a_good_url_has_no_problem() -> None:
    assert url_problem("postgresql://vpo@[::1]:5432/vpo?sslmode=require&password=x%20y") is None


def test_scrub_masks_known_secrets_in_every_form_and_urls_in_any_text() -> None:
    redact.remember("postgresql://vpo:Sec%20ret-42@db/vpo")
    text = (
        'unexpected spaces found in "Sec ret-42"; percent-encoded "Sec%20ret-42"; '
        'invalid URI: "postgres://x:other-pw@[::1/vpo", conninfo password=third-pw host=db: done'
    )
    assert redact.scrub(text) == (
        'unexpected spaces found in "***"; percent-encoded "***"; '
        'invalid URI: "postgres://x:***@[::1/vpo", conninfo password=*** host=db: done'
    )
    assert redact.scrub("/films/password=not-a-secret.mkv") == "/films/password=not-a-secret.mkv"


def test_libpq_messages_that_quote_the_password_are_masked() -> None:
    """psycopg's own text for URLs libpq cannot parse quotes the URI or the password."""
    import psycopg

    for url in (f"postgresql://vpo:{PW}@[::1/vpo", f"postgresql://vpo:{PW}%ZZ@db/vpo"):
        with pytest.raises(psycopg.Error) as caught:
            psycopg.connect(url, connect_timeout=1)
        assert PW in str(caught.value)  # what libpq says...
        redact.remember(url)
        assert PW not in redact.scrub(str(caught.value))  # ...and what VPO shows


@pytest.mark.parametrize("json_mode", [False, True])
def test_the_log_filter_scrubs_message_arguments_extras_and_tracebacks(json_mode: bool) -> None:
    secret = "log-secret-91"
    redact.remember(f"postgresql://vpo:{secret}@db/vpo")
    try:
        raise RuntimeError(f"cannot reach postgresql://vpo:{secret}@db/vpo")
    except RuntimeError:
        record = logging.LogRecord("vpo.x", logging.ERROR, __file__, 1, "failed: %s", (secret,), None)
        record.exc_info = __import__("sys").exc_info()
    record.operation = f"connect {secret}"
    assert redact.SECRET_FILTER.filter(record)
    formatter = _json_formatter() if json_mode else logging.Formatter("%(message)s %(operation)s")
    line = formatter.format(record)
    assert secret not in line and "RuntimeError" in line and "***" in line
    if json_mode:
        assert json.loads(line)["message"] == "failed: ***"
