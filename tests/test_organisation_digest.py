"""One weekly digest for the whole organisation, and a monitor every account answers for
(issue 19).

Edge to edge in the emulator's administrator hub: members' certificate findings and monitor
findings are planted as their own accounts write them (the handler's ``build_finding`` and
``build_monitor_finding`` for the member, checked as the member's ``BatchImportFindings`` would
be), ``ListMembers`` answers with the associated members, and the administrator's function runs
a scheduled scan with ``DIGEST_SCOPE=organization``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from handle_expiring_certificates import (
    SCHEDULED_DETAIL_TYPE,
    ChatContext,
    ConfigurationError,
    MessageHeader,
    assess,
    build_notifications,
    organization_digest,
)
from testkit import (
    ACCOUNT_ID,
    StrictAws,
    client,
    create_topic_with_queue,
    enable_hub,
    get_findings,
    import_certificate,
    member_certificate,
    member_db_certificate,
    member_monitor,
    monitor_finding,
    receive_messages,
    scan,
    scan_outcome,
)
from testkit.securityhub import add_member, add_member_finding, set_workflow
from testkit.sns import subscribe_queue

REGION = "us-east-1"
ORG = {"DIGEST_SCOPE": "organization", "CERTIFICATE_SOURCES": "acm,iam"}
PROD, DEV, QUIET = "210987654321", "310987654321", "410987654321"


@pytest.fixture
def organisation(aws: StrictAws, now: datetime) -> dict[str, str]:
    """The administrator (this account, with one certificate of its own) and three members:
    prod (reported yesterday, two certificates), dev (reported 9 days ago), quiet (never)."""
    enable_hub()
    own = import_certificate(client("acm"), common_name="admin.example.com", days_left=5, now=now)
    add_member(PROD, account_name="prod")
    add_member(DEV, account_name="dev")
    add_member(QUIET)
    add_member("510987654321", status="Removed")  # not associated: neither listed nor silent
    for member, name, days in ((PROD, "orders", 3), (PROD, "billing", 40), (DEV, "test-db", -2)):
        add_member_finding(member_certificate(member, name, days, now))
    add_member_finding(member_monitor(PROD, now - timedelta(days=1)))
    add_member_finding(member_monitor(DEV, now - timedelta(days=9)))
    return {"own": own}


def digest(queue_url: str) -> tuple[str, dict[str, Any]]:
    [message] = receive_messages(queue_url)
    document: dict[str, Any] = json.loads(message["Message"])
    return message["Subject"], document


def test_the_organisation_digest_lists_every_member_certificate_once_with_its_account(
    aws: StrictAws, now: datetime, organisation: dict[str, str]
):
    topic_arn, queue_url = create_topic_with_queue()

    summary = scan(now, SNS_TOPIC_ARN=topic_arn, **ORG)

    subject, document = digest(queue_url)
    assert [
        ("test-db", DEV, "dev", "CRITICAL"),
        ("orders", PROD, "prod", "HIGH"),
        ("admin.example.com", ACCOUNT_ID, "", "LOW"),  # its own, from its fresh scan
        ("billing", PROD, "prod", "LOW"),
    ] == [
        (e["domain"], e["account"], e["account_name"], e["severity"])
        for e in document["certificates"]
    ]
    assert ("organization", 0) == (document["scope"], document["left_out"])
    assert {
        PROD: {"critical": 0, "high": 1, "medium": 0, "low": 1},
        DEV: {"critical": 1, "high": 0, "medium": 0, "low": 0},
        ACCOUNT_ID: {"critical": 0, "high": 0, "medium": 0, "low": 1},
    } == {
        row["account"]: {k: row[k] for k in ("critical", "high", "medium", "low")}
        for row in document["accounts"]
    }
    assert subject.startswith("4 certificates in 3 accounts expire within 45 days")
    assert "organization" == summary["scope"]


def test_with_owner_tag_the_organisation_digest_goes_to_each_member_finding_s_owner(
    aws: StrictAws, now: datetime, organisation: dict[str, str]
):
    """Issue 20: in organisation scope the digest is routed as an account's is, by the owner
    each member's finding carries; a finding without one (a member without OWNER_TAG), like the
    administrator's untagged certificate, is "unowned"."""
    add_member_finding(member_certificate(PROD, "payments", 10, now, owner="team-a"))
    topic_arn, _ = create_topic_with_queue()
    queues = {
        owner: subscribe_queue(topic_arn, owner, filter_policy={"owner": [owner]})
        for owner in ("team-a", "unowned", "all")
    }
    audit = subscribe_queue(topic_arn, "audit")

    scan(now, SNS_TOPIC_ARN=topic_arn, OWNER_TAG="team", **ORG)

    def domains(queue_url: str) -> list[list[str]]:
        return [
            [entry["domain"] for entry in json.loads(m["Message"])["certificates"]]
            for m in receive_messages(queue_url)
        ]

    assert {
        "team-a": [["payments"]],
        "unowned": [["test-db", "orders", "admin.example.com", "billing"]],
        "all": [["test-db", "orders", "payments", "admin.example.com", "billing"]],
    } == {owner: domains(url) for owner, url in queues.items()}
    assert [["all"], ["team-a"], ["unowned"]] == [
        json.loads(m["MessageAttributes"]["owner"]["Value"]) for m in receive_messages(audit)
    ]


