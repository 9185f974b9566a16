"""Read the knowledge files: safe YAML, each file checked by its declaration (model.py), then
the cross-file checks.

This is the only module that reads YAML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from pydantic import TypeAdapter, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from planner.knowledge.findings import Finding
from planner.knowledge.model import FILE_MODELS, PATTERN_NAMES, Knowledge, build_knowledge
from planner.knowledge.validation import cross_findings

# File stem -> the declaration its content must match. Every file is required but these
# (sizing.yaml, issue 30: without it nothing is sized).
FILES: Mapping[str, type] = FILE_MODELS
OPTIONAL_FILES = frozenset({"sizing"})

class KnowledgeError(Exception):
    """Raised when the knowledge base does not validate; carries every finding."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.findings = tuple(findings)
        lines = "\n".join(f"  {f}" for f in self.findings)
        super().__init__(f"knowledge base has {len(self.findings)} problem(s):\n{lines}")


class _StrictLoader(yaml.SafeLoader):
    """Safe loader that rejects duplicate keys instead of keeping the last one."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                f"found duplicate key {key!r}", key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)
# Dates stay strings: as_of values are compared and shown as written.
_StrictLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in rs if tag != "tag:yaml.org,2002:timestamp"]
    for ch, rs in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str, name: str = "<text>") -> Any:
    """Parse YAML text safely, rejecting duplicate keys; errors name the file."""
    loader = _StrictLoader(text)
    loader.name = name
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def read_yaml_file(path: Path) -> Any:
    """Read one YAML file outside the knowledge base (a scenario, say); a file that cannot be
    read or parsed raises ValueError naming it."""
    try:
        return load_yaml(path.read_text(encoding="utf-8"), path.name)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path.name}: cannot be read: {exc}") from exc


@cache
def _schemas() -> tuple[Mapping[str, Any], Registry]:
    """The packaged JSON Schemas (the answers file's; knowledge files have declarations)."""
    folder = resources.files("planner.knowledge") / "schemas"
    schemas = {
        entry.name.removesuffix(".yaml"): yaml.safe_load(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    }
    registry: Registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s, default_specification=DRAFT202012))
        for s in schemas.values()
    )
    return schemas, registry


def schema(name: str) -> Mapping[str, Any]:
    """Return one of the packaged JSON Schemas by stem."""
    return _schemas()[0][name]


def validator(name: str) -> jsonschema.Draft202012Validator:
    """Return a validator for a packaged schema, with cross-schema references resolved."""
    schemas, registry = _schemas()
    return jsonschema.Draft202012Validator(schemas[name], registry=registry)


