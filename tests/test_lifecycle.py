"""Findings live and die with their certificate (issue 3, points 1 to 3).

Edge to edge: real certificates in strict moto, ``lambda_handler`` with an explicit ``environ``
and ``now``, and the findings read back with ``GetFindings`` as a user would.
"""

# Expected values come first in assertions (docs/development.md), which SIM300 calls a Yoda
# condition.
# ruff: noqa: SIM300, RUF100

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest

import testkit.securityhub
from handle_expiring_certificates import (
    IncompleteRunError,
    assess,
    build_finding,
    describe_certificate,
    finding_id,
    first_release_finding_id,
)
from testkit import (
    ACCOUNT_ID,
    StrictAws,
    certificate_event,
    client,
    create_topic_with_queue,
    current_finding_id,
    enable_hub,
    finding_of,
    fresh_clients,
    get_findings,
    human,
    invoke,
    load_event,
    put_days_to_expiry_metric,
    receive_messages,
    scan,
)
from testkit.certificates import import_certificate, set_in_use_by
from testkit.securityhub import Rejections

REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
LOAD_BALANCER = (
    f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:loadbalancer/app/shop/50dc6c495c0c9188"
)


def timestamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def closed_fields(finding: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "RecordState": finding["RecordState"],
        "Compliance": finding["Compliance"],
        "Severity": finding["Severity"],
        "Workflow": finding["Workflow"],
        "Title": finding["Title"],
        "Description": finding["Description"],
        "CreatedAt": timestamp(finding["CreatedAt"]),
        "UpdatedAt": timestamp(finding["UpdatedAt"]),
    }


def closed(title: str, description: str, created: datetime, updated: datetime) -> dict[str, Any]:
    """A finding the handler closed. Its workflow status stays what people made it (NEW here):
    Security Hub leaves Workflow to BatchUpdateFindings, an import never changes it."""
    return {
        "RecordState": "ARCHIVED",
        "Compliance": {"Status": "PASSED"},
        "Severity": {"Label": "INFORMATIONAL"},
        "Workflow": {"Status": "NEW"},
        "Title": title,
        "Description": description,
        "CreatedAt": created,
        "UpdatedAt": updated,
    }


# Archiving ######################################################################################


def test_renewed_certificate_finding_is_archived_by_the_next_scan_saying_why(
    aws: StrictAws, now: datetime
):
    enable_hub()
    acm = client("acm")
    arn = import_certificate(acm, common_name="renew.example.com", days_left=10, now=now)
    scan(now)
    later = now + timedelta(days=1)
    import_certificate(
        acm, common_name="renew.example.com", days_left=300, now=later, certificate_arn=arn
    )
    renewed_until = later + timedelta(days=300, hours=1)

    summary = scan(later)

    assert closed(
        "Resolved: ACM certificate renew.example.com expires in 10 days",
        f"Resolved on {human(later)}: the certificate was renewed or re-imported; it now "
        f"expires on {human(renewed_until)}, 300 days away, outside the 45-day window.",
        now,
        later,
    ) == closed_fields(finding_of(arn))
    assert {
        "hub_region": REGION,
        "written": 0,
        "archived": 1,
        "failed": 0,
        "skipped": None,
    } == summary["findings"]


@pytest.mark.parametrize("metric_lingers", [False, True], ids=["no-metric", "metric-lingers"])
def test_deleted_certificate_finding_is_archived_by_the_next_scan(
    aws: StrictAws, now: datetime, metric_lingers: bool
):
    enable_hub()
    acm = client("acm")
    arn = import_certificate(acm, common_name="gone.example.com", days_left=10, now=now)
    if metric_lingers:
        put_days_to_expiry_metric(REGION, arn, 10)
    scan(now)
    acm.delete_certificate(CertificateArn=arn)
    later = now + timedelta(hours=2)

    summary = scan(later)

    assert closed(
        "Resolved: ACM certificate gone.example.com expires in 10 days",
        f"Resolved on {human(later)}: the certificate no longer exists in ACM.",
        now,
        later,
    ) == closed_fields(finding_of(arn))
    # The search no longer returns it: its active finding (or its lingering metric) is checked.
    expected_reason = (
        "deleted; its DaysToExpiry metric lingers"
        if metric_lingers
        else "deleted; its finding is archived"
    )
    expected_skipped = [{"arn": arn, "reason": expected_reason}]
    assert expected_skipped == summary["skipped"]
    assert 1 == summary["findings"]["archived"]


