"""Seeded random streams (SPEC 3.5).

Replications are grouped in fixed blocks (the unit of parallel work). Every stochastic
stage of a block draws from its own stream, seeded by the spawn key (block, stage), where
the stage key is a stable number derived from the stage's name: the same stage gets the
same numbers whatever the headcount, the number of processes or the executor, so
compared options share common random numbers stage by stage. A replication's draws are
its column of its block's arrays.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["BlockStreams", "stage_key"]


def stage_key(name: str) -> int:
    """A stable 32-bit number for a stage name (never Python's salted hash)."""
    return zlib.crc32(name.encode("utf-8"))


class BlockStreams:
    """Draws for one block of `size` incidents: one stream per named stage, cached."""

    __slots__ = ("seed", "block", "size", "_cache")

    def __init__(self, seed: int, block: int, size: int):
        self.seed = int(seed)
        self.block = int(block)
        self.size = int(size)
        self._cache: dict[str, list[float]] = {}

    def generator(self, stage: str) -> np.random.Generator:
        sequence = np.random.SeedSequence(self.seed, spawn_key=(self.block, stage_key(stage)))
        return np.random.default_rng(sequence)

    def draws(self, stage: str, distribution) -> list[float]:
        """`size` draws of `distribution` from the stage's own stream (as a list for fast indexing)."""
        values = self._cache.get(stage)
        if values is None:
            values = distribution.sample(self.generator(stage), self.size).tolist()
            self._cache[stage] = values
        return values

    def uniforms(self, stage: str) -> list[float]:
        values = self._cache.get(stage)
        if values is None:
            values = self.generator(stage).random(self.size).tolist()
            self._cache[stage] = values
        return values
