"""Exported and exportable ACM certificates (issue 17, problem 2).

``InUse`` says whether an AWS service uses a certificate. A private certificate that was
exported (``Exported: true``) or a public one that may be (``ExportOption: ENABLED``) runs on
servers ACM cannot see: its use is unknown, which counts as in use. So it is graded by days left
(not LOW), it counts in ``ExpiredInUse``, and its remediation says where the copies live. When
ACM renews it, the copies still expire: the archived finding and the digest say so once.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from testkit import (
    StrictAws,
    client,
    create_topic_with_queue,
    enable_hub,
    get_findings,
    invoke,
    load_event,
    receive_messages,
    scan,
)
from testkit.acm import export_certificate, renew_certificate, request_certificate
from testkit.certificates import import_certificate

EXPORTED_ACTION = (
    "It was exported (or may be: it is exportable): once it is renewed, export the new "
    "certificate and deploy it on every server that holds a copy of the old one."
)


def test_an_event_about_an_exported_certificate_nothing_in_aws_uses_grades_it_as_in_use(
    aws: StrictAws, now: datetime
):
    """ACM's event carries ``Exported`` (DescribeCertificate does not): a certificate exported
    and used by no AWS service, 3 days left, is HIGH with the export in its remediation."""
    enable_hub()
    topic_arn, queue_url = create_topic_with_queue()
    arn = import_certificate(client("acm"), common_name="vpn.example.com", days_left=3, now=now)
    event = load_event("acm-approaching-expiration", resources=[arn])
    event["detail"] = {"DaysToExpiry": 3, "CommonName": "vpn.example.com", "Exported": True}

    summary = invoke(event, now=now, SNS_TOPIC_ARN=topic_arn)

    [entry] = summary["in_window"]
    assert ("HIGH", None) == (entry["severity"], entry["in_use"])
    [finding] = get_findings()
    assert ("HIGH", "unknown", "true") == (
        finding["Severity"]["Label"],
        finding["ProductFields"]["InUse"],
        finding["ProductFields"]["Exported"],
    )
    assert finding["Remediation"]["Recommendation"]["Text"].endswith(EXPORTED_ACTION)
    assert "exported: copies may run on servers outside AWS" in finding["Description"]
    [message] = receive_messages(queue_url)
    [document_entry] = json.loads(message["Message"])["certificates"]
    assert (True, None) == (document_entry["exported"], document_entry["in_use"])


# Scans: what ACM's search and listing say of export #############################################


def test_a_scan_grades_an_exported_private_certificate_nothing_uses_by_its_days(
    aws: StrictAws, now: datetime
):
    """A private certificate exported with ExportCertificate (Exported: true in the search) and
    used by no AWS service: HIGH at 3 days, counted in ExpiredInUse once expired, and said to
    be exported (issue 17, problem 2)."""
    enable_hub()
    ca = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/0a1b2c3d"
    arn = request_certificate(
        common_name="vpn.example.com", days_left=3, now=now, certificate_authority_arn=ca
    )
    export_certificate("us-east-1", arn)

    summary = scan(now, CERTIFICATE_SOURCES="acm")

    [entry] = summary["in_window"]
    assert ("HIGH", None) == (entry["severity"], entry["in_use"])
    [finding] = get_findings()
    assert finding["Remediation"]["Recommendation"]["Text"].endswith(EXPORTED_ACTION)


@pytest.mark.parametrize("export", [True, False], ids=["exportable", "not-exportable"])
def test_an_exportable_public_certificate_counts_as_in_use_and_a_plain_one_does_not(
    aws: StrictAws, now: datetime, capsys: pytest.CaptureFixture[str], export: bool
):
    """ACM's public certificate requested with Options.Export ENABLED (ExportOption ENABLED)
    may run anywhere: an expired one counts in ExpiredInUse, so that alarm fires."""
    enable_hub()
    request_certificate(common_name="edge.example.com", days_left=-1, now=now, export=export)
    capsys.readouterr()

    summary = scan(now, CERTIFICATE_SOURCES="acm")

    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    [entry] = summary["in_window"]
    expected = ("CRITICAL", 1) if export else ("LOW", 0)
    assert expected == (entry["severity"], metrics["ExpiredInUse"])


def test_a_renewed_exported_certificate_is_said_once_to_need_deploying(
    aws: StrictAws, now: datetime
):
    """ACM renews an exported certificate; the copies on servers still expire. The finding's
    reason and that scan's digest say so, once: the next scan says nothing more."""
    enable_hub()
    topic_arn, queue_url = create_topic_with_queue()
    ca = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/0a1b2c3d"
    arn = request_certificate(
        common_name="vpn.example.com", days_left=3, now=now, certificate_authority_arn=ca
    )
    export_certificate("us-east-1", arn)
    scan(now, SNS_TOPIC_ARN=topic_arn, CERTIFICATE_SOURCES="acm")
    receive_messages(queue_url)
    renew(arn, now)

    scan(now + timedelta(hours=1), SNS_TOPIC_ARN=topic_arn, CERTIFICATE_SOURCES="acm")
    scan(now + timedelta(hours=2), SNS_TOPIC_ARN=topic_arn, CERTIFICATE_SOURCES="acm")

    [finding] = get_findings()
    assert "ARCHIVED" == finding["RecordState"]
    assert "still have the old certificate" in finding["Description"]
    messages = receive_messages(queue_url)
    [document] = [json.loads(m["Message"]) for m in messages]
    assert 1 == len(document["notes"])
    assert "vpn.example.com" in document["notes"][0]


def renew(arn: str, now: datetime) -> None:
    """What ACM's managed renewal does: the same ARN, a certificate valid a year more."""
    renew_certificate("us-east-1", arn, not_after=now + timedelta(days=395))
