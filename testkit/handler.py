"""Running the handler the way Lambda does: sample events, a fake context, the one invoker.

- ``load_event(name, **overrides)`` -> dict: ``events/<name>.json`` of the repository
  (``.json`` optional); keyword names map ``_`` to ``-`` where the event has such a key
  (``detail_type=...``); a dict value is merged into a dict field (``detail={...}``), anything
  else replaces it.
- ``FakeContext(remaining_ms=300_000, ...)``: a Lambda context; ``remaining_ms`` may be a
  callable; ``FakeContext.decreasing(start_ms, step_ms)`` loses ``step_ms`` per call.
- ``fresh_clients()``: the ``AwsClients`` of a cold container (one botocore session per process).
- ``invoke(event, *, now=None, context=None, clients=None, environ=None, **settings)``: the
  one place that calls ``lambda_handler``; ``invoke_outcome(...)`` returns ``(summary, error)``
  instead of raising ``IncompleteRunError``.

The handler module is looked up when called, not when this module is imported, so that the
benchmark can load another copy of ``handle_expiring_certificates.py`` under the same name.
"""

from __future__ import annotations

import functools
import importlib
import itertools
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import botocore.session

from testkit.strict_aws import ACCOUNT_ID, DEFAULT_REGION

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


@dataclass
class FakeContext:
    """The parts of the Lambda context object a handler uses."""

    remaining_ms: int | Callable[[], int] = 300_000
    function_name: str = "handle-expiring-certificates"
    function_version: str = "$LATEST"
    invoked_function_arn: str = (
        f"arn:aws:lambda:{DEFAULT_REGION}:{ACCOUNT_ID}:function:handle-expiring-certificates"
    )
    memory_limit_in_mb: int = 128
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/handle-expiring-certificates"
    log_stream_name: str = "2026/11/29/[$LATEST]00000000000000000000000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms() if callable(self.remaining_ms) else self.remaining_ms

    @classmethod
    def decreasing(cls, start_ms: int, step_ms: int, **kwargs: Any) -> FakeContext:
        """A context whose remaining time drops by ``step_ms`` at every query (never below 0)."""
        counter = itertools.count()
        return cls(remaining_ms=lambda: max(0, start_ms - step_ms * next(counter)), **kwargs)


@functools.cache
def shared_session() -> botocore.session.Session:
    """One botocore session per test process for every fresh ``AwsClients``: a new session
    loads the service models again (0.1 to 0.3 s per client), which would dominate the tests'
    run time. Every run still gets its own clients, so none outlives a test or a fixture's
    endpoint."""
    return botocore.session.get_session()


def fresh_clients() -> AwsClients:
    """The clients of a cold Lambda container, as ``lambda_handler(clients=...)`` takes them."""
    return _handler().AwsClients(shared_session())


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
    return _handler().lambda_handler(  # type: ignore[no-any-return]
        event,
        FakeContext() if context is None else context,
        environ=env,
        now=now,
        clients=fresh_clients() if clients is None else clients,
    )


def invoke_outcome(
    event: object, **kwargs: Any
) -> tuple[dict[str, Any], IncompleteRunError | None]:
    """``invoke``, but an incomplete run gives its summary and the error instead of raising:
    ``(summary, None)`` when the run succeeded, ``(error.summary, error)`` when it did not."""
    try:
        return invoke(event, **kwargs), None
    except _handler().IncompleteRunError as error:
        return error.summary, error
