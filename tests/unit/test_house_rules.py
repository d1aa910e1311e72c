"""The house rules that a reviewer would otherwise have to remember (STYLE.md):
small files, and imports that point one way (cli -> services -> db/media/config -> leaves)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 400
GENERATED = {  # generated data tables, one idea each
    "python/vpo/media/iso639_data.py",
    "python/vpo/media/language_names.py",
}

PACKAGE = ROOT / "python" / "vpo"
LEAVES = {
    "catalogue",
    "errors",
    "escape",
    "timeutil",
    "paths",
    "logging",
    "host",
    "redact",
    "_core",
    "__init__",
}
LOWER = {"db", "media", "config", "edit"}
# Modules a layer below their folder (docs/architecture.md): the walker is the one importer
# of the extension, whose fingerprints whatever changes a file (edit/) reads again.
LOWER_MODULES = {"vpo.scan.walker"}


def sources() -> list[Path]:
    found = []
    for folder, pattern in (("python", "*.py"), ("tests", "*.py"), ("bench", "*.py"), ("rust", "*.rs")):
        found += sorted((ROOT / folder).rglob(pattern))
    return [p for p in found if ".venv" not in p.parts and "target" not in p.parts]


def test_no_source_file_over_400_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in sources()
        if str(p.relative_to(ROOT)) not in GENERATED and (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}, "split these along their seams (one idea per file)"


def layer(module: str) -> str:
    """`vpo.db.files` -> `db`; `vpo.errors` -> `errors`."""
    return module.split(".")[1] if module.count(".") >= 1 else module


def rank(module: str) -> int:
    """`vpo.errors` -> 0 (leaves), `vpo.db.files` -> 1, `vpo.scan.service` -> 2, `vpo.cli.main` -> 3."""
    if module in LOWER_MODULES:
        return 1
    name = layer(module)
    if name in LEAVES:
        return 0
    if name in LOWER:
        return 1
    if name in ("cli", "__main__"):
        return 3
    return 2  # services: scan, jobs, policy, transcode, doctor, library, ...


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m == "vpo" or m.startswith("vpo.")}


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_one_way(path: Path) -> None:
    rel = path.relative_to(PACKAGE)
    module = ".".join(("vpo", *rel.with_suffix("").parts))  # vpo/db/__init__.py: vpo.db.__init__
    upward = sorted(m for m in imports_of(path) if m != "vpo" and rank(m) > rank(module))
    assert upward == [], f"{rel} ({layer(module)}) imports a higher layer"
