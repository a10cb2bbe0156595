"""Edge to edge: ``lambda_handler`` on strict moto, read back the way a user would.

Certificates are real (``testkit/certificates.py``), findings are read with ``GetFindings`` and
messages as an SQS subscriber of the topic receives them, raw and in the SNS envelope.
"""

from __future__ import annotations

import copy
import json
import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import botocore.session
import pytest

from handle_expiring_certificates import (
    ACM_DETAIL_TYPES,
    GENERATOR_ID,
    AwsClients,
    ConfigurationError,
    UnsupportedEventError,
)
from testkit import (
    ACCOUNT_ID,
    OTHER_SOURCES_OF_A_REGION,
    OTHER_SOURCES_OF_AN_ACCOUNT,
    ApiCall,
    StrictAws,
    as_pairs,
    client,
    create_topic_with_queue,
    enable_hub,
    get_findings,
    invoke,
    load_event,
    put_days_to_expiry_metric,
    receive_messages,
    strict_mock_aws,
)
from testkit.certificates import import_certificate, make_certificate, set_in_use_by

REGION = "us-east-1"
LOGGER_NAME = "handle_expiring_certificates"
LOAD_BALANCER = (
    f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:loadbalancer/app/web/50dc6c495c0c9188"
)
SUMMARY_KEYS = {
    "trigger",
    "mode",
    "regions",
    "expiry_days",
    "dry_run",
    "now",
    "account",
    "outcome",
    "source",
    "certificates_examined",
    "not_examined",
    "in_window",
    "skipped",
    "findings",
    "notification",
    "errors",
    "warnings",
}
HUB_NOT_ENABLED = f"Security Hub is not enabled in {REGION}; findings were not written"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    return caplog


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def captured_logs() -> Iterator[list[logging.LogRecord]]:
    """The handler's log records (for module-scoped fixtures, where caplog is not available)."""
    logger = logging.getLogger(LOGGER_NAME)
    handler = _ListHandler()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def summary_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER_NAME and hasattr(r, "summary")]


def warnings_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == LOGGER_NAME and r.levelno == logging.WARNING
    ]


def version_id(arn: str, not_after: datetime) -> str:
    """The finding Id of one certificate version (docs/findings.md)."""
    return f"{GENERATOR_ID}/{arn}/{not_after.strftime('%Y%m%dT%H%M%SZ')}"


def in_window_entry(
    arn: str,
    domain: str,
    days_left: int,
    severity: str,
    now: datetime,
    *,
    seeded_days: int | None = None,
    region: str = REGION,
    in_use_by: list[str] | None = None,
) -> dict[str, Any]:
    """The summary's entry for a certificate ``import_certificate`` seeded ``seeded_days``
    (default ``days_left``) days and an hour from ``now``: days count toward zero, so one seeded
    at -2 days shows -1."""
    not_after = now + timedelta(days=days_left if seeded_days is None else seeded_days, hours=1)
    return {
        "arn": arn,
        "kind": "acm",
        "domain": domain,
        "region": region,
        "days_left": days_left,
        "expired": not_after <= now,
        "severity": severity,
        "not_after": iso(not_after),
        "type": "IMPORTED",
        "in_use": bool(in_use_by),
        "in_use_by": in_use_by or [],
        "finding_id": version_id(arn, not_after),
    }


def envelope_and_raw(queue_url: str, raw_queue_url: str) -> tuple[dict[str, Any], str]:
    """The one message each subscriber got, after checking it is exactly one."""
    envelopes = receive_messages(queue_url)
    raws = receive_messages(raw_queue_url)
    assert (1, 1) == (len(envelopes), len(raws))
    return envelopes[0], raws[0]


# Option 2: the weekly scan ##########################################################


@dataclass
class Account:
    """A realistic account: one certificate per key type, a healthy one, a deleted one. The
    three most urgent are in use (severity is by risk: an unused certificate is LOW)."""

    expired_p256: str
    rsa2048_3_days: str
    rsa4096_20_days: str
    p384_40_days: str
    healthy: str
    deleted: str

    def ordered(self) -> list[str]:
        """The certificates inside the 45-day window, most urgent first."""
        return [self.expired_p256, self.rsa2048_3_days, self.rsa4096_20_days, self.p384_40_days]


def seed_account(now: datetime) -> Account:
    acm = client("acm")

    def cert(name: str, days: int, key_type: str = "EC_prime256v1") -> str:
        return import_certificate(
            acm, common_name=f"{name}.example.com", days_left=days, now=now, key_type=key_type
        )

    account = Account(
        expired_p256=cert("expired", -2),
        rsa2048_3_days=cert("rsa2048", 3, "RSA_2048"),
        rsa4096_20_days=cert("rsa4096", 20, "RSA_4096"),
        p384_40_days=cert("p384", 40, "EC_secp384r1"),
        healthy=cert("healthy", 100),
        deleted=cert("deleted", 10),
    )
    for arn in (account.expired_p256, account.rsa2048_3_days, account.rsa4096_20_days):
        set_in_use_by(arn, REGION, [LOAD_BALANCER])
    # ACM's last daily data point, an hour ago; the metric stays listed for up to two weeks.
    put_days_to_expiry_metric(REGION, account.deleted, 10, timestamp=now - timedelta(hours=1))
    acm.delete_certificate(CertificateArn=account.deleted)
    return account


