"""`notify_run`: whether a run is worth a message (`notify.on`), the message, and sending
it to every `notify.urls` through Apprise, within SEND_TIMEOUT seconds.

A notification is never worth a failed command: whatever goes wrong while sending (a
service down, a 500, a URL Apprise does not know, no answer in time, Apprise itself
missing) is one warning line, logged and returned, never raised. Apprise is imported only
here and only to send (it costs half a second to import).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from vpo.config.settings import Settings
from vpo.host import hostname
from vpo.notify.message import Message, compose
from vpo.notify.models import Event, RunSummary
from vpo.redact import mask_secret_url, scrub

log = logging.getLogger(__name__)

SEND_TIMEOUT = 20.0  # seconds for all the URLs of one message (each request: Apprise's 4 s + 4 s)
TROUBLE = (Event.FAILED, Event.ERRORS, Event.WATCH_DOWN)  # sent as a failure, not as news


UNKNOWN_URL = "not a URL Apprise knows (see https://github.com/caronc/apprise/wiki)"


@dataclass
class _Outcome:
    url: str
    problem: str | None = None


def worth_sending(on: Sequence[str], run: RunSummary) -> bool:
    """Whether something this run did is one of `on` (a rescan that found nothing new never is)."""
    wanted = set(on)
    return any(event.value in wanted for event in run.events())


def notify_run(settings: Settings, run: RunSummary) -> str | None:
    """Send one message about `run` when `notify.on` asks for it. Returns a warning line when
    it could not be sent (also logged), else None. Never raises."""
    urls = settings.notify.urls
    if not urls or not worth_sending(settings.notify.on, run):
        return None
    message = compose(run, host=hostname())
    trouble = any(event in TROUBLE for event in run.events())
    try:
        outcomes = _send_all(urls, message, trouble=trouble)
    except Exception as exc:  # Apprise missing or broken: still only a warning
        outcomes = [_Outcome(url, f"{type(exc).__name__}: {exc}") for url in urls]
    failed = [o for o in outcomes if o.problem]
    if not failed:
        log.info("notification sent to %d service(s): %s", len(urls), message.title)
        return None
    said = "; ".join(f"{mask_secret_url(o.url)}: {o.problem}" for o in failed)
    warning = scrub(f"notification not sent ({run.command}): {said}")
    log.warning("%s", warning)
    return warning


def _send_all(urls: Sequence[str], message: Message, *, trouble: bool) -> list[_Outcome]:
    """Each URL in turn, on a daemon thread given SEND_TIMEOUT seconds in all (a thread still
    waiting then is left behind: it holds nothing, and the process does not wait for it)."""
    outcomes = [_Outcome(url, f"no answer within {SEND_TIMEOUT:g} s") for url in urls]

    def send() -> None:
        for outcome in outcomes:
            outcome.problem = _send_one(outcome.url, message, trouble=trouble)

    thread = threading.Thread(target=send, name="vpo-notify", daemon=True)
    thread.start()
    thread.join(SEND_TIMEOUT)
    return [_Outcome(o.url, o.problem) for o in outcomes]  # as they stand now


def apprise_knows(url: str) -> bool:
    """Whether Apprise reads `url` as one of its services (nothing is sent)."""
    import apprise

    return bool(apprise.Apprise().add(url))


def _send_one(url: str, message: Message, *, trouble: bool) -> str | None:
    """Why `url` did not take the message, or None. Apprise's own log lines (caught here, never
    passed on: they quote the URL) give the reason."""
    import apprise

    box = apprise.Apprise(asset=apprise.AppriseAsset(app_id="VPO", app_desc="Video Policy Orchestrator"))
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
        if not box.add(url):
            return UNKNOWN_URL
        kind = apprise.NotifyType.FAILURE if trouble else apprise.NotifyType.SUCCESS
        sent = box.notify(title=message.title, body=message.body, notify_type=kind)
    if sent:
        return None
    said = [line.strip() for line in captured.getvalue().splitlines() if line.strip()]
    return scrub(" / ".join(said[-2:])) if said else "the service did not accept it"