def test_silent_members_are_those_whose_monitor_is_missing_old_or_incomplete(
    aws: StrictAws,
    now: datetime,
    organisation: dict[str, str],
    capsys: pytest.CaptureFixture[str],
):
    add_member("610987654321")
    add_member_finding(member_monitor("610987654321", now - timedelta(days=2), ("ListMetrics",)))
    topic_arn, queue_url = create_topic_with_queue()
    capsys.readouterr()

    summary = scan(now, SNS_TOPIC_ARN=topic_arn, **ORG)

    _, document = digest(queue_url)
    nine_days_ago = (now - timedelta(days=9)).strftime("%Y-%m-%dT%H:%M:%S")
    assert [
        (DEV, nine_days_ago, "no scan for 9 days"),
        (QUIET, None, "no scan has reported"),
        ("610987654321", (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S"), None),
    ] == [
        (
            row["account"],
            row["last_reported"] and row["last_reported"][:19],
            None if row["reason"].startswith("the last scan was incomplete") else row["reason"],
        )
        for row in document["silent_accounts"]
    ]
    assert summary["silent_accounts"] == document["silent_accounts"]
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])  # the EMF line
    assert 3 == metrics["SilentAccounts"]


def test_suppressed_and_archived_member_findings_are_left_out(
    aws: StrictAws, now: datetime, organisation: dict[str, str]
):
    suppressed = member_certificate(PROD, "legacy", 1, now)
    archived = member_certificate(PROD, "renewed", 2, now) | {"RecordState": "ARCHIVED"}
    add_member_finding(suppressed)
    add_member_finding(archived)
    set_workflow(suppressed["Id"], "SUPPRESSED")
    topic_arn, queue_url = create_topic_with_queue()

    scan(now, SNS_TOPIC_ARN=topic_arn, **ORG)

    _, document = digest(queue_url)
    assert {"legacy", "renewed"}.isdisjoint(e["domain"] for e in document["certificates"])


def test_nothing_of_a_member_is_written(
    aws: StrictAws, now: datetime, organisation: dict[str, str]
):
    before = {
        f["Id"]: f["UpdatedAt"]
        for f in get_findings(monitor=True)
        if f["AwsAccountId"] != ACCOUNT_ID
    }

    scan(now, **ORG)

    after = {
        f["Id"]: f["UpdatedAt"]
        for f in get_findings(monitor=True)
        if f["AwsAccountId"] != ACCOUNT_ID
    }
    assert before == after


def test_account_scope_sends_this_account_s_digest_as_before(
    aws: StrictAws, now: datetime, organisation: dict[str, str]
):
    topic_arn, queue_url = create_topic_with_queue()

    summary = scan(now, SNS_TOPIC_ARN=topic_arn, CERTIFICATE_SOURCES="acm,iam")

    _, document = digest(queue_url)
    assert ["admin.example.com"] == [e["domain"] for e in document["certificates"]]
    assert {"scope", "accounts", "silent_accounts", "left_out"}.isdisjoint(document)
    assert ("account", []) == (summary["scope"], summary["silent_accounts"])


