"""This machine's name as job rows record it (and compare it: a job is only declared
abandoned by a process on the host that ran it). `os.uname().nodename` is what
`socket.gethostname()` returns on POSIX, without importing the socket module at start-up."""

from __future__ import annotations

import os


def hostname() -> str:
    return os.uname().nodename
