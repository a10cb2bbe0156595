"""Seeding every certificate source beyond ACM, through the test kit's helpers, and what the
seed says a scan must find: the benchmark's issue 18 target and ``tests/test_scale.py`` share it.

``plan_held(counts, seed)`` gives each kind's items their days left (a fifth of them inside the
45-day window, from expired 5 days ago to 44 days left; the others 46 to 400 days out), and a
few in the states a scan reads but judges differently (a disabled Private CA, an inactive IoT
CA certificate, a disabled APNs application: inside the window, not in use) or lists and skips
(a Private CA still waiting for its certificate, a token-based APNs application: no expiry).
``seed_held(region, now, plan)`` makes them with ``testkit.seed_source`` (boto3 against the
emulator) and returns ``SeededHeld``: the ``Held`` counts ``testkit.calls`` pages over and the
``DigestEntry`` of every certificate inside the window (its resource as the handler names it,
its kind), so that a scan's findings can be compared with the seed, never with what the
handler says.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench.common import EXPIRY_DAYS, IN_WINDOW_DAYS
from handle_expiring_certificates import ACM, GLOBAL_SOURCES, SOURCE_NAMES
from testkit import ACCOUNT_ID, seed_source
from testkit.calls import DigestEntry, Held, held_entry

GLOBAL = "global"
# A certificate's NotAfter an hour past whole days, never on the window's edge.
OFFSET = timedelta(hours=1)
# Every source beyond ACM, in the handler's order (each kind's days are drawn in this order: a
# source added to the handler is planned too, and tests/test_scale.py fails until it is seeded).
KINDS = tuple(name for name in SOURCE_NAMES if name != ACM)


@dataclass(frozen=True)
class Item:
    """One seeded item: its index, days left (None: it has no certificate to report) and
    whether it is in the odd state of its kind (see the module docstring)."""

    index: int
    days: float | None
    odd: bool = False

    @property
    def in_window(self) -> bool:
        return self.days is not None and self.days <= EXPIRY_DAYS


def plan_held(
    counts: Mapping[str, int], seed: int = 7, in_window_share: int = 5
) -> dict[str, list[Item]]:
    """Each kind's items: one in ``in_window_share`` inside the window, the first always (so a
    kind of one item is reported); one in ten of a kind that has an odd state in it."""
    rng = random.Random(seed)
    plan: dict[str, list[Item]] = {}
    for kind in KINDS:
        items = []
        for index in range(counts.get(kind, 0)):
            inside = index % in_window_share == 0
            days = float(
                rng.choice(list(IN_WINDOW_DAYS)) if inside else rng.randrange(EXPIRY_DAYS + 1, 400)
            )
            odd = index % 10 == 9
            if kind == "private-ca" and days < 1:
                days = 1.0  # an expired CA is reached otherwise; one that is still valid here
            if odd and kind in ("private-ca", "sns-apns") and not inside:
                items.append(Item(index, None, odd=True))  # waiting for its CA certificate; token
            else:
                items.append(Item(index, days, odd))
        plan[kind] = items
    return plan


@dataclass
class SeededHeld:
    """What the seed holds: the counts ``testkit.calls`` pages over, and what a scan must find."""

    held: Held
    iam: int  # IAM server certificates
    expected: list[DigestEntry] = field(default_factory=list)  # every certificate in the window

    def in_window(self, kind: str | None = None) -> set[str]:
        """The resources inside the window (of one kind), as the handler names them."""
        return {e.arn for e in self.expected if kind in (None, e.kind)}


def _at(now: datetime, days: float) -> datetime:
    return now + timedelta(days=days) + OFFSET


# Each kind's item names (by index; the APIs' rules on names differ), and what its odd state
# is made with (see the module docstring).
NAMES = {
    "iam": "bench-server-{:03d}",
    "private-ca": "ca{:03d}.bench.example.com",
    "rds": "bench-db-{:03d}",
    "api-gateway": "",  # no description: the handler names it by its id
    "iot": "iot-ca{:03d}.bench.example.com",
    "saml": "BenchIdp{:03d}",
    "transfer": "as2-{:03d}.bench.example.com",
    "directory-service": "ldaps{:03d}.corp.example.com",
    "dms": "bench-ca-{:03d}",
    "sns-apns": "BenchApp{:03d}",
}
ODD: dict[str, dict[str, Any]] = {
    "private-ca": {"status": "DISABLED"},
    "iot": {"status": "INACTIVE"},
    "sns-apns": {"enabled": False},
}
# The kinds whose digest entry carries the id that ends the ARN rather than the name (a lower
# bound of what the handler shows; a directory's certificate: its name, less its directory's).
BY_ID = ("api-gateway", "iot", "transfer")


def seed_held(
    region: str, now: datetime, plan: Mapping[str, list[Item]], account: str = ACCOUNT_ID
) -> SeededHeld:
    """Make the planned items in ``region`` (IAM and SAML: the account's), each through the
    kit's ``seed_source``; see the module docstring."""
    expected: list[DigestEntry] = []
    for kind in KINDS:
        for item in plan.get(kind, []):
            name = NAMES[kind].format(item.index)
            options = dict(ODD.get(kind, {})) if item.odd else {}
            if item.days is not None:
                not_after: datetime | None = _at(now, item.days)
            elif kind == "private-ca":  # still waiting for its CA certificate
                not_after, options = _at(now, 100), {"status": "PENDING_CERTIFICATE"}
            else:  # an APNs application with a token: no certificate
                not_after = None
            arn = seed_source(kind, region, name=name, not_after=not_after, **options)
            if item.in_window and not_after is not None:
                shown = arn.rsplit("/", 1)[1] if kind in BY_ID else name
                where = GLOBAL if kind in GLOBAL_SOURCES else region
                expected.append(held_entry(kind, arn, shown, where, account, not_after))
    held = Held(
        private_cas=len(plan.get("private-ca", [])),
        db_instances=len(plan.get("rds", [])),
        client_certificates=len(plan.get("api-gateway", [])),
        iot_cas=len(plan.get("iot", [])),
        saml_providers=len(plan.get("saml", [])),
        transfer_certificates=len(plan.get("transfer", [])),
        managed_directories=(1,) * len(plan.get("directory-service", [])),  # a certificate each
        dms_certificates=len(plan.get("dms", [])),
        platform_applications=len(plan.get("sns-apns", [])),
    )
    return SeededHeld(held, len(plan.get("iam", [])), expected)