def test_ignored_certificate_finding_is_archived_by_the_next_scan(aws: StrictAws, now: datetime):
    enable_hub()
    acm = client("acm")
    arn = import_certificate(acm, common_name="lab.example.com", days_left=10, now=now)
    scan(now, IGNORE_TAG="monitoring=off")
    acm.add_tags_to_certificate(CertificateArn=arn, Tags=[{"Key": "monitoring", "Value": "off"}])
    later = now + timedelta(hours=1)

    scan(later, IGNORE_TAG="monitoring=off")

    assert closed(
        "Resolved: ACM certificate lab.example.com expires in 10 days",
        f"Resolved on {human(later)}: the certificate carries the ignore tag monitoring=off.",
        now,
        later,
    ) == closed_fields(finding_of(arn))


def test_event_for_a_renewed_certificate_archives_its_finding(aws: StrictAws, now: datetime):
    enable_hub()
    acm = client("acm")
    arn = import_certificate(acm, common_name="api.example.com", days_left=5, now=now)
    certificate_event(arn, now)
    later = now + timedelta(days=1)
    import_certificate(
        acm, common_name="api.example.com", days_left=200, now=later, certificate_arn=arn
    )

    summary = certificate_event(arn, later)

    assert closed(
        "Resolved: ACM certificate api.example.com expires in 5 days",
        f"Resolved on {human(later)}: the certificate was renewed or re-imported; it now "
        f"expires on {human(later + timedelta(days=200, hours=1))}, 200 days away, outside the "
        f"45-day window.",
        now,
        later,
    ) == closed_fields(finding_of(arn))
    assert ("outside_window", 1) == (summary["outcome"], summary["findings"]["archived"])


def test_event_for_a_deleted_certificate_archives_its_finding(aws: StrictAws, now: datetime):
    enable_hub()
    acm = client("acm")
    arn = import_certificate(acm, common_name="old.example.com", days_left=5, now=now)
    certificate_event(arn, now)
    acm.delete_certificate(CertificateArn=arn)
    later = now + timedelta(hours=1)

    summary = certificate_event(arn, later)

    assert closed(
        "Resolved: ACM certificate old.example.com expires in 5 days",
        f"Resolved on {human(later)}: the certificate no longer exists in ACM.",
        now,
        later,
    ) == closed_fields(finding_of(arn))
    assert ("not_found", 1) == (summary["outcome"], summary["findings"]["archived"])


def test_event_leaves_the_findings_of_other_certificates_alone(aws: StrictAws, now: datetime):
    """Only a scan knows which certificates are gone; an event speaks for its certificate."""
    enable_hub()
    acm = client("acm")
    current = import_certificate(acm, common_name="a.example.com", days_left=5, now=now)
    renewed = import_certificate(acm, common_name="b.example.com", days_left=6, now=now)
    deleted = import_certificate(acm, common_name="c.example.com", days_left=7, now=now)
    scan(now)
    import_certificate(
        acm, common_name="b.example.com", days_left=300, now=now, certificate_arn=renewed
    )
    acm.delete_certificate(CertificateArn=deleted)

    certificate_event(current, now + timedelta(hours=1))

    assert {current: "ACTIVE", renewed: "ACTIVE", deleted: "ACTIVE"} == {
        f["Resources"][0]["Id"]: f["RecordState"] for f in get_findings()
    }


def test_archived_finding_becomes_active_again_when_the_certificate_re_enters_the_window(
    aws: StrictAws, now: datetime
):
    """The same certificate version (the old certificate re-imported, same NotAfter) brings its
    own finding back; one finding per certificate, the same Id."""
    enable_hub()
    acm = client("acm")
    arn = import_certificate(acm, common_name="back.example.com", days_left=20, now=now)
    set_in_use_by(arn, REGION, [LOAD_BALANCER])
    scan(now)
    first_id = finding_of(arn)["Id"]
    import_certificate(
        acm, common_name="back.example.com", days_left=300, now=now, certificate_arn=arn
    )
    scan(now + timedelta(hours=1))
    import_certificate(
        acm, common_name="back.example.com", days_left=20, now=now, certificate_arn=arn
    )

    summary = scan(now + timedelta(hours=2))

    finding = finding_of(arn)
    assert (first_id, "ACTIVE", {"Status": "FAILED"}, "MEDIUM", "NEW") == (
        finding["Id"],
        finding["RecordState"],
        finding["Compliance"],
        finding["Severity"]["Label"],
        finding["Workflow"]["Status"],
    )
    assert 1 == summary["findings"]["written"]


