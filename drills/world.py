"""The simulated service during a drill: how much of it is lost, what that has cost, and
what the dashboard reads. Pure state; the engine decides when it changes."""

from __future__ import annotations

from scenarios import Scenario

__all__ = ["ServiceState"]


class ServiceState:
    """Share of service lost over scenario time, and the outage cost it accrues (SPEC 3.4:
    cost per minute x share lost x minutes, until restored)."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.full_impact = scenario.full_share
        # A minute at full impact costs full_cost_per_minute; cost accrues with the lost share.
        self.cost_per_minute = scenario.full_cost_per_minute / scenario.full_share if scenario.full_share else 0.0
        self.lost_share = 0.0
        self._since = 0.0
        self._accrued = 0.0

    def set_lost(self, t: float, lost_share: float) -> None:
        self._accrued = self.cost_at(t)
        self._since = t
        self.lost_share = min(max(lost_share, 0.0), 1.0)

    def cost_at(self, t: float) -> float:
        return self._accrued + self.cost_per_minute * self.lost_share * max(t - self._since, 0.0)

    def readings(self) -> dict[str, float]:
        return {i.id: round(i.reading(self.lost_share, self.full_impact), 4) for i in self.scenario.indicators}

    def dashboard(self, t: float) -> dict:
        """What participants see now: every indicator, the share lost and the cost so far."""
        return {
            "t": t,
            "indicators": [
                {"id": i.id, "title": i.title or i.id.replace("_", " "), "unit": i.unit,
                 "value": round(i.reading(self.lost_share, self.full_impact), 4), "healthy": i.healthy}
                for i in self.scenario.indicators
            ],
            "lost_share": round(self.lost_share, 6),
            "outage_cost": round(self.cost_at(t), 2),
            "cost_per_minute_now": round(self.cost_per_minute * self.lost_share, 2),
        }