@dataclass
class Scan:
    """One scan of the seeded account, and everything a user could read back afterwards."""

    account: Account
    now: datetime
    summary: dict[str, Any]
    records: list[logging.LogRecord]
    calls: list[ApiCall]
    described: list[str]  # the ARN of each DescribeCertificate, in the order moto served them
    envelopes: list[Any]
    raws: list[Any]
    findings: list[dict[str, Any]]
    topic_arn: str


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Scan:
    """The scan runs once per module on the same strict moto as ``aws`` (RSA-4096 imports take
    most of a second); everything is read back before moto stops, and the tests only look."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        mocked = strict_mock_aws(monkeypatch, tmp_path_factory.mktemp("scan"))
        aws = next(mocked)
        described: list[str] = []
        aws.world.after(
            "acm",
            "DescribeCertificate",
            lambda call: described.append(call.param("CertificateArn")),
        )
        try:
            now = datetime.now(timezone.utc).replace(microsecond=0)
            account = seed_account(now)
            enable_hub()
            topic_arn, queue_url = create_topic_with_queue()
            _, raw_queue_url = create_topic_with_queue(raw=True)
            aws.calls.clear()
            described.clear()
            with captured_logs() as records:
                summary = invoke(load_event("scheduled-event"), now=now, SNS_TOPIC_ARN=topic_arn)
            calls = list(aws.calls)
            return Scan(
                account=account,
                now=now,
                summary=summary,
                records=records,
                calls=calls,
                described=list(described),
                envelopes=receive_messages(queue_url),
                raws=receive_messages(raw_queue_url),
                findings=get_findings(),
                topic_arn=topic_arn,
            )
        finally:
            mocked.close()


def test_a_scan_finds_every_key_type_and_expired_certificates(scan: Scan):
    account, now = scan.account, scan.now

    # The three in use are described (what uses them); the search says nothing uses p384.
    assert [
        in_window_entry(
            account.expired_p256,
            "expired.example.com",
            -1,
            "CRITICAL",
            now,
            seeded_days=-2,
            in_use_by=[LOAD_BALANCER],
        ),
        in_window_entry(
            account.rsa2048_3_days,
            "rsa2048.example.com",
            3,
            "HIGH",
            now,
            in_use_by=[LOAD_BALANCER],
        ),
        in_window_entry(
            account.rsa4096_20_days,
            "rsa4096.example.com",
            20,
            "MEDIUM",
            now,
            in_use_by=[LOAD_BALANCER],
        ),
        in_window_entry(account.p384_40_days, "p384.example.com", 40, "LOW", now),
    ] == scan.summary["in_window"]
    # The search returns the window only: the healthy certificate is never examined.
    assert (4, 0, [], [], "scan", [REGION], "SearchCertificates", ACCOUNT_ID) == (
        scan.summary["certificates_examined"],
        scan.summary["not_examined"],
        scan.summary["errors"],
        scan.summary["warnings"],
        scan.summary["mode"],
        scan.summary["regions"],
        scan.summary["source"],
        scan.summary["account"],
    )


def test_a_scan_searches_every_key_type_once_and_describes_only_what_it_must(scan: Scan):
    # One SearchCertificates (no key-type filter) finds the EC and RSA-4096 certificates too.
    # The calls of a scan overlap (describes start while the metrics are listed, the hub is read
    # meanwhile): their order is not fixed, their number is.
    account = scan.account
    assert {
        ("acm", "SearchCertificates"): 1,
        ("acm", "DescribeCertificate"): 4,
        ("cloudwatch", "ListMetrics"): 1,
        ("cloudwatch", "GetMetricData"): 1,
        ("iam", "ListServerCertificates"): 1,
        ("securityhub", "GetFindings"): 1,
        ("securityhub", "BatchImportFindings"): 1,
        ("sns", "Publish"): 1,
        # The other certificate sources, which hold nothing here: one listing each.
        **as_pairs(OTHER_SOURCES_OF_A_REGION + OTHER_SOURCES_OF_AN_ACCOUNT),
    } == Counter((c.service, c.operation) for c in scan.calls)
    assert {REGION} == {c.region for c in scan.calls}
    # Described: the certificates in use (to learn what uses them) and the metric-only ARN whose
    # latest DaysToExpiry is inside the window (to learn it is gone). The one nobody uses needs
    # nothing beyond the search result, which already carries the issuer and the serial.
    assert sorted(
        [account.expired_p256, account.rsa2048_3_days, account.rsa4096_20_days, account.deleted]
    ) == sorted(scan.described)
    details = {
        f["Resources"][0]["Id"]: f["Resources"][0]["Details"]["AwsCertificateManagerCertificate"]
        for f in scan.findings
    }
    assert {
        account.expired_p256: (True, True, [LOAD_BALANCER]),
        account.rsa2048_3_days: (True, True, [LOAD_BALANCER]),
        account.rsa4096_20_days: (True, True, [LOAD_BALANCER]),
        account.p384_40_days: (True, True, None),
    } == {
        arn: ("Issuer" in detail, "Serial" in detail, detail.get("InUseBy"))
        for arn, detail in details.items()
    }


def test_a_scan_skips_a_deleted_certificate_whose_metric_lingers(scan: Scan):
    [skipped] = scan.summary["skipped"]

    assert {"arn": scan.account.deleted, "reason": "deleted; its DaysToExpiry metric lingers"} == (
        skipped
    )
    # A certificate gone is a note (INFO), not a warning: the summary counts no warning.
    assert [f"Skipped {scan.account.deleted}: {skipped['reason']}"] == [
        r.getMessage() for r in scan.records if r.getMessage().startswith("Skipped")
    ]
    assert [logging.INFO] == [r.levelno for r in scan.records if r.getMessage().startswith("Sk")]
    assert [] == [r.getMessage() for r in scan.records if r.levelno >= logging.WARNING]
    assert [None] * len(scan.records) == [r.exc_info for r in scan.records]


def test_a_scan_sends_one_digest_most_urgent_first(scan: Scan):
    now = scan.now
    assert (1, 1) == (len(scan.envelopes), len(scan.raws))
    envelope, raw = scan.envelopes[0], scan.raws[0]

    document = json.loads(envelope["Message"])
    assert json.loads(raw) == document
    assert (
        "4 certificates expire within 45 days (1 expired)",
        scan.topic_arn,
    ) == (envelope["Subject"], envelope["TopicArn"])
    assert scan.account.ordered() == [c["arn"] for c in document["certificates"]]
    assert [
        ("expired.example.com", REGION, -1, iso(now - timedelta(days=2) + timedelta(hours=1))),
        ("rsa2048.example.com", REGION, 3, iso(now + timedelta(days=3, hours=1))),
        ("rsa4096.example.com", REGION, 20, iso(now + timedelta(days=20, hours=1))),
        ("p384.example.com", REGION, 40, iso(now + timedelta(days=40, hours=1))),
    ] == [
        (c["domain"], c["region"], c["days_left"], c["not_after"]) for c in document["certificates"]
    ]
    assert [("IMPORTED", [LOAD_BALANCER] if i < 3 else []) for i in range(4)] == [
        (c["type"], c["in_use_by"]) for c in document["certificates"]
    ]
    assert {"message_ids": [envelope["MessageId"]], "parts": 1, "reason": None} == scan.summary[
        "notification"
    ]


def test_a_scan_writes_one_finding_per_certificate_in_the_window(scan: Scan):
    findings = {f["Resources"][0]["Id"]: f for f in scan.findings}

    assert set(scan.account.ordered()) == set(findings)
    severities = ["CRITICAL", "HIGH", "MEDIUM", "LOW"]
    for arn, severity in zip(scan.account.ordered(), severities, strict=True):
        finding = findings[arn]
        entry = next(e for e in scan.summary["in_window"] if e["arn"] == arn)
        not_after = datetime.strptime(entry["not_after"], "%Y-%m-%dT%H:%M:%S.000Z")
        assert (
            version_id(arn, not_after),
            GENERATOR_ID,
            f"arn:aws:securityhub:{REGION}:{ACCOUNT_ID}:product/{ACCOUNT_ID}/default",
            [("AwsCertificateManagerCertificate", arn, REGION, "aws")],
            severity,
            "FAILED",
            "ACTIVE",
        ) == (
            finding["Id"],
            finding["GeneratorId"],
            finding["ProductArn"],
            [(r["Type"], r["Id"], r["Region"], r["Partition"]) for r in finding["Resources"]],
            finding["Severity"]["Label"],
            finding["Compliance"]["Status"],
            finding["RecordState"],
        )
        details = finding["Resources"][0]["Details"]["AwsCertificateManagerCertificate"]
        assert (arn.rsplit("/", 1)[1], "IMPORTED") == (
            finding["SourceUrl"].rsplit("/", 1)[1],
            details["Type"],
        )
    assert {
        "hub_region": REGION,
        "written": 4,
        "archived": 0,
        "failed": 0,
        "skipped": None,
    } == scan.summary["findings"]


def test_the_summary_is_json_with_the_documented_keys(scan: Scan):
    summary = scan.summary

    assert summary == json.loads(json.dumps(summary))
    assert SUMMARY_KEYS <= set(summary)
    assert {"hub_region", "written", "archived", "failed", "skipped"} == set(summary["findings"])
    assert {"message_ids", "parts", "reason"} == set(summary["notification"])
    assert ("Scheduled Event", 45, False, iso(scan.now)) == (
        summary["trigger"],
        summary["expiry_days"],
        summary["dry_run"],
        summary["now"],
    )


def test_a_scan_logs_one_info_summary_line(scan: Scan):
    [record] = [r for r in scan.records if hasattr(r, "summary")]

    assert (
        logging.INFO,
        "Scheduled Event: 4 examined, 4 in window, findings 4 written / 0 archived / 0 failed, "
        "1 message(s) sent, 0 error(s), 0 warning(s), 1 skipped",
    ) == (record.levelno, record.getMessage())
    # Lambda's JSON log format serialises extra attributes; they must be plain JSON.
    json.dumps(record.summary)


def test_nothing_is_published_when_nothing_is_in_the_window(aws: StrictAws, now: datetime):
    import_certificate(client("acm"), common_name="healthy.example.com", days_left=100, now=now)
    enable_hub()
    topic_arn, queue_url = create_topic_with_queue()
    _, raw_queue_url = create_topic_with_queue(raw=True)
    aws.calls.clear()

    summary = invoke(load_event("scheduled-event"), now=now, SNS_TOPIC_ARN=topic_arn)

    # The search returns only what expires inside the window: nothing to examine.
    assert (
        {"message_ids": [], "parts": 0, "reason": "no certificate is inside the window"},
        [],
        0,
        "SearchCertificates",
    ) == (
        summary["notification"],
        summary["in_window"],
        summary["certificates_examined"],
        summary["source"],
    )
    assert ([], [], []) == (receive_messages(queue_url), receive_messages(raw_queue_url), [])
    assert [] == get_findings()
    assert [] == [operation for operation in aws.operations("sns") if operation == "Publish"]


def test_the_scheduler_payload_runs_the_same_scan_as_the_scheduled_event(
    aws: StrictAws, now: datetime
):
    """``{}`` (EventBridge Scheduler's default payload) is Option 2: the same summary and the
    same digest as the schedule rule's event, apart from the message id."""
    acm = client("acm")
    soon = import_certificate(acm, common_name="soon.example.com", days_left=3, now=now)
    set_in_use_by(soon, REGION, [LOAD_BALANCER])
    import_certificate(acm, common_name="month.example.com", days_left=20, now=now)
    enable_hub()
    topic_arn, queue_url = create_topic_with_queue()
    assert {} == load_event("eventbridge-scheduler-default")

    summaries = [
        invoke(load_event(name), now=now, SNS_TOPIC_ARN=topic_arn)
        for name in ("eventbridge-scheduler-default", "scheduled-event")
    ]

    messages = receive_messages(queue_url)
    assert [summary["notification"].pop("message_ids") for summary in summaries] == [
        [message["MessageId"]] for message in messages
    ]
    assert summaries[1] == summaries[0]
    assert ("Scheduled Event", "scan", "scanned", 2, 2) == (
        summaries[0]["trigger"],
        summaries[0]["mode"],
        summaries[0]["outcome"],
        len(summaries[0]["in_window"]),
        summaries[0]["findings"]["written"],
    )
    assert [messages[0]["Subject"], json.loads(messages[0]["Message"])["certificates"]] == [
        messages[1]["Subject"],
        json.loads(messages[1]["Message"])["certificates"],
    ]


def test_a_scan_lists_every_key_type_when_search_certificates_is_unavailable(
    aws: StrictAws, now: datetime
):
    # Strict moto lists RSA_2048 alone unless Includes.keyTypes asks for more, so finding the
    # EC certificates proves the request.
    acm = client("acm")
    p256 = import_certificate(acm, common_name="p256.example.com", days_left=3, now=now)
    p384 = import_certificate(
        acm, common_name="p384.example.com", days_left=20, now=now, key_type="EC_secp384r1"
    )
    enable_hub()
    aws.world.search = "unknown_operation"

    summary = invoke(load_event("scheduled-event"), now=now)

    assert ([p256, p384], "ListCertificates", []) == (
        [entry["arn"] for entry in summary["in_window"]],
        summary["source"],
        summary["errors"],
    )
    [warning] = summary["warnings"]
    assert warning.startswith(f"SearchCertificates in {REGION} failed (UnknownOperationException)")


# Option 1: one ACM event ############################################################


@pytest.mark.parametrize(
    ("event_name", "seeded_days", "days_left", "severity", "subject_tail"),
    [
        ("acm-approaching-expiration", 10, 10, "MEDIUM", "expires in 10 days"),
        ("acm-certificate-expired", -1, 0, "CRITICAL", "EXPIRED less than a day ago"),
        ("acm-renewal-action-required", 5, 5, "HIGH", "expires in 5 days"),
    ],
)
def test_an_acm_event_examines_its_certificate_in_the_region_of_its_arn(
    aws: StrictAws,
    now: datetime,
    logs: pytest.LogCaptureFixture,
    event_name: str,
    seeded_days: int,
    days_left: int,
    severity: str,
    subject_tail: str,
):
    # The function runs in us-east-1; the certificate lives in eu-west-1 and is in use.
    arn = import_certificate(
        client("acm", "eu-west-1"), common_name="shop.example.com", days_left=seeded_days, now=now
    )
    set_in_use_by(arn, "eu-west-1", [LOAD_BALANCER])
    enable_hub()
    topic_arn, queue_url = create_topic_with_queue()
    _, raw_queue_url = create_topic_with_queue(raw=True)
    aws.calls.clear()

    summary = invoke(load_event(event_name, resources=[arn]), now=now, SNS_TOPIC_ARN=topic_arn)

    assert (
        "in_window",
        "certificate",
        ["eu-west-1"],
        1,
        [
            in_window_entry(
                arn,
                "shop.example.com",
                days_left,
                severity,
                now,
                seeded_days=seeded_days,
                region="eu-west-1",
                in_use_by=[LOAD_BALANCER],
            )
        ],
        [],
    ) == (
        summary["outcome"],
        summary["mode"],
        summary["regions"],
        summary["certificates_examined"],
        summary["in_window"],
        summary["errors"],
    )
    assert [ApiCall("acm", "DescribeCertificate", "eu-west-1")] == [
        c for c in aws.calls if c.service in ("acm", "cloudwatch")
    ]
    [finding] = get_findings()
    assert (
        version_id(arn, now + timedelta(days=seeded_days, hours=1)),
        f"arn:aws:securityhub:{REGION}:{ACCOUNT_ID}:product/{ACCOUNT_ID}/default",
        [("AwsCertificateManagerCertificate", arn, "eu-west-1", "aws")],
        severity,
    ) == (
        finding["Id"],
        finding["ProductArn"],
        [(r["Type"], r["Id"], r["Region"], r["Partition"]) for r in finding["Resources"]],
        finding["Severity"]["Label"],
    )
    envelope, raw = envelope_and_raw(queue_url, raw_queue_url)
    assert f"ACM certificate shop.example.com {subject_tail}" == envelope["Subject"]
    document = json.loads(envelope["Message"])
    detail_type = load_event(event_name)["detail-type"]
    assert (json.loads(raw), [arn], detail_type) == (
        document,
        [c["arn"] for c in document["certificates"]],
        document["trigger"],
    )
    assert 1 == len(summary_records(logs))


def test_an_acm_event_outside_the_window_writes_and_sends_nothing(aws: StrictAws, now: datetime):
    arn = import_certificate(client("acm"), common_name="later.example.com", days_left=100, now=now)
    enable_hub()
    topic_arn, queue_url = create_topic_with_queue()

    summary = invoke(
        load_event("acm-approaching-expiration", resources=[arn]), now=now, SNS_TOPIC_ARN=topic_arn
    )

    assert (
        "outside_window",
        [],
        {
            "message_ids": [],
            "parts": 0,
            "reason": "the certificate is not inside the window (outside_window)",
        },
    ) == (summary["outcome"], summary["in_window"], summary["notification"])
    assert ([], []) == (get_findings(), receive_messages(queue_url))


def test_an_acm_event_for_a_deleted_certificate_is_logged_not_raised(
    aws: StrictAws, now: datetime, logs: pytest.LogCaptureFixture
):
    acm = client("acm")
    arn = import_certificate(acm, common_name="gone.example.com", days_left=3, now=now)
    acm.delete_certificate(CertificateArn=arn)
    enable_hub()
    topic_arn, queue_url = create_topic_with_queue()

    summary = invoke(
        load_event("acm-approaching-expiration", resources=[arn]), now=now, SNS_TOPIC_ARN=topic_arn
    )

    assert (
        "not_found",
        [{"arn": arn, "reason": "the certificate no longer exists"}],
        [],
        0,
    ) == (
        summary["outcome"],
        summary["skipped"],
        summary["errors"],
        summary["certificates_examined"],
    )
    assert ([], []) == (get_findings(), receive_messages(queue_url))
    assert [] == warnings_logged(logs)
    assert [(logging.INFO, f"Skipped {arn}: the certificate no longer exists")] == [
        (r.levelno, r.getMessage()) for r in logs.records if r.getMessage().startswith("Skipped")
    ]
    assert "Traceback" not in logs.text


def test_an_acm_event_about_a_renewed_certificate_archives_the_old_versions_finding(
    aws: StrictAws, now: datetime
):
    """Re-imported with another NotAfter, still inside the window: the old version's finding is
    archived naming the new one, and the new version gets its own."""
    acm = client("acm")
    arn = import_certificate(acm, common_name="shop.example.com", days_left=10, now=now)
    enable_hub()
    event = load_event("acm-approaching-expiration", resources=[arn])
    invoke(event, now=now)
    # Re-imported with a later expiry that is still inside the window: a new version.
    import_certificate(
        acm, common_name="shop.example.com", days_left=20, now=now, certificate_arn=arn
    )
    later = now + timedelta(minutes=5)

    summary = invoke(event, now=later)

    old_id = version_id(arn, now + timedelta(days=10, hours=1))
    new_id = version_id(arn, now + timedelta(days=20, hours=1))
    findings = {f["Id"]: f for f in get_findings()}
    assert {
        old_id: (
            "ARCHIVED",
            "PASSED",
            "the certificate was renewed or re-imported; its current version has its own "
            f"finding ({new_id}).",
        ),
        new_id: ("ACTIVE", "FAILED", None),
    } == {
        finding_id: (
            f["RecordState"],
            f["Compliance"]["Status"],
            f["Description"].partition(": ")[2] if f["RecordState"] == "ARCHIVED" else None,
        )
        for finding_id, f in findings.items()
    }
    assert ("in_window", 1, 1, 0) == (
        summary["outcome"],
        summary["findings"]["written"],
        summary["findings"]["archived"],
        summary["findings"]["failed"],
    )


MEMBER_ACCOUNT = "210987654321"


def test_an_acm_event_reads_only_this_accounts_findings_of_its_certificate(
    aws: StrictAws, now: datetime
):
    """GetFindings filters on GeneratorId, RecordState, AwsAccountId, ProductArn and ResourceId;
    a member account's finding in the administrator's hub, even about the same ARN, stays."""
    arn = import_certificate(client("acm"), common_name="shop.example.com", days_left=10, now=now)
    enable_hub()
    member_product = (
        f"arn:aws:securityhub:{REGION}:{MEMBER_ACCOUNT}:product/{MEMBER_ACCOUNT}/default"
    )
    aws.world.add_member_finding(
        {
            "SchemaVersion": "2018-10-08",
            # The first release's Id: ours would be archived and replaced on sight.
            "Id": f"{GENERATOR_ID}/{arn}",
            "ProductArn": member_product,
            "GeneratorId": GENERATOR_ID,
            "AwsAccountId": MEMBER_ACCOUNT,
            "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
            "CreatedAt": iso(now - timedelta(days=1)),
            "UpdatedAt": iso(now - timedelta(days=1)),
            "Severity": {"Label": "HIGH"},
            "Title": "ACM certificate shop.example.com expires in 11 days",
            "Description": "A member account's finding.",
            "Resources": [
                {"Type": "AwsCertificateManagerCertificate", "Id": arn, "Partition": "aws"}
            ],
        }
    )
    member_filter = {"AwsAccountId": [{"Value": MEMBER_ACCOUNT, "Comparison": "EQUALS"}]}
    [member_before] = get_findings(filters=member_filter)
    requests: list[dict[str, Any]] = []
    session = botocore.session.get_session()
    session.register(
        "provide-client-params.securityhub.GetFindings",
        lambda params, **_: requests.append(copy.deepcopy(params)),
    )

    summary = invoke(
        load_event("acm-approaching-expiration", resources=[arn]),
        now=now,
        clients=AwsClients(session),
    )

    def equals(value: str) -> list[dict[str, str]]:
        return [{"Value": value, "Comparison": "EQUALS"}]

    assert [
        {
            "Filters": {
                "GeneratorId": equals(GENERATOR_ID),
                "RecordState": equals("ACTIVE"),
                "AwsAccountId": equals(ACCOUNT_ID),
                "ProductArn": equals(
                    f"arn:aws:securityhub:{REGION}:{ACCOUNT_ID}:product/{ACCOUNT_ID}/default"
                ),
                "ResourceId": equals(arn),
            },
            "MaxResults": 100,
        }
    ] == requests
    assert [member_before] == get_findings(filters=member_filter)
    assert (1, 0, []) == (
        summary["findings"]["written"],
        summary["findings"]["archived"],
        summary["errors"],
    )


# Rejected before any AWS call ########################################################


def test_the_console_test_event_is_rejected_before_any_aws_call(aws: StrictAws, now: datetime):
    aws.calls.clear()

    with pytest.raises(UnsupportedEventError) as excinfo:
        invoke(load_event("console-default-test-event"), now=now)

    message = str(excinfo.value)
    for detail_type in (*ACM_DETAIL_TYPES, "Scheduled Event"):
        assert repr(detail_type) in message
    assert message.startswith("Unsupported event: detail-type is None (event keys: key1, key2")
    assert message.endswith("paste events/scheduled-event.json or {}.")
    assert [] == aws.calls


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EXPIRY_DAYS", "0"),
        ("SNS_TOPIC_ARN", "arn:aws:sqs:us-east-1:123456789012:cert-alerts"),
        ("SECURITY_HUB_REGION", "Frankfurt"),
    ],
)
def test_a_bad_setting_is_rejected_before_any_aws_call(
    aws: StrictAws, now: datetime, name: str, value: str
):
    aws.calls.clear()

    with pytest.raises(ConfigurationError) as excinfo:
        invoke(load_event("scheduled-event"), now=now, **{name: value})

    assert str(excinfo.value).startswith(f"{name}={value!r} is not valid")
    assert [] == aws.calls