def test_certificate_re_entering_the_window_with_another_expiry_gets_a_new_finding(
    aws: StrictAws, now: datetime
):
    """Another version (another NotAfter) is another finding: the old one stays archived."""
    enable_hub()
    acm = client("acm")
    arn = import_certificate(acm, common_name="back.example.com", days_left=10, now=now)
    set_in_use_by(arn, REGION, [LOAD_BALANCER])
    scan(now)
    first_id = finding_of(arn)["Id"]
    import_certificate(
        acm, common_name="back.example.com", days_left=300, now=now, certificate_arn=arn
    )
    scan(now + timedelta(hours=1))
    import_certificate(
        acm, common_name="back.example.com", days_left=20, now=now, certificate_arn=arn
    )

    summary = scan(now + timedelta(hours=2))

    assert {
        first_id: ("ARCHIVED", "INFORMATIONAL", "NEW"),
        finding_id(arn, now + timedelta(days=20, hours=1)): ("ACTIVE", "MEDIUM", "NEW"),
    } == {
        f["Id"]: (f["RecordState"], f["Severity"]["Label"], f["Workflow"]["Status"])
        for f in get_findings()
    }
    assert (1, 0) == (summary["findings"]["written"], summary["findings"]["archived"])


def test_first_release_finding_of_a_deleted_certificate_is_archived(aws: StrictAws, now: datetime):
    """A finding in the first release's Id format (``<generator>/<arn>``) whose certificate is
    gone is checked and closed like any other, not left ACTIVE forever."""
    enable_hub()
    acm = client("acm")
    arn = import_certificate(acm, common_name="gone.example.com", days_left=10, now=now)
    described = describe_certificate(acm, arn)
    assessment = assess(described, now, 45) if described else None
    assert assessment is not None
    finding = build_finding(
        assessment, hub_region=REGION, hub_partition="aws", expiry_days=45, existing=None
    )
    finding["Id"] = first_release_finding_id(arn)
    client("securityhub").batch_import_findings(Findings=[finding])
    acm.delete_certificate(CertificateArn=arn)
    later = now + timedelta(hours=1)

    summary = scan(later)

    assert closed(
        "Resolved: ACM certificate gone.example.com expires in 10 days",
        f"Resolved on {human(later)}: the certificate no longer exists in ACM.",
        now,
        later,
    ) == closed_fields(finding_of(arn))
    assert (first_release_finding_id(arn), 0, 1) == (
        finding_of(arn)["Id"],
        summary["findings"]["written"],
        summary["findings"]["archived"],
    )


# Regions ########################################################################################


def test_scan_archives_only_findings_of_certificates_in_the_regions_it_scanned(
    aws: StrictAws, now: datetime
):
    """Two deployments (us-east-1 and eu-west-1) send findings to one hub in us-east-1."""
    enable_hub(REGION)
    europe = import_certificate(
        client("acm", OTHER_REGION), common_name="eu.example.com", days_left=10, now=now
    )
    kept = import_certificate(client("acm"), common_name="us.example.com", days_left=10, now=now)
    deleted = import_certificate(
        client("acm"), common_name="gone.example.com", days_left=9, now=now
    )
    scan(now, AWS_REGION=OTHER_REGION, SECURITY_HUB_REGION=REGION)
    scan(now)
    client("acm").delete_certificate(CertificateArn=deleted)

    summary = scan(now + timedelta(hours=1))

    assert {europe: "ACTIVE", kept: "ACTIVE", deleted: "ARCHIVED"} == {
        f["Resources"][0]["Id"]: f["RecordState"] for f in get_findings(REGION)
    }
    assert (1, 1) == (summary["findings"]["written"], summary["findings"]["archived"])


