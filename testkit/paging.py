"""Paging tokens of the operations the kit serves (ACM's ``NextToken``, Security Hub's
``NextToken``, IAM's ``Marker``): opaque to a client, an offset into the listing inside."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable


def token(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def offset(value: str | None, invalid: Callable[[], Exception]) -> int:
    """Where the page of ``value`` starts (0 without a token); ``invalid()`` is raised for a
    token the kit did not make."""
    if not value:
        return 0
    try:
        start = int(json.loads(base64.b64decode(value))["offset"])
    except (ValueError, KeyError, TypeError) as error:
        raise invalid() from error
    if start < 0:
        raise invalid()
    return start
