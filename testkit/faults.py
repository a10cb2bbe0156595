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

``answer(service, operation, account)`` is what the one call hook (``testkit.strict``) asks
before every call: the error to answer with, or None.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

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
    return AwsError(code, message, http_status=status)


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


@dataclass
class Faults:
    """The faults a test turned on; see the module docstring."""

    search: str = "available"  # "available", "unknown_operation" or "access_denied"
    throttles: dict[tuple[str, str], int | None] = field(default_factory=dict)
    rates: dict[tuple[str, str], TokenBucket] = field(default_factory=dict)
    throttled: Counter[tuple[str, str]] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

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

    def answer(self, service: str, operation: str, account: str) -> AwsError | None:
        """The error this call gets instead of moto's answer, if any."""
        if self._throttling(service, operation):
            return throttling_error(service)
        if (service, operation) == ("acm", "SearchCertificates"):
            return self._search_refusal(account)
        return None

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