def test_scan_archives_nothing_in_a_region_it_could_not_list(aws: StrictAws, now: datetime):
    enable_hub()
    europe = import_certificate(
        client("acm", OTHER_REGION), common_name="eu.example.com", days_left=10, now=now
    )
    home = import_certificate(client("acm"), common_name="us.example.com", days_left=10, now=now)
    both = {"SCAN_REGIONS": f"{REGION},{OTHER_REGION}"}
    scan(now, **both)
    client("acm", OTHER_REGION).delete_certificate(CertificateArn=europe)
    client("acm").delete_certificate(CertificateArn=home)
    # The search is refused (so the handler falls back to the listing), and so is the listing.
    for operation in ("SearchCertificates", "ListCertificates"):
        aws.world.fail("acm", operation, "AccessDeniedException", "denied", region=OTHER_REGION)

    with pytest.raises(IncompleteRunError) as excinfo:
        invoke(
            load_event("scheduled-event"),
            now=now + timedelta(hours=1),
            clients=fresh_clients(),
            **both,
        )

    assert {europe: "ACTIVE", home: "ARCHIVED"} == {
        f["Resources"][0]["Id"]: f["RecordState"] for f in get_findings()
    }
    assert [
        f"ListCertificates in {OTHER_REGION} failed (AccessDeniedException): An error occurred "
        f"(AccessDeniedException) when calling the ListCertificates operation: denied; "
        "the acm source was not read; the role needs acm:ListCertificates"
    ] == excinfo.value.summary["errors"]


def test_findings_of_other_generators_are_left_alone_even_if_the_hub_ignores_filters(
    aws: StrictAws, now: datetime, monkeypatch: pytest.MonkeyPatch
):
    """moto (not AWS) ignores GetFindings filters, so the handler must filter in code too."""
    monkeypatch.setattr(testkit.securityhub, "_matches", lambda finding, filters: True)
    enable_hub()
    acm = client("acm")
    arn = import_certificate(acm, common_name="mine.example.com", days_left=10, now=now)
    scan(now)
    ours = finding_of(arn)
    foreign = {
        **{k: ours[k] for k in ("SchemaVersion", "ProductArn", "AwsAccountId", "Types")},
        "Id": "another-tool/finding-1",
        "GeneratorId": "another-tool",
        "CreatedAt": ours["CreatedAt"],
        "UpdatedAt": ours["UpdatedAt"],
        "Severity": {"Label": "HIGH"},
        "Title": "Something else",
        "Description": "Not about a certificate this tool watches.",
        "Resources": [{"Type": "AwsCertificateManagerCertificate", "Id": arn}],
    }
    client("securityhub").batch_import_findings(Findings=[foreign])
    acm.delete_certificate(CertificateArn=arn)

    summary = scan(now + timedelta(hours=1))

    assert {"another-tool/finding-1": "ACTIVE", ours["Id"]: "ARCHIVED"} == {
        f["Id"]: f["RecordState"] for f in get_findings()
    }
    assert (0, 1) == (summary["findings"]["written"], summary["findings"]["archived"])


# Stable records #################################################################################


def test_one_finding_per_certificate_across_both_options_and_every_run(
    aws: StrictAws, now: datetime
):
    """Same Id every time; CreatedAt from the first write; UpdatedAt moves with every run."""
    enable_hub()
    arn = import_certificate(client("acm"), common_name="one.example.com", days_left=10, now=now)
    moments = [now + timedelta(minutes=minutes) for minutes in (0, 1, 2, 3, 24 * 60)]
    runs = [
        lambda: certificate_event(arn, moments[0]),
        lambda: scan(moments[1]),
        lambda: certificate_event(arn, moments[2]),
        lambda: scan(moments[3]),
        lambda: scan(moments[4]),
    ]

    seen = []
    for run in runs:
        run()
        seen.append(
            [
                (f["Id"], timestamp(f["CreatedAt"]), timestamp(f["UpdatedAt"]), f["RecordState"])
                for f in get_findings()
            ]
        )

    first_id = seen[0][0][0]
    assert [[(first_id, now, moment, "ACTIVE")] for moment in moments] == seen


