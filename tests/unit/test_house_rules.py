"""The house rules that a reviewer would otherwise have to remember (STYLE.md): imports that
point one way (cli -> services -> db/media/config -> leaves), and policy/ that only decides.
The size of functions (arguments, statements, branches) is ruff's to hold: PLR0913, PLR0915
and C901 in pyproject.toml. Files are split where their ideas part, at no fixed count."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from vpo.catalogue import JobStatus, JobType

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
    "hostpaths",
    "_core",
    "__init__",
}
LOWER = {"db", "media", "config", "edit", "integrations", "notify"}
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


# --------------------------------------------------------------------------- no circles


def module_name(path: Path, top: Path, prefix: str) -> str:
    """`python/vpo/db/files.py` -> `vpo.db.files`; a package's `__init__` is the package."""
    parts = [p for p in path.relative_to(top).with_suffix("").parts if p != "__init__"]
    return ".".join([prefix, *parts] if prefix else parts)


def import_graph(top: Path, prefix: str) -> dict[str, set[str]]:
    """{module: the modules of the same tree it imports}, imports inside functions and under
    TYPE_CHECKING included (a circle through a lazy import is still a circle in the design)."""
    modules = {module_name(p, top, prefix) for p in sorted(top.rglob("*.py")) if ".work" not in p.parts}
    edges: dict[str, set[str]] = {}
    for path in sorted(top.rglob("*.py")):
        if ".work" in path.parts:
            continue
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)  # `from vpo.media import remux` names a module too
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        name = module_name(path, top, prefix)
        edges[name] = {m for m in found if m in modules and m != name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for after in sorted(edges.get(node, ())):
            if after not in index:
                visit(after)
                low[node] = min(low[node], low[after])
            elif after in stack:
                low[node] = min(low[node], index[after])
        if low[node] == index[node]:
            component = [stack.pop()]
            while component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}}) == [["a", "b"], ["c", "d"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("tree", ["python/vpo", "bench"])
def test_no_import_cycles(tree: str) -> None:
    """Modules that import each other are one idea split in two, or two ideas tangled:
    `cd bench && python -c "import trees"` failed on such a circle."""
    top = ROOT / tree
    assert cycles(import_graph(top, "vpo" if tree == "python/vpo" else "")) == []


# --------------------------------------------------------------------------- SQL, private names, enums

SQL_CALLS = {"execute", "executemany", "executescript"}
CONNECTIONS = {"conn", "connection", "cur", "cursor", "db", "sqlite3"}  # what a statement is sent to


def calls_in_text(code: str) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Call)]


def calls_in(path: Path) -> list[ast.Call]:
    return calls_in_text(path.read_text())


def sends_sql(call: ast.Call) -> bool:
    """`conn.execute(...)`, `db.conn.executemany(...)`, `anything.execute("SELECT ...")`; not
    `executor.execute(path, ...)` or a run's `execute(roots)`, which carry out other things."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr in SQL_CALLS):
        return False
    owner = call.func.value
    name = owner.attr if isinstance(owner, ast.Attribute) else owner.id if isinstance(owner, ast.Name) else ""
    text = call.args[0] if call.args else None
    return (
        name in CONNECTIONS
        or isinstance(text, ast.JoinedStr)
        or (isinstance(text, ast.Constant) and isinstance(text.value, str))
    )


def test_the_sql_finder_tells_statements_from_other_executes() -> None:
    def finds(code: str) -> bool:
        return sends_sql(calls_in_text(code)[0])

    assert finds("conn.execute('SELECT 1')") and finds("db.conn.execute(SQL, args)")
    assert finds("self.conn.executemany(sql, rows)") and finds("cursor.execute(f'DELETE {x}')")
    assert finds("whatever.execute('UPDATE jobs SET x = 1')")
    assert not finds("executor.execute(record.path, tools)") and not finds("run.execute(roots)")


def test_no_sql_outside_db() -> None:
    """Every statement lives in db/, in a function whose name says what it asks, so each
    engine's SQL is said in one place (STYLE.md, "Say each engine's SQL plainly")."""
    found = [
        f"{path.relative_to(PACKAGE)}:{call.lineno} {ast.unparse(call.func)}()"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] != "db"
        for call in calls_in(path)
        if sends_sql(call)
    ]
    assert found == [], "move these statements into a db/ module"


NAMED_TUPLE_API = {"_make", "_fields", "_asdict", "_replace", "_field_defaults"}  # public, by their docs


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in NAMED_TUPLE_API


def private_names_used(path: Path) -> list[str]:
    """`from vpo.x import _name`, and `_name` read off anything imported from vpo
    (`from vpo.edit import executor` then `executor._verified`)."""
    tree = ast.parse(path.read_text())
    imported: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "vpo":
            imported.update(alias.asname or alias.name for alias in node.names)
            found += [
                f"{node.lineno} {a.name}" for a in node.names if is_private(a.name) and a.name != "_core"
            ]
        elif isinstance(node, ast.Import):
            imported.update(a.asname or a.name.split(".")[0] for a in node.names if a.name.startswith("vpo"))
    for node in ast.walk(tree):
        owner = node.value if isinstance(node, ast.Attribute) else None
        if isinstance(owner, ast.Name) and owner.id in imported and is_private(node.attr):
            found.append(f"{node.lineno} {owner.id}.{node.attr}")
    return found


def test_the_private_name_finder_sees_imports_and_attributes(tmp_path: Path) -> None:
    code = tmp_path / "m.py"
    code.write_text(
        "from vpo.cli.jobs_cmd import _complete_job_id\nfrom vpo.edit import executor\n"
        "from vpo import _core\nfrom vpo.db.files import Known\n"
        "executor._verified(1)\nKnown._make(())\nself._own = 1\n"
    )
    assert private_names_used(code) == ["1 _complete_job_id", "5 executor._verified"]


def test_no_private_name_imported_from_another_module() -> None:
    """A `_name` is its module's own; another module that needs it needs a public name in
    the module it belongs to. The native extension `vpo._core` is private by design and
    has one importer (scan/walker.py)."""
    found = [
        f"{path.relative_to(PACKAGE)}:{where}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for where in private_names_used(path)
    ]
    assert found == []


NAMED = {"type": {t.value for t in JobType}, "status": {s.value for s in JobStatus}}


def test_job_types_and_statuses_are_named_by_their_enums() -> None:
    """`type="scan"` or `status="queued"` passed to a call repeats a value that
    `JobType`/`JobStatus` (catalogue.py) name once (STYLE.md: name the values that cross a
    boundary, once); db/ writes SQL and may spell them in it."""
    found = [
        f"{path.relative_to(PACKAGE)}:{call.lineno} {kw.arg}={kw.value.value!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] != "db"
        for call in calls_in(path)
        for kw in call.keywords
        if kw.arg in NAMED and isinstance(kw.value, ast.Constant) and kw.value.value in NAMED[kw.arg]
    ]
    assert found == [], "use JobType/JobStatus"