PARTITIONS_ACCEPTED = "aws, aws-cn, aws-us-gov"
ISO_CERTIFICATE = (
    f"arn:aws-iso:acm:us-iso-east-1:{ACCOUNT_ID}:certificate/8a4c2e6f-1b3d-4f5a-9c7e-2d4f6a8b0c1e"
)


def test_an_acm_event_in_another_partition_is_refused_naming_the_accepted_partitions(
    aws: StrictAws, now: datetime
):
    aws.calls.clear()

    with pytest.raises(UnsupportedEventError) as excinfo:
        invoke(load_event("acm-approaching-expiration", resources=[ISO_CERTIFICATE]), now=now)

    message = str(excinfo.value)
    assert ([], True) == (
        [
            part
            for part in ("resources[0]", ISO_CERTIFICATE, PARTITIONS_ACCEPTED)
            if part not in message
        ],
        message.startswith("Unsupported event: resources[0]"),
    )
    assert [] == aws.calls


def test_an_sns_topic_in_another_partition_is_refused_naming_the_accepted_partitions(
    aws: StrictAws, now: datetime
):
    topic = f"arn:aws-iso:sns:us-iso-east-1:{ACCOUNT_ID}:cert-alerts"
    aws.calls.clear()

    with pytest.raises(ConfigurationError) as excinfo:
        invoke(load_event("scheduled-event"), now=now, SNS_TOPIC_ARN=topic)

    assert (
        f"SNS_TOPIC_ARN={topic!r} is not valid: expected an SNS topic ARN such as "
        "'arn:aws:sns:us-east-1:123456789012:cert-alerts' "
        f"(partition one of {PARTITIONS_ACCEPTED})."
    ) == str(excinfo.value)
    assert [] == aws.calls


