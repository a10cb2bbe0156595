"""Correct in real organisations (issue 10): the administrator's hub, suppressed findings, the
first release's findings, and certificates the search no longer returns.

Edge to edge on the strict emulator's world (``testkit/securityhub.py``): an administrator's hub
that holds members' findings and rejects their import, and a workflow status that belongs to
people. Each test names the AWS behaviour it relies on and the problem of issue 10 it proves;
each would have failed on the first release, whose finding Id was ``<generator>/<arn>``.
"""

# Expected values come first in assertions (docs/development.md), which SIM300 calls a Yoda
# condition.
# ruff: noqa: SIM300, RUF100

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest

import testkit.securityhub
from handle_expiring_certificates import (
    GENERATOR_ID,
    AwsClients,
    Certificate,
    assess,
    build_finding,
    describe_certificate,
    finding_id,
    first_release_finding_id,
    product_arn,
)
from testkit import (
    ACCOUNT_ID,
    StrictAws,
    client,
    current_finding_id,
    enable_hub,
    finding_by_id,
    fresh_clients,
    get_findings,
    human,
    invoke_outcome,
    load_event,
    scan,
)
from testkit.certificates import import_certificate, set_in_use_by

REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
MEMBER = "210987654321"
MEMBER_CERTIFICATE = (
    f"arn:aws:acm:{REGION}:{MEMBER}:certificate/0f6e4a1c-5b7d-4e2a-9c3b-8d1e2f3a4b5c"
)
LOAD_BALANCER = (
    f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:loadbalancer/app/shop/50dc6c495c0c9188"
)


def states() -> dict[str, tuple[str, str]]:
    """Finding Id -> (RecordState, Workflow.Status) of every finding in the hub."""
    return {f["Id"]: (f["RecordState"], f["Workflow"]["Status"]) for f in get_findings()}


def active_per_certificate() -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in get_findings():
        if finding["RecordState"] == "ACTIVE":
            arn = finding["Resources"][0]["Id"]
            counts[arn] = counts.get(arn, 0) + 1
    return counts


def finding_as_built(arn: str, now: datetime, region: str = REGION) -> dict[str, Any]:
    """The finding the handler builds for a certificate of this account, as of ``now``."""
    certificate = describe_certificate(client("acm", region), arn)
    assert certificate is not None
    assessment = assess(certificate, now, 45)
    assert assessment is not None
    return build_finding(
        assessment, hub_region=REGION, hub_partition="aws", expiry_days=45, existing=None
    )


class ImportRecorder:
    """Every finding the handler's clients send to BatchImportFindings, as sent."""

    def __init__(self, clients: AwsClients, region: str = REGION) -> None:
        self.findings: list[dict[str, Any]] = []
        clients.securityhub(region).meta.events.register(
            "provide-client-params.securityhub.BatchImportFindings", self._record
        )

    def _record(self, params: Mapping[str, Any], **_: Any) -> None:
        self.findings += [copy.deepcopy(dict(f)) for f in params["Findings"]]


class DescribeRecorder:
    """The ARNs the handler's clients describe in ``region``."""

    def __init__(self, clients: AwsClients, region: str = REGION) -> None:
        self.arns: list[str] = []
        for quick in (False, True):
            clients.acm(region, quick=quick).meta.events.register(
                "provide-client-params.acm.DescribeCertificate", self._record
            )

    def _record(self, params: Mapping[str, Any], **_: Any) -> None:
        self.arns.append(str(params["CertificateArn"]))


# Problem 1: the administrator account ###########################################################


def member_finding(now: datetime, id_format: str) -> dict[str, Any]:
    """An ACTIVE finding of this generator that a member account (210987654321) wrote in its
    own product; the administrator's aggregated hub shows it."""
    not_after = now + timedelta(days=5)
    certificate = Certificate(
        arn=MEMBER_CERTIFICATE,
        domain="member.example.com",
        partition="aws",
        region=REGION,
        account=MEMBER,
        type="IMPORTED",
        status="ISSUED",
        key_algorithm="RSA_2048",
        not_after=not_after,
        kind="acm",
        read_by="describe",
        subject_alternative_names=("member.example.com",),
        in_use=True,
        in_use_by=(f"arn:aws:elasticloadbalancing:{REGION}:{MEMBER}:loadbalancer/app/m/1",),
    )
    assessment = assess(certificate, now - timedelta(days=1), 45)
    assert assessment is not None
    finding = build_finding(
        assessment, hub_region=REGION, hub_partition="aws", expiry_days=45, existing=None
    )
    finding["Id"] = (
        first_release_finding_id(MEMBER_CERTIFICATE)
        if id_format == "first-release"
        else finding_id(MEMBER_CERTIFICATE, not_after)
    )
    assert (MEMBER, product_arn("aws", REGION, MEMBER), GENERATOR_ID) == (
        finding["AwsAccountId"],
        finding["ProductArn"],
        finding["GeneratorId"],
    )
    return finding


