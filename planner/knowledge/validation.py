"""Checks across records and files, over knowledge files that passed their declarations.

A record's own checks (formats, allowed values, ranges, consistency within the record) are
declared with it in model.py. Each check here runs only when the files it needs passed, so one
broken file does not hide the findings in the others.
"""

from __future__ import annotations

import calendar
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from planner.knowledge.findings import Finding
from planner.knowledge.model import MoneyYear

FACT_FILES = ("partners", "resources", "problems", "goals")
# Record lists whose ids share one namespace, by file stem and list key.
ID_LISTS = (
    ("pathways", "pathways"), ("partners", "partners"), ("resources", "resources"),
    ("problems", "problems"), ("goals", "goals"), ("scoring", "rules"), ("programs", "programs"),
    ("mentor_sites", "initiatives"), ("mentor_sites", "mentor_sites"),
    ("tta_resources", "tta_resources"), ("funding", "funding"), ("tasks", "tasks"),
    ("measures", "measures"), ("states", "states"),
)


class _Ctx:
    """The validated files plus id lookups, for one run of the checks."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.findings: list[Finding] = []

    def has(self, *stems: str) -> bool:
        return all(s in self.data for s in stems)

    def records(self, stem: str, key: str | None = None) -> list[dict[str, Any]]:
        return list(self.data[stem][key or stem]) if stem in self.data else []

    def ids(self, stem: str, key: str | None = None) -> set[str]:
        return {r["id"] for r in self.records(stem, key)}

    def add(self, stem: str, record: str, field: str, message: str) -> None:
        self.findings.append(Finding(f"{stem}.yaml", record, field, message))

    def refs(self, stem: str, rid: str, field: str, values: Any, target: set[str], what: str,
             target_stem: str) -> None:
        """Report each value not among target ids, if the target file is present."""
        if target_stem not in self.data:
            return
        for i, value in enumerate(values or ()):
            if value not in target:
                self.add(stem, rid, f"{field}[{i}]", f"unknown {what} '{value}'")


def cross_findings(data: Mapping[str, Any]) -> list[Finding]:
    """Run every cross-file check and return the findings, sorted."""
    ctx = _Ctx(data)
    for check in (_unique_ids, _vocabulary, _pathways, _questions, _question_changes,
                  _scoring, _programs,
                  _mentor_sites, _tta_and_funding, _tasks, _measures, _links, _states, _costs,
                  _starter_documents, _sizing):
        check(ctx)
    return sorted(set(ctx.findings))


def _unique_ids(ctx: _Ctx) -> None:
    seen: dict[str, str] = {}
    for stem, key in ID_LISTS:
        for record in ctx.records(stem, key) if stem in ctx.data else ():
            rid = record["id"]
            if rid in seen:
                ctx.add(stem, rid, "id", f"id is already used in {seen[rid]}")
            else:
                seen[rid] = f"{stem}.yaml"
    for key in ("sections", "questions"):
        counts = Counter(r["id"] for r in ctx.records("questions", key))
        for rid, n in counts.items():
            if n > 1:
                ctx.add("questions", rid, "id", f"{key[:-1]} id is used {n} times")


def _fact_ids(ctx: _Ctx) -> set[str]:
    return set().union(*(ctx.ids(s) for s in FACT_FILES if s in ctx.data))


def _lead_types(ctx: _Ctx) -> set[str]:
    return {p["id"] for p in ctx.records("partners") if p.get("lead_type")}


def _vocabulary(ctx: _Ctx) -> None:
    partners = ctx.ids("partners")
    for resource in ctx.records("resources"):
        ctx.refs("resources", resource["id"], "provided_by", resource["provided_by"], partners,
                 "partner", "partners")


def _pathways(ctx: _Ctx) -> None:
    problems, resources, partners = ctx.ids("problems"), ctx.ids("resources"), ctx.ids("partners")
    programs = ctx.ids("programs")
    orders = Counter(p["order"] for p in ctx.records("pathways"))
    for p in ctx.records("pathways"):
        pid = p["id"]
        if orders[p["order"]] > 1:
            ctx.add("pathways", pid, "order", f"order {p['order']} is shared by another pathway")
        ctx.refs("pathways", pid, "problems_addressed", p["problems_addressed"], problems,
                 "problem", "problems")
        ctx.refs("pathways", pid, "critical_elements",
                 [c["resource"] for c in p["critical_elements"]], resources, "resource",
                 "resources")
        ctx.refs("pathways", pid, "partners", [x["partner"] for x in p["partners"]], partners,
                 "partner", "partners")
        ctx.refs("pathways", pid, "example_programs", p["example_programs"], programs,
                 "program", "programs")


def _questions(ctx: _Ctx) -> None:
    if "questions" not in ctx.data:
        return
    sections = ctx.ids("questions", "sections")
    facts = _fact_ids(ctx)
    have_facts = all(s in ctx.data for s in FACT_FILES)
    questions = ctx.records("questions", "questions")
    position = {q["id"]: i for i, q in enumerate(questions)}
    by_id = {q["id"]: q for q in questions}
    profiles = Counter(q["profile"] for q in questions if q.get("profile"))
    owner: dict[str, str] = {}
    for q in questions:
        qid = q["id"]
        if q["section"] not in sections:
            ctx.add("questions", qid, "section", f"unknown section '{q['section']}'")
        if q.get("profile") and profiles[q["profile"]] > 1:
            ctx.add("questions", qid, "profile", f"profile '{q['profile']}' is given twice")
        options = q.get("options") or []
        for i, cond in enumerate(q.get("ask_when") or ()):
            other = by_id.get(cond["question"])
            field = f"ask_when[{i}]"
            if other is None:
                ctx.add("questions", qid, field, f"unknown question '{cond['question']}'")
                continue
            if position[cond["question"]] >= position[qid]:
                ctx.add("questions", qid, field,
                        f"depends on '{cond['question']}', which is not asked before it")
            other_options = {o["id"] for o in other.get("options") or ()}
            for value in cond["any_of"]:
                if value not in other_options:
                    ctx.add("questions", qid, field,
                            f"'{cond['question']}' has no option '{value}'")
        for i, option in enumerate(options):
            field = f"options[{i}]"
            if have_facts:
                for fact in option.get("indicates") or ():
                    if fact not in facts:
                        ctx.add("questions", qid, f"{field}.indicates", f"unknown fact '{fact}'")
                    elif owner.setdefault(fact, qid) != qid:
                        ctx.add("questions", qid, f"{field}.indicates",
                                f"fact '{fact}' is already indicated by question "
                                f"'{owner[fact]}'; each fact belongs to one question")
            _check_profile_value(ctx, q, option, field)


def _question_changes(ctx: _Ctx) -> None:
    """Each recorded change names questions and options that exist, one entry per version."""
    if "questions" not in ctx.data:
        return
    data = ctx.data["questions"]
    questions = {q["id"]: q for q in data.get("questions") or ()}
    seen: set[int] = set()

    def options(qid: str) -> set[str]:
        return {o["id"] for o in questions[qid].get("options") or ()}

    for i, change in enumerate(data.get("changes") or ()):
        field = f"changes[{i}]"
        version = change["version"]
        if version > data["version"] or version in seen:
            ctx.add("questions", "", f"{field}.version",
                    f"version {version} is repeated or newer than the questions version")
        seen.add(version)
        pairs = [(c["from"], c["to"], c["options"]) for c in change.get("copy") or ()]
        pairs += [(r["question"], r["question"], r["options"]) for r in change.get("rename") or ()]
        for old_q, new_q, mapping in pairs:
            if old_q not in questions or new_q not in questions:
                ctx.add("questions", "", field, f"unknown question '{old_q}' or '{new_q}'")
                continue
            for new_option in mapping.values():
                if new_option not in options(new_q):
                    ctx.add("questions", "", field, f"'{new_q}' has no option '{new_option}'")


def _check_profile_value(ctx: _Ctx, q: dict[str, Any], option: dict[str, Any], field: str) -> None:
    profile, value = q.get("profile"), option.get("value")
    if value is None or option.get("dont_know"):
        return
    allowed: set[str] | None = None
    if profile == "lead_agency" and "partners" in ctx.data:
        allowed = _lead_types(ctx)
    elif profile == "running_pathways" and "pathways" in ctx.data:
        allowed = ctx.ids("pathways")
    elif profile == "population" and "matching" in ctx.data:
        allowed = {b["id"] for b in ctx.data["matching"]["population_buckets"]}
    if allowed is not None and value not in allowed:
        ctx.add("questions", q["id"], f"{field}.value",
                f"'{value}' is not a valid {profile} value")


def _scoring(ctx: _Ctx) -> None:
    if "scoring" not in ctx.data:
        return
    pathways = ctx.ids("pathways")
    facts = _fact_ids(ctx)
    questions = {q["id"]: q for q in ctx.records("questions", "questions")}
    critical: dict[str, set[str]] = {
        p["id"]: {c["resource"] for c in p["critical_elements"]}
        for p in ctx.records("pathways")
    }
    used_options: set[tuple[str, str]] = set()
    used_facts: set[str] = set()
    triggers: Counter[tuple[str, str, str]] = Counter()
    positive: Counter[str] = Counter()
    for rule in ctx.records("scoring", "rules"):
        rid, pathway = rule["id"], rule["pathway"]
        if "pathways" in ctx.data and pathway not in pathways:
            ctx.add("scoring", rid, "pathway", f"unknown pathway '{pathway}'")
        if rule["weight"] > 0:
            positive[pathway] += 1
        if "fact" in rule:
            fact = rule["fact"]
            used_facts.add(fact)
            triggers[(pathway, "fact", fact)] += 1
            if all(s in ctx.data for s in FACT_FILES) and fact not in facts:
                ctx.add("scoring", rid, "fact", f"unknown fact '{fact}'")
            if fact in critical.get(pathway, ()) and rule["weight"] < 0:
                ctx.add("scoring", rid, "weight",
                        f"'{fact}' is a critical element of '{pathway}', so having it cannot "
                        "lower that pathway's score")
        else:
            qid, oid = rule["question"], rule["option"]
            used_options.add((qid, oid))
            triggers[(pathway, qid, oid)] += 1
            question = questions.get(qid)
            if "questions" in ctx.data and question is None:
                ctx.add("scoring", rid, "question", f"unknown question '{qid}'")
            elif question is not None and oid not in {o["id"] for o in question.get("options")
                                                      or ()}:
                ctx.add("scoring", rid, "option", f"question '{qid}' has no option '{oid}'")
            elif question is not None and any(
                o["id"] == oid and o.get("dont_know") for o in question["options"]
            ):
                ctx.add("scoring", rid, "option",
                        "a \"don't know\" answer cannot carry a weight; it widens the range")
    for (pathway, a, b), n in triggers.items():
        if n > 1:
            what = f"fact '{b}'" if a == "fact" else f"answer '{a}={b}'"
            ctx.add("scoring", "", "rules", f"{what} has {n} rules for pathway '{pathway}'")
    for pathway in sorted(pathways):
        if positive[pathway] == 0:
            ctx.add("scoring", "", "rules", f"pathway '{pathway}' has no positive scoring rule")
    if "questions" in ctx.data:
        _unused_options(ctx, used_options, used_facts)


def _unused_options(ctx: _Ctx, used_options: set[tuple[str, str]], used_facts: set[str]) -> None:
    conditioned = {
        (c["question"], v)
        for q in ctx.records("questions", "questions")
        for c in q.get("ask_when") or ()
        for v in c["any_of"]
    }
    for q in ctx.records("questions", "questions"):
        for i, option in enumerate(q.get("options") or ()):
            key = (q["id"], option["id"])
            carries = key in used_options or key in conditioned or bool(option.get("indicates"))
            if option.get("neutral") and carries:
                ctx.add("questions", q["id"], f"options[{i}]",
                        f"option '{option['id']}' is marked neutral but carries a rule, "
                        "condition or fact")
            used = (
                option.get("dont_know")
                or option.get("neutral")
                or option.get("value") is not None
                or key in used_options
                or key in conditioned
                or bool(option.get("indicates"))
            )
            if not used:
                ctx.add("questions", q["id"], f"options[{i}]",
                        f"option '{option['id']}' is not used by any rule, condition, fact or "
                        "profile; give it one or mark it neutral")
            for fact in option.get("indicates") or ():
                if (ctx.has("scoring", "pathways", "tta_resources", "funding")
                        and fact not in used_facts and not _fact_used_elsewhere(ctx, fact)):
                    ctx.add("questions", q["id"], f"options[{i}].indicates",
                            f"fact '{fact}' bears on no pathway, plan or match")


def _fact_used_elsewhere(ctx: _Ctx, fact: str) -> bool:
    """A fact counts as used when pathways, TTA, funding or tasks refer to it."""
    for p in ctx.records("pathways"):
        if fact in {c["resource"] for c in p["critical_elements"]} or fact in {
            x["partner"] for x in p["partners"]
        } or fact in p["problems_addressed"]:
            return True
    if any(fact in t.get("builds", ()) or fact in t["partners"] for t in ctx.records("tasks")):
        return True
    return any(fact in r.get("helps_with", ()) for s in ("tta_resources", "funding")
               for r in ctx.records(s))


def _programs(ctx: _Ctx) -> None:
    pathways, partners, leads = ctx.ids("pathways"), ctx.ids("partners"), _lead_types(ctx)
    for p in ctx.records("programs"):
        pid = p["id"]
        ctx.refs("programs", pid, "pathways", p["pathways"], pathways, "pathway", "pathways")
        ctx.refs("programs", pid, "partners", p["partners"], partners, "partner", "partners")
        if "partners" in ctx.data and p["lead_agency"] not in leads:
            ctx.add("programs", pid, "lead_agency",
                    f"'{p['lead_agency']}' is not a partner that can lead a program")


def _mentor_sites(ctx: _Ctx) -> None:
    for family in (ctx.data.get("matching") or {}).get("lead_families") or ():
        ctx.refs("matching", family["id"], "members", family["members"], ctx.ids("partners"),
                 "partner", "partners")
    if "mentor_sites" not in ctx.data:
        return
    pathways, programs, leads = ctx.ids("pathways"), ctx.ids("programs"), _lead_types(ctx)
    initiatives = ctx.ids("mentor_sites", "initiatives")
    for site in ctx.records("mentor_sites", "mentor_sites"):
        sid = site["id"]
        ctx.refs("mentor_sites", sid, "pathways", site["pathways"], pathways, "pathway",
                 "pathways")
        if "programs" in ctx.data and site["program"] not in programs:
            ctx.add("mentor_sites", sid, "program", f"unknown program '{site['program']}'")
        ctx.refs("mentor_sites", sid, "memberships",
                 [m["initiative"] for m in site["memberships"]], initiatives, "initiative",
                 "mentor_sites")
        if "partners" in ctx.data and site["lead_agency"] not in leads:
            ctx.add("mentor_sites", sid, "lead_agency",
                    f"'{site['lead_agency']}' is not a partner that can lead a program")


def _tta_and_funding(ctx: _Ctx) -> None:
    pathways, resources = ctx.ids("pathways"), ctx.ids("resources")
    for stem in ("tta_resources", "funding"):
        for r in ctx.records(stem):
            ctx.refs(stem, r["id"], "pathways", r["pathways"], pathways, "pathway", "pathways")
            ctx.refs(stem, r["id"], "helps_with", r["helps_with"], resources, "resource",
                     "resources")


def _tasks(ctx: _Ctx) -> None:
    if "tasks" not in ctx.data:
        return
    tasks = {t["id"]: t for t in ctx.records("tasks")}
    pathways, partners, resources = ctx.ids("pathways"), ctx.ids("partners"), ctx.ids("resources")
    for t in tasks.values():
        tid = t["id"]
        ctx.refs("tasks", tid, "depends_on", t["depends_on"], set(tasks), "task", "tasks")
        ctx.refs("tasks", tid, "pathways", t["pathways"], pathways, "pathway", "pathways")
        ctx.refs("tasks", tid, "partners", t["partners"], partners, "partner", "partners")
        ctx.refs("tasks", tid, "builds", t.get("builds"), resources, "resource", "resources")
    for cycle in _cycles({tid: [d for d in t["depends_on"] if d in tasks]
                          for tid, t in tasks.items()}):
        ctx.add("tasks", cycle[0], "depends_on",
                "dependency cycle: " + " -> ".join([*cycle, cycle[0]]))
    if "pathways" in ctx.data:
        for pid in sorted(pathways):
            if not any(pid in t["pathways"] for t in tasks.values()):
                ctx.add("tasks", "", "pathways", f"no task is specific to pathway '{pid}'")


def _cycles(graph: Mapping[str, list[str]]) -> Iterator[list[str]]:
    """Yield one cycle per strongly tangled part of a dependency graph (iterative DFS)."""
    state: dict[str, int] = {}
    for start in sorted(graph):
        if state.get(start):
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                yield path[path.index(child):]
            elif not state.get(child):
                state[child] = 1
                stack.append((child, iter(sorted(graph[child]))))
                path.append(child)


def _measures(ctx: _Ctx) -> None:
    pathways, partners = ctx.ids("pathways"), ctx.ids("partners")
    per_pathway: defaultdict[str, int] = defaultdict(int)
    for m in ctx.records("measures"):
        ctx.refs("measures", m["id"], "pathways", m["pathways"], pathways, "pathway", "pathways")
        ctx.refs("measures", m["id"], "data_from", m["data_from"], partners, "partner",
                 "partners")
        for pid in m["pathways"] or pathways:
            per_pathway[pid] += 1
    if "measures" in ctx.data:
        for pid in sorted(pathways):
            if per_pathway[pid] == 0:
                ctx.add("measures", "", "pathways", f"pathway '{pid}' has no measure")


def _walk_links(value: Any, path: str) -> Iterator[tuple[str, str, str]]:
    """Yield (path, key, url) for every link and source url in a parsed file."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in {"link", "url"} and isinstance(item, str):
                yield path, key, item
            else:
                yield from _walk_links(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk_links(item, f"{path}[{i}]")


def _links(ctx: _Ctx) -> None:
    if "links" not in ctx.data:
        return
    policy = ctx.data["links"]
    mirrors = set(policy["mirror_hosts"])
    aggregators = set(policy["aggregator_hosts"])
    suffixes = tuple(policy["mirror_host_suffixes"])
    for stem, content in ctx.data.items():
        if stem == "links":
            continue
        for path, key, url in _walk_links(content, ""):
            host = (urlsplit(url).hostname or "").lower().rstrip(".")
            third_party = host in mirrors or host.endswith(suffixes)
            record, field = _split_record(content, path)
            if key == "link":
                if third_party or host in aggregators:
                    ctx.add(stem, record, f"{field}.link" if field else "link",
                            f"links shown to users must be official pages, not a copy on {host}")
            elif third_party and _source_kind(content, path) != "mirror":
                ctx.add(stem, record, field,
                        f"{host} holds third-party copies: mark the source kind 'mirror'")


def _states(ctx: _Ctx) -> None:
    pathways = ctx.ids("pathways")
    for s in ctx.records("states"):
        sid = s["id"]
        ctx.refs("states", sid, "pathways", s.get("pathways"), pathways, "pathway", "pathways")
        money = s.get("money_year")
        if not isinstance(money, dict):
            continue
        # Money called current must rest on a confirmation, not on an attempt.
        if money.get("current") is True and not s.get("verified_on"):
            ctx.add("states", sid, "money_year.current",
                    "money can be called current only when a source confirmed it "
                    "(verified_on); otherwise set current: false")
        # The money's year cannot come after the record's own date (its as_of), beyond the
        # fiscal year that date falls in.
        year, as_of = money.get("year"), str(s.get("as_of") or "")
        if isinstance(year, int) and as_of[:4].isdigit() and year > int(as_of[:4]) + 1:
            ctx.add("states", sid, "money_year.year",
                    f"{year} is after the record's as_of ({as_of}): a year not yet reached "
                    "when the record was written")


def _record_lists(data: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (file stem, record) for every top-level dated record: one that carries
    verified_on, or checked_on when no source confirmed it."""
    for stem in sorted(data):
        content = data[stem]
        if not isinstance(content, dict):
            continue
        for items in content.values():
            if isinstance(items, list):
                for item in items:
                    if isinstance(item, dict) and "id" in item and (
                            "verified_on" in item or "checked_on" in item):
                        yield stem, item


def stale_records(data: Mapping[str, Any], today: date, months: int) -> list[tuple[str, str, str]]:
    """Records not verified within `months` months of today, oldest first.

    Returns (verified_on, "file.yaml", record id) tuples; ties keep file and id order.
    """
    cutoff = _months_before(today, months).isoformat()
    stale = [(r["verified_on"], f"{stem}.yaml", str(r["id"]))
             for stem, r in _record_lists(data)
             if "verified_on" in r and r["verified_on"] < cutoff]
    return sorted(stale)


def sourced_records(raw: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every record that carries an id and sources, at any depth of any file, as
    (file.yaml, id), sorted: the population a verification sample is drawn from."""
    found: set[tuple[str, str]] = set()

    def walk(stem: str, node: Any) -> None:
        if isinstance(node, dict):
            if "id" in node and "sources" in node:
                found.add((f"{stem}.yaml", str(node["id"])))
            for value in node.values():
                walk(stem, value)
        elif isinstance(node, list):
            for value in node:
                walk(stem, value)

    for stem in sorted(raw):
        walk(stem, raw[stem])
    return sorted(found)


def sample_records(raw: Mapping[str, Any], size: int, seed: int) -> list[tuple[str, str]]:
    """A seeded random sample of sourced records (the same seed and knowledge give the same
    sample), sorted by file and id."""
    population = sourced_records(raw)
    draw = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    return sorted(draw.sample(population, min(size, len(population))))


def _months_before(today: date, months: int) -> date:
    month_index = today.year * 12 + (today.month - 1) - months
    year, month = divmod(month_index, 12)
    day = min(today.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def _split_record(content: Any, path: str) -> tuple[str, str]:
    head, _, rest = path.partition(".")
    if "[" in head:
        key, _, idx = head.partition("[")
        items = content.get(key) if isinstance(content, dict) else None
        index = int(idx.split("]")[0])
        if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
            return str(items[index].get("id", head)), rest
    return "", path


def _source_kind(content: Any, path: str) -> str | None:
    node: Any = content
    for part in path.replace("]", "").replace("[", ".").split("."):
        if not part:
            continue
        node = node[int(part)] if part.isdigit() else node.get(part)
    return node.get("kind") if isinstance(node, dict) else None


def _duplicates(ctx: _Ctx, stem: str, field: str, ids: list[str], what: str) -> None:
    for rid, n in sorted(Counter(ids).items()):
        if n > 1:
            ctx.add(stem, rid, field, f"{what} '{rid}' is given {n} times")


def _costs(ctx: _Ctx) -> None:
    if "costs" not in ctx.data:
        return
    data = ctx.data["costs"]
    roles = {r["id"] for r in data["roles"]}
    pathways, programs = ctx.ids("pathways"), ctx.ids("programs")
    bands = ({b["id"] for b in ctx.data["matching"]["population_buckets"]}
             if "matching" in ctx.data else set())
    _duplicates(ctx, "costs", "id", [r["id"] for r in data["roles"]]
                + [n["id"] for n in data["non_staff"]] + [data["benefits"]["id"]],
                "role or cost line id")
    _duplicates(ctx, "costs", "pathway", [s["pathway"] for s in data["staffing"]],
                "staffing model for pathway")
    for s in data["staffing"]:
        sid = s["id"]
        if "pathways" in ctx.data and s["pathway"] not in pathways:
            ctx.add("costs", sid, "pathway", f"unknown pathway '{s['pathway']}'")
        ctx.refs("costs", sid, "programs", s["programs"], programs, "program", "programs")
        seen = [b["band"] for b in s["bands"]]
        if bands:
            for i, band in enumerate(seen):
                if band not in bands:
                    ctx.add("costs", sid, f"bands[{i}].band", f"unknown population band '{band}'")
            for band in sorted(bands - set(seen)):
                ctx.add("costs", sid, "bands", f"no staffing for population band '{band}'")
        for i, b in enumerate(s["bands"]):
            for j, fte in enumerate(b["roles"]):
                field = f"bands[{i}].roles[{j}]"
                if fte["role"] not in roles:
                    ctx.add("costs", sid, f"{field}.role", f"unknown role '{fte['role']}'")
    if "pathways" in ctx.data:
        for pid in sorted(pathways - {s["pathway"] for s in data["staffing"]}):
            ctx.add("costs", "", "staffing", f"pathway '{pid}' has no staffing model")
    for n in data["non_staff"]:
        nid = n["id"]
        ctx.refs("costs", nid, "pathways", n["pathways"], pathways, "pathway", "pathways")
        for i, b in enumerate(n.get("by_band") or ()):
            if bands and b["band"] not in bands:
                ctx.add("costs", nid, f"by_band[{i}].band",
                        f"unknown population band '{b['band']}'")
    local = data.get("local_questions") or {}
    questions = {q["id"]: q for q in ctx.records("questions", "questions")}
    for key in ("wage", "budget", "treatment_miles"):
        qid = local.get(key)
        if qid is None or "questions" not in ctx.data:
            continue
        if qid not in questions:
            ctx.add("costs", "", f"local_questions.{key}", f"unknown question '{qid}'")
        elif questions[qid]["type"] != "number":
            ctx.add("costs", "", f"local_questions.{key}",
                    f"question '{qid}' must be a number question")
    for i, role in enumerate(local.get("wage_roles") or ()):
        if role not in roles:
            ctx.add("costs", "", f"local_questions.wage_roles[{i}]", f"unknown role '{role}'")
    mileage = data.get("mileage") or {}
    for i, b in enumerate(mileage.get("trips_by_band") or ()):
        if bands and b["band"] not in bands:
            ctx.add("costs", mileage.get("id", ""), f"trips_by_band[{i}].band",
                    f"unknown population band '{b['band']}'")


def _starter_documents(ctx: _Ctx) -> None:
    if "starter_documents" not in ctx.data:
        return
    documents = ctx.data["starter_documents"]["documents"]
    pathways = ctx.ids("pathways")
    _duplicates(ctx, "starter_documents", "id", [d["id"] for d in documents], "document")
    for d in documents:
        did = d["id"]
        ctx.refs("starter_documents", did, "pathways", d["pathways"], pathways, "pathway",
                 "pathways")
    if "pathways" in ctx.data:
        for pid in sorted(pathways):
            kinds = {d["kind"] for d in documents if not d["pathways"] or pid in d["pathways"]}
            for kind in ("mou", "data-sharing", "form"):
                if kind not in kinds:
                    ctx.add("starter_documents", "", "documents",
                            f"pathway '{pid}' has no starter document of kind '{kind}'")


def _sizing(ctx: _Ctx) -> None:
    """sizing.yaml (issue 30): its pathways, roles, bands and count questions exist, and the
    count questions are number questions."""
    if "sizing" not in ctx.data:
        return
    data = ctx.data["sizing"]
    roles = {r["id"] for r in ctx.data["costs"]["roles"]} if "costs" in ctx.data else set()
    staffed = ({s["pathway"] for s in ctx.data["costs"]["staffing"]}
               if "costs" in ctx.data else set())
    questions = {q["id"]: q for q in ctx.records("questions")}
    bands = ({b["id"] for b in ctx.data["matching"]["population_buckets"]}
             if "matching" in ctx.data else set())

    def number_question(record: str, field: str, qid: str | None) -> None:
        if qid is None or "questions" not in ctx.data:
            return
        if qid not in questions:
            ctx.add("sizing", record, field, f"unknown question '{qid}'")
        elif questions[qid]["type"] != "number":
            ctx.add("sizing", record, field, f"question '{qid}' must be a number question")

    number_question("", "questions.population", (data.get("questions") or {}).get("population"))
    for i, b in enumerate(data["population_bands"]["bands"]):
        if bands and b["band"] not in bands:
            ctx.add("sizing", "population-band", f"bands[{i}].band",
                    f"unknown population band '{b['band']}'")
    _duplicates(ctx, "sizing", "pathway", [p["pathway"] for p in data["pathways"]],
                "sizing model for pathway")
    for p in data["pathways"]:
        pid = p["pathway"]
        if "pathways" in ctx.data and pid not in ctx.ids("pathways"):
            ctx.add("sizing", pid, "pathway", f"unknown pathway '{pid}'")
        if "costs" in ctx.data and pid not in staffed:
            ctx.add("sizing", pid, "pathway", f"pathway '{pid}' has no staffing in costs.yaml")
        number_question(pid, "contacts.count_question", p["contacts"].get("count_question"))
        if roles:
            ctx.refs("sizing", pid, "staff.roles", p["staff"]["roles"], roles, "role", "costs")


# ------------------------------------------------------------------ dates now past
#
# A record's status can hang on a date: a court ruling awaited by a day, a funding round
# expected to open, a launch planned for a month. These checks need "today", so they run in
# `planner check` (which takes --today) and never when the planner loads its knowledge.

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
# Words that make a sentence's date the day a status was to change. "Expected" alone also
# describes counts ("BJA expected about 30 awards"), so only a sentence that also names a
# calendar date is read.
_PENDING = re.compile(r"\b(pending|awaits?|awaiting|expected|upcoming|once a court approves)\b",
                      re.IGNORECASE)
_DATE_WORDS = re.compile(
    r"\b(?:(?P<day>[0-3]?[0-9]) )?(?P<month>" + "|".join(_MONTHS) + r") (?P<year>[12][0-9]{3})\b"
    r"|\b(?P<iso>[12][0-9]{3}-[01][0-9]-[0-3][0-9])\b")
_SENTENCE = re.compile(r"(?<=[.;])\s+")
# Keys whose text is a citation or an address, not a claim the record makes.
_NOT_PROSE = frozenset({"sources", "url", "link", "id", "label"})


def _last_day(match: re.Match[str]) -> date:
    """The last day a date written in words can mean (a month means its last day)."""
    if match.group("iso"):
        return date.fromisoformat(match.group("iso"))
    year, month = int(match.group("year")), _MONTHS.index(match.group("month")) + 1
    day = match.group("day")
    return date(year, month, int(day) if day else calendar.monthrange(year, month)[1])


def _prose(value: Any, key: str = "") -> Iterator[str]:
    if key in _NOT_PROSE:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _prose(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from _prose(v, key)


def _pending_sentences(record: Mapping[str, Any], today: date) -> list[str]:
    """Sentences that call something pending, awaited, expected or upcoming at a past date."""
    out = []
    for text in _prose({k: v for k, v in record.items() if k != "flags"}):
        for sentence in _SENTENCE.split(" ".join(text.split())):
            if not _PENDING.search(sentence):
                continue
            days = [_last_day(m) for m in _DATE_WORDS.finditer(sentence)]
            if days and max(days) < today:
                out.append(sentence)
    return out


def _iso(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def past_status(data: Mapping[str, Any], today: date) -> list[tuple[str, str, str]]:
    """Records whose status hangs on a date now past, as (file.yaml, record id, what).

    - `pending_until` before today: the awaited event's day has gone by;
    - a funding cycle marked `expected` whose dates have come: confirm the round or drop it;
    - a sentence calling something pending, awaited, expected or upcoming next to a calendar
      date now past.
    A record also marked verified on or after that date says so: its source would have shown
    what happened.
    """
    out: list[tuple[str, str, str]] = []
    for stem, r in _record_lists(data):
        rid, file = str(r["id"]), f"{stem}.yaml"
        verified = str(r.get("verified_on") or "")
        pending = _iso(r.get("pending_until"))
        if pending and pending < today:
            what = f"calls something pending until {pending.isoformat()}, now past"
            if verified >= pending.isoformat():
                what += f", yet it was marked verified on {verified}, after that date"
            out.append((file, rid, what))
        for cycle in r.get("cycles") or ():
            if not isinstance(cycle, dict):
                continue
            when = _iso(cycle.get("opens") or cycle.get("closes"))
            if cycle.get("expected") and when and when < today:
                out.append((file, rid, f"its FY{cycle.get('fiscal_year')} round was expected "
                            f"by {when.isoformat()}, now past: confirm the round or remove it"))
        for sentence in _pending_sentences(r, today):
            what = f"says \u201c{sentence}\u201d, a date now past"
            out.append((file, rid, what))
        money = r.get("money_year")
        if isinstance(money, dict) and money.get("current") is True:
            stale = _stale_money(money, today)
            if stale:
                out.append((file, rid, stale))
    return sorted(out)


def _stale_money(money: Mapping[str, Any], today: date) -> str:
    """A state record's money called current whose year is more than two years past."""
    try:
        year = MoneyYear(year=int(money["year"]), basis=money["basis"], current=True)
    except (KeyError, TypeError, ValueError):
        return ""
    if year.years_before(today) <= 2:
        return ""
    return (f"calls its money ({year.label}) current, more than two years ago: confirm a "
            "newer year or set current: false")


def dated_findings(data: Mapping[str, Any], today: date) -> list[Finding]:
    """`past_status` as findings (the check fails on each)."""
    return [Finding(file, rid, "", f"status hangs on a past date: {what}")
            for file, rid, what in past_status(data, today)]


# ------------------------------------------------------------------ the maintainer's report

AGE_BUCKETS = ((6, "under 6 months"), (12, "6 to 12 months"), (24, "12 to 24 months"),
               (None, "over 24 months"))
NEVER_CONFIRMED = "checked, never confirmed"  # no verified_on: checked_on and a flag instead


@dataclass(frozen=True)
class FileReport:
    file: str
    records: int
    by_age: tuple[tuple[str, int], ...]  # (label, records): AGE_BUCKETS, NEVER_CONFIRMED
    flags: tuple[tuple[str, str], ...]  # (record id, flag)
    past: tuple[tuple[str, str], ...]  # (record id, what hangs on a past date)
    weak_sources: tuple[tuple[str, str, str], ...]  # (record id, why, url)


def knowledge_report(data: Mapping[str, Any], today: date) -> list[FileReport]:
    """For each knowledge file with dated records: records by age of verified_on, open flags,
    statuses that hang on a past date, and sources that are mirrors or plain http links."""
    past = past_status(data, today)
    by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for stem, r in _record_lists(data):
        by_file[f"{stem}.yaml"].append(r)
    cutoffs = [(_months_before(today, m).isoformat() if m is not None else "", label)
               for m, label in AGE_BUCKETS]
    reports = []
    for file in sorted(by_file):
        records = by_file[file]
        ages: Counter[str] = Counter()
        for r in records:
            if "verified_on" not in r:
                ages[NEVER_CONFIRMED] += 1
                continue
            ages[next(label for cutoff, label in cutoffs if str(r["verified_on"]) >= cutoff)] += 1
        flags = tuple((str(r["id"]), str(f)) for r in records for f in r.get("flags") or ())
        weak = tuple(
            (str(r["id"]), "mirror" if s.get("kind") == "mirror" else "http", str(s["url"]))
            for r in records for s in _all_sources(r)
            if s.get("kind") == "mirror" or str(s.get("url", "")).startswith("http://"))
        reports.append(FileReport(
            file, len(records), (*((label, ages[label]) for _, label in AGE_BUCKETS),
                                 (NEVER_CONFIRMED, ages[NEVER_CONFIRMED])),
            flags, tuple((rid, what) for f, rid, what in past if f == file), weak))
    return reports


def _all_sources(value: Any) -> Iterator[dict[str, Any]]:
    """Every source of a record, its outcomes' sources included."""
    if isinstance(value, dict):
        for key, v in value.items():
            if key == "sources" and isinstance(v, list):
                yield from (s for s in v if isinstance(s, dict))
            else:
                yield from _all_sources(v)
    elif isinstance(value, list):
        for v in value:
            yield from _all_sources(v)
