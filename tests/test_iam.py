"""IAM server certificates join the scan (issue 12): found through ListServerCertificates once
per scan, reported with the ACM certificates in one digest, written as findings of Type Other,
archived when deleted or replaced, and left alone when the setting turns them off."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from handle_expiring_certificates import finding_id, iso
from testkit import (
    ACCOUNT_ID,
    StrictAws,
    client,
    create_topic_with_queue,
    enable_hub,
    get_findings,
    receive_messages,
    scan,
    upload_server_certificate,
)
from testkit.certificates import import_certificate, set_in_use_by

REGION = "us-east-1"
LOAD_BALANCER = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:loadbalancer/app/web/1a2b"


def upload(name: str, now: datetime, days_left: int, *, path: str = "/") -> str:
    """An IAM server certificate expiring ``days_left`` days and one hour after ``now``; its
    ARN. Uploading again under a name that was deleted gives the same ARN."""
    return upload_server_certificate(
        client("iam"), name=name, days_left=days_left, now=now, path=path
    )


def metadata_of(name: str) -> dict[str, Any]:
    listed = client("iam").list_server_certificates()["ServerCertificateMetadataList"]
    (metadata,) = [m for m in listed if m["ServerCertificateName"] == name]
    return metadata


def findings_by_state() -> dict[str, list[tuple[str, str]]]:
    """(Resources[0].Id, Id) of every finding, by RecordState."""
    result: dict[str, list[tuple[str, str]]] = {}
    for found in get_findings():
        result.setdefault(found["RecordState"], []).append(
            (found["Resources"][0]["Id"], found["Id"])
        )
    return result


def test_a_scan_reports_iam_and_acm_certificates_in_one_digest_by_severity_then_expiry(
    aws: StrictAws, now: datetime
):
    """IAM's use is unknown, so an IAM certificate ranks as one in use: expired CRITICAL, 7 days
    or less HIGH, 30 or less MEDIUM; an ACM certificate nobody uses is LOW whatever its date."""
    enable_hub()
    topic, queue = create_topic_with_queue()
    acm = client("acm")
    in_use = import_certificate(acm, common_name="shop.example.com", days_left=10, now=now)
    set_in_use_by(in_use, REGION, [LOAD_BALANCER])
    unused = import_certificate(acm, common_name="old.example.com", days_left=3, now=now)
    expired = upload("legacy-expired", now, -2)
    soon = upload("legacy-soon", now, 5, path="/cloudfront/")
    later = upload("legacy-later", now, 20)

    summary = scan(now, SNS_TOPIC_ARN=topic)

    expected = [
        (expired, "iam", "CRITICAL", "global"),
        (soon, "iam", "HIGH", "global"),
        (in_use, "acm", "MEDIUM", REGION),
        (later, "iam", "MEDIUM", "global"),
        (unused, "acm", "LOW", REGION),
    ]
    assert expected == [
        (e["arn"], e["kind"], e["severity"], e["region"]) for e in summary["in_window"]
    ]
    (envelope,) = receive_messages(queue)
    document = json.loads(envelope["Message"])
    assert expected == [
        (c["arn"], c["kind"], c["severity"], c["region"]) for c in document["certificates"]
    ]
    assert "5 certificates expire within 45 days (1 expired)" == envelope["Subject"]
    assert {"ACTIVE": sorted((e["arn"], e["finding_id"]) for e in summary["in_window"])} == {
        state: sorted(found) for state, found in findings_by_state().items()
    }


def test_an_iam_finding_names_the_server_certificate_as_a_resource_of_type_other(
    aws: StrictAws, now: datetime
):
    """ASFF's guidance for a resource type it does not list: Type Other, Id the ARN, the
    details in Details.Other; no console link (the IAM console does not show them)."""
    enable_hub()
    arn = upload("legacy-web", now, 5, path="/cloudfront/")
    metadata = metadata_of("legacy-web")

    scan(now, INCLUDE_IAM_SERVER_CERTIFICATES="true")

    (found,) = get_findings()
    assert [
        {
            "Type": "Other",
            "Id": arn,
            "Partition": "aws",
            "Details": {
                "Other": {
                    "ServerCertificateName": "legacy-web",
                    "Path": "/cloudfront/",
                    "ServerCertificateId": metadata["ServerCertificateId"],
                    "UploadDate": iso(metadata["UploadDate"]),
                    "Expiration": iso(now + timedelta(days=5, hours=1)),
                }
            },
        }
    ] == found["Resources"]
    assert finding_id(arn, now + timedelta(days=5, hours=1)) == found["Id"]
    assert (
        "IAM server certificate legacy-web expires in 5 days",
        "HIGH",
        "unknown",
        "IAM_SERVER_CERTIFICATE",
    ) == (
        found["Title"],
        found["Severity"]["Label"],
        found["ProductFields"]["InUse"],
        found["ProductFields"]["CertificateType"],
    )
    assert "SourceUrl" not in found
    assert found["Remediation"]["Recommendation"]["Text"].startswith(
        "Nothing renews an IAM server certificate. Upload a renewed certificate"
    )
    assert "The IAM server certificate legacy-web" in found["Description"]


DOCUMENT_KEYS = (
    "arn",
    "kind",
    "domain",
    "region",
    "account",
    "type",
    "in_use",
    "in_use_by",
    "console_url",
)


def test_the_text_and_the_document_say_plainly_it_is_an_iam_server_certificate(
    aws: StrictAws, now: datetime
):
    enable_hub()
    topic, queue = create_topic_with_queue()
    arn = upload("legacy-web", now, 5)

    dry = scan(now, SNS_TOPIC_ARN=topic, DRY_RUN="true")
    scan(now, SNS_TOPIC_ARN=topic)

    (sent,) = dry["would_send"]
    assert (
        f"   ARN:      {arn}\n"
        f"   Kind:     IAM server certificate (account {ACCOUNT_ID}), not in ACM\n"
        "   Used by:  unknown (IAM does not record it; check load balancers and CloudFront)\n"
    ) in sent["text"]
    (envelope,) = receive_messages(queue)
    (entry,) = json.loads(envelope["Message"])["certificates"]
    assert {
        "arn": arn,
        "kind": "iam",
        "domain": "legacy-web",
        "region": "global",
        "account": ACCOUNT_ID,
        "type": "IAM_SERVER_CERTIFICATE",
        "in_use": None,
        "in_use_by": None,
        "console_url": None,
    } == {key: entry[key] for key in DOCUMENT_KEYS}


def test_deleting_the_iam_certificate_archives_its_finding_on_the_next_scan(
    aws: StrictAws, now: datetime
):
    enable_hub()
    arn = upload("legacy-web", now, 5)
    first = scan(now)
    client("iam").delete_server_certificate(ServerCertificateName="legacy-web")

    second = scan(now + timedelta(minutes=5))

    (found,) = get_findings()
    assert (1, 0, 1) == (
        first["findings"]["written"],
        second["findings"]["written"],
        second["findings"]["archived"],
    )
    assert (arn, "ARCHIVED", "PASSED", "INFORMATIONAL") == (
        found["Resources"][0]["Id"],
        found["RecordState"],
        found["Compliance"]["Status"],
        found["Severity"]["Label"],
    )
    assert found["Description"].endswith(": the IAM server certificate no longer exists.")


def test_reuploading_under_the_same_name_archives_the_old_versions_finding(
    aws: StrictAws, now: datetime
):
    """A new upload with a new expiry is a new version of the same ARN: its own finding, and
    the old version's is archived as replaced."""
    enable_hub()
    arn = upload("legacy-web", now, 5)
    scan(now)
    client("iam").delete_server_certificate(ServerCertificateName="legacy-web")
    assert arn == upload("legacy-web", now, 20)

    summary = scan(now + timedelta(minutes=5))

    old_id = finding_id(arn, now + timedelta(days=5, hours=1))
    new_id = finding_id(arn, now + timedelta(days=20, hours=1))
    assert {"ACTIVE": [(arn, new_id)], "ARCHIVED": [(arn, old_id)]} == findings_by_state()
    assert (1, 1) == (summary["findings"]["written"], summary["findings"]["archived"])
    (archived,) = [f for f in get_findings() if f["Id"] == old_id]
    assert archived["Description"].endswith(
        f"the certificate was renewed or re-imported; its current version has its own finding "
        f"({new_id})."
    )