def test_at_most_100_certificates_in_detail_and_the_rest_counted(
    aws: StrictAws, now: datetime, organisation: dict[str, str]
):
    for index in range(120):
        add_member_finding(member_certificate(PROD, f"db-{index:03}", 10 + index % 30, now))
    topic_arn, queue_url = create_topic_with_queue()

    scan(now, SNS_TOPIC_ARN=topic_arn, **ORG)

    messages = receive_messages(queue_url)
    documents = [json.loads(m["Message"]) for m in messages]
    assert 100 == sum(len(d["certificates"]) for d in documents)
    assert {124 - 100} == {d["left_out"] for d in documents}
    [accounts] = [d["accounts"] for d in documents if "accounts" in d]
    prod = next(row for row in accounts if row["account"] == PROD)
    assert 122 == prod["low"] + prod["medium"] + prod["high"]


def test_a_bad_digest_scope_is_refused_before_any_aws_call(aws: StrictAws, now: datetime):
    aws.calls.clear()

    with pytest.raises(ConfigurationError, match="DIGEST_SCOPE='org' is not valid"):
        scan(now, DIGEST_SCOPE="org")

    assert [] == aws.calls


# The monitor finding #############################################################################


def test_a_complete_scan_writes_its_monitor_informational_and_passed(aws: StrictAws, now: datetime):
    enable_hub()
    import_certificate(client("acm"), common_name="soon.example.com", days_left=3, now=now)

    scan(now, CERTIFICATE_SOURCES="acm,iam")

    monitor = monitor_finding()
    assert (
        f"handle-expiring-certificates/monitor/{ACCOUNT_ID}",
        "handle-expiring-certificates",
        "AwsAccount",
        f"AWS::::Account:{ACCOUNT_ID}",
        "INFORMATIONAL",
        "PASSED",
        "true",
        "1",  # the one certificate, which nothing uses: LOW
    ) == (
        monitor["Id"],
        monitor["GeneratorId"],
        monitor["Resources"][0]["Type"],
        monitor["Resources"][0]["Id"],
        monitor["Severity"]["Label"],
        monitor["Compliance"]["Status"],
        monitor["ProductFields"]["Complete"],
        monitor["ProductFields"]["Low"],
    )


def test_an_incomplete_scan_writes_its_monitor_medium_and_warning_naming_what_it_missed(
    aws: StrictAws, now: datetime
):
    enable_hub()
    aws.world.deny("rds", "DescribeDBInstances")

    _, error = scan_outcome(now)

    monitor = monitor_finding()
    assert error is not None
    assert ("MEDIUM", "WARNING", "false") == (
        monitor["Severity"]["Label"],
        monitor["Compliance"]["Status"],
        monitor["ProductFields"]["Complete"],
    )
    assert (
        "DescribeDBInstances in us-east-1 failed (AccessDenied)"
        in monitor["ProductFields"]["Missing"]
    )


def test_the_monitor_is_updated_each_week_and_never_archived(aws: StrictAws, now: datetime):
    enable_hub()
    scan(now, CERTIFICATE_SOURCES="acm")
    first = monitor_finding()

    scan(now + timedelta(days=7), CERTIFICATE_SOURCES="acm")

    second = monitor_finding()
    assert (first["CreatedAt"], "ACTIVE") == (second["CreatedAt"], second["RecordState"])
    assert second["UpdatedAt"] > first["UpdatedAt"]


def test_ten_thousand_findings_of_a_thousand_accounts_fit_in_two_messages(now: datetime):
    """The detail stops at 100 certificates; the table of 1,000 accounts and the silent ones
    come once, in the last part (core: no AWS)."""
    assessments = []
    for index in range(10_000):
        member = f"{100000000000 + index % 1000}"
        certificate = member_db_certificate(member, f"db-{index:05}", 1 + index % 44, now)
        assessment = assess(certificate, now, 45)
        assert assessment is not None
        assessments.append(assessment)
    names = {f"{100000000000 + i}": f"account-{i}" for i in range(1000)}
    silent = [
        {"account": f"{200000000000 + i}", "last_reported": None, "reason": "no scan has reported"}
        for i in range(50)
    ]
    header = MessageHeader(
        SCHEDULED_DETAIL_TYPE,
        f"organization of {ACCOUNT_ID}",
        45,
        now,
        organization=organization_digest(assessments, names, silent),
        chat=ChatContext(ACCOUNT_ID, REGION, "aws"),
    )

    messages = build_notifications(header, assessments)

    assert len(messages) <= 2
    assert all(message.size <= 262_144 for message in messages)
    assert 100 == sum(len(m.document["certificates"]) for m in messages)
    assert (1000, 50, 9_900) == (
        len(messages[-1].document["accounts"]),
        len(messages[-1].document["silent_accounts"]),
        messages[-1].document["left_out"],
    )
