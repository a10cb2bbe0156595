"""moto made as strict as AWS where the handler depends on it: the one install function.

``install_strictness(monkeypatch)`` installs each service module's patches (``SERVICES``:
``testkit.acm``, ``testkit.acmpca``, ``testkit.apigateway``, ``testkit.cloudwatch``,
``testkit.dms``, ``testkit.ds``, ``testkit.iam``, ``testkit.iot``, ``testkit.rds``,
``testkit.securityhub``, ``testkit.sns``, ``testkit.transfer``; each module's docstring says
which AWS behaviour each piece mirrors) and the one hook every call goes through, which records
the call and answers it with a fault a test turned on (``testkit.faults``; a service not offered
in a region fails on botocore's side, in-process and against the server alike). STS needs
nothing: moto's ``GetCallerIdentity`` answers as AWS does for what the handler reads.
Everything is undone by ``monkeypatch``.

Adding a service: a module ``testkit/<service>.py`` with a docstring naming the AWS
behaviours it mirrors and ``install(patch: Patcher) -> None`` that registers its patches
through ``testkit.moto_internals.Patcher`` (moto's internals stay in that one module), then
its entry in ``SERVICES``.

Fixtures (wired in ``testkit/fixtures.py``), each yielding a ``StrictAws`` (``region``,
``account_id``, ``endpoint_url`` (``None`` in-process), ``calls``, ``world``):

- ``aws``: ``moto.mock_aws()`` in-process, with the fake environment of
  ``testkit.environment`` and the strictness. Everything is undone after the test.
- ``aws_server``: the same against a ``ThreadedMotoServer`` on 127.0.0.1 (one per session),
  reached through ``AWS_ENDPOINT_URL``; state is reset (``POST /moto-api/reset``) before each
  test. The server runs in this process, so the same patches and helpers apply.
- ``strict_moto()``: a context manager giving ``aws`` outside pytest (the demo).

``StrictAws.calls`` records every API call moto served, as ``ApiCall(service, operation,
region)`` (``service`` as boto3 names it), helpers' calls included: call ``calls.clear()``
before the code under test. ``StrictAws.operations(service)`` lists the operation names.
``StrictAws.world`` is the ``World`` a test turns: the faults (``world.throttle(...)``,
``world.limit_rate(...)``, ``world.throttled``, ``world.search``,
``world.not_offered(service, region)``, ``world.deny(service, operation)``,
``world.fail(service, operation, code, message, ...)``, ``world.failed``,
``world.after(service, operation, then)``, ``world.reject_findings(...)``) and the
administrator's hub (``world.add_member(...)``, ``world.add_member_finding(...)``,
``world.set_workflow(...)``).
"""

from __future__ import annotations

import contextlib
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from testkit import (
    acm,
    acmpca,
    apigateway,
    cloudwatch,
    dms,
    ds,
    iam,
    iot,
    rds,
    securityhub,
    sns,
    transfer,
)
from testkit.environment import ACCOUNT_ID, DEFAULT_REGION, set_fake_environment
from testkit.errors import AwsError
from testkit.faults import Faults
from testkit.moto_internals import Patcher, Request, mock_aws, reset_server, start_server

# One install function per service module: what moto lacks there, registered on the patcher.
SERVICES: tuple[Callable[[Patcher], None], ...] = (
    acm.install,
    acmpca.install,
    apigateway.install,
    cloudwatch.install,
    dms.install,
    ds.install,
    iam.install,
    iot.install,
    rds.install,
    securityhub.install,
    sns.install,
    transfer.install,
)


@dataclass(frozen=True)
class ApiCall:
    service: str
    operation: str
    region: str