def test_with_iam_turned_off_no_iam_call_is_made_and_no_iam_finding_archived(
    aws: StrictAws, now: datetime
):
    """INCLUDE_IAM_SERVER_CERTIFICATES=false: for layouts where another function (another hub)
    reports IAM; its findings are not this run's to close."""
    enable_hub()
    arn = upload("legacy-web", now, 5)
    scan(now)
    aws.calls.clear()

    summary = scan(now + timedelta(minutes=5), INCLUDE_IAM_SERVER_CERTIFICATES="false")

    # IAM's other source, SAML providers, is still read: only server certificates are off.
    assert ["ListSAMLProviders"] == aws.operations("iam")
    assert ([], 0, []) == (summary["in_window"], summary["findings"]["archived"], summary["errors"])
    assert {"ACTIVE": [(arn, finding_id(arn, now + timedelta(days=5, hours=1)))]} == (
        findings_by_state()
    )


@pytest.mark.parametrize(
    ("days_left", "severity"),
    [(-1, "CRITICAL"), (0, "HIGH"), (7, "HIGH"), (8, "MEDIUM"), (30, "MEDIUM"), (31, "LOW")],
)
def test_an_iam_certificate_counts_as_in_use_for_severity(
    aws: StrictAws, now: datetime, days_left: int, severity: str
):
    upload("legacy-web", now, days_left)

    summary = scan(now)

    assert [(severity, None, days_left < 0)] == [
        (e["severity"], e["in_use"], e["expired"]) for e in summary["in_window"]
    ]


def test_a_scan_follows_the_marker_through_every_page(aws: StrictAws, now: datetime):
    """101 server certificates: two pages of ListServerCertificates (100 a page by default),
    and the one on the second page is reported."""
    for index in range(100):
        upload(f"a-{index:03}", now, 400)
    last = upload("z-last", now, 3)
    aws.calls.clear()

    summary = scan(now)

    assert 2 == aws.operations("iam").count("ListServerCertificates")
    assert [last] == [e["arn"] for e in summary["in_window"]]


def test_iam_is_listed_once_per_scan_whatever_scan_regions_says(aws: StrictAws, now: datetime):
    arn = upload("legacy-web", now, 5)
    aws.calls.clear()

    summary = scan(now, SCAN_REGIONS="us-east-1,eu-west-1,ap-southeast-2")

    # Global sources once, through the function's region: server certificates, SAML providers.
    assert [
        ("iam", "ListSAMLProviders", "us-east-1"),
        ("iam", "ListServerCertificates", "us-east-1"),
    ] == sorted((c.service, c.operation, c.region) for c in aws.calls if c.service == "iam")
    assert [arn] == [e["arn"] for e in summary["in_window"]]