@cache
def _adapter(model: type) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def _record_of(data: Any, path: list[Any]) -> tuple[str, str]:
    """Split a location path into the record (its id, else list[index]) and the field in it."""
    if len(path) >= 2 and isinstance(path[0], str) and isinstance(path[1], int):
        items = data.get(path[0]) if isinstance(data, dict) else None
        item = items[path[1]] if isinstance(items, list) and path[1] < len(items) else None
        rid = item.get("id") if isinstance(item, dict) else None
        record = str(rid) if rid else f"{path[0]}[{path[1]}]"
        rest = path[2:]
    else:
        record, rest = "", path
    field = ""
    for part in rest:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    return record, field


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _plain(error: Any) -> str:
    """One pydantic error in plain words."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind in {"missing", "missing_keyword_argument"}:
        return "is required"
    if kind in {"extra_forbidden", "unexpected_keyword_argument"}:
        return str(error["msg"])  # a refused key (unknown keys are named by the caller)
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}, not {_shown(value)}"
    if kind == "string_pattern_mismatch":
        what = PATTERN_NAMES.get(ctx["pattern"], f"text matching {ctx['pattern']!r}")
        return f"{_shown(value)} is not {what}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is longer than {ctx['max_length']} characters"
    if kind == "string_type":
        return f"must be text, not {_shown(value)}"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"must be a whole number, not {_shown(value)}"
    if kind in {"bool_type", "bool_parsing"}:
        return f"must be true or false, not {_shown(value)}"
    if kind == "number_type":
        return f"must be a number, not {_shown(value)}"
    if kind in {"greater_than_equal", "less_than_equal"}:
        bound = "at least" if kind == "greater_than_equal" else "at most"
        return f"must be {bound} {ctx.get('ge', ctx.get('le'))}, not {_shown(value)}"
    if kind == "too_short":
        return f"needs at least {ctx['min_length']} item(s)"
    if kind in {"tuple_type", "list_type", "iterable_type"}:
        return f"must be a list, not {_shown(value)}"
    if kind in {"dict_type", "dataclass_type", "model_type", "mapping_type",
                "dataclass_exact_type"}:
        return f"must be a mapping of keys to values, not {_shown(value)}"
    if kind in {"value_error", "assertion_error"}:
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"])


def model_findings(file: str, data: Any, model: type) -> tuple[Any, list[Finding]]:
    """Validate one parsed file by its declaration: (the built file, or None; one finding per
    error, naming the record and the field)."""
    try:
        return _adapter(model).validate_python(data), []
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    findings = []
    for error in errors:
        path = list(error["loc"])
        if error["type"] in {"extra_forbidden", "unexpected_keyword_argument"} \
                and "key" not in (error.get("ctx") or {}):
            message = f"unknown key '{path.pop()}'"
        else:
            message = _plain(error)
        if error["type"] == "record_checks":
            record, field = _record_of(data, path)
            for where, problem in error["ctx"]["problems"]:
                joined = ".".join(p for p in (field, where) if p).replace(".[", "[")
                findings.append(Finding(file, record, joined, problem))
            continue
        record, field = _record_of(data, path)
        findings.append(Finding(file, record, field, message))
    return None, sorted(set(findings))


def _read(root: Path) -> tuple[dict[str, Any], dict[str, Any], list[Finding]]:
    """Parse and check every knowledge file under root: (raw contents, built files, findings),
    holding only the files that passed."""
    data: dict[str, Any] = {}
    built: dict[str, Any] = {}
    findings: list[Finding] = []
    for stem, model in FILES.items():
        name = f"{stem}.yaml"
        path = root / name
        if not path.is_file():
            if stem not in OPTIONAL_FILES:
                findings.append(Finding(name, "", "", "file is missing"))
            continue
        try:
            parsed = load_yaml(path.read_text(encoding="utf-8"), name)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            findings.append(Finding(name, "", "", f"not valid YAML: {exc}".replace("\n", " ")))
            continue
        if (stem in {"partners", "resources", "problems", "goals"} and isinstance(parsed, dict)
                and stem not in parsed):
            findings.append(Finding(name, "", stem, f"the file must hold a '{stem}' list"))
            continue
        value, file_findings = model_findings(name, parsed, model)
        findings.extend(file_findings)
        if not file_findings:
            data[stem] = parsed
            built[stem] = value
    return data, built, findings


def read_files(root: Path) -> tuple[dict[str, Any], list[Finding]]:
    """Parse and check every knowledge file under root: (contents of the files that passed,
    findings)."""
    data, _, findings = _read(root)
    return data, findings


def read_raw(root: Path) -> dict[str, Any]:
    """The parsed content of every knowledge file that is valid YAML, checked or not (for the
    maintainer's report, which lists what a failing file holds too)."""
    raw: dict[str, Any] = {}
    for stem in FILES:
        path = root / f"{stem}.yaml"
        try:
            raw[stem] = load_yaml(path.read_text(encoding="utf-8"), path.name)
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
    return raw


def check(root: Path | str) -> list[Finding]:
    """Return every finding for the knowledge base at root (empty when it is valid)."""

    data, findings = read_files(Path(root))
    findings.extend(cross_findings(data))
    return findings


def load(root: Path | str) -> Knowledge:
    """Load and validate the knowledge base; raise KnowledgeError with all findings."""

    data, built, findings = _read(Path(root))
    findings.extend(cross_findings(data))
    if findings:
        raise KnowledgeError(findings)
    return build_knowledge(built, root=str(root))


def default_root() -> Path:
    """The knowledge/ folder of a checkout (the package's parent directory)."""
    return Path(__file__).resolve().parents[2] / "knowledge"


@cache
def load_default() -> Knowledge:
    """Load the shipped knowledge base once per process."""
    return load(default_root())
