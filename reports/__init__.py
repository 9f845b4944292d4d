"""Renders result artifacts (simulation results, drill journals, scorecards). Built by a later issue."""

__all__: list[str] = []
