"""Text from outside (file names, track titles, tags, tool and error messages) made safe
for a terminal or a text log line: the one place where that happens.

A control character is shown as a backslash escape instead of being sent, so a hostile
name can neither drive the terminal (`ESC ] 0 ; ... BEL` retitles it, `ESC [ 31m`
recolours) nor start a line of its own (a newline, a carriage return):

- `\\t`, `\\n`, `\\r` for tab, line feed and carriage return;
- `\\xNN` for the other C0 controls and DEL (ESC is `\\x1b`, BEL `\\x07`), and for each
  byte of a name that is not UTF-8 (a lone surrogate from `os.fsdecode`: `\\xff`);
- `\\uNNNN` for a C1 control (U+0080-U+009F: `\\u009b` is a one-character CSI), the
  line and paragraph separators U+2028 and U+2029, and the bidirectional controls
  (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) that would show a name's
  characters in another order than they are (`\\u202e`); another lone surrogate too.

Everything else is left as it is: letters of every script, combining marks, wide
characters, emoji, and the backslash itself (so the four characters `\\x1b` in a name
look like an escaped ESC; `--json` gives the exact value). Escaping is idempotent.
"""

from __future__ import annotations

import functools
import re

# What is escaped, besides the newline that `escape` adds (a regex class: ranges of code points).
_UNSAFE = "\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff"
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


@functools.cache
def _pattern(newline: bool) -> re.Pattern[str]:
    """Compiled on first need (2 ms: a class up to U+DFFF), which most commands never have."""
    return re.compile(f"[{chr(10) if newline else ''}{_UNSAFE}]")


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x80:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for a byte that is not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def escape(text: str) -> str:
    """One value (a name, a title, a message) as one line of printable text.
    Costs one `isprintable()` when there is nothing to escape (almost always)."""
    if text.isprintable():
        return text
    return _pattern(True).sub(_shown, text)


def escape_lines(text: str) -> str:
    """Text of several lines made by VPO itself: the same escapes, but a newline stays one.
    The last guard on what reaches a terminal; values in it are escaped on their own
    first (`escape`), so none of them can start a line."""
    if text.isprintable():
        return text
    return _pattern(False).sub(_shown, text)
