"""The kit's pytest fixtures (a plugin: ``pytest_plugins = ["testkit.fixtures"]``).

- ``aws``: strict moto in-process; ``aws_server``: strict moto's server (one per session,
  reset before each test); both yield a ``StrictAws``.
- ``now``: the test's one instant, the real clock in whole seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from testkit.strict import StrictAws, start_server, strict_mock_aws, strict_server


@pytest.fixture
def now() -> datetime:
    """The instant a test runs at: the real clock, because moto computes a certificate's
    ``Status`` (``EXPIRED``) from it; whole seconds, like X.509 times."""
    return datetime.now(timezone.utc).replace(microsecond=0)


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