# Where things go ######################################################################


def test_without_security_hub_the_message_still_goes_out(
    aws: StrictAws, now: datetime, logs: pytest.LogCaptureFixture
):
    arn = import_certificate(client("acm"), common_name="soon.example.com", days_left=3, now=now)
    topic_arn, queue_url = create_topic_with_queue()
    aws.calls.clear()

    summary = invoke(load_event("scheduled-event"), now=now, SNS_TOPIC_ARN=topic_arn)

    assert (
        {
            "hub_region": REGION,
            "written": 0,
            "archived": 0,
            "failed": 0,
            "skipped": HUB_NOT_ENABLED,
        },
        [HUB_NOT_ENABLED],
        [],
        1,
    ) == (
        summary["findings"],
        summary["warnings"],
        summary["errors"],
        len(summary["notification"]["message_ids"]),
    )
    [envelope] = receive_messages(queue_url)
    assert [arn] == [c["arn"] for c in json.loads(envelope["Message"])["certificates"]]
    assert [HUB_NOT_ENABLED] == warnings_logged(logs)


def test_without_security_hub_no_finding_is_imported(aws: StrictAws, now: datetime):
    """GetFindings says the hub is off: nothing is sent to BatchImportFindings."""
    import_certificate(client("acm"), common_name="soon.example.com", days_left=3, now=now)
    aws.calls.clear()

    invoke(load_event("scheduled-event"), now=now)

    assert ["GetFindings"] == aws.operations("securityhub")


