"""The core is plain Python: no web framework, form library, database or PDF renderer in it."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "planner"
CORE = ["model", "loader", "validation", "answers", "profile", "scoring", "sensitivity", "graph",
        "matching", "plan", "charts", "report", "costs", "action_table", "starter",
        "docx_export", "sheet_export", "ooxml", "findings", "scenarios"]
WEB_ONLY = ["flask", "flask_wtf", "wtforms", "werkzeug", "sqlalchemy", "alembic", "gunicorn"]


def _direct_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_importing_the_core_loads_no_web_database_or_pdf_library() -> None:
    code = ("import json, sys\n"
            + "".join(f"import planner.{name}\n" for name in CORE)
            + "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", code], check=True,
                                           capture_output=True, text=True).stdout))
    assert not loaded & {*WEB_ONLY, "weasyprint"}, loaded & {*WEB_ONLY, "weasyprint"}


def test_each_heavy_library_has_one_home() -> None:
    homes = {"weasyprint": {"pdf.py"}, "networkx": {"graph.py"}, "yaml": {"loader.py"},
             "matplotlib": {"charts.py"}, "docx": {"docx_export.py"},
             "openpyxl": {"sheet_export.py"}, "pydyf": {"pdf.py"}, "pikepdf": set()}
    for library, allowed in homes.items():
        users = {p.name for p in PACKAGE.glob("*.py") if library in _direct_imports(p)}
        assert users <= allowed, (library, users - allowed)


def test_no_core_module_imports_the_web_layer() -> None:
    for name in CORE:
        imports = _direct_imports(PACKAGE / f"{name}.py")
        assert not imports & set(WEB_ONLY), (name, imports & set(WEB_ONLY))
        source = (PACKAGE / f"{name}.py").read_text(encoding="utf-8")
        assert "planner.web" not in source, name


def _planner_imports(path: Path) -> set[str]:
    """The planner modules a module imports, anywhere in it (top level or inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("planner."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("planner.")}
    return found


def test_the_loader_and_the_knowledge_checks_import_no_cycle() -> None:
    """validation runs inside loader.load, so it must not import the loader back."""
    assert "validation" in _planner_imports(PACKAGE / "loader.py")
    assert "loader" not in _planner_imports(PACKAGE / "validation.py")
    assert "loader" not in _planner_imports(PACKAGE / "findings.py")


def test_the_core_modules_import_one_another_without_a_cycle() -> None:
    """No core module depends on itself through others (imports inside functions count)."""
    graph = {name: _planner_imports(PACKAGE / f"{name}.py") & set(CORE) for name in CORE}
    cycles = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        for nxt in sorted(graph[name]):
            if nxt in path:
                cycles.append((*path[path.index(nxt):], nxt))
            else:
                visit(nxt, (*path, nxt))

    for name in CORE:
        visit(name, (name,))
    assert not cycles, cycles[0]


def test_only_the_profile_reads_answers_for_the_core() -> None:
    """The answers are read once, into planner.profile: no other core module picks options,
    facts or conditions out of the raw answers itself."""
    helpers = re.compile(r"(?<![\w.])(is_asked|asked_questions|selected|facts_of|profile_value"
                         r"|text_value|is_unknown)\(")
    for path in sorted(PACKAGE.glob("*.py")):
        if path.stem in {"answers", "profile"}:
            continue
        found = helpers.search(path.read_text(encoding="utf-8"))
        assert found is None, (path.stem, found and found.group(0))