@pytest.mark.parametrize("hub_filters", [True, False], ids=["hub-filters", "hub-ignores-filters"])
@pytest.mark.parametrize("id_format", ["first-release", "versioned"])
def test_administrator_hub_scan_leaves_member_findings_alone_and_completes(
    aws: StrictAws,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
    id_format: str,
    hub_filters: bool,
):
    """AWS: an administrator's GetFindings returns its members' findings, and
    BatchImportFindings rejects a finding of another account. Issue 10, problem 1: the first
    release archived the member's finding, was refused, and ended every weekly scan in
    IncompleteRunError. Now the scan completes and never sends another account's finding;
    ``hub-ignores-filters`` proves the handler checks account and product in code too."""
    if not hub_filters:
        monkeypatch.setattr(testkit.securityhub, "_matches", lambda finding, filters: True)
    enable_hub()
    member = member_finding(now, id_format)
    aws.world.add_member_finding(member, REGION)
    before = finding_by_id(member["Id"])
    own = import_certificate(client("acm"), common_name="own.example.com", days_left=10, now=now)
    clients = fresh_clients()
    imports = ImportRecorder(clients)

    summary, error = invoke_outcome(load_event("scheduled-event"), now=now, clients=clients)

    assert (None, [], ACCOUNT_ID) == (error, summary["errors"], summary["account"])
    assert {"hub_region": REGION, "written": 1, "archived": 0, "failed": 0, "skipped": None} == (
        summary["findings"]
    )
    after = finding_by_id(member["Id"])
    assert before == after
    assert ("ACTIVE", member["UpdatedAt"]) == (after["RecordState"], after["UpdatedAt"])
    # Only this account's findings are written: its certificate's and its scan's own.
    own_product = product_arn("aws", REGION, ACCOUNT_ID)
    assert [
        (current_finding_id(own), ACCOUNT_ID, own_product),
        (f"{GENERATOR_ID}/monitor/{ACCOUNT_ID}", ACCOUNT_ID, own_product),
    ] == [(f["Id"], f["AwsAccountId"], f["ProductArn"]) for f in imports.findings]


# Problem 2: a suppressed finding ################################################################


def test_suppressed_finding_does_not_hide_the_renewed_certificates_next_expiry(
    aws: StrictAws, now: datetime
):
    """AWS keeps a SUPPRESSED workflow status when an ARCHIVED finding becomes ACTIVE again.
    Issue 10, problem 2: the first release's Id depended on the ARN alone, so next year's expiry
    reactivated the suppressed finding and nobody saw it. Now the renewed version (another
    NotAfter, again inside the window) gets a finding of its own, NEW, and the old one is
    archived."""
    enable_hub()
    acm = client("acm")
    arn = import_certificate(acm, common_name="yearly.example.com", days_left=10, now=now)
    set_in_use_by(arn, REGION, [LOAD_BALANCER])
    scan(now)
    first_id = current_finding_id(arn)
    aws.world.set_workflow(first_id, "SUPPRESSED")
    # Re-imported (renewed): expires 20 days later than the first version, again in the window.
    import_certificate(
        acm, common_name="yearly.example.com", days_left=30, now=now, certificate_arn=arn
    )
    renewed_id = current_finding_id(arn)
    later = now + timedelta(hours=1)

    summary = scan(later)

    assert first_id != renewed_id
    assert {first_id: ("ARCHIVED", "SUPPRESSED"), renewed_id: ("ACTIVE", "NEW")} == states()
    renewed = finding_by_id(renewed_id)
    assert ("MEDIUM", {"Status": "FAILED"}, arn) == (
        renewed["Severity"]["Label"],
        renewed["Compliance"],
        renewed["Resources"][0]["Id"],
    )
    assert (
        f"Resolved on {human(later)}: the certificate was renewed or re-imported; its current "
        f"version has its own finding ({renewed_id})."
    ) == finding_by_id(first_id)["Description"]
    assert (1, 1, []) == (
        summary["findings"]["written"],
        summary["findings"]["archived"],
        summary["errors"],
    )


@pytest.mark.parametrize(
    ("status", "after"),
    [("SUPPRESSED", "SUPPRESSED"), ("RESOLVED", "NEW"), ("NOTIFIED", "NEW")],
)
def test_hub_keeps_suppressed_when_the_same_id_is_archived_and_re_activated(
    aws: StrictAws, now: datetime, status: str, after: str
):
    """The emulator as AWS documents it, which is why the Id must change with the version:
    ARCHIVED -> ACTIVE resets NOTIFIED or RESOLVED to NEW, but SUPPRESSED stays."""
    enable_hub()
    arn = import_certificate(client("acm"), common_name="same.example.com", days_left=10, now=now)
    finding = finding_as_built(arn, now)
    hub = client("securityhub")
    hub.batch_import_findings(Findings=[finding])
    aws.world.set_workflow(finding["Id"], status)
    for minutes, record_state in ((1, "ARCHIVED"), (2, "ACTIVE")):
        moment = now + timedelta(minutes=minutes)
        update = {
            **finding,
            "UpdatedAt": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "RecordState": record_state,
        }
        assert 0 == hub.batch_import_findings(Findings=[update])["FailedCount"]

    assert {finding["Id"]: ("ACTIVE", after)} == states()


# The first release's findings ###################################################################


