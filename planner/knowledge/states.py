"""State context: the deflection-relevant law and state money of one community's state."""

from __future__ import annotations

from planner.knowledge.model import Knowledge, StateContext

# Statutes first, then state money, then state-run programs and settlement rules.
_KIND_ORDER = {"statute": 0, "state-grant": 1, "state-program": 2, "settlement": 3}


def context_for(kb: Knowledge, state_code: str | None) -> tuple[StateContext, ...]:
    """The state records for one state (postal code), in a stable order; none for another state.

    An unknown or missing state code gives an empty tuple, never another state's records.
    """
    if not state_code:
        return ()
    code = state_code.strip().upper()
    return tuple(sorted(
        (s for s in kb.states.values() if s.state == code),
        key=lambda s: (_KIND_ORDER.get(s.kind, len(_KIND_ORDER)), s.label, s.id),
    ))


def states_covered(kb: Knowledge) -> tuple[str, ...]:
    """The postal codes that have at least one state record, sorted."""
    return tuple(sorted({s.state for s in kb.states.values()}))
