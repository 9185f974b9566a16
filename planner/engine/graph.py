"""The knowledge graph and the planning-task DAG (the only module that imports networkx).

Nodes are typed ids ("pathway:naloxone-plus", "resource:peers", "task:...").
Edges say how things bear on each other: an answer option indicates a fact, a
fact or answer bears on a pathway (with a rule's weight), a resource is a
critical element of a pathway, a partner works on a pathway, a task depends
on another.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import networkx as nx

from planner.knowledge.model import Knowledge, Task


def node(kind: str, ident: str) -> str:
    return f"{kind}:{ident}"


@lru_cache(maxsize=32)
def knowledge_graph(kb: Knowledge) -> nx.MultiDiGraph:
    """Build the directed graph of answers, facts, pathways, partners and tasks.

    A multigraph keyed by relation: a resource can be both a critical element of a
    pathway and the subject of a scoring rule for it.
    """
    g = nx.MultiDiGraph()
    for pathway in kb.pathways.values():
        g.add_node(node("pathway", pathway.id), label=pathway.label)
        for element in pathway.critical_elements:
            g.add_edge(node("resource", element.resource), node("pathway", pathway.id),
                       key="critical_element", relation="critical_element")
        for partner in pathway.partners:
            g.add_edge(node("partner", partner.partner), node("pathway", pathway.id),
                       key="partner", relation="partner", essential=partner.essential)
    for fact in kb.facts.values():
        g.add_node(node(fact.kind, fact.id), label=fact.label)
    for question in kb.questions.values():
        for option in question.options:
            answer = node("answer", f"{question.id}={option.id}")
            g.add_node(answer, label=option.label, question=question.id)
            for fact_id in option.indicates:
                g.add_edge(answer, node(kb.facts[fact_id].kind, fact_id), key="indicates",
                           relation="indicates")
    for rule in kb.rules:
        source = (node(kb.facts[rule.fact].kind, rule.fact) if rule.fact
                  else node("answer", f"{rule.question}={rule.option}"))
        g.add_edge(source, node("pathway", rule.pathway), key="rule", relation="rule",
                   weight=rule.weight, rule=rule.id)
    for task in kb.tasks.values():
        g.add_node(node("task", task.id), label=task.label, duration=task.duration_days)
        for dep in task.depends_on:
            g.add_edge(node("task", dep), node("task", task.id), key="precedes",
                       relation="precedes")
    return g


@lru_cache(maxsize=1024)
def shared_elements(kb: Knowledge, pathway_id: str, others: frozenset[str]) -> tuple[str, ...]:
    """Ids of the partners and critical elements a pathway shares with the given pathways."""
    g = knowledge_graph(kb)

    def base(pid: str) -> set[str]:
        return {
            u for u, _, rel in g.in_edges(node("pathway", pid), data="relation")
            if rel in {"critical_element", "partner"}
        }

    theirs: set[str] = set().union(*(base(o) for o in others)) if others else set()
    return tuple(sorted(n.split(":", 1)[1] for n in base(pathway_id) & theirs))


# The phases that come before a launch (the knowledge files' phase vocabulary, in order).
PRE_LAUNCH = ("convene", "assess", "design", "agree", "prepare")
LAUNCH = "launch"


@dataclass(frozen=True)
class ScheduledTask:
    """A task placed on the timeline, in days from the start of planning.

    `waits_for` are the tasks it directly waits for (ids, in id order): its dependencies
    in the schedule, without those implied through another one (a transitive reduction),
    so a launch that waits for every step before it lists only the last ones."""

    task: Task
    start: int
    finish: int
    critical: bool
    slack: int
    waits_for: tuple[str, ...] = ()


def task_closure(kb: Knowledge, task_ids: Iterable[str]) -> set[str]:
    """The given tasks and every task they depend on."""
    g = knowledge_graph(kb)
    closure: set[str] = set()
    for tid in task_ids:
        closure.add(tid)
        closure.update(n.split(":", 1)[1] for n in nx.ancestors(g, node("task", tid))
                       if n.startswith("task:"))
    return closure


def _launch_prerequisites(kb: Knowledge, dag: nx.DiGraph) -> None:
    """Make every step planned before launch a prerequisite of the launch, and every step
    of a later phase wait for it.

    The launch is each launch-phase task with no launch-phase task before it (the soft
    launch). A step of a pre-launch phase that is not already before it gets an edge to it,
    so no step a program needs before it starts can slip past its start. A step of a phase
    after the launch (sustaining, reviewing) that is not already after it gets an edge from
    it, so nothing is dated before the launch that the launch does not wait for (a funding
    plan that waited only for the choice of pathway was dated months before a launch it
    did not hold up, under "After launch")."""
    ids = sorted(dag.nodes)
    launch_tasks = {t for t in ids if kb.tasks[t].phase == LAUNCH}
    roots = [t for t in ids if t in launch_tasks
             and not nx.ancestors(dag, t) & launch_tasks]
    for root in roots:
        after = nx.descendants(dag, root)
        for tid in ids:
            if kb.tasks[tid].phase in PRE_LAUNCH and tid not in after and tid != root:
                dag.add_edge(tid, root)
        for tid in ids:
            phase = kb.tasks[tid].phase
            if phase in PRE_LAUNCH or phase == LAUNCH or tid in after:
                continue
            if not nx.has_path(dag, tid, root):  # never a cycle
                dag.add_edge(root, tid)


def launch_prerequisites(kb: Knowledge, task_ids: Iterable[str],
                         done: frozenset[str] = frozenset()) -> dict[str, frozenset[str]]:
    """For each launch task in the set, every task that must be done before it starts."""
    dag = _dag(kb, set(task_ids), done)
    return {t: frozenset(nx.ancestors(dag, t)) for t in sorted(dag.nodes)
            if kb.tasks[t].phase == LAUNCH}


def _dag(kb: Knowledge, wanted: set[str], done: frozenset[str] = frozenset()) -> nx.DiGraph:
    """The dependencies among the wanted tasks. A task already done is taken out and what
    it waited for is joined to what waited for it, so the order around it holds."""
    dag = nx.DiGraph()
    for tid in sorted(wanted):
        dag.add_node(tid)
        for dep in sorted(kb.tasks[tid].depends_on):
            if dep in wanted:
                dag.add_edge(dep, tid)
    for tid in sorted(done & wanted):
        for before in sorted(dag.predecessors(tid)):
            for after in sorted(dag.successors(tid)):
                dag.add_edge(before, after)
        dag.remove_node(tid)
    _launch_prerequisites(kb, dag)
    return dag


def schedule(kb: Knowledge, task_ids: Iterable[str],
             done: frozenset[str] = frozenset()) -> list[ScheduledTask]:
    """Place tasks at their earliest start and mark the longest chain.

    Every step of a phase before launch is a prerequisite of the launch (see
    _launch_prerequisites), so a step's slack is time it can slip without delaying the
    launch (for steps before it) or the end of the plan (for steps after it). A task is on
    the longest chain (critical) exactly when it has no slack: delaying it delays the end.
    Every zero-slack task is marked, so ties between equally long chains never depend on
    iteration order. Dependencies outside the set count as already done; tasks in `done` are
    left off the schedule, their place in the order kept (see _dag). Nodes are added in
    id order and sorted topologically by id, so the result does not depend on hash seeds.
    """
    wanted = set(task_ids)
    dag = _dag(kb, wanted, done)
    reduced = nx.transitive_reduction(dag)
    order = list(nx.lexicographical_topological_sort(dag))
    start: dict[str, int] = {}
    finish: dict[str, int] = {}
    for tid in order:
        start[tid] = max((finish[d] for d in dag.predecessors(tid)), default=0)
        finish[tid] = start[tid] + kb.tasks[tid].duration_days
    end = max(finish.values(), default=0)
    latest_finish: dict[str, int] = {}
    for tid in reversed(order):
        latest_finish[tid] = min(
            (latest_finish[s] - kb.tasks[s].duration_days for s in dag.successors(tid)),
            default=end,
        )
    return sorted(
        (
            ScheduledTask(kb.tasks[t], start[t], finish[t],
                          latest_finish[t] == finish[t], latest_finish[t] - finish[t],
                          tuple(sorted(reduced.predecessors(t))))
            for t in order
        ),
        key=lambda s: (s.start, s.finish, s.task.id),
    )
