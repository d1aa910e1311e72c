"""The house rules that a reviewer would otherwise have to remember (STYLE.md): imports that
point one way (cli -> services -> db/media/config -> leaves), and policy/ that only decides.
The size of functions (arguments, statements, branches) is ruff's to hold: PLR0913, PLR0915
and C901 in pyproject.toml. Files are split where their ideas part, at no fixed count."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
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


# What changes the world: a tool run, a file written, renamed, removed or locked, a database.
ACTING_MODULES = {"subprocess", "shutil", "fcntl", "sqlite3", "psycopg", "vpo._core"}
OS_DEEDS = {
    "replace", "rename", "renames", "unlink", "remove", "rmdir", "link", "symlink", "write",
    "pwrite", "truncate", "ftruncate", "makedirs", "mkdir", "utime", "chmod", "chown", "fsync",
    "kill", "system", "popen", "execv", "execvp", "fork", "spawnv",
}  # fmt: skip
PATH_DEEDS = {
    "write_text",
    "write_bytes",
    "unlink",
    "rename",
    "mkdir",
    "rmdir",
    "touch",
    "chmod",
}  # not replace: str has one


def deeds_of(path: Path) -> list[str]:
    """What `path`'s code does to the world (by reading its syntax): acting imports,
    `os.<deed>()`, `Path.<deed>()`, an `open()` to write."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            names += (
                [f"{node.module}.{a.name}" for a in node.names] if isinstance(node, ast.ImportFrom) else []
            )
            found += [
                f"imports {n}" for n in names if n in ACTING_MODULES or n.split(".")[0] in ACTING_MODULES
            ]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id == "os" and node.func.attr in OS_DEEDS:
                found.append(f"os.{node.func.attr}()")
            elif node.func.attr in PATH_DEEDS and not (isinstance(owner, ast.Name) and owner.id == "os"):
                found.append(f".{node.func.attr}()")
        if isinstance(node, ast.Call) and (
            (isinstance(node.func, ast.Name) and node.func.id == "open")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "open")
        ):
            modes = [a for a in node.args[1:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            modes += [k.value for k in node.keywords if k.arg == "mode" and isinstance(k.value, ast.Constant)]
            if any(isinstance(m, ast.Constant) and set(str(m.value)) & set("wax+") for m in modes):
                found.append("open() to write")
    return found


def source_of(module: str) -> Path | None:
    """The file of `vpo.x.y` (a module or a package's __init__), None when it is not one."""
    base = PACKAGE.parent.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def reached_from(folder: Path) -> set[Path]:
    """Every file of the package that `folder`'s modules import, however deep (imports
    inside functions too), with the packages' __init__ files an import runs."""
    seen: set[Path] = set()
    todo = sorted(folder.rglob("*.py"))
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        tree = ast.parse(path.read_text())
        names = set(imports_of(path))
        for node in ast.walk(tree):  # `from vpo.media import remux` names a module too
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vpo"):
                names.update(f"{node.module}.{a.name}" for a in node.names)
        for name in names:
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # vpo, vpo.media, vpo.media.remux
                found = source_of(".".join(parts[:i]))
                if found is not None:
                    todo.append(found)
    return seen


def test_policy_only_decides() -> None:
    """policy/ is pure (models, loading, evaluation, plans, verification, in-place edit
    decisions): neither it nor anything it imports runs a tool or writes, renames, removes
    or locks a file. Carrying a plan out is edit/'s, `vpo apply` is apply/'s."""
    doers = {
        str(p.relative_to(PACKAGE)): deeds for p in reached_from(PACKAGE / "policy") if (deeds := deeds_of(p))
    }
    assert doers == {}, "policy/ must not reach these"