@pytest.mark.parametrize(
    "stored_ahead",
    [timedelta(0), timedelta(milliseconds=1), timedelta(days=1)],
    ids=["same-instant", "1ms-ahead", "1-day-ahead"],
)
@pytest.mark.parametrize("change", ["now-in-use", "renewed"])
def test_update_is_applied_even_when_the_stored_updated_at_is_not_older(
    aws: StrictAws, now: datetime, stored_ahead: timedelta, change: str
):
    """Security Hub ignores an update older than what it holds (the strict fixture does too):
    the handler writes ``UpdatedAt`` = max(now, stored + 1 ms), so the update still lands."""
    enable_hub()
    acm = client("acm")
    arn = import_certificate(acm, common_name="skew.example.com", days_left=10, now=now)
    # A run whose clock was ahead (another deployment, or clock skew) wrote the finding.
    scan(now + stored_ahead)
    if change == "now-in-use":
        set_in_use_by(arn, REGION, [LOAD_BALANCER])
    else:
        import_certificate(
            acm, common_name="skew.example.com", days_left=300, now=now, certificate_arn=arn
        )

    scan(now)

    finding = finding_of(arn)
    expected_updated = now + stored_ahead + timedelta(milliseconds=1)
    assert expected_updated == timestamp(finding["UpdatedAt"])
    assert now + stored_ahead == timestamp(finding["CreatedAt"])
    if change == "now-in-use":
        details = finding["Resources"][0]["Details"]["AwsCertificateManagerCertificate"]
        assert ("ACTIVE", [LOAD_BALANCER]) == (finding["RecordState"], details["InUseBy"])
    else:
        assert ("ARCHIVED", {"Status": "PASSED"}) == (
            finding["RecordState"],
            finding["Compliance"],
        )


# Batches ########################################################################################


def import_certificates(count: int, now: datetime, prefix: str = "host") -> list[str]:
    acm = client("acm")
    return [
        import_certificate(acm, common_name=f"{prefix}-{i:03d}.example.com", days_left=5, now=now)
        for i in range(count)
    ]


# With the scan's own monitor finding: 99 certificates fill one call, 100 need two.
@pytest.mark.parametrize(("count", "calls"), [(99, 1), (100, 2), (200, 3)])
def test_findings_are_written_at_most_100_per_call_and_none_rejected(
    aws: StrictAws, now: datetime, count: int, calls: int
):
    enable_hub()
    arns = import_certificates(count, now)
    aws.calls.clear()

    summary = scan(now)

    assert calls == aws.operations("securityhub").count("BatchImportFindings")
    assert (count, 0, []) == (
        summary["findings"]["written"],
        summary["findings"]["failed"],
        summary["errors"],
    )
    assert sorted(arns) == sorted(f["Resources"][0]["Id"] for f in get_findings())


def test_findings_are_archived_at_most_100_per_call(aws: StrictAws, now: datetime):
    enable_hub()
    arns = import_certificates(150, now)
    scan(now)
    for arn in arns:
        client("acm").delete_certificate(CertificateArn=arn)
    aws.calls.clear()

    summary = scan(now + timedelta(hours=1))

    assert 2 == aws.operations("securityhub").count("BatchImportFindings")
    assert (150, 0) == (summary["findings"]["archived"], summary["findings"]["failed"])
    assert {"ARCHIVED": 150} == Counter(f["RecordState"] for f in get_findings())


class RejectedImports:
    """BatchImportFindings that fails chosen findings on their first ``times`` imports (the
    kit's ``world.reject_findings``)."""

    def __init__(self, codes: Mapping[str, str], times: int) -> None:
        self.codes = dict(codes)  # certificate ARN -> ErrorCode
        self.times = times
        self.finding_ids: dict[str, str] = {}
        self._rejections: Rejections | None = None

    @staticmethod
    def message(code: str) -> str:
        return f"Injected {code}"

    def install(self, aws: StrictAws) -> None:
        self.finding_ids = {arn: current_finding_id(arn) for arn in self.codes}
        self._rejections = aws.world.reject_findings(
            {self.finding_ids[arn]: (code, self.message(code)) for arn, code in self.codes.items()},
            self.times,
        )

    @property
    def requests(self) -> list[list[str]]:
        """Certificate ARNs of each call, in order."""
        assert self._rejections is not None
        return [[f["Resources"][0]["Id"] for f in request] for request in self._rejections.requests]


