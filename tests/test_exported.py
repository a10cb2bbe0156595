"""Exported and exportable ACM certificates (issue 17, problem 2).

``InUse`` says whether an AWS service uses a certificate. A private certificate that was
exported (``Exported: true``) or a public one that may be (``ExportOption: ENABLED``) runs on
servers ACM cannot see: its use is unknown, which counts as in use. So it is graded by days left
(not LOW), it counts in ``ExpiredInUse``, and its remediation says where the copies live. When
ACM renews it, the copies still expire: the archived finding and the digest say so once.
"""

from __future__ import annotations

import json
from datetime import datetime

from testkit import (
    StrictAws,
    client,
    create_topic_with_queue,
    enable_hub,
    get_findings,
    invoke,
    load_event,
    receive_messages,
)
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
