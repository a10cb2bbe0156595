"""Running the handler the way Lambda does: sample events, the one invoker, scans, requests.

- ``load_event(name, **overrides)`` -> dict: ``events/<name>.json`` of the repository
  (``.json`` optional); keyword names map ``_`` to ``-`` where the event has such a key
  (``detail_type=...``); a dict value is merged into a dict field (``detail={...}``), anything
  else replaces it. ``acm_event(arn, name=...)``: an ACM event about ``arn``, in the region its
  ARN names.
- ``fresh_clients()``: the ``AwsClients`` of a cold container (one botocore session per process).
- ``invoke(event, *, now=None, context=None, clients=None, environ=None, **settings)``: the
  one place that calls ``lambda_handler``; ``invoke_outcome(...)`` returns ``(summary, error)``
  instead of raising ``IncompleteRunError``. ``scan(now, **kwargs)`` and
  ``scan_outcome(now, **kwargs)``: the same with the sample "Scheduled Event";
  ``certificate_event(arn, now, **kwargs)``: with ACM's event about one certificate.
- What the handler writes, as a test expects it: ``current_finding_id(arn, region)`` (the Id
  of the finding of a certificate's current version), ``human(moment)`` (a time for people).
- ``Requests``: a botocore ``before-parameter-build`` hook that records every request the
  handler's clients build (once per call, whatever the retries) with its parameters;
  ``Requests.clients()`` gives ``AwsClients`` on a new session with it.
- The Lambda context (``FakeContext``) is in ``testkit.clock``.

The handler module is looked up when called, not when this module is imported, so that the
benchmark can load another copy of ``handle_expiring_certificates.py`` under the same name.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import botocore.session

from testkit.clock import FakeContext
from testkit.environment import DEFAULT_REGION, client

if TYPE_CHECKING:
    from handle_expiring_certificates import AwsClients, IncompleteRunError

EVENTS_DIR = Path(__file__).resolve().parents[1] / "events"


def _handler() -> ModuleType:
    return importlib.import_module("handle_expiring_certificates")


def load_event(name: str, **overrides: Any) -> dict[str, Any]:
    """A sample event from the repository's ``events`` folder, with ``overrides`` applied."""
    file_name = name if name.endswith(".json") else f"{name}.json"
    event: dict[str, Any] = json.loads((EVENTS_DIR / file_name).read_text(encoding="utf-8"))
    for key, value in overrides.items():
        hyphenated = key.replace("_", "-")
        target = hyphenated if hyphenated in event and key not in event else key
        if isinstance(value, Mapping) and isinstance(event.get(target), dict):
            event[target] = {**event[target], **value}
        else:
            event[target] = value
    return event


@functools.cache
def shared_session() -> botocore.session.Session:
    """One botocore session per test process for every fresh ``AwsClients``: a new session
    loads the service models again (0.1 to 0.3 s per client), which would dominate the tests'
    run time. Every run still gets its own clients, so none outlives a test or a fixture's
    endpoint."""
    return botocore.session.get_session()


def fresh_clients() -> AwsClients:
    """The clients of a cold Lambda container, as ``lambda_handler(clients=...)`` takes them."""
    clients: AwsClients = _handler().AwsClients(shared_session())
    return clients


def invoke(
    event: object,
    *,
    now: datetime | None = None,
    context: object = None,
    clients: AwsClients | None = None,
    environ: Mapping[str, str] | None = None,
    **settings: str,
) -> dict[str, Any]:
    """``lambda_handler(event, context)`` as a cold Lambda container runs it; its summary.

    ``environ`` is ``{"AWS_REGION": "us-east-1"}`` unless given, plus ``settings``
    (``invoke(event, now=now, SNS_TOPIC_ARN=arn)``); ``context`` a ``FakeContext()`` unless
    given; ``clients`` ``fresh_clients()`` unless given; ``now`` the handler's clock unless given.
    Raises what the handler raises (``IncompleteRunError`` included).
    """
    env = {"AWS_REGION": DEFAULT_REGION} if environ is None else dict(environ)
    env.update(settings)
    summary: dict[str, Any] = _handler().lambda_handler(
        event,
        FakeContext() if context is None else context,
        environ=env,
        now=now,
        clients=fresh_clients() if clients is None else clients,
    )
    return summary


def invoke_outcome(
    event: object, **kwargs: Any
) -> tuple[dict[str, Any], IncompleteRunError | None]:
    """``invoke``, but an incomplete run gives its summary and the error instead of raising:
    ``(summary, None)`` when the run succeeded, ``(error.summary, error)`` when it did not."""
    try:
        return invoke(event, **kwargs), None
    except _handler().IncompleteRunError as error:
        return error.summary, error


