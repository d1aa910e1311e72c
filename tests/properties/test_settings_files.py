"""The config, profile and policy loaders on arbitrary input: YAML-ish text, arbitrary
bytes, and arbitrary structures written as YAML (mostly the real keys, with values of
every type). Whatever the input, the loader either returns or raises ConfigError or
PolicyError whose message is one line that names the file (and the key, when the error
has one). Any other exception, a traceback's worth, fails the property."""

from __future__ import annotations

import dataclasses
import io
import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from depth import examples
from vpo.config.loader import load_config_layer, load_profile
from vpo.config.profiles import show_profile
from vpo.config.settings import SECTIONS
from vpo.errors import ConfigError, PolicyError
from vpo.policy.loader import load_policy
from vpo.policy.models import DefaultFlags, Policy, TranscodeSection

SETTINGS = settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ----------------------------------------------------------------------------- inputs

SECTION_KEYS = {name: [f.name for f in dataclasses.fields(cls)] for name, cls in SECTIONS.items()}
POLICY_KEYS = {
    "default_flags": sorted(DefaultFlags.model_fields),
    "transcode": sorted(TranscodeSection.model_fields),
}
PROFILE_HEADER = ["name", "description", "extends", "default_policy", "roots"]
WORDS = sorted(
    {
        *SECTION_KEYS,
        *(k for keys in SECTION_KEYS.values() for k in keys),
        *Policy.model_fields,
        *(k for keys in POLICY_KEYS.values() for k in keys),
        *PROFILE_HEADER,
        "eng",
        "fre",
        "jpn",
        "pyav",
        "ffprobe",
        "debug",
        "json",
        "hevc",
        "1080p",
        "copy",
        "p",
        "base",
        "video",
        "audio_main",
        "commentary",
        "true",
        "no",
        "~",
        "null",
        "1",
        "-1",
        "0x1F",
        "1e400",
        ".inf",
        ".nan",
        "2026-11-23",
        "/dev/null",
        "../x",
        "p\\0q",
    }
)
YAML_BITS = [
    ": ",
    ":",
    "- ",
    "-",
    "[",
    "]",
    "{",
    "}",
    ",",
    "#",
    "&a ",
    "*a",
    "<<: *a",
    "!!str ",
    "!!int ",
    "!!binary ",
    "!!python/object/apply:os.system ['true']",
    "!custom ",
    "? ",
    "|",
    ">",
    "---",
    "...",
    "%YAML 1.2",
    "%TAG ! tag:x,2000:",
    "'",
    '"',
    "\\",
    "\t",
    "\0",
    "\ufeff",
    "\u2028",
    "\x85",
    "\r",
    "@",
    "`",
    "%",
    "  ",
    "    ",
    "\n",
    "\n  ",
    "\n    ",
    "\n- ",
]

token_soup = st.lists(
    st.one_of(st.sampled_from(WORDS), st.sampled_from(YAML_BITS), st.text(max_size=4)), max_size=40
).map("".join)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(WORDS),
)


def values(depth: int = 2) -> st.SearchStrategy[Any]:
    if depth == 0:
        return scalars
    inner = values(depth - 1)
    return st.one_of(
        scalars,
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(WORDS), st.text(max_size=6), st.integers()), inner, max_size=4
        ),
    )


def mapping_of(keys: dict[str, list[str]], extra: list[str]) -> st.SearchStrategy[dict[Any, Any]]:
    """Mostly the real sections and their keys (sometimes wrong ones), values of any type."""
    section = st.one_of(
        st.sampled_from(sorted(keys)).flatmap(
            lambda name: st.tuples(
                st.just(name),
                st.one_of(
                    st.dictionaries(st.sampled_from(keys[name] + ["bogus"]), values(1), max_size=4), values(1)
                ),
            )
        ),
        st.tuples(st.sampled_from([*extra, "bogus", "Tools"]), values(1)),
        st.tuples(st.one_of(st.text(max_size=6), st.integers(), st.booleans(), st.none()), values(1)),
    )
    return st.lists(section, max_size=6).map(dict)


def dump(document: Any) -> str:
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(document, out)
    return out.getvalue()


config_documents = mapping_of(SECTION_KEYS, []).map(dump)
profile_documents = mapping_of(SECTION_KEYS, PROFILE_HEADER).map(dump)
policy_documents = st.one_of(
    mapping_of(POLICY_KEYS, [k for k in Policy.model_fields if k not in POLICY_KEYS]),
    mapping_of(POLICY_KEYS, [k for k in Policy.model_fields if k not in POLICY_KEYS]).map(
        lambda d: {"schema_version": 1, **d}
    ),
).map(dump)
any_text = st.one_of(token_soup, st.text(max_size=200))

# ----------------------------------------------------------------------------- the property

ONE_LINE = re.compile(r"[\r\n]")


