"""Every certificate AWS keeps for you, edge to edge (issue 18).

An account in two regions holds a certificate of each of the eleven sources inside the window
(the regional ones in both regions, the global ones once). A scheduled scan reports each once,
in one digest ordered by severity then expiry, with a finding each; once a certificate is
renewed or deleted, the next scan archives its finding. A source that is denied or fails makes
the scan incomplete and names the source, the region and the permission, while every other
source goes on and the findings of the source not read stay as they are; a service not offered
in a region is a note, not a failure.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from testkit import (
    StrictAws,
    client,
    create_topic_with_queue,
    enable_hub,
    get_findings,
    import_certificate,
    receive_messages,
    scan,
    scan_outcome,
    seed_source,
)

REGIONS = ("us-east-1", "eu-west-1")
SETTINGS = {"SCAN_REGIONS": ",".join(REGIONS)}
# The eleven sources, written out here: the expectation the scan is held to, not the handler's
# own SOURCE_NAMES (a source dropped from both would go unnoticed).
SOURCE_NAMES = (
    "acm",
    "iam",
    "private-ca",
    "rds",
    "api-gateway",
    "iot",
    "saml",
    "transfer",
    "directory-service",
    "dms",
    "sns-apns",
)


@dataclass
class Account:
    """What was seeded: the resource id a finding names, by source and region."""

    ids: dict[tuple[str, str], str]


# Each regional source beyond ACM: its certificate's name (``testkit.seed_source``; by region,
# and the region's offset) and days left (plus the offset).
REGIONAL = {
    "private-ca": ("CA {region}", 4),
    "rds": ("orders-{region}", 6),
    "api-gateway": ("payments", 8),
    "iot": ("devices {region}", 10),
    "transfer": ("as2 {region}", 12),
    "directory-service": ("ldaps.{region}.example.com", 14),
    "dms": ("source-ca-{offset}", 16),
    "sns-apns": ("shop{offset}", 18),
}


def seed(now: datetime) -> Account:
    """One certificate of each source in each region it is read in, days left spread so that
    severity and expiry order them (regional in both regions, global once)."""
    ids: dict[tuple[str, str], str] = {}
    for offset, region in enumerate(REGIONS):
        ids[("acm", region)] = import_certificate(
            client("acm", region),
            common_name=f"www-{region}.example.com",
            days_left=2 + offset,
            now=now,
        )
        for source, (name, days) in REGIONAL.items():
            ids[(source, region)] = seed_source(
                source,
                region,
                name=name.format(region=region, offset=offset),
                not_after=now + timedelta(days=days + offset, hours=2),
            )
    ids[("iam", "global")] = seed_source(
        "iam", name="legacy-lb", not_after=now + timedelta(days=20, hours=1)
    )
    ids[("saml", "global")] = seed_source(
        "saml", name="Okta", not_after=now + timedelta(days=22, hours=2)
    )
    return Account(ids)


@pytest.fixture
def account(aws: StrictAws, now: datetime) -> Account:
    enable_hub()
    return seed(now)


def test_a_scan_reports_every_source_s_certificate_once_in_one_ordered_digest(
    aws: StrictAws, now: datetime, account: Account
):
    topic_arn, queue_url = create_topic_with_queue()

    summary = scan(now, SNS_TOPIC_ARN=topic_arn, **SETTINGS)

    assert ([], []) == (summary["errors"], summary["warnings"])
    reported = Counter(entry["arn"] for entry in summary["in_window"])
    assert Counter(account.ids.values()) == reported
    assert set(SOURCE_NAMES) == {entry["kind"] for entry in summary["in_window"]}
    # One digest, most urgent first: by severity, then by expiry.
    [message] = receive_messages(queue_url)
    document = _document(message)
    severities = [entry["severity"] for entry in document["certificates"]]
    order = ["CRITICAL", "HIGH", "MEDIUM", "LOW"]
    assert sorted(severities, key=order.index) == severities
    for severity in set(severities):
        expiries = [e["not_after"] for e in document["certificates"] if e["severity"] == severity]
        assert sorted(expiries) == expiries
    assert sorted(account.ids.values()) == sorted(f["Resources"][0]["Id"] for f in get_findings())


def test_each_source_s_finding_names_its_resource_as_asff_types_it(
    aws: StrictAws, now: datetime, account: Account
):
    scan(now, **SETTINGS)

    types = {f["ProductFields"]["Source"]: f["Resources"][0]["Type"] for f in get_findings()}
    assert {
        "acm": "AwsCertificateManagerCertificate",
        "rds": "AwsRdsDbInstance",
        **{name: "Other" for name in SOURCE_NAMES if name not in ("acm", "rds")},
    } == types


def _document(message: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(message["Message"])
    return document


@pytest.mark.parametrize(
    ("source", "change"),
    [
        ("private-ca", "delete"),
        ("rds", "renew"),
        ("api-gateway", "delete"),
        ("iot", "delete"),
        ("saml", "delete"),
        ("transfer", "delete"),
        ("directory-service", "delete"),
        ("dms", "delete"),
        ("sns-apns", "delete"),
    ],
)
def test_a_finding_is_archived_once_its_certificate_is_renewed_or_deleted(
    aws: StrictAws, now: datetime, account: Account, source: str, change: str
):
    scan(now, **SETTINGS)
    region = "global" if source == "saml" else "us-east-1"
    resource = account.ids[(source, region)]
    CHANGES[(source, change)](resource, now)

    summary = scan(now + timedelta(hours=1), **SETTINGS)

    assert [] == summary["errors"]
    findings = [f for f in get_findings() if f["Resources"][0]["Id"] == resource]
    # Renewed out of the window (a new CA's certificate), or gone: closed, saying why.
    assert [("ARCHIVED", "PASSED")] == [
        (f["RecordState"], f["Compliance"]["Status"]) for f in findings
    ]
    words = "renewed" if change == "renew" else "deleted"
    assert words in findings[0]["Description"] or "no longer exists" in findings[0]["Description"]
    states = {f["Resources"][0]["Id"]: f["RecordState"] for f in get_findings()}
    others = {k: v for k, v in states.items() if k != resource}
    assert {"ACTIVE"} == set(others.values())


def _delete_private_ca(arn: str, now: datetime) -> None:
    pca = client("acm-pca", arn.split(":")[3])
    pca.update_certificate_authority(CertificateAuthorityArn=arn, Status="DISABLED")
    pca.delete_certificate_authority(CertificateAuthorityArn=arn, PermanentDeletionTimeInDays=7)


def _renew_rds(arn: str, now: datetime) -> None:
    region, identifier = arn.split(":")[3], arn.rsplit(":", 1)[1]
    client("rds", region).modify_db_instance(
        DBInstanceIdentifier=identifier,
        CACertificateIdentifier="rds-ca-ecc384-g1",
        ApplyImmediately=True,
    )


def _delete_client_certificate(arn: str, now: datetime) -> None:
    client("apigateway", arn.split(":")[3]).delete_client_certificate(
        clientCertificateId=arn.rsplit("/", 1)[1]
    )


def _delete_iot_ca(arn: str, now: datetime) -> None:
    iot = client("iot", arn.split(":")[3])
    identifier = arn.rsplit("/", 1)[1]
    iot.update_ca_certificate(certificateId=identifier, newStatus="INACTIVE")
    iot.delete_ca_certificate(certificateId=identifier)


def _delete_saml(arn: str, now: datetime) -> None:
    client("iam").delete_saml_provider(SAMLProviderArn=arn)


def _delete_transfer(arn: str, now: datetime) -> None:
    client("transfer", arn.split(":")[3]).delete_certificate(CertificateId=arn.rsplit("/", 1)[1])


def _delete_directory_certificate(arn: str, now: datetime) -> None:
    parts = arn.split(":")[5].split("/")
    client("ds", arn.split(":")[3]).deregister_certificate(
        DirectoryId=parts[1], CertificateId=parts[3]
    )


def _delete_dms(arn: str, now: datetime) -> None:
    client("dms", arn.split(":")[3]).delete_certificate(CertificateArn=arn)


def _delete_apns(arn: str, now: datetime) -> None:
    client("sns", arn.split(":")[3]).delete_platform_application(PlatformApplicationArn=arn)


CHANGES = {
    ("private-ca", "delete"): _delete_private_ca,
    ("rds", "renew"): _renew_rds,
    ("api-gateway", "delete"): _delete_client_certificate,
    ("iot", "delete"): _delete_iot_ca,
    ("saml", "delete"): _delete_saml,
    ("transfer", "delete"): _delete_transfer,
    ("directory-service", "delete"): _delete_directory_certificate,
    ("dms", "delete"): _delete_dms,
    ("sns-apns", "delete"): _delete_apns,
}


# Failures say what they mean ####################################################################


def test_a_denied_source_makes_the_scan_incomplete_naming_source_region_and_permission(
    aws: StrictAws, now: datetime, account: Account
):
    scan(now, **SETTINGS)
    aws.world.deny("rds", "DescribeDBInstances")

    summary, error = scan_outcome(now + timedelta(hours=1), **SETTINGS)

    assert error is not None
    assert [True, True] == [
        region in problem
        and "the rds source was not read" in problem
        and "the role needs rds:DescribeDBInstances" in problem
        for region in REGIONS
        for problem in summary["errors"]
        if region in problem
    ]
    assert 2 == len(summary["errors"])
    # Every other source was read; the findings of the source not read stay as they are.
    assert {"rds"} == set(SOURCE_NAMES) - {e["kind"] for e in summary["in_window"]}
    states = {f["Resources"][0]["Id"]: f["RecordState"] for f in get_findings()}
    assert {"ACTIVE"} == {states[account.ids[("rds", region)]] for region in REGIONS}


def test_a_service_not_offered_in_a_region_is_a_note_not_a_failure(aws: StrictAws, now: datetime):
    """IoT Core has no endpoint in af-south-1 (Cape Town; botocore's endpoint data lists none):
    the scan says so once and is complete."""
    enable_hub("af-south-1")
    aws.world.not_offered("iot", "af-south-1")

    summary = scan(now, SCAN_REGIONS="af-south-1", SECURITY_HUB_REGION="af-south-1")

    assert ([], []) == (summary["errors"], summary["warnings"])
    assert ["iot in af-south-1: iot is not offered there; skipped"] == summary["notes"]
