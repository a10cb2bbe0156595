"""Faults AWS has and moto lacks, which a test turns on; answered before moto serves a call.

- Throttling. moto never throttles; AWS throttles ``DescribeCertificate`` at about 10 calls a
  second and ``GetFindings`` at 3. A throttled call is answered with the service's own
  throttling error: Security Hub's ``TooManyRequestsException`` ("Too Many Requests", HTTP
  429, what its API answers beyond its rate), elsewhere ``ThrottlingException`` ("Rate
  exceeded", HTTP 400). ``throttled`` counts the refusals per ``(service, operation)``.

  - ``throttle(service, operation, times=None)`` refuses that operation (boto3's names, e.g.
    ``"acm", "DescribeCertificate"``) ``times`` times, or always.
  - ``limit_rate(service, operation, per_second=None, burst=None, clock=time.monotonic)``
    serves it at a rate: a token bucket of ``burst`` tokens, full at first, refilled at
    ``per_second`` on the real clock (or ``clock``); a call that finds no token is refused.
    Without numbers, the limits the Security Hub API reference documents (``RATE_LIMITS``):
    ``GetFindings`` "RateLimit of 3 requests per second. BurstLimit of 6 requests per
    second", ``BatchImportFindings`` 10 and 30. Thread-safe: the server serves calls in
    threads.
- An ACM endpoint without ``SearchCertificates``. ``search = "unknown_operation"`` answers it
  as an endpoint that predates the operation (``UnknownOperationException``, HTTP 400);
  ``"access_denied"`` as a role without ``acm:SearchCertificates`` (``AccessDeniedException``);
  ``"available"`` (the default) lets ``testkit.acm`` serve it.
- A service not offered in a region. ``not_offered(service, region)``: AWS has no endpoint
  ``<service>.<region>.amazonaws.com`` there, so botocore cannot connect and raises
  ``EndpointConnectionError`` ("Could not connect to the endpoint URL: ...") after its retries
  (it retries connection errors). Real examples, by botocore's own endpoint data
  (``boto3.session.Session().get_available_regions``): Directory Service (``ds``) is not
  offered in ``ap-east-2`` (Taipei) nor ``ap-southeast-6``; IoT Core (``iot``) not in
  ``af-south-1``, ``ap-northeast-3``, ``eu-central-2`` and others. In-process the call hook
  raises it where botocore sends the request; against the server, botocore's HTTP send does.
- An IAM denial. ``deny(service, operation)`` answers that operation as AWS answers a role
  without the permission: the service's access-denied code (``AccessDeniedException``, HTTP 400
  for the JSON protocol and 403 for REST; ``AccessDenied``, 403, for the query services RDS and
  IAM; ``AuthorizationError``, 403, for SNS) and AWS's message "User:
  arn:aws:sts::<account>:assumed-role/handle-expiring-certificates/handle-expiring-certificates
  is not authorized to perform: <action> on resource: <arn> because no identity-based policy
  allows the <action> action", where the action is IAM's name for the operation (API Gateway's
  ``GetClientCertificates`` is ``apigateway:GET``) and the resource the one IAM checks.

- Any other error answer. ``fail(service, operation, code, message, times=None, region=None,
  params=None, status=None)`` answers that operation with AWS's error ``code`` and ``message``
  in the service's error shape (botocore raises a ``ClientError`` with both), ``times`` times or
  always; only in ``region``, and only requests whose parameters have the values in
  ``params`` (``{"CertificateArn": arn}``: one certificate), when given. ``status`` sets the
  HTTP status where the service's model has none for the code (``testkit.errors``).
  ``failed`` counts those answers per ``(service, operation)``.
- What happens in the account while the function runs. ``after(service, operation, then)``:
  ``then(call)`` runs once moto answered each call of that operation (not one a fault
  answered), before the answer reaches the caller: someone deleting a certificate the search
  has just listed, or a test noting each call's parameters (``call.param(name)``).

``answer(call)`` is what the one call hook (``testkit.strict``) asks before every call: the
error to answer with, or None; ``answered(call)`` what it runs once moto answered;
``unreachable(service, region)`` the connection error, if any.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import botocore.session
from botocore.exceptions import EndpointConnectionError

from testkit.environment import partition
from testkit.errors import AwsError

SEARCH_STATES = ("available", "unknown_operation", "access_denied")
# (requests per second, burst): the Security Hub API reference's throttling limits.
RATE_LIMITS: dict[tuple[str, str], tuple[float, int]] = {
    ("securityhub", "GetFindings"): (3.0, 6),
    ("securityhub", "BatchImportFindings"): (10.0, 30),
}
# (code, message, HTTP status) a service answers a throttled call with.
_THROTTLING: dict[str, tuple[str, str, int]] = {
    "securityhub": ("TooManyRequestsException", "Too Many Requests", 429),
}
_DEFAULT_THROTTLING = ("ThrottlingException", "Rate exceeded", 400)


def throttling_error(service: str) -> AwsError:
    """What ``service`` answers a call beyond its rate with."""
    code, message, status = _THROTTLING.get(service, _DEFAULT_THROTTLING)
    return AwsError(code, message, status=status)


@dataclass
class TokenBucket:
    """``burst`` tokens, full at first, refilled at ``per_second`` by ``clock``."""

    per_second: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    checked: float = field(init=False)

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError(f"a rate above 0 and a burst of 1 or more, not {self}")
        self.tokens = float(self.burst)
        self.checked = self.clock()

    def take(self) -> bool:
        """One token if there is one (the call is served), else False (it is throttled)."""
        moment = self.clock()
        self.tokens = min(self.burst, self.tokens + (moment - self.checked) * self.per_second)
        self.checked = moment
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


ROLE = "handle-expiring-certificates"
ASSUMED_ROLE = f"assumed-role/{ROLE}/{ROLE}"


class Call(Protocol):
    """One request as the faults see it (``testkit.moto_internals.Request`` is one)."""

    @property
    def service(self) -> str: ...
    @property
    def operation(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def account(self) -> str: ...
    def param(self, name: str) -> Any: ...


@functools.cache
def _model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


# The HTTP verb API Gateway's IAM actions are named after, by operation prefix.
_API_GATEWAY_VERBS = {
    "Get": "GET",
    "Generate": "POST",
    "Create": "POST",
    "Delete": "DELETE",
    "Update": "PATCH",
}


def iam_action(service: str, operation: str) -> str:
    """IAM's name for an operation: ``<service>:<operation>``, but API Gateway's management
    API is authorised by HTTP verb (``apigateway:GET`` ...)."""
    if service == "apigateway":
        verb = next(v for prefix, v in _API_GATEWAY_VERBS.items() if operation.startswith(prefix))
        return f"apigateway:{verb}"
    return f"{service}:{operation}"


def _resource_of(call: Call) -> str:
    """The resource IAM authorises the call against, as its denial names it."""
    p, r, a = partition(call.region), call.region, call.account
    param = call.param
    resources: dict[tuple[str, str], Callable[[], str]] = {
        ("acm-pca", "ListCertificateAuthorities"): lambda: (
            f"arn:{p}:acm-pca:{r}:{a}:certificate-authority/*"
        ),
        ("rds", "DescribeDBInstances"): lambda: (
            f"arn:{p}:rds:{r}:{a}:db:{param('DBInstanceIdentifier') or '*'}"
        ),
        ("apigateway", "GetClientCertificates"): lambda: (
            f"arn:{p}:apigateway:{r}::/clientcertificates"
        ),
        ("iot", "ListCACertificates"): lambda: f"arn:{p}:iot:{r}:{a}:cacert/*",
        ("iot", "DescribeCACertificate"): lambda: (
            f"arn:{p}:iot:{r}:{a}:cacert/{param('certificateId') or '*'}"
        ),
        ("iam", "ListSAMLProviders"): lambda: f"arn:{p}:iam::{a}:saml-provider/*",
        ("iam", "GetSAMLProvider"): lambda: str(param("SAMLProviderArn")),
        ("transfer", "ListCertificates"): lambda: f"arn:{p}:transfer:{r}:{a}:certificate/*",
        ("transfer", "DescribeCertificate"): lambda: (
            f"arn:{p}:transfer:{r}:{a}:certificate/{param('CertificateId')}"
        ),
        ("ds", "DescribeDirectories"): lambda: f"arn:{p}:ds:{r}:{a}:directory/*",
        ("ds", "ListCertificates"): lambda: f"arn:{p}:ds:{r}:{a}:directory/{param('DirectoryId')}",
        ("dms", "DescribeCertificates"): lambda: f"arn:{p}:dms:{r}:{a}:cert:*",
        ("sns", "ListPlatformApplications"): lambda: f"arn:{p}:sns:{r}:{a}:*",
    }
    resource = resources.get((call.service, call.operation))
    return resource() if resource else f"arn:{p}:{call.service}:{r}:{a}:*"


def access_denied(call: Call) -> AwsError:
    """What AWS answers when the function's role may not make ``call``."""
    action = iam_action(call.service, call.operation)
    message = (
        f"User: arn:{partition(call.region)}:sts::{call.account}:{ASSUMED_ROLE} is not "
        f"authorized to perform: {action} on resource: {_resource_of(call)} because no "
        f"identity-based policy allows the {action} action"
    )
    protocol = _model(call.service).protocol
    if call.service == "sns":
        return AwsError("AuthorizationError", message, status=403)
    if protocol == "query":
        return AwsError("AccessDenied", message, status=403)
    return AwsError(
        "AccessDeniedException", message, status=403 if protocol == "rest-json" else 400
    )


