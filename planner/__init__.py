"""Deflection pathway planner."""