@pytest.fixture
def three_certificates(aws: StrictAws, now: datetime) -> list[str]:
    """Three certificates in the window, most urgent first; the hub enabled."""
    enable_hub()
    acm = client("acm")
    return [
        import_certificate(acm, common_name=f"{name}.example.com", days_left=days, now=now)
        for name, days in (("alpha", 3), ("beta", 9), ("gamma", 20))
    ]


@pytest.mark.parametrize(
    "code",
    ["ThrottlingException", "InternalException", "ServiceUnavailableException", "TooManyRequests"],
)
def test_findings_failed_for_a_passing_reason_are_retried_once_and_written(
    aws: StrictAws,
    now: datetime,
    three_certificates: list[str],
    code: str,
):
    alpha, beta, gamma = three_certificates
    rejected = RejectedImports({alpha: code, gamma: code}, times=1)
    rejected.install(aws)

    summary = scan(now)

    monitor = f"AWS::::Account:{ACCOUNT_ID}"  # the scan's own finding goes with the first call
    assert [[alpha, beta, gamma, monitor], [alpha, gamma]] == rejected.requests
    assert (3, 0, []) == (
        summary["findings"]["written"],
        summary["findings"]["failed"],
        summary["errors"],
    )
    assert {alpha: "ACTIVE", beta: "ACTIVE", gamma: "ACTIVE"} == {
        f["Resources"][0]["Id"]: f["RecordState"] for f in get_findings()
    }


@pytest.mark.parametrize(
    ("code", "requests"),
    [
        ("InvalidInput", 1),  # permanent: not retried
        ("AccessDeniedException", 1),
        ("ThrottlingException", 2),  # passing, but fails again on the one retry
    ],
)
def test_findings_that_still_fail_are_reported_and_the_notification_is_still_sent(
    aws: StrictAws,
    now: datetime,
    caplog: pytest.LogCaptureFixture,
    three_certificates: list[str],
    code: str,
    requests: int,
):
    alpha, beta, gamma = three_certificates
    rejected = RejectedImports({beta: code}, times=2)
    rejected.install(aws)
    topic_arn, queue_url = create_topic_with_queue(raw=True)
    caplog.set_level(logging.WARNING, logger="handle_expiring_certificates")

    with pytest.raises(IncompleteRunError) as excinfo:
        scan(now, SNS_TOPIC_ARN=topic_arn)

    error = f"BatchImportFindings {rejected.finding_ids[beta]} failed ({code}): Injected {code}"
    summary = excinfo.value.summary
    assert [error] == summary["errors"]
    assert f"Run incomplete, 1 failure(s): {error}" == str(excinfo.value)
    assert error in [record.getMessage() for record in caplog.records]
    assert (2, 1) == (summary["findings"]["written"], summary["findings"]["failed"])
    assert requests == sum(beta in request for request in rejected.requests)
    assert {alpha, gamma} == {f["Resources"][0]["Id"] for f in get_findings()}
    (document,) = [json.loads(body) for body in receive_messages(queue_url)]
    assert [alpha, beta, gamma] == [c["arn"] for c in document["certificates"]]
    assert 1 == len(summary["notification"]["message_ids"])


def test_a_value_security_hub_does_not_document_stays_out_of_the_details(
    aws: StrictAws, now: datetime
):
    """AwsCertificateManagerCertificate's KeyAlgorithm takes RSA_1024, RSA_2048, RSA_4096 and
    three EC curves (botocore's securityhub model); ACM's RSA_3072 is sent in the description
    and ProductFields.KeyAlgorithm instead, and the finding is accepted (issue 17, problem 5:
    the emulator rejects undocumented values, as a strict AWS would)."""
    enable_hub()
    arn = import_certificate(
        client("acm"), common_name="rsa3072.example.com", days_left=3, now=now, key_type="RSA_3072"
    )

    summary = scan(now, CERTIFICATE_SOURCES="acm")

    assert ([], 1) == (summary["errors"], summary["findings"]["written"])
    [finding] = get_findings()
    details = finding["Resources"][0]["Details"]["AwsCertificateManagerCertificate"]
    assert (arn, "RSA_3072", None) == (
        finding["Resources"][0]["Id"],
        finding["ProductFields"]["KeyAlgorithm"],
        details.get("KeyAlgorithm"),
    )
    assert "Key algorithm: RSA_3072." in finding["Description"]
