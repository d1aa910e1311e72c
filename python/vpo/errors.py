"""Expected failures. Each carries the exit code and machine-readable code the CLI reports.

Only `vpo.cli.main.main` turns these into exit codes; everything else raises.
"""

from __future__ import annotations

from typing import Any


class VpoError(Exception):
    """Base of every expected failure: one line for a person, a code for a script."""

    exit_code = 2
    code = "ERROR"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class UsageError(VpoError):
    code = "USAGE"


class RootNotFoundError(VpoError):
    code = "ROOT_NOT_FOUND"


class RootUnreadableError(VpoError):
    code = "ROOT_UNREADABLE"


class UnmountedLibraryError(VpoError):
    code = "LIBRARY_UNMOUNTED"


class DatabaseError(VpoError):
    code = "DATABASE_ERROR"


class SchemaTooNewError(DatabaseError):
    code = "SCHEMA_TOO_NEW"


class PasswordRequiredError(DatabaseError):
    """The PostgreSQL server wants a password that neither the URL, PGPASSWORD nor
    ~/.pgpass gave (`vpo db migrate-to` then asks for it on a terminal)."""

    code = "DATABASE_PASSWORD_REQUIRED"


class ProbeError(VpoError):
    """A file could not be probed: carries the path and the reason."""

    code = "PROBE_FAILED"
    exit_code = 1

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}", details={"path": path, "reason": reason})
        self.path = path
        self.reason = reason


class FileNotCataloguedError(VpoError):
    code = "FILE_NOT_FOUND"


class JobNotFoundError(VpoError):
    code = "JOB_NOT_FOUND"


class AmbiguousJobIdError(VpoError):
    code = "JOB_ID_AMBIGUOUS"


class ConfigError(VpoError):
    code = "CONFIG_INVALID"


class ProfileNotFoundError(ConfigError):
    code = "PROFILE_NOT_FOUND"


class PolicyError(VpoError):
    code = "POLICY_INVALID"


class ToolError(VpoError):
    code = "TOOL_FAILED"


class Interrupted(VpoError):
    """Raised after a Ctrl+C has been handled and the work so far committed."""

    code = "INTERRUPTED"
    exit_code = 130


class PolicyNotFoundError(ConfigError):
    code = "POLICY_NOT_FOUND"


class RootWatchedError(VpoError):
    """Another `vpo watch` holds the root (SPEC section 17): its host and pid are in details."""

    code = "ROOT_WATCHED"
