"""Profile names cannot reach outside `$VPO_HOME/profiles`, and no tool is ever run
through a shell: not in the source, and not when a tool's path or a media file's name is
full of shell syntax."""

from __future__ import annotations

import ast
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vpo
from depth import examples
from integration.conftest import RunVpo, age_tree
from integration.scanutil import assert_no_traceback
from vpo.config.loader import PROFILE_NAME, load_profile, profile_chain
from vpo.errors import ConfigError, ProfileNotFoundError

PACKAGE = Path(vpo.__file__).parent
RUST = Path(__file__).resolve().parents[2] / "rust"

# --------------------------------------------------------------------------- profile names

ESCAPES = [
    "../outside",
    "../../etc/passwd",
    "profiles/../outside",
    "./inside",
    "..",
    ".",
    "",
    "a/b",
    "outside.yaml",
    "~/outside",
    "inside ",
    "x" * 5 + "\\y",
    "%2e%2e%2foutside",
    "ｉｎｓｉｄｅ",
]


@pytest.fixture
def home_with_targets(vpo_home: Path, tmp_path: Path) -> dict[str, Path]:
    """A real profile `inside`, and valid profile files where an escaping name would lead:
    if any of them loaded, its `logging.level: debug` would show."""
    profiles = vpo_home / "profiles"
    profiles.mkdir(parents=True)
    body = "logging:\n  level: debug\n"
    (profiles / "inside.yaml").write_text("name: inside\n")
    targets = {
        "home": vpo_home / "outside.yaml",
        "abs": tmp_path / "abs.yaml",
        "profiles": profiles / "outside.yaml.yaml",
    }
    for path in targets.values():
        path.write_text(body)
    return targets


@pytest.mark.parametrize("name", ["../outside", "outside.yaml", "ABS"])
def test_profile_option_and_variable_reject_path_like_names(
    name: str, home_with_targets: dict[str, Path], vpo: RunVpo
) -> None:
    """Through the real CLI, for a few names (the function-level tests below take many)."""
    if name == "ABS":
        name = str(home_with_targets["abs"].with_suffix(""))
    for args, env in (
        (["--profile", name, "jobs", "list", "--json"], None),
        (["jobs", "list", "--json"], {"VPO_PROFILE": name}),
        (["profiles", "show", name, "--json"], None),
    ):
        if env and not name:
            continue  # an empty VPO_PROFILE means "no profile"
        result = vpo(*args, env=env)
        assert_no_traceback(result)
        assert result.code == 2, result
        doc = result.json()
        assert doc["code"] == "CONFIG_INVALID", doc  # refused by name, never looked up
        assert "invalid profile name" in doc["message"], doc
        assert "level" not in result.stdout


@pytest.mark.parametrize("target", ["../outside", "/etc/passwd", "a\\0b"])
def test_extends_cannot_name_a_file_outside(
    target: str, home_with_targets: dict[str, Path], vpo: RunVpo, vpo_home: Path
) -> None:
    (vpo_home / "profiles" / "child.yaml").write_text(f'name: child\nextends: "{target}"\n')
    result = vpo("profiles", "show", "child", "--json")
    assert_no_traceback(result)
    assert result.code == 2, result
    assert result.json()["code"] == "CONFIG_INVALID" and "invalid profile name" in result.json()["message"]


@settings(max_examples=examples(200), deadline=None)
@given(
    st.one_of(st.sampled_from(ESCAPES), st.text(max_size=30)).filter(lambda s: not PROFILE_NAME.fullmatch(s))
)
def test_any_other_name_is_refused_before_the_file_system_is_asked(name: str) -> None:
    """Typed as ConfigError itself: a ProfileNotFoundError would mean a file was looked for.
    NUL, which no command line can carry, included."""
    home = Path("/nonexistent-vpo-home")
    for call in (lambda: load_profile(home, name), lambda: profile_chain(home, name)):
        with pytest.raises(ConfigError) as caught:
            call()
        assert type(caught.value) is ConfigError and not isinstance(caught.value, ProfileNotFoundError)
        assert "\n" not in caught.value.message


def test_nul_in_a_name_is_refused() -> None:
    with pytest.raises(ConfigError, match="invalid profile name"):
        load_profile(Path("/nonexistent-vpo-home"), "inside\0../../x")


# --------------------------------------------------------------------------- no shell, in the source

FORBIDDEN_CALLS = {
    ("os", "system"),
    ("os", "popen"),
    ("subprocess", "getoutput"),
    ("subprocess", "getstatusoutput"),
    ("asyncio", "create_subprocess_shell"),
    ("pty", "spawn"),
    ("commands", "getoutput"),
}
FORBIDDEN_TEXT = re.compile(
    r"shell\s*=\s*True|os\.system\b|os\.popen\b|create_subprocess_shell|getstatusoutput|"
    r"getoutput|os\.spawn\w*p\w*\("
)