def check(call: Any, path: Path, *, policy: bool = False) -> None:
    """`call()` returns, or fails with the typed, one-line, file-naming error."""
    try:
        call()
    except (ConfigError, PolicyError) as exc:
        message = exc.message
        assert not ONE_LINE.search(message), f"more than one line: {message!r}"
        assert str(path) in message, f"the file is not named: {message!r}"
        key = exc.details.get("key")
        if key:
            assert key in message or repr(key) in message, f"key {key!r} not named: {message!r}"
        if policy:
            assert isinstance(exc, (PolicyError, ConfigError))


def home_with(files: dict[str, bytes]) -> tuple[tempfile.TemporaryDirectory[str], Path]:
    tmp = tempfile.TemporaryDirectory(prefix="vpo-prop-")
    home = Path(tmp.name) / "home"
    for rel, data in files.items():
        (home / rel).parent.mkdir(parents=True, exist_ok=True)
        (home / rel).write_bytes(data)
    return tmp, home


def encoded(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


@SETTINGS
@given(st.one_of(config_documents, any_text))
@example("scan:\n  workers: [1, 2]\n")
@example("scan: {extensions: []}\n")
@example("logging:\n  level: loud\n")
@example("a: &a [1]\nb: [*a, *a]\n<<: *a\n")
@example("- " * 1100 + "x")  # deeper than Python's recursion limit
@example("scan:\n  workers: !!int x\n")  # ruamel's constructor raised ValueError
@example("scan: {prune: !!bool maybe}\n")  # ... KeyError
@example("!!int")  # ... IndexError
@example("\x1f")  # ruamel's message spanned two lines
@example('scan: {"a\\nb": 1}\n')  # a key with a newline in it
@example("tools:\n  ffmpeg: !!python/object/apply:os.system ['true']\n")
@example("\ufeffjobs: {retention_days: .nan}\n")
def test_config_file(text: str) -> None:
    tmp, home = home_with({"config.yaml": encoded(text)})
    with tmp:
        check(lambda: load_config_layer(home), home / "config.yaml")


@SETTINGS
@given(st.one_of(profile_documents, any_text))
@example("name: other\n")
@example("extends: ../x\n")
@example("extends: p\n")  # itself
@example("default_policy: /nonexistent/policy.yaml\n")
@example('extends: "a\\0b"\n')
@example("description: [1, 2]\n")
@example("paths: {map: null}\n")  # an entry of paths, not a key: the message names paths
def test_profile_file(text: str) -> None:
    tmp, home = home_with({"profiles/p.yaml": encoded(text)})
    with tmp:
        check(lambda: load_profile(home, "p"), home / "profiles" / "p.yaml")


@SETTINGS
@given(profile=st.one_of(profile_documents, any_text), config=st.one_of(config_documents, any_text))
def test_profile_and_config_resolved_together(profile: str, config: str) -> None:
    """`vpo profiles show p`: the config, the profile chain and the resolver. The error may
    name either file."""
    tmp, home = home_with(
        {
            "profiles/p.yaml": encoded(profile),
            "config.yaml": encoded(config),
            "profiles/base.yaml": b"name: base\nscan: {workers: 2}\n",
        }
    )
    with tmp:
        try:
            show_profile(home, "p")
        except (ConfigError, PolicyError) as exc:
            assert not ONE_LINE.search(exc.message), exc.message
            assert str(home / "profiles") in exc.message or str(home / "config.yaml") in exc.message, (
                exc.message
            )


@SETTINGS
@given(st.one_of(policy_documents, any_text))
@example("schema_version: 1\ntrack_order: [video, video]\n")
@example("schema_version: 1\ncommentary_patterns: ['(']\n")
@example("schema_version: 1\naudio_language_preference: [xx]\n")
@example("schema_version: true\n")
@example("schema_version: 1\ntranscode: {crf: 99}\n")
@example('{"\\r",schema_version: 1}')  # the key went into the message raw: a carriage return
@example("schema_version: 1\ndefault_flags: [1]\n")
def test_policy_file(text: str) -> None:
    tmp, home = home_with({"policy.yaml": encoded(text)})
    with tmp:
        check(lambda: load_policy(home / "policy.yaml"), home / "policy.yaml", policy=True)


@settings(max_examples=examples(50), deadline=None)
@given(st.binary(max_size=300))
@example(b"scan: {workers: 1}\n\xff\xfe")
@example(b"\xef\xbb\xbfscan: {}\n")
def test_any_bytes(data: bytes) -> None:
    tmp, home = home_with({"config.yaml": data, "profiles/p.yaml": data, "policy.yaml": data})
    with tmp:
        check(lambda: load_config_layer(home), home / "config.yaml")
        check(lambda: load_profile(home, "p"), home / "profiles" / "p.yaml")
        check(lambda: load_policy(home / "policy.yaml"), home / "policy.yaml", policy=True)
