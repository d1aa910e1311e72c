"""Reading policy files: every error names file:line and the key; examples all load."""

from __future__ import annotations

from pathlib import Path

import pytest

from vpo.errors import PolicyError, PolicyNotFoundError, VpoError
from vpo.policy.loader import load_policy
from vpo.policy.models import CATEGORIES, DefaultFlags

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> VpoError:
    with pytest.raises(VpoError) as info:
        load_policy(path)
    return info.value


def test_a_minimal_policy_gets_the_documented_defaults(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, "schema_version: 1\n"))
    assert policy.track_order == list(CATEGORIES)
    assert policy.audio_language_preference == [] and policy.subtitle_language_preference == []
    assert policy.commentary_patterns == ["commentary"]
    assert policy.default_flags == DefaultFlags(
        set_first_video_default=True,
        set_preferred_audio_default=True,
        set_preferred_subtitle_default=False,
        clear_other_defaults=True,
    )


def test_a_full_policy_is_read_as_written(tmp_path: Path) -> None:
    policy = load_policy(
        write(
            tmp_path,
            """\
schema_version: 1
track_order: [video, audio_main, subtitle_forced]
audio_language_preference: [JPN, en]
subtitle_language_preference: [fre]
commentary_patterns: ['comm\\.', '^staff']
default_flags:
  set_preferred_subtitle_default: true
  clear_other_defaults: false
""",
        )
    )
    assert policy.track_order == ["video", "audio_main", "subtitle_forced"]
    assert policy.audio_language_preference == ["jpn", "en"]
    assert policy.subtitle_language_preference == ["fre"]
    assert policy.commentary_patterns == ["comm\\.", "^staff"]
    assert policy.default_flags.set_preferred_subtitle_default is True
    assert policy.default_flags.clear_other_defaults is False
    assert policy.default_flags.set_first_video_default is True


def test_unknown_top_level_key_names_its_line_and_the_accepted_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "schema_version: 1\naudio_language_preference: [eng]\ncomentary_patterns: [x]\n")
    err = error_of(path)
    assert isinstance(err, PolicyError) and err.code == "POLICY_INVALID" and err.exit_code == 2
    assert err.message.startswith(f"{path}:3: comentary_patterns: unknown key 'comentary_patterns'")
    assert "commentary_patterns" in err.message.split("accepted keys:")[1]
    assert err.details["line"] == 3


def test_unknown_nested_key_names_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path, "schema_version: 1\ndefault_flags:\n  set_first_video_default: true\n  clear_others: true\n"
    )
    err = error_of(path)
    assert err.message.startswith(f"{path}:4: default_flags.clear_others: unknown key 'clear_others'")
    assert "clear_other_defaults" in err.message


def test_bad_regex_names_the_pattern_and_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "schema_version: 1\ncommentary_patterns:\n  - commentary\n  - '(unclosed'\n")
    err = error_of(path)
    assert isinstance(err, PolicyError)
    assert err.message.startswith(f"{path}:4: commentary_patterns.1: invalid regular expression '(unclosed'")


def test_unknown_language_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "schema_version: 1\naudio_language_preference: [eng]\n"
        "subtitle_language_preference:\n  - fr\n  - xx\n",
    )
    err = error_of(path)
    assert err.message.startswith(
        f"{path}:5: subtitle_language_preference.1: unknown ISO 639 language code 'xx'"
    )


def test_unknown_category_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "schema_version: 1\ntrack_order: [video, audio]\n")
    err = error_of(path)
    assert err.message.startswith(f"{path}:2: track_order.1:") and "'audio'" in err.message


def test_a_category_listed_twice_is_refused(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "schema_version: 1\ntrack_order: [video, audio_main, video]\n"))
    assert "categories listed twice: video" in err.message


def test_a_wrong_type_is_refused_with_the_value(tmp_path: Path) -> None:
    path = write(tmp_path, "schema_version: 1\ndefault_flags:\n  clear_other_defaults: maybe\n")
    err = error_of(path)
    assert (
        err.message.startswith(f"{path}:3: default_flags.clear_other_defaults:") and "'maybe'" in err.message
    )


def test_missing_schema_version_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "audio_language_preference: [eng]\n")
    err = error_of(path)
    assert isinstance(err, PolicyError)
    assert err.message == f"{path}: schema_version is missing (this VPO reads schema_version: 1 or 2)"


@pytest.mark.parametrize("value", ["3", "'1'", "0", "true"])
def test_other_schema_versions_are_refused(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, f"# a comment\nschema_version: {value}\n")
    err = error_of(path)
    assert isinstance(err, PolicyError)
    assert err.message.startswith(f"{path}:2: schema_version: ")
    assert err.message.endswith("is not supported (this VPO reads schema_version: 1 or 2)")


def test_invalid_yaml_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "schema_version: 1\ntrack_order: [video\naudio_language_preference: [eng]\n")
    err = error_of(path)
    assert isinstance(err, PolicyError)
    assert err.message.startswith(f"{path}:") and "invalid YAML" in err.message
    assert err.details["line"] is not None


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n"])
def test_a_document_that_is_not_a_mapping_is_refused(tmp_path: Path, text: str) -> None:
    err = error_of(write(tmp_path, text))
    assert isinstance(err, PolicyError) and "a policy is a mapping" in err.message


def test_a_missing_file_is_its_own_error(tmp_path: Path) -> None:
    err = error_of(tmp_path / "nope.yaml")
    assert isinstance(err, PolicyNotFoundError) and err.code == "POLICY_NOT_FOUND" and err.exit_code == 2


def test_examples_exist() -> None:
    names = sorted(p.name for p in EXAMPLES.glob("*.yaml"))
    assert {
        "english-first.yaml",
        "anime-japanese-first.yaml",
        "no-commentary-defaults.yaml",
        "plays-everywhere.yaml",
    } <= set(names)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_policy_loads(path: Path) -> None:
    policy = load_policy(path)
    assert policy.schema_version == (2 if "schema_version: 2" in path.read_text() else 1)


DOCS = Path(__file__).resolve().parents[2] / "docs" / "policies.md"


def test_every_policy_shown_in_the_docs_loads(tmp_path: Path) -> None:
    import re

    blocks = [
        b
        for b in re.findall(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
        if "schema_version" in b
    ]
    assert len(blocks) >= 5
    for i, block in enumerate(blocks):
        path = tmp_path / f"doc-{i}.yaml"
        path.write_text(block, encoding="utf-8")
        load_policy(path)
