"""Seeding every certificate source beyond ACM, through the test kit's helpers, and what the
seed says a scan must find: the benchmark's issue 18 target and ``tests/test_scale.py`` share it.

``plan_held(counts, seed)`` gives each kind's items their days left (a fifth of them inside the
45-day window, from expired 5 days ago to 44 days left; the others 46 to 400 days out), and a
few in the states a scan reads but judges differently (a disabled Private CA, an inactive IoT
CA certificate, a disabled APNs application: inside the window, not in use) or lists and skips
(a Private CA still waiting for its certificate, a token-based APNs application: no expiry).
``seed_held(region, now, plan)`` makes them with ``testkit``'s helpers (boto3 against the
emulator, or straight into it where the kit adds many at once) and returns ``SeededHeld``: the
``Held`` counts ``testkit.calls`` pages over and the ``DigestEntry`` of every certificate inside
the window (its resource as the handler names it, its kind), so that a scan's findings can be
compared with the seed, never with what the handler says.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bench.common import EXPIRY_DAYS, IN_WINDOW_DAYS
from handle_expiring_certificates import ACM, SOURCE_NAMES
from testkit import (
    ACCOUNT_ID,
    add_client_certificates,
    client,
    create_apns_application,
    create_db_instance,
    create_directory_with_certificate,
    create_private_ca,
    create_saml_provider,
    import_dms_certificate,
    import_transfer_certificate,
    register_iot_ca,
    upload_server_certificate,
)
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


def seed_held(
    region: str, now: datetime, plan: Mapping[str, list[Item]], account: str = ACCOUNT_ID
) -> SeededHeld:
    """Make the planned items in ``region`` (IAM and SAML: the account's), each through the
    kit's helper; see the module docstring."""
    expected: list[DigestEntry] = []

    def found(kind: str, arn: str, name: str, item: Item, where: str = region) -> None:
        if item.in_window and item.days is not None:
            expected.append(held_entry(kind, arn, name, where, account, _at(now, item.days)))

    iam = client("iam")
    for item in plan.get("iam", []):
        assert item.days is not None
        name = f"bench-server-{item.index:03d}"
        arn = upload_server_certificate(iam, name=name, days_left=item.days, now=now, offset=OFFSET)
        found("iam", arn, name, item, GLOBAL)
    for item in plan.get("private-ca", []):
        common_name = f"ca{item.index:03d}.bench.example.com"
        if item.days is None:
            create_private_ca(
                region,
                common_name=common_name,
                not_after=_at(now, 100),
                status="PENDING_CERTIFICATE",
            )
            continue
        status = "DISABLED" if item.odd else "ACTIVE"
        arn = create_private_ca(
            region, common_name=common_name, not_after=_at(now, item.days), status=status
        )
        found("private-ca", arn, common_name, item)
    for item in plan.get("rds", []):
        assert item.days is not None
        identifier = f"bench-db-{item.index:03d}"
        arn = create_db_instance(region, identifier, valid_till=_at(now, item.days))
        found("rds", arn, identifier, item)
    partition = "aws"
    for item in plan.get("api-gateway", []):
        assert item.days is not None
        [identifier] = add_client_certificates(region, 1, expiration=_at(now, item.days))
        arn = f"arn:{partition}:apigateway:{region}::/clientcertificates/{identifier}"
        found("api-gateway", arn, identifier, item)
    for item in plan.get("iot", []):
        assert item.days is not None
        arn, identifier = register_iot_ca(
            region,
            common_name=f"iot-ca{item.index:03d}.bench.example.com",
            not_after=_at(now, item.days),
            status="INACTIVE" if item.odd else "ACTIVE",
        )
        found("iot", arn, identifier, item)
    for item in plan.get("saml", []):
        assert item.days is not None
        name = f"BenchIdp{item.index:03d}"
        arn = create_saml_provider(name, signing_not_after=_at(now, item.days))
        found("saml", arn, name, item, GLOBAL)
    for item in plan.get("transfer", []):
        assert item.days is not None
        identifier = import_transfer_certificate(
            region,
            common_name=f"as2-{item.index:03d}.bench.example.com",
            not_after=_at(now, item.days),
        )
        arn = f"arn:{partition}:transfer:{region}:{account}:certificate/{identifier}"
        found("transfer", arn, identifier, item)
    directories: list[int] = []
    for item in plan.get("directory-service", []):
        assert item.days is not None
        common_name = f"ldaps{item.index:03d}.corp.example.com"
        directory, certificate = create_directory_with_certificate(
            region, common_name=common_name, not_after=_at(now, item.days)
        )
        directories.append(1)
        arn = (
            f"arn:{partition}:ds:{region}:{account}:directory/{directory}/certificate/{certificate}"
        )
        found("directory-service", arn, common_name, item)  # the name, less its directory's
    for item in plan.get("dms", []):
        assert item.days is not None
        identifier = f"bench-ca-{item.index:03d}"
        arn = import_dms_certificate(region, identifier, not_after=_at(now, item.days))
        found("dms", arn, identifier, item)
    for item in plan.get("sns-apns", []):
        name = f"BenchApp{item.index:03d}"
        not_after = None if item.days is None else _at(now, item.days)
        arn = create_apns_application(region, name, not_after=not_after, enabled=not item.odd)
        if item.days is not None:
            found("sns-apns", arn, name, item)
    held = Held(
        private_cas=len(plan.get("private-ca", [])),
        db_instances=len(plan.get("rds", [])),
        client_certificates=len(plan.get("api-gateway", [])),
        iot_cas=len(plan.get("iot", [])),
        saml_providers=len(plan.get("saml", [])),
        transfer_certificates=len(plan.get("transfer", [])),
        managed_directories=tuple(directories),
        dms_certificates=len(plan.get("dms", [])),
        platform_applications=len(plan.get("sns-apns", [])),
    )
    return SeededHeld(held, len(plan.get("iam", [])), expected)
