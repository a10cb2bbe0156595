"""Lambda's clock as the handler reads it: the context's remaining time.

- ``FakeContext(remaining_ms=300_000, ...)``: the parts of a Lambda context a handler uses;
  ``remaining_ms`` may be a callable; ``FakeContext.decreasing(start_ms, step_ms)`` loses
  ``step_ms`` at every query (never below 0).
- ``RealClockContext(budget_ms)``: a context whose remaining time runs out with the wall clock,
  as Lambda's does (never below 0); ``elapsed_ms()`` since it was made.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from testkit.environment import ACCOUNT_ID, DEFAULT_REGION


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


class RealClockContext(FakeContext):
    """A Lambda context whose remaining time runs out with the wall clock."""

    def __init__(self, budget_ms: int) -> None:
        super().__init__(remaining_ms=self._remaining)
        self.budget_ms = budget_ms
        self.started = time.monotonic()

    def _remaining(self) -> int:
        return max(0, self.budget_ms - self.elapsed_ms())

    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)