class World(Faults):
    """What a test turns beyond one moto account: the faults (``testkit.faults``), and the
    hub of a Security Hub administrator (``testkit.securityhub``)."""

    def add_member(
        self, account_id: str, status: str = "Enabled", region: str = DEFAULT_REGION, **kwargs: Any
    ) -> None:
        """A member account of the administrator's hub, as ListMembers gives it
        (``testkit.securityhub.add_member``: ``account_name``, ``email``, timestamps)."""
        securityhub.add_member(account_id, status, region=region, **kwargs)

    def add_member_finding(self, finding: Mapping[str, Any], region: str = DEFAULT_REGION) -> None:
        """A member account's finding, as the administrator's aggregated hub holds it."""
        securityhub.add_member_finding(finding, region)

    def set_workflow(self, finding_id: str, status: str, region: str = DEFAULT_REGION) -> None:
        """What BatchUpdateFindings (a person in the console) does to Workflow.Status."""
        securityhub.set_workflow(finding_id, status, region)

    def reject_findings(
        self,
        rejected: Mapping[str, tuple[str, str]],
        times: int | None = None,
        region: str = DEFAULT_REGION,
    ) -> securityhub.Rejections:
        """BatchImportFindings answers each finding of ``rejected`` (by its ``Id``) with a
        ``FailedFindings`` entry ``(ErrorCode, ErrorMessage)`` on its first ``times`` imports
        (``testkit.securityhub.reject_findings``); the findings of each request are noted."""
        return securityhub.reject_findings(rejected, times, region=region)


@dataclass
class StrictAws:
    region: str = DEFAULT_REGION
    account_id: str = ACCOUNT_ID
    endpoint_url: str | None = None
    calls: list[ApiCall] = field(default_factory=list)
    world: World = field(default_factory=World)

    def operations(self, service: str | None = None) -> list[str]:
        """Operation names served, in order, optionally for one service."""
        return [c.operation for c in self.calls if service is None or c.service == service]


def install_strictness(monkeypatch: pytest.MonkeyPatch) -> tuple[list[ApiCall], World]:
    """Patch moto (undone by ``monkeypatch``); return the list calls are logged to, and the
    world a test turns."""
    calls: list[ApiCall] = []
    world = World()
    # pytest restores the warning filters after each test.
    warnings.filterwarnings("ignore", message=r"Exception\(NotEmulated", category=UserWarning)
    warnings.filterwarnings("ignore", message=r"Exception\(AwsError\)", category=UserWarning)
    patch = Patcher(monkeypatch)

    def every_call(request: Request) -> AwsError | None:
        unreachable = world.unreachable(request.service, request.region)
        if unreachable is not None:
            raise unreachable  # never reaches AWS: not a call served
        calls.append(ApiCall(request.service, request.operation, request.region))
        return world.answer(request)

    patch.on_every_call(every_call, after=world.answered)
    patch.on_every_send(
        lambda signing_name, region, _: world.unreachable_signed(signing_name, region)
    )
    patch.routes()
    for install in SERVICES:
        install(patch)
    patch.quiet_server()
    return calls, world


# Fixture bodies (testkit/fixtures.py wires them) ################################################


def strict_mock_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[StrictAws]:
    set_fake_environment(monkeypatch, tmp_path)
    with mock_aws():
        calls, world = install_strictness(monkeypatch)
        yield StrictAws(calls=calls, world=world)


@contextlib.contextmanager
def strict_moto() -> Iterator[StrictAws]:
    """``aws`` outside pytest (the demo): strict moto in-process, undone on leaving."""
    with pytest.MonkeyPatch.context() as monkeypatch, tempfile.TemporaryDirectory() as folder:
        yield from strict_mock_aws(monkeypatch, Path(folder))


def strict_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, endpoint_url: str
) -> Iterator[StrictAws]:
    reset_server(endpoint_url)
    set_fake_environment(monkeypatch, tmp_path, endpoint_url)
    calls, world = install_strictness(monkeypatch)
    yield StrictAws(endpoint_url=endpoint_url, calls=calls, world=world)


__all__ = [
    "SERVICES",
    "ApiCall",
    "StrictAws",
    "World",
    "install_strictness",
    "start_server",
    "strict_mock_aws",
    "strict_moto",
    "strict_server",
]
