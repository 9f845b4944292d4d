"""The simulated service during a drill: how much of it is lost, what that has cost, and
what the dashboard reads. Pure state; the engine decides when it changes."""

from __future__ import annotations

from scenarios import Scenario

__all__ = ["ServiceState"]


class ServiceState:
    """Each service's lost share over scenario time, and the outage cost it accrues (SPEC
    3.4: each service's cost per minute x its lost share, integrated over time). `extra` is
    harm a wrong workaround added on top (drills only), costed at the average rate."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.services = {s.id: s for s in scenario.affected}
        self.full_impact = scenario.full_share
        self._weights = {s.id: float(s.users or 1) for s in scenario.affected}
        self._extra_rate = scenario.full_cost_per_minute / scenario.full_share if scenario.full_share else 0.0
        self.levels = {s.id: 0.0 for s in scenario.affected}   # share of each service lost now
        self.extra = 0.0
        self._peak = 0.0   # the most traffic (users x share) ever lost at once
        self._since = 0.0
        self._accrued = 0.0

    # -- changes ------------------------------------------------------------------------
    def set_levels(self, t: float, levels: dict[str, float], extra: float | None = None) -> None:
        self._accrued = self.cost_at(t)
        self._since = t
        for sid, lost in levels.items():
            if sid in self.levels:
                self.levels[sid] = min(max(float(lost), 0.0), self.services[sid].share)
        if extra is not None:
            self.extra = min(max(float(extra), 0.0), 1.0)
        self._peak = max(self._peak, self._lost_traffic())

    def start(self, t: float) -> None:
        """Full impact on every service hit first (those hit through another come later, if at all)."""
        self.set_levels(t, {sid: (s.share if s.depends_on is None else 0.0) for sid, s in self.services.items()}, 0.0)

    def take_away(self, t: float, workaround) -> None:
        """A workaround's effect: the share of each service's loss it restores (all by default)."""
        levels = {sid: lost - self.scenario.restored_share(workaround, s) * s.share
                  for (sid, lost), s in zip(self.levels.items(), self.services.values())}
        self.set_levels(t, levels)

    def clear(self, t: float) -> None:
        self.set_levels(t, {sid: 0.0 for sid in self.levels}, 0.0)

    def worsen(self, t: float, share: float) -> None:
        self.set_levels(t, {}, self.extra + share)

    def set_lost(self, t: float, lost_share: float) -> None:
        """The whole loss as one share (journals from before services were tracked one by one)."""
        if len(self.levels) == 1:
            self.set_levels(t, {next(iter(self.levels)): lost_share}, 0.0)
        else:
            self.set_levels(t, {}, max(lost_share - self._services_share(), 0.0))

    # -- readings -----------------------------------------------------------------------
    def _services_share(self) -> float:
        total = sum(self._weights.values())
        return sum(self._weights[sid] * lost for sid, lost in self.levels.items()) / total

    @property
    def lost_share(self) -> float:
        """Share of all users (or traffic) lost now, over every service hit."""
        return min(self._services_share() + self.extra, 1.0)

    def is_back(self, sid: str) -> bool:
        """No more of the service's loss left than its acceptable share."""
        s = self.services[sid]
        return self.levels[sid] <= s.acceptable * s.share + 1e-12

    @property
    def critical_clear(self) -> bool:
        """Every critical service at its acceptable level: service is restored (SPEC 3.1)."""
        return all(self.is_back(sid) for sid, s in self.services.items() if s.critical)

    def _lost_traffic(self) -> float:
        return sum(self._weights[sid] * lost for sid, lost in self.levels.items())

    @property
    def traffic_back(self) -> float:
        """Share of the lost traffic back (weighted by users) against the most ever lost at
        once, for the scenario's restore stages."""
        return 1.0 - self._lost_traffic() / self._peak if self._peak else 1.0

    def cost_rate(self) -> float:
        return (sum(self.services[sid].cost_per_minute * lost for sid, lost in self.levels.items())
                + self._extra_rate * self.extra)

    def cost_at(self, t: float) -> float:
        return self._accrued + self.cost_rate() * max(t - self._since, 0.0)

    def state(self) -> dict:
        """For journal events: each service's lost share, the extra harm, the total."""
        return {"levels": {sid: round(v, 6) for sid, v in self.levels.items()}, "extra": round(self.extra, 6),
                "lost_share": round(self.lost_share, 6)}

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
            "services": [{"id": sid, "name": s.name, "critical": s.critical, "full_share": s.share,
                          "lost_share": round(self.levels[sid], 6)} for sid, s in self.services.items()],
            "outage_cost": round(self.cost_at(t), 2),
            "cost_per_minute_now": round(self.cost_rate(), 2),
        }
