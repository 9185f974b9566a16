"""The house follows the data's way: answers -> profile -> ranking -> plan -> documents.

planner.knowledge (the records, loading, checks) uses no other package of the planner;
planner.engine (answers, profile, scoring, plan) uses only the knowledge; planner.documents
(report, PDF, Word, spreadsheet) uses the engine and the knowledge, never the web or the CLI.
None of the three imports a web framework, form library or database; only the documents
import a PDF renderer. The CLI and the web layer sit on top."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "planner"
CORE = ("knowledge", "engine", "documents")
# What each package may import of the planner (itself always).
ALLOWED = {
    "knowledge": set(),
    "engine": {"knowledge"},
    "documents": {"knowledge", "engine"},
    "cli": {"knowledge", "engine", "documents", "web", "migrations"},
    "web": {"knowledge", "engine", "documents", "migrations"},
    "migrations": set(),
}
WEB_ONLY = ["flask", "flask_wtf", "wtforms", "werkzeug", "sqlalchemy", "alembic", "gunicorn"]
TOP_LEVEL_LIMIT = 10


def _modules(package: str) -> list[Path]:
    return sorted((PACKAGE / package).rglob("*.py"))


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _direct_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _planner_imports(path: Path) -> set[str]:
    """The planner modules a module imports, anywhere in it (top level or inside functions),
    as dotted names below `planner.` (`from planner.engine import plan` gives engine.plan)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "planner":
                # `from planner import create_app` is the web layer's factory.
                found |= {"web" if a.name == "create_app" else a.name for a in node.names}
            elif node.module.startswith("planner."):
                base = node.module.removeprefix("planner.")
                for alias in node.names:
                    candidate = PACKAGE / base.replace(".", "/") / f"{alias.name}.py"
                    found.add(f"{base}.{alias.name}" if candidate.exists() else base)
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("planner.") for a in node.names
                      if a.name.startswith("planner.")}
    return found


def test_at_most_ten_modules_stay_at_the_top() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= TOP_LEVEL_LIMIT, top


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_the_layers_below_it(package: str) -> None:
    for path in _modules(package):
        used = {name.split(".")[0] for name in _planner_imports(path)} - {package}
        assert used <= ALLOWED[package], (_name(path), sorted(used - ALLOWED[package]))


def test_the_layer_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The check above is not blind: an engine module importing the documents is found."""
    bad = tmp_path / "bad.py"
    bad.write_text("from planner.documents import report\nimport planner.web.db\n"
                   "def f():\n    from planner.engine.plan import build\n")
    assert {"documents.report", "web.db", "engine.plan"} <= _planner_imports(bad)


def test_importing_the_core_loads_no_web_database_or_pdf_library() -> None:
    names = [_name(p) for package in ("knowledge", "engine") for p in _modules(package)]
    names += [_name(p) for p in _modules("documents") if p.stem != "pdf"]
    code = ("import json, sys\n" + "".join(f"import {name}\n" for name in names)
            + "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", code], check=True,
                                           capture_output=True, text=True).stdout))
    assert not loaded & {*WEB_ONLY, "weasyprint"}, loaded & {*WEB_ONLY, "weasyprint"}


def test_each_heavy_library_has_one_home() -> None:
    homes = {"weasyprint": {"documents/pdf.py"}, "networkx": {"engine/graph.py"},
             "yaml": {"knowledge/loader.py"}, "matplotlib": {"documents/charts.py"},
             "docx": {"documents/docx_export.py"}, "openpyxl": {"documents/sheet_export.py"},
             "pydyf": {"documents/pdf.py"}, "pikepdf": set(),
             # The knowledge records are declared once (model.py) and read by the loader.
             "pydantic": {"knowledge/model.py", "knowledge/loader.py"},
             "pydantic_core": {"knowledge/model.py"}, "jsonschema": {"knowledge/loader.py"}}
    for library, allowed in homes.items():
        users = {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if library in _direct_imports(p)}
        assert users <= allowed, (library, users - allowed)


def test_no_core_module_imports_the_web_layer() -> None:
    for package in CORE:
        for path in _modules(package):
            imports = _direct_imports(path)
            assert not imports & set(WEB_ONLY), (_name(path), imports & set(WEB_ONLY))
            assert "planner.web" not in path.read_text(encoding="utf-8"), _name(path)


def test_the_loader_and_the_knowledge_checks_import_no_cycle() -> None:
    """validation runs inside loader.load, so it must not import the loader back."""
    folder = PACKAGE / "knowledge"
    assert "knowledge.validation" in _planner_imports(folder / "loader.py")
    assert "knowledge.loader" not in _planner_imports(folder / "validation.py")
    assert "knowledge.loader" not in _planner_imports(folder / "findings.py")


def _cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    cycles: list[tuple[str, ...]] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        for nxt in sorted(graph.get(name, set())):
            if nxt in path:
                cycles.append((*path[path.index(nxt):], nxt))
            else:
                visit(nxt, (*path, nxt))

    for name in sorted(graph):
        visit(name, (name,))
    return cycles


def test_no_module_imports_itself_through_others() -> None:
    """No module of the planner depends on itself through others (imports inside functions
    count): the core, the CLI and the web layer alike."""
    paths = [p for p in PACKAGE.rglob("*.py") if "migrations/versions" not in str(p)]
    names = {_name(p) for p in paths}
    graph = {_name(p): {n for n in _planner_imports(p) if n in names and n != _name(p)
                        and not _name(p).startswith(n + ".")}
             for p in paths}
    cycles = _cycles(graph)
    assert not cycles, cycles[0]


def test_the_migrations_stand_alone() -> None:
    """Alembic's advice: migrations carry their own table definitions, not the app's models."""
    for path in sorted((PACKAGE / "migrations").rglob("*.py")):
        used = {n.split(".")[0] for n in _planner_imports(path)} - {"migrations"}
        assert not used, (_name(path), used)


def test_only_the_profile_reads_answers_for_the_core() -> None:
    """The answers are read once, into planner.engine.profile: no other core module picks
    options, facts or conditions out of the raw answers itself."""
    import re

    helpers = re.compile(r"(?<![\w.])(is_asked|asked_questions|selected|facts_of|profile_value"
                         r"|text_value|is_unknown)\(")
    for package in CORE:
        for path in _modules(package):
            if path.stem in {"answers", "profile"}:
                continue
            found = helpers.search(path.read_text(encoding="utf-8"))
            assert found is None, (_name(path), found and found.group(0))
