"""Policy, config and profile files larger than 1 MiB are refused before they are parsed,
with the real reason (docs/security.md, "Size limits on YAML files";
config/yaml_file.py:MAX_FILE_BYTES): the file's size and the limit, exit 2, the code of
any other bad policy (POLICY_INVALID) or settings file (CONFIG_INVALID). Before the limit,
a 50 MB policy took over a minute and most of a gigabyte, then was refused for "aliases"
it did not have.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from integration.conftest import Result, RunVpo
from integration.scanutil import assert_no_traceback

LIMIT = "1,048,576 bytes"


def huge_yaml(path: Path, size: int, head: str) -> Path:
    """A well-formed file of exactly `size` bytes: `head`, then a long list of patterns
    (what a parser would have to hold one node each of)."""
    item = '  - "commentary-pattern-to-fill-the-file"\n'
    body = head + "commentary_patterns:\n"
    count, rest = divmod(size - len(body), len(item))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body + item * count + "#" * (rest - 1) + "\n" if rest else body + item * count)
    assert path.stat().st_size == size
    return path


def refused(result: Result, code: str, path: Path, kind: str, size: int) -> None:
    assert_no_traceback(result)
    assert result.code == 2, result
    doc = result.json()
    assert doc["code"] == code, doc
    assert doc["message"] == f"{path} is {size:,} bytes; {kind} files may be at most {LIMIT} (1 MiB)", doc


@pytest.mark.parametrize("size", [5_000_000, 50_000_000], ids=["5MB", "50MB"])
def test_a_huge_policy_is_refused_for_its_size(size: int, tmp_path: Path, vpo: RunVpo) -> None:
    policy = huge_yaml(tmp_path / "policy.yaml", size, "schema_version: 1\n")
    (tmp_path / "lib").mkdir()
    refused(
        vpo("apply", "--dry-run", "--json", "--policy", policy, tmp_path / "lib"),
        "POLICY_INVALID",
        policy,
        "policy",
        size,
    )
    refused(vpo("policy", "check", "--json", policy), "POLICY_INVALID", policy, "policy", size)


def test_a_huge_config_file_is_refused_for_its_size(tmp_path: Path, vpo: RunVpo, vpo_home: Path) -> None:
    config = huge_yaml(vpo_home / "config.yaml", 2_000_000, "")
    refused(vpo("jobs", "list", "--json"), "CONFIG_INVALID", config, "config", 2_000_000)


def test_a_huge_profile_is_refused_for_its_size(tmp_path: Path, vpo: RunVpo, vpo_home: Path) -> None:
    profile = huge_yaml(vpo_home / "profiles" / "big.yaml", 2_000_000, "")
    refused(vpo("profiles", "show", "big", "--json"), "CONFIG_INVALID", profile, "profile", 2_000_000)
    refused(
        vpo("--profile", "big", "jobs", "list", "--json"), "CONFIG_INVALID", profile, "profile", 2_000_000
    )


def test_a_policy_at_the_limit_is_read(tmp_path: Path, vpo: RunVpo) -> None:
    """Exactly 1 MiB, mostly a comment: parsed, and valid."""
    policy = tmp_path / "policy.yaml"
    head = "schema_version: 1\naudio_language_preference: [eng]\n"
    policy.write_text(head + "#" * (1_048_576 - len(head) - 1) + "\n")
    assert policy.stat().st_size == 1_048_576
    done = vpo("policy", "check", "--json", policy)
    assert done.code == 0 and done.json()["valid"] is True, done