def shell_uses(source: str, filename: str = "<source>") -> list[str]:
    """Every place `source` could run a command through a shell: a `shell=` argument that is
    not literally False, a call to a function that always uses one (however imported), and
    the plain text patterns besides."""
    found = [f"{filename}:{m.group(0)}" for m in FORBIDDEN_TEXT.finditer(source)]
    tree = ast.parse(source, filename)
    aliases: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if (node.module, alias.name) in FORBIDDEN_CALLS:
                    aliases[alias.asname or alias.name] = (node.module, alias.name)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for kw in node.keywords:
            if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                found.append(f"{filename}:{node.lineno}: shell={ast.unparse(kw.value)}")
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if (func.value.id, func.attr) in FORBIDDEN_CALLS:
                found.append(f"{filename}:{node.lineno}: {func.value.id}.{func.attr}")
        elif isinstance(func, ast.Name) and func.id in aliases:
            found.append(f"{filename}:{node.lineno}: {'.'.join(aliases[func.id])}")
    return found


@pytest.mark.parametrize(
    "snippet",
    [
        "import subprocess\nsubprocess.run('ls', shell=True)",
        "import subprocess\nflag = True\nsubprocess.Popen(['ls'], shell = flag)",
        "import os\nos.system('ls')",
        "import os\nos.popen('ls')",
        "from os import system as run\nrun('ls')",
        "from subprocess import getoutput\ngetoutput('ls')",
        "import os\nos.spawnlp(os.P_WAIT, 'ls', 'ls')",
    ],
)
def test_the_checker_finds_each_way_to_use_a_shell(snippet: str) -> None:
    assert shell_uses(snippet)


def test_the_checker_accepts_argument_lists() -> None:
    assert (
        shell_uses("import subprocess\nsubprocess.run(['ls', '-l'], shell=False)\nsubprocess.run(['ls'])")
        == []
    )


def test_no_module_of_the_package_uses_a_shell() -> None:
    sources = sorted(PACKAGE.rglob("*.py"))
    assert len(sources) > 30, sources  # the package itself, not an empty folder
    found = [use for path in sources for use in shell_uses(path.read_text(encoding="utf-8"), str(path))]
    assert found == []


def test_the_extension_starts_no_process() -> None:
    sources = sorted(RUST.rglob("*.rs"))
    assert sources
    found = [
        f"{p}: {m.group(0)}"
        for p in sources
        for m in re.finditer(
            r"process::Command|Command::new|libc::(system|popen|exec\w*|fork)\b", p.read_text()
        )
    ]
    assert found == []


# --------------------------------------------------------------------------- no shell, at run time

SHELLY = [
    "$(touch PWNED-subst) `touch PWNED-backtick`",
    "; touch PWNED-semicolon # && touch PWNED-and",
    "| touch PWNED-pipe > PWNED-redirect 'quoted' \"double\" $HOME *",
]


def test_shell_syntax_in_names_and_tool_paths_is_never_interpreted(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo, vpo_home: Path
) -> None:
    """Media named like shell commands, scanned with ffprobe and changed by all three tools,
    each tool run from a path that is itself shell syntax: the tools run (the files change)
    and nothing the names spell out ever happens."""
    lib = tmp_path / "lib"
    lib.mkdir()
    made = []
    for i, word in enumerate(SHELLY):
        ext, layout = [
            ("mkv", dict(audio=[("jpn", None, True), ("eng", None, False)])),
            ("mkv", dict(audio=[("eng", None, False), ("jpn", None, True)])),
            ("mp4", dict(audio=[("fre", None, True), ("eng", None, False)])),
        ][i % 3]
        made.append(make_video(lib / f"{word}.{ext}", tone=1600 + 10 * (i % 3), **layout))
    age_tree(lib)
    tools = tmp_path / "$(touch PWNED-tooldir); x"
    tools.mkdir()
    for tool in ("ffprobe", "ffmpeg", "mkvmerge", "mkvpropedit"):
        real = shutil.which(tool)
        assert real
        link = tools / f"{tool} `touch PWNED-{tool}`"
        link.symlink_to(real)
    (vpo_home / "profiles").mkdir(parents=True)
    (vpo_home / "profiles" / "odd.yaml").write_text(
        "name: odd\nscan:\n  prober: ffprobe\ntools:\n"
        + "".join(
            f"  {tool}: '{tools}/{tool} `touch PWNED-{tool}`'\n"
            for tool in ("ffprobe", "ffmpeg", "mkvmerge", "mkvpropedit")
        )
    )
    policy = tmp_path / "policy.yaml"
    policy.write_text("schema_version: 1\naudio_language_preference: [eng]\n")
    cwd_before = set(os.listdir(Path.cwd()))

    scan = vpo("--profile", "odd", "scan", "--json", lib)
    assert scan.code == 0, scan
    assert scan.json()["counts"]["added"] == len(SHELLY)
    applied = vpo("--profile", "odd", "apply", "--policy", policy, "--json", lib)
    assert applied.code == 0, applied
    assert {f["status"] for f in applied.json()["files"]} == {"changed"}, applied

    everywhere = [tmp_path, lib, tools, vpo_home, Path.cwd(), Path.home()]
    pwned = [str(p) for d in everywhere for p in d.rglob("PWNED*")] + [
        n for n in set(os.listdir(Path.cwd())) - cwd_before if "PWNED" in n
    ]
    assert pwned == []
