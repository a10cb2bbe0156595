"""The fake AWS environment every mode shares: account, region, credentials, clients.

- ``ACCOUNT_ID`` (moto's default account) and ``DEFAULT_REGION`` (``us-east-1``).
- ``set_fake_environment(monkeypatch, tmp_path, endpoint_url=None)``: fake credentials, the
  default region (``AWS_DEFAULT_REGION`` and ``AWS_REGION``), no ``AWS_PROFILE`` or
  ``AWS_ENDPOINT_URL*`` but ``endpoint_url``, no config files.
- ``client(service, region=DEFAULT_REGION)``: a boto3 client for the current mode (cached per
  service, region and ``AWS_ENDPOINT_URL``), for the kit's helpers and the tests.
- ``partition(region)``: ``aws``, ``aws-cn``, ``aws-us-gov`` ..., for the ARNs the kit makes.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

DEFAULT_REGION = "us-east-1"
ACCOUNT_ID = "123456789012"

_clients: dict[tuple[str, str, str | None], Any] = {}


def set_fake_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, endpoint_url: str | None = None
) -> None:
    """Fake credentials, us-east-1, no profile, config files or endpoint but ``endpoint_url``."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"}:
            monkeypatch.delenv(name)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_DEFAULT_REGION": DEFAULT_REGION,
        "AWS_REGION": DEFAULT_REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    if endpoint_url is not None:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint_url)


def client(service: str, region: str = DEFAULT_REGION) -> Any:
    """A boto3 client for ``service`` in ``region``, pointed wherever the fixture points."""
    key = (service, region, os.environ.get("AWS_ENDPOINT_URL"))
    if key not in _clients:
        session: Any = boto3.session.Session()  # Any: the stubs type clients per service literal
        # botocore gzips a PutMetricData body over 10 KB; moto 5.2.1's server then fails to
        # read it (BadGzipFile, HTTP 500), so the kit's helpers send it plain.
        config = Config(disable_request_compression=True)
        _clients[key] = session.client(service, region_name=region, config=config)
    return _clients[key]


@functools.cache
def partition(region: str) -> str:
    """The partition of ``region``, as botocore's endpoint data has it."""
    return str(boto3.session.Session().get_partition_for_region(region))