def first_release_finding(arn: str, now: datetime) -> dict[str, Any]:
    """A finding as the first release wrote it: one Id per certificate, ``<generator>/<arn>``."""
    finding = finding_as_built(arn, now)
    finding["Id"] = first_release_finding_id(arn)
    return finding


def test_first_release_finding_is_archived_and_replaced_never_duplicated(
    aws: StrictAws, now: datetime
):
    """Issue 10, what to build 2: a finding in the first release's Id format is archived and
    replaced by the versioned one on the first run; exactly one ACTIVE finding per certificate
    then and on every later run."""
    enable_hub()
    arn = import_certificate(client("acm"), common_name="old.example.com", days_left=10, now=now)
    old_id = first_release_finding_id(arn)
    client("securityhub").batch_import_findings(Findings=[first_release_finding(arn, now)])
    new_id = current_finding_id(arn)
    later = now + timedelta(hours=1)

    first = scan(later)
    after_first = states()
    second = scan(later + timedelta(days=1))

    assert {old_id: ("ARCHIVED", "NEW"), new_id: ("ACTIVE", "NEW")} == after_first == states()
    assert {arn: 1} == active_per_certificate()
    assert (
        f"Resolved on {human(later)}: replaced by a finding per certificate version ({new_id})."
    ) == finding_by_id(old_id)["Description"]
    assert [(1, 1), (1, 0)] == [
        (run["findings"]["written"], run["findings"]["archived"]) for run in (first, second)
    ]


# Certificates the search no longer returns ######################################################


def test_search_misses_renewed_and_deleted_certificates_so_their_findings_are_checked(
    aws: StrictAws, now: datetime
):
    """SearchCertificates returns only what expires inside the window: a certificate renewed out
    of it (NotAfter now 300 days out) or deleted is not among the results. Its active finding is
    checked with DescribeCertificate and archived saying why (the first release listed every
    certificate and never searched)."""
    enable_hub()
    acm = client("acm")
    renewed = import_certificate(acm, common_name="renewed.example.com", days_left=10, now=now)
    deleted = import_certificate(acm, common_name="deleted.example.com", days_left=12, now=now)
    scan(now)
    renewed_id, deleted_id = current_finding_id(renewed), current_finding_id(deleted)
    later = now + timedelta(days=1)
    import_certificate(
        acm, common_name="renewed.example.com", days_left=300, now=later, certificate_arn=renewed
    )
    acm.delete_certificate(CertificateArn=deleted)
    clients = fresh_clients()
    describes = DescribeRecorder(clients)

    summary = scan(later, clients=clients)

    assert ("SearchCertificates", [], []) == (
        summary["source"],
        summary["in_window"],
        summary["errors"],
    )
    assert sorted([renewed, deleted]) == sorted(describes.arns)
    assert {
        renewed_id: (
            "ARCHIVED",
            f"Resolved on {human(later)}: the certificate was renewed or re-imported; it now "
            f"expires on {human(later + timedelta(days=300, hours=1))}, 300 days away, outside "
            f"the 45-day window.",
        ),
        deleted_id: (
            "ARCHIVED",
            f"Resolved on {human(later)}: the certificate no longer exists in ACM.",
        ),
    } == {f["Id"]: (f["RecordState"], f["Description"]) for f in get_findings()}
    assert (0, 2) == (summary["findings"]["written"], summary["findings"]["archived"])


@pytest.mark.parametrize("change", ["unchanged", "renewed", "deleted"])
def test_scan_never_archives_findings_of_a_region_it_does_not_scan(
    aws: StrictAws, now: datetime, change: str
):
    """One hub (us-east-1) for two deployments: a scan of us-east-1 alone neither checks nor
    archives the finding of an eu-west-1 certificate, whatever became of that certificate."""
    enable_hub(REGION)
    europe_acm = client("acm", OTHER_REGION)
    europe = import_certificate(europe_acm, common_name="eu.example.com", days_left=10, now=now)
    home = import_certificate(client("acm"), common_name="us.example.com", days_left=10, now=now)
    scan(now, AWS_REGION=OTHER_REGION, SECURITY_HUB_REGION=REGION, SCAN_REGIONS=OTHER_REGION)
    europe_id = current_finding_id(europe, OTHER_REGION)
    before = finding_by_id(europe_id)
    if change == "renewed":
        import_certificate(
            europe_acm,
            common_name="eu.example.com",
            days_left=300,
            now=now,
            certificate_arn=europe,
        )
    elif change == "deleted":
        europe_acm.delete_certificate(CertificateArn=europe)
    clients = fresh_clients()
    describes = DescribeRecorder(clients, OTHER_REGION)

    summary = scan(now + timedelta(hours=1), clients=clients, SCAN_REGIONS=REGION)

    assert before == finding_by_id(europe_id)
    assert {europe_id: "ACTIVE", current_finding_id(home): "ACTIVE"} == {
        f["Id"]: f["RecordState"] for f in get_findings()
    }
    assert ([], [REGION]) == (describes.arns, summary["regions"])
    assert (1, 0) == (summary["findings"]["written"], summary["findings"]["archived"])