def test_findings_land_in_the_security_hub_region(aws: StrictAws, now: datetime):
    arn = import_certificate(client("acm"), common_name="soon.example.com", days_left=3, now=now)
    enable_hub(REGION)
    enable_hub("eu-central-1")
    aws.calls.clear()

    summary = invoke(load_event("scheduled-event"), now=now, SECURITY_HUB_REGION="eu-central-1")

    hub_calls = {c.region for c in aws.calls if c.service == "securityhub"}
    [finding] = get_findings("eu-central-1")
    assert (
        f"arn:aws:securityhub:eu-central-1:{ACCOUNT_ID}:product/{ACCOUNT_ID}/default",
        (arn, REGION),
    ) == (finding["ProductArn"], (finding["Resources"][0]["Id"], finding["Resources"][0]["Region"]))
    assert [] == get_findings(REGION)
    assert {"eu-central-1"} == hub_calls
    assert ("eu-central-1", 1) == (
        summary["findings"]["hub_region"],
        summary["findings"]["written"],
    )


def test_a_topic_in_another_region_is_published_to_from_that_region(aws: StrictAws, now: datetime):
    import_certificate(client("acm"), common_name="soon.example.com", days_left=3, now=now)
    enable_hub()
    topic_arn, queue_url = create_topic_with_queue("ap-southeast-2")
    aws.calls.clear()

    summary = invoke(load_event("scheduled-event"), now=now, SNS_TOPIC_ARN=topic_arn)

    [envelope] = receive_messages(queue_url)
    assert [ApiCall("sns", "Publish", "ap-southeast-2")] == [
        c for c in aws.calls if c.operation == "Publish"
    ]
    assert [envelope["MessageId"]] == summary["notification"]["message_ids"]


