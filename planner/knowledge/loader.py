"""Read the knowledge files: safe YAML, schema per file, then the cross-file checks.

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
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from planner.knowledge.findings import Finding
from planner.knowledge.model import Knowledge, build_knowledge
from planner.knowledge.validation import cross_findings

# File stem -> schema stem. Every file is required.
FILES: Mapping[str, str] = {
    "pathways": "pathways",
    "partners": "vocabulary",
    "resources": "vocabulary",
    "problems": "vocabulary",
    "goals": "vocabulary",
    "questions": "questions",
    "scoring": "scoring",
    "matching": "matching",
    "programs": "programs",
    "mentor_sites": "mentor_sites",
    "tta_resources": "tta_resources",
    "funding": "funding",
    "tasks": "tasks",
    "measures": "measures",
    "links": "links",
    "states": "states",
    "costs": "costs",
    "starter_documents": "starter_documents",
}


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


def _record_of(data: Any, path: list[Any]) -> tuple[str, str]:
    """Split a JSON path into the record (its id) and the field within it."""
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


def schema_findings(file: str, data: Any, schema_name: str) -> list[Finding]:
    """Validate one parsed file against its schema; one finding per error."""
    findings = []
    for error in validator(schema_name).iter_errors(data):
        path = list(error.absolute_path)
        record, field = _record_of(data, path)
        message = error.message
        if error.validator == "additionalProperties":
            message = f"unknown key: {message}"
        findings.append(Finding(file, record, field, message))
    return sorted(set(findings))


def read_files(root: Path) -> tuple[dict[str, Any], list[Finding]]:
    """Parse and schema-check every knowledge file under root."""
    data: dict[str, Any] = {}
    findings: list[Finding] = []
    for stem, schema_name in FILES.items():
        name = f"{stem}.yaml"
        path = root / name
        if not path.is_file():
            findings.append(Finding(name, "", "", "file is missing"))
            continue
        try:
            parsed = load_yaml(path.read_text(encoding="utf-8"), name)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            findings.append(Finding(name, "", "", f"not valid YAML: {exc}".replace("\n", " ")))
            continue
        file_findings = schema_findings(name, parsed, schema_name)
        if (stem in {"partners", "resources", "problems", "goals"} and not file_findings
                and (not isinstance(parsed, dict) or stem not in parsed)):
            file_findings = [Finding(name, "", stem, f"the file must hold a '{stem}' list")]
        findings.extend(file_findings)
        if not file_findings:
            data[stem] = parsed
    return data, findings


def check(root: Path | str) -> list[Finding]:
    """Return every finding for the knowledge base at root (empty when it is valid)."""

    data, findings = read_files(Path(root))
    findings.extend(cross_findings(data))
    return findings


def load(root: Path | str) -> Knowledge:
    """Load and validate the knowledge base; raise KnowledgeError with all findings."""

    data, findings = read_files(Path(root))
    findings.extend(cross_findings(data))
    if findings:
        raise KnowledgeError(findings)
    return build_knowledge(data, root=str(root))


def default_root() -> Path:
    """The knowledge/ folder of a checkout (the package's parent directory)."""
    return Path(__file__).resolve().parents[2] / "knowledge"


@cache
def load_default() -> Knowledge:
    """Load the shipped knowledge base once per process."""
    return load(default_root())
