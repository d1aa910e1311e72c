"""`vpo doctor`'s look at `notify.urls`: each must be a URL Apprise knows. Nothing is sent
(a doctor run is no news); the URLs are shown by their scheme only."""

from __future__ import annotations

from vpo.config.settings import Settings
from vpo.doctor.models import Check
from vpo.redact import mask_secret_url

NAME = "notify"


def notify_check(settings: Settings) -> Check | None:
    """None when no URL is configured (nothing to check)."""
    from vpo.notify.send import apprise_knows

    urls, on = settings.notify.urls, list(settings.notify.on)
    shown = [mask_secret_url(url) for url in urls]
    if not urls:
        return None
    data = {"urls": shown, "on": on}
    try:
        unknown = [n for n, url in enumerate(urls, 1) if not apprise_knows(url)]
    except ImportError as exc:
        return Check(NAME, False, f"Apprise cannot be loaded: {exc}", data)
    if unknown:
        listed = ", ".join(f"entry {n} ({shown[n - 1]})" for n in unknown)
        return Check(NAME, False, f"notify.urls: {listed}: not a URL Apprise knows", data)
    when = ", ".join(on) if on else "never (notify.on is empty)"
    return Check(NAME, True, f"{len(urls)} URL(s): {', '.join(shown)}; sent on: {when}", data)
