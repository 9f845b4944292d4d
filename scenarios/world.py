"""How a drill shows the service's health: indicators that move with the share of
service lost, so participants see the outage, a wrong workaround and the recovery."""

from __future__ import annotations

from pydantic import Field, model_validator

from .base import Frozen, Identifier, duplicates

__all__ = ["Indicator", "World", "default_indicators"]


class Indicator(Frozen):
    """One dashboard number. It reads `healthy` with no impact and `outage` at the
    scenario's full impact, in proportion in between (and beyond, when a wrong action makes
    things worse), kept within `lowest` and `highest`."""

    id: Identifier
    title: str = ""
    unit: str = ""
    healthy: float
    outage: float
    lowest: float | None = None
    highest: float | None = None

    @model_validator(mode="after")
    def _bounds_ordered(self):
        if self.lowest is not None and self.highest is not None and self.lowest > self.highest:
            raise ValueError(f"lowest ({self.lowest:g}) must be <= highest ({self.highest:g})")
        return self

    def reading(self, lost_share: float, full_impact: float) -> float:
        severity = lost_share / full_impact if full_impact > 0 else (1.0 if lost_share > 0 else 0.0)
        value = self.healthy + (self.outage - self.healthy) * severity
        if self.lowest is not None:
            value = max(value, self.lowest)
        if self.highest is not None:
            value = min(value, self.highest)
        return value


class World(Frozen):
    """The simulated service as a drill's dashboard shows it."""

    indicators: list[Indicator] = Field(default_factory=list)

    def problems(self) -> list[tuple[str, str]]:
        return duplicates([i.id for i in self.indicators], "world.indicators[{}].id", "indicator")


def default_indicators(full_impact: float) -> tuple[Indicator, ...]:
    """What a scenario without a `world:` section shows: the share of requests served."""
    return (Indicator(id="requests_served", title="Requests served", unit="%", healthy=100,
                      outage=round(100 * (1 - full_impact), 6), lowest=0, highest=100),)
