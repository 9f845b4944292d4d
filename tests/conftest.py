"""Shared fixtures: the bundled documents (parsed once a session), the Cloudflare drill's
documents, one Dask cluster, and a helper to write documents to files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scenarios import Loaded, bundled, load, resolve


class Library:
    """library(name, kind): what `scenarios.resolve(name, kind)` returns, with each bundled
    document loaded once a session.

    `resolve` re-reads every bundled file on each call (about half a second) and then loads
    the file named like `name`; here that file is loaded once. Any other name (an alias, a
    path) still goes through `resolve`. Loaded documents are frozen, so sharing them between
    tests cannot leak changes. Tests of resolving itself call `resolve`."""

    def __init__(self):
        self.documents = {name: load(path) for name, path in bundled().items()}

    def __call__(self, name: str, kind: str) -> Loaded:
        loaded = self.documents.get(name)
        if loaded is None:
            return resolve(name, kind)
        assert loaded.document.kind == kind, f"bundled {name} is a {loaded.document.kind}, not a {kind}"
        return loaded

    def drill(self, scenario: str, roster: str):
        """A drill's documents as DrillDocuments.resolve fills them (the default playbook, the
        scenario's reference staffing), taken from the library."""
        from drills import DrillDocuments
        from scenarios.library import DEFAULT_PLAYBOOK

        loaded = self(scenario, "scenario")
        reference = loaded.document.reference_staffing
        return DrillDocuments.resolve(loaded, self(roster, "roster"), self(DEFAULT_PLAYBOOK, "playbook"),
                                      self(reference, "staffing") if reference else None)


@pytest.fixture(scope="session")
def library() -> Library:
    return Library()


@pytest.fixture(scope="session")
def cloudflare(library):
    return library("cloudflare-2019-waf", "scenario")


@pytest.fixture(scope="session")
def playbook(library):
    return library("itil-major-incident", "playbook")


@pytest.fixture(scope="session")
def staffing(library):
    return lambda name: library(name, "staffing")


@pytest.fixture(scope="session")
def cloudflare_drill(library):
    """The Cloudflare 2019 drill's documents with the team roster; DrillDocuments.resolve fills
    in the default playbook and the scenario's reference staffing. Frozen, so shared."""
    from drills import DrillDocuments

    return DrillDocuments.resolve(library("cloudflare-2019-waf", "scenario"), library("cloudflare-2019-team", "roster"))


@pytest.fixture(scope="session")
def dask_cluster():
    """One 2-worker Dask LocalCluster on 127.0.0.1 for the whole session, entered as an
    executor (its address: `dask_cluster.cluster.scheduler_address`). Starting a cluster takes
    seconds, so every test that only runs work on a cluster shares this one; tests that kill
    or lose a worker start their own, so no other test sees a damaged cluster."""
    from simulator import DaskExecutor

    with DaskExecutor(workers=2) as executor:
        yield executor


@pytest.fixture
def write(tmp_path: Path):
    """write('name.yaml', text) -> path, with the text dedented."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return _write