def scan(now: datetime | None = None, **kwargs: Any) -> dict[str, Any]:
    """A scheduled scan: ``invoke`` with the sample "Scheduled Event" (keywords as ``invoke``)."""
    return invoke(load_event("scheduled-event"), now=now, **kwargs)


def scan_outcome(
    now: datetime | None = None, **kwargs: Any
) -> tuple[dict[str, Any], IncompleteRunError | None]:
    """A scheduled scan, as ``invoke_outcome``."""
    return invoke_outcome(load_event("scheduled-event"), now=now, **kwargs)


def current_finding_id(arn: str, region: str = DEFAULT_REGION) -> str:
    """The Id the handler gives the finding of the certificate's current version (its
    ``NotAfter`` in ACM now)."""
    described = client("acm", region).describe_certificate(CertificateArn=arn)["Certificate"]
    finding_id: str = _handler().finding_id(arn, described["NotAfter"])
    return finding_id


def human(moment: datetime) -> str:
    """A moment as the messages and findings write it for people: ``2026-12-09 14:04 UTC``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


_AS_ACM_COUNTS = -1  # certificate_event's default: DaysToExpiry as ACM counts it at ``now``


def acm_event(
    arn: str, name: str = "acm-approaching-expiration", *, days_to_expiry: int | None = None
) -> dict[str, Any]:
    """The sample ACM event ``name`` about the certificate ``arn``, from the region it is in,
    with ``detail.DaysToExpiry`` (ACM's count of days left when it sent the event) set to
    ``days_to_expiry``, or left out when None (as in "ACM Certificate Expired")."""
    event = load_event(name, resources=[arn], region=arn.split(":")[3])
    detail = dict(event.get("detail") or {})
    detail.pop("DaysToExpiry", None)
    if days_to_expiry is not None:
        detail["DaysToExpiry"] = days_to_expiry
    event["detail"] = detail
    return event


def certificate_event(
    arn: str,
    now: datetime | None = None,
    *,
    name: str = "acm-approaching-expiration",
    days_to_expiry: int | None = _AS_ACM_COUNTS,
    **kwargs: Any,
) -> dict[str, Any]:
    """Option 1: ``invoke`` with ACM's event ``name`` about the certificate ``arn``. Its
    ``detail.DaysToExpiry`` is what ACM would send at ``now`` (whole days left, none once
    expired) unless given; None leaves it out."""
    if days_to_expiry == _AS_ACM_COUNTS:
        days_to_expiry = acm_days_to_expiry(arn, now or datetime.now(timezone.utc))
    return invoke(acm_event(arn, name, days_to_expiry=days_to_expiry), now=now, **kwargs)


def acm_days_to_expiry(arn: str, now: datetime) -> int | None:
    """ACM's count in its daily event: whole days left, or None once the certificate expired
    (or is gone)."""
    acm = client("acm", arn.split(":")[3])
    try:
        described = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    except acm.exceptions.ResourceNotFoundException:
        return None
    not_after: datetime = described["NotAfter"]
    return (not_after - now) // timedelta(days=1) if not_after > now else None


@dataclass
class Requests:
    """A botocore ``before-parameter-build`` hook: every request the handler's clients build
    (once per call, whatever the retries), with its parameters."""

    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, **kwargs: Any) -> None:
        # The service as boto3 names it ("apigateway", "ds"), not the event's service id.
        model = kwargs["model"]
        service = str(model.service_model.service_name)
        self.calls.append((service, str(model.name), dict(kwargs["params"])))

    def clients(self, session: botocore.session.Session | None = None) -> AwsClients:
        """The clients of a cold container (a new session unless given), recorded here."""
        session = session or botocore.session.get_session()
        session.register("before-parameter-build", self)
        clients: AwsClients = _handler().AwsClients(session)
        return clients

    def params(self, operation: str, service: str | None = None) -> list[dict[str, Any]]:
        """The parameters of each request of ``operation`` (of ``service``, as boto3 names it:
        several services have a ``ListCertificates``)."""
        return [
            params
            for called, name, params in self.calls
            if name == operation and service in (None, called)
        ]

    def counts(self) -> Counter[str]:
        """Requests per operation name."""
        return Counter(operation for _, operation, _ in self.calls)

    def service_counts(self) -> Counter[str]:
        """Requests per ``service:Operation``, as ``testkit.calls.minimum_calls`` counts."""
        return Counter(f"{service}:{operation}" for service, operation, _ in self.calls)

    def clear(self) -> None:
        self.calls.clear()
