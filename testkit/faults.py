"""Faults AWS has and moto lacks, which a test turns on; answered before moto serves a call.

- Throttling. moto never throttles; AWS throttles ``DescribeCertificate`` at about 10 calls a
  second and ``GetFindings`` at 3. ``throttle(service, operation, times=None)`` answers that
  operation (boto3's names, e.g. ``"acm", "DescribeCertificate"``) with
  ``ThrottlingException`` (HTTP 400), ``times`` times or always; ``throttled`` counts the
  refusals per ``(service, operation)``.
- An ACM endpoint without ``SearchCertificates``. ``search = "unknown_operation"`` answers it
  as an endpoint that predates the operation (``UnknownOperationException``, HTTP 400);
  ``"access_denied"`` as a role without ``acm:SearchCertificates`` (``AccessDeniedException``);
  ``"available"`` (the default) lets ``testkit.acm`` serve it.

``answer(service, operation, account)`` is what the one call hook (``testkit.strict``) asks
before every call: the error to answer with, or None.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from testkit.errors import AwsError

SEARCH_STATES = ("available", "unknown_operation", "access_denied")


@dataclass
class Faults:
    """The faults a test turned on; see the module docstring."""

    search: str = "available"  # "available", "unknown_operation" or "access_denied"
    throttles: dict[tuple[str, str], int | None] = field(default_factory=dict)
    throttled: Counter[tuple[str, str]] = field(default_factory=Counter)

    def throttle(self, service: str, operation: str, times: int | None = None) -> None:
        """Answer ``operation`` of ``service`` (boto3's name, e.g. "acm", "DescribeCertificate")
        with ThrottlingException ``times`` times, or always when None."""
        self.throttles[(service, operation)] = times

    def answer(self, service: str, operation: str, account: str) -> AwsError | None:
        """The error this call gets instead of moto's answer, if any."""
        if self._throttling(service, operation):
            return AwsError("ThrottlingException", "Rate exceeded")
        if (service, operation) == ("acm", "SearchCertificates"):
            return self._search_refusal(account)
        return None

    def _throttling(self, service: str, operation: str) -> bool:
        key = (service, operation)
        if key not in self.throttles:
            return False
        left = self.throttles[key]
        if left is not None:
            if left <= 0:
                return False
            self.throttles[key] = left - 1
        self.throttled[key] += 1
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
