"""Shared fixtures: the bundled documents, and a helper to write documents to files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scenarios import resolve


@pytest.fixture(scope="session")
def cloudflare():
    return resolve("cloudflare-2019-waf", "scenario")


@pytest.fixture(scope="session")
def playbook():
    return resolve("itil-major-incident", "playbook")


@pytest.fixture(scope="session")
def staffing():
    return lambda name: resolve(name, "staffing")


@pytest.fixture
def write(tmp_path: Path):
    """write('name.yaml', text) -> path, with the text dedented."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return _write
