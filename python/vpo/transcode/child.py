"""The ffmpeg child of a transcode: its stderr goes to an anonymous temporary file (it dies
with its worker through media/children.py, as every tool does)."""

from __future__ import annotations


class TempLog:
    """ffmpeg's stderr goes to an anonymous temporary file (no pipe to deadlock on)."""

    def __enter__(self) -> TempLog:
        import tempfile

        self.file = tempfile.TemporaryFile()
        return self

    def text(self) -> str:
        self.file.seek(0)
        return self.file.read()[-65536:].decode("utf-8", "replace")

    def __exit__(self, *exc: object) -> None:
        self.file.close()
