"""The knowledge graph links answers, facts, pathways, partners and tasks."""

from __future__ import annotations

import networkx as nx

from planner.engine import graph
from planner.knowledge import loader


def test_answers_indicate_facts_that_bear_on_pathways_with_rule_weights() -> None:
    kb = loader.load_default()
    g = graph.knowledge_graph(kb)
    assert g.has_edge("answer:overdoses=many", "problem:nonfatal-overdoses")
    edge = g.edges["problem:nonfatal-overdoses", "pathway:naloxone-plus", "rule"]
    assert edge["weight"] > 0
    assert g.edges["answer:prosecutor=opposed", "pathway:officer-intervention", "rule"][
        "weight"] < 0


def test_critical_elements_and_partners_point_at_their_pathways() -> None:
    kb = loader.load_default()
    g = graph.knowledge_graph(kb)
    for pathway in kb.pathways.values():
        target = graph.node("pathway", pathway.id)
        for element in pathway.element_ids:
            relations = g.get_edge_data(graph.node("resource", element), target)
            assert relations is not None and "critical_element" in relations
        for partner in pathway.partner_ids:
            assert g.has_edge(graph.node("partner", partner), target)


def test_shared_elements_are_what_two_pathways_have_in_common() -> None:
    kb = loader.load_default()
    shared = graph.shared_elements(kb, "active-outreach", frozenset({"naloxone-plus"}))
    np, ao = kb.pathways["naloxone-plus"], kb.pathways["active-outreach"]
    expected = ((set(np.element_ids) & set(ao.element_ids))
                | (set(np.partner_ids) & set(ao.partner_ids)))
    assert set(shared) == expected and shared


def test_a_resource_can_be_both_a_critical_element_and_a_rule_subject() -> None:
    kb = loader.load_default()
    g = graph.knowledge_graph(kb)
    both = g.get_edge_data("resource:peers", "pathway:naloxone-plus")
    assert set(both) == {"critical_element", "rule"}


def test_the_task_graph_is_acyclic() -> None:
    kb = loader.load_default()
    g = graph.knowledge_graph(kb)
    tasks = g.subgraph(n for n in g if n.startswith("task:"))
    assert nx.is_directed_acyclic_graph(tasks) and len(tasks) == len(kb.tasks)
