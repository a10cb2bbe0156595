"""Fixtures shared by every test: strict moto in-process (``aws``) or as a server (``aws_server``).

See ``tests/strict_aws.py`` for what they make strict and the helpers that go with them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.strict_aws import StrictAws, start_server, strict_mock_aws, strict_server


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[StrictAws]:
    """moto in-process (``mock_aws``), made strict, with a fake environment."""
    yield from strict_mock_aws(monkeypatch, tmp_path)


@pytest.fixture(scope="session")
def moto_server_url() -> Iterator[str]:
    """One ThreadedMotoServer on 127.0.0.1 for the whole session; its base URL."""
    yield from start_server()


@pytest.fixture
def aws_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, moto_server_url: str
) -> Iterator[StrictAws]:
    """The session's moto server, reset, made strict, with ``AWS_ENDPOINT_URL`` pointing to it."""
    yield from strict_server(monkeypatch, tmp_path, moto_server_url)