def test_a_fifo_topic_gets_a_group_and_a_stable_deduplication_id(aws: StrictAws, now: datetime):
    import_certificate(client("acm"), common_name="soon.example.com", days_left=3, now=now)
    enable_hub()
    sns, sqs = client("sns"), client("sqs")
    topic_arn = sns.create_topic(Name="alerts.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    queue_url = sqs.create_queue(QueueName="alerts.fifo", Attributes={"FifoQueue": "true"})[
        "QueueUrl"
    ]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn["Attributes"]["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )

    invoke(load_event("scheduled-event"), now=now, SNS_TOPIC_ARN=topic_arn)
    invoke(load_event("scheduled-event"), now=now, SNS_TOPIC_ARN=topic_arn)

    messages = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    # The same digest twice (a retried invocation) is delivered once.
    assert 1 == len(messages)
    assert GENERATOR_ID == messages[0]["Attributes"]["MessageGroupId"]
    assert ["soon.example.com"] == [
        c["domain"] for c in json.loads(messages[0]["Body"])["certificates"]
    ]


def test_each_invocation_logs_exactly_one_info_summary_line(
    aws: StrictAws, now: datetime, logs: pytest.LogCaptureFixture
):
    arn = import_certificate(client("acm"), common_name="later.example.com", days_left=100, now=now)
    enable_hub()
    events = [
        load_event("scheduled-event"),
        load_event("acm-approaching-expiration", resources=[arn]),
        load_event("scheduled-event"),
    ]

    counts = []
    for event in events:
        logs.clear()
        invoke(event, now=now)
        counts.append([r.levelno for r in summary_records(logs)])

    assert [[logging.INFO]] * 3 == counts


# The same over real HTTP ###############################################################


def test_a_scan_over_http_reports_acm_and_iam_server_certificates_found_by_search(
    aws_server: StrictAws, now: datetime
):
    acm, iam = client("acm"), client("iam")
    soon = import_certificate(acm, common_name="soon.example.com", days_left=3, now=now)
    import_certificate(acm, common_name="healthy.example.com", days_left=100, now=now)
    legacy_expiry = now + timedelta(days=12, hours=1)
    body, key = make_certificate("legacy.example.com", not_after=legacy_expiry)
    legacy = iam.upload_server_certificate(
        ServerCertificateName="legacy-lb", CertificateBody=body.decode(), PrivateKey=key.decode()
    )["ServerCertificateMetadata"]["Arn"]
    enable_hub()
    topic_arn, queue_url = create_topic_with_queue()
    aws_server.calls.clear()

    summary = invoke(load_event("scheduled-event"), now=now, SNS_TOPIC_ARN=topic_arn)

    served = Counter((c.service, c.operation) for c in aws_server.calls)
    assert aws_server.endpoint_url is not None
    # Not in use: reported from the search result, never described.
    assert {
        ("acm", "SearchCertificates"): 1,
        ("iam", "ListServerCertificates"): 1,
        ("cloudwatch", "ListMetrics"): 1,
        ("securityhub", "GetFindings"): 1,
        ("securityhub", "BatchImportFindings"): 1,
        ("sns", "Publish"): 1,
        **as_pairs(OTHER_SOURCES_OF_A_REGION + OTHER_SOURCES_OF_AN_ACCOUNT),
    } == served
    # IAM cannot tell what uses its certificate, so it counts as in use: MEDIUM at 12 days
    # comes before an unused ACM certificate at 3 days (LOW).
    assert [
        {
            "arn": legacy,
            "kind": "iam",
            "domain": "legacy-lb",
            "region": "global",
            "days_left": 12,
            "expired": False,
            "severity": "MEDIUM",
            "not_after": iso(legacy_expiry),
            "type": "IAM_SERVER_CERTIFICATE",
            "in_use": None,
            "in_use_by": None,
            "finding_id": version_id(legacy, legacy_expiry),
        },
        in_window_entry(soon, "soon.example.com", 3, "LOW", now),
    ] == summary["in_window"]
    assert ("SearchCertificates", 2, [], []) == (
        summary["source"],
        summary["certificates_examined"],
        summary["errors"],
        summary["warnings"],
    )
    findings = {f["Resources"][0]["Id"]: f for f in get_findings()}
    assert {legacy, soon} == set(findings)
    iam_finding = findings[legacy]
    assert (
        version_id(legacy, legacy_expiry),
        "MEDIUM",
        "Other",
        "legacy-lb",
        iso(legacy_expiry).replace(".000Z", "Z"),
        False,
    ) == (
        iam_finding["Id"],
        iam_finding["Severity"]["Label"],
        iam_finding["Resources"][0]["Type"],
        iam_finding["Resources"][0]["Details"]["Other"]["ServerCertificateName"],
        iam_finding["Resources"][0]["Details"]["Other"]["Expiration"].replace(".000Z", "Z"),
        "SourceUrl" in iam_finding,
    )
    [envelope] = receive_messages(queue_url)
    assert [legacy, soon] == [c["arn"] for c in json.loads(envelope["Message"])["certificates"]]


def test_an_acm_event_over_http(aws_server: StrictAws, now: datetime):
    arn = import_certificate(
        client("acm", "eu-west-1"), common_name="shop.example.com", days_left=10, now=now
    )
    enable_hub()
    topic_arn, queue_url = create_topic_with_queue()
    aws_server.calls.clear()

    summary = invoke(
        load_event("acm-approaching-expiration", resources=[arn]), now=now, SNS_TOPIC_ARN=topic_arn
    )

    assert ("in_window", ["eu-west-1"]) == (summary["outcome"], summary["regions"])
    [finding] = get_findings()
    assert (arn, "eu-west-1") == (finding["Resources"][0]["Id"], finding["Resources"][0]["Region"])
    [envelope] = receive_messages(queue_url)
    assert "ACM certificate shop.example.com expires in 10 days" == envelope["Subject"]
    assert ApiCall("acm", "DescribeCertificate", "eu-west-1") in aws_server.calls
