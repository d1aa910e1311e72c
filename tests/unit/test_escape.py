"""The one escape for text from outside (vpo/escape.py), the table that measures what it
shows (cli/render.py), and the CSV rule for cells that start like formulas (cli/views.py)."""

from __future__ import annotations

import csv
import io
import os

from hypothesis import given
from hypothesis import strategies as st

from vpo.cli.render import safe, table, width
from vpo.cli.views import csv_text
from vpo.escape import escape, escape_lines

UNSAFE = (
    {chr(c) for c in range(0x20)}
    | {chr(c) for c in range(0x7F, 0xA0)}
    | {chr(c) for c in range(0xD800, 0xE000)}
)
UNSAFE |= set("\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def test_every_c0_control_and_del_is_shown_as_hex_or_by_name() -> None:
    named = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
    for code in [*range(0x20), 0x7F]:
        char = chr(code)
        expected = named.get(char, "\\x" + format(code, "02x"))
        assert escape(f"a{char}b") == f"a{expected}b", code
    assert escape("\x1b]0;pwned\x07") == "\\x1b]0;pwned\\x07"
    assert escape("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"
    assert escape("\x00\x08\x0b\x0c") == "\\x00\\x08\\x0b\\x0c"


def test_c1_controls_separators_and_bidi_controls_are_shown_as_code_points() -> None:
    for code in range(0x80, 0xA0):
        assert escape(chr(code)) == f"\\u{code:04x}"
    assert escape("\u009b2J") == "\\u009b2J"  # a one-character CSI
    assert escape("a\u2028b\u2029c") == "a\\u2028b\\u2029c"  # line breaks to str.splitlines
    assert escape("evil\u202egpj.exe") == "evil\\u202egpj.exe"  # would read "evilexe.jpg"
    for char in "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069":
        assert escape(char) == f"\\u{ord(char):04x}"


def test_bytes_of_a_name_that_is_not_utf8_are_shown_as_hex() -> None:
    assert escape(os.fsdecode(b"caf\xe9 \xff\xfe")) == "caf\\xe9 \\xff\\xfe"
    for byte in range(0x80, 0x100):  # a lone byte above 0x7f is never UTF-8
        assert escape(os.fsdecode(bytes([byte]))) == f"\\x{byte:02x}"
    assert escape("\ud800") == "\\ud800"  # a lone surrogate of another origin


def test_printable_text_of_every_script_is_left_as_it_is_and_not_copied() -> None:
    for text in (
        "/media/Films/Amélie (2001).mkv",
        "ｆｕｌｌ ｗｉｄｔｈ 映画 영화",
        "e\u0301 combining",
        "family \U0001f468\u200d\U0001f469\u200d\U0001f467 (ZWJ)",
        "no\u00a0break",
        "back\\slash \\x1b as text",
        "",
    ):
        assert escape(text) == text
        assert escape_lines(text) == text
    plain = "/media/library/Movies/Some Movie (2019)/Some Movie (2019) - 1080p.mkv"
    assert escape(plain) is plain  # the fast path: one isprintable(), no copy


def test_escape_lines_keeps_newlines_and_nothing_else() -> None:
    assert escape_lines("a\x1b[2J\nb\tc\r\n") == "a\\x1b[2J\nb\\tc\\r\n"
    assert escape("a\nb") == "a\\nb"


@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF)))
def test_nothing_unsafe_survives_and_escaping_twice_changes_nothing(text: str) -> None:
    shown = escape(text)
    assert not set(shown) & UNSAFE, (text, shown)
    assert escape(shown) == shown
    lines = escape_lines(text)
    assert not set(lines) & (UNSAFE - {"\n"}) and lines.count("\n") == text.count("\n")


def test_safe_takes_any_value() -> None:
    assert safe(42) == "42"
    assert safe(None) == "None"
    assert safe(["a\x1b"]) == "['a\\x1b']"


def test_a_table_measures_the_escaped_text() -> None:
    rows = [["x\x1b]0;t\x07y", "1"], ["plain", "22"], ["映画\nvpo: ERROR: forged", "3"]]
    lines = table(["NAME", "N"], rows, right=(1,)).split("\n")
    assert len(lines) == 4  # the newline in a cell does not start a row
    assert lines[1].startswith("x\\x1b]0;t\\x07y")
    assert lines[3].startswith("映画\\nvpo: ERROR: forged")
    assert len({width(line) for line in lines}) == 1, lines  # the N column right-aligned for all


def test_csv_neutralises_text_cells_that_start_like_formulas_and_nothing_else() -> None:
    cells = ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "/a/=b.mkv", "a-b", "x\x1by\nz", ""]
    text = csv_text(["text"], ([c] for c in cells))
    read = [row[0] for row in csv.reader(io.StringIO(text, newline=""))][1:]
    assert read == ["'=1+1", "'+1", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "/a/=b.mkv", "a-b", "x\x1by\nz", ""]


def test_csv_leaves_numbers_negative_ones_too_and_neutralises_joined_lists() -> None:
    text = csv_text(
        ["n", "f", "b", "none", "list"], [[-1, -2.5, True, None, ["=x", "y"]], [3, 0.5, False, None, []]]
    )
    assert text.splitlines() == ["n,f,b,none,list", "-1,-2.5,true,,'=x y", "3,0.5,false,,"]