def endpoint_url(service: str, region: str) -> str:
    """The URL botocore would connect to for ``service`` in ``region``."""
    return f"https://{_model(service).endpoint_prefix}.{region}.amazonaws.com/"


@dataclass
class Failure:
    """One ``Faults.fail``: the error, and which calls get it (``times`` left; None: always)."""

    code: str
    message: str
    times: int | None = None
    region: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    status: int | None = None

    def applies(self, call: Call) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.region is not None and call.region != self.region:
            return False
        return all(call.param(name) == value for name, value in self.params.items())


@dataclass
class Faults:
    """The faults a test turned on; see the module docstring."""

    search: str = "available"  # "available", "unknown_operation" or "access_denied"
    throttles: dict[tuple[str, str], int | None] = field(default_factory=dict)
    rates: dict[tuple[str, str], TokenBucket] = field(default_factory=dict)
    throttled: Counter[tuple[str, str]] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    unoffered: set[tuple[str, str]] = field(default_factory=set)
    denied: set[tuple[str, str]] = field(default_factory=set)
    failures: dict[tuple[str, str], list[Failure]] = field(default_factory=dict)
    failed: Counter[tuple[str, str]] = field(default_factory=Counter)
    afterwards: dict[tuple[str, str], list[Callable[[Call], None]]] = field(default_factory=dict)

    def not_offered(self, service: str, region: str) -> None:
        """Every request of ``service`` (boto3's name) in ``region`` fails as a request to an
        endpoint that does not exist: ``EndpointConnectionError``."""
        self.unoffered.add((service, region))

    def deny(self, service: str, operation: str) -> None:
        """Answer ``operation`` of ``service`` as AWS answers a role that may not call it."""
        self.denied.add((service, operation))

    def fail(
        self,
        service: str,
        operation: str,
        code: str,
        message: str,
        times: int | None = None,
        region: str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        """Answer ``operation`` of ``service`` with the error ``code`` and ``message``, ``times``
        times or always; only in ``region``, and only requests with the values in ``params``,
        when given. Each call gets the first such failure that applies, in the order given."""
        failure = Failure(code, message, times, region, dict(params or {}), status)
        with self._lock:
            self.failures.setdefault((service, operation), []).append(failure)

    def after(self, service: str, operation: str, then: Callable[[Call], None]) -> None:
        """``then(call)`` runs once moto answered each call of ``operation`` of ``service``."""
        with self._lock:
            self.afterwards.setdefault((service, operation), []).append(then)

    def answered(self, call: Call) -> None:
        """What runs once moto answered ``call`` (``after``)."""
        if not self.afterwards:  # the usual case: nothing to take the lock for
            return
        with self._lock:
            then = list(self.afterwards.get((call.service, call.operation), ()))
        for action in then:
            action(call)

    def unreachable(self, service: str, region: str) -> EndpointConnectionError | None:
        """The error botocore raises for a request of ``service`` to ``region``, if any."""
        if (service, region) not in self.unoffered:
            return None
        return EndpointConnectionError(endpoint_url=endpoint_url(service, region))

    def unreachable_signed(self, signing_name: str, region: str) -> EndpointConnectionError | None:
        """``unreachable`` for a request signed for ``signing_name`` (what botocore's HTTP
        layer sees of the service)."""
        for service, unoffered_region in self.unoffered:
            if unoffered_region == region and _model(service).signing_name == signing_name:
                return self.unreachable(service, region)
        return None

    def throttle(self, service: str, operation: str, times: int | None = None) -> None:
        """Answer ``operation`` of ``service`` (boto3's name, e.g. "acm", "DescribeCertificate")
        with the service's throttling error ``times`` times, or always when None."""
        self.throttles[(service, operation)] = times

    def limit_rate(
        self,
        service: str,
        operation: str,
        per_second: float | None = None,
        burst: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> TokenBucket:
        """Serve ``operation`` of ``service`` at ``per_second`` calls a second with a ``burst``
        (a token bucket; AWS's documented limits when not given) and throttle the rest."""
        key = (service, operation)
        if per_second is None or burst is None:
            if key not in RATE_LIMITS:
                raise ValueError(f"no documented rate for {key}: give per_second and burst")
            documented_rate, documented_burst = RATE_LIMITS[key]
            per_second = documented_rate if per_second is None else per_second
            burst = documented_burst if burst is None else burst
        bucket = TokenBucket(per_second, burst, clock)
        with self._lock:
            self.rates[key] = bucket
        return bucket

    def answer(self, call: Call) -> AwsError | None:
        """The error this call gets instead of moto's answer, if any."""
        service, operation = call.service, call.operation
        if (service, operation) in self.denied:
            return access_denied(call)
        failure = self._failure(call)
        if failure is not None:
            return AwsError(failure.code, failure.message, status=failure.status)
        if self._throttling(service, operation):
            return throttling_error(service)
        if (service, operation) == ("acm", "SearchCertificates"):
            return self._search_refusal(call.account)
        return None

    def _failure(self, call: Call) -> Failure | None:
        key = (call.service, call.operation)
        if key not in self.failures:  # the usual case: nothing to take the lock for
            return None
        with self._lock:
            failure = next((f for f in self.failures.get(key, ()) if f.applies(call)), None)
            if failure is not None:
                if failure.times is not None:
                    failure.times -= 1
                self.failed[key] += 1
            return failure

    def _throttling(self, service: str, operation: str) -> bool:
        key = (service, operation)
        with self._lock:
            refused = self._counted_down(key) or (key in self.rates and not self.rates[key].take())
            if refused:
                self.throttled[key] += 1
            return refused

    def _counted_down(self, key: tuple[str, str]) -> bool:
        if key not in self.throttles:
            return False
        left = self.throttles[key]
        if left is not None:
            if left <= 0:
                return False
            self.throttles[key] = left - 1
        return True

    def _search_refusal(self, account: str) -> AwsError | None:
        if self.search == "unknown_operation":
            return AwsError("UnknownOperationException", "Unknown operation SearchCertificates")
        if self.search == "access_denied":
            return AwsError(
                "AccessDeniedException",
                f"User: arn:aws:sts::{account}:assumed-role/fn is not authorized "
                "to perform: acm:SearchCertificates",
            )
        if self.search != "available":
            raise ValueError(f"search is one of {SEARCH_STATES}, not {self.search!r}")
        return None
