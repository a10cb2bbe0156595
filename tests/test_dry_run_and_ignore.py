"""DRY_RUN and IGNORE_TAG, edge to edge through strict moto.

DRY_RUN=true does everything but write findings and publish, and its summary describes exactly
what a real run then writes and sends. IGNORE_TAG (``key=value``, or ``key`` for any value) keeps a
tagged certificate out of findings and messages, archives its active finding, and costs one
ListTagsForCertificate per certificate inside the window, none outside it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest

from handle_expiring_certificates import ConfigurationError
from testkit import (
    StrictAws,
    client,
    create_topic_with_queue,
    enable_hub,
    finding_of,
    get_findings,
    invoke,
    load_event,
    messaged_arns,
    published,
    receive_messages,
)
from testkit.certificates import import_certificate

REGION = "us-east-1"
WRITES = ("BatchImportFindings", "Publish")
SCAN = "scan"
EVENT = "event"


# Helpers ############################################################################


def event_for(option: str, arn: str) -> dict[str, Any]:
    """Option 2's scheduled event, or Option 1's ACM event about ``arn``."""
    if option == SCAN:
        return load_event("scheduled-event")
    return load_event("acm-approaching-expiration", resources=[arn])


def described(finding: Mapping[str, Any]) -> dict[str, Any]:
    """A stored finding as the dry-run summary describes one."""
    return {
        "Id": finding["Id"],
        "RecordState": finding["RecordState"],
        "Severity": finding["Severity"]["Label"],
        "Title": finding["Title"],
    }


def by_id(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entries, key=lambda entry: entry["Id"])


@pytest.fixture
def topic(aws: StrictAws) -> tuple[str, str]:
    """Security Hub on; an SNS topic with an SQS subscriber: (topic ARN, queue URL)."""
    enable_hub()
    return create_topic_with_queue()


# DRY_RUN ############################################################################


@pytest.fixture
def certificates(aws: StrictAws, now: datetime) -> dict[str, str]:
    """Three certificates inside the 45-day window and one outside it, by domain."""
    acm = client("acm")
    return {
        domain: import_certificate(acm, common_name=domain, days_left=days, now=now)
        for domain, days in [
            ("soon.example.com", 3),
            ("month.example.com", 20),
            ("expired.example.com", -2),
            ("healthy.example.com", 200),
        ]
    }


@pytest.mark.parametrize("option", [SCAN, EVENT])
def test_dry_run_writes_and_sends_nothing_and_describes_what_a_real_run_then_does(
    aws: StrictAws, certificates: dict[str, str], topic: tuple[str, str], now: datetime, option: str
):
    topic_arn, queue_url = topic
    event = event_for(option, certificates["soon.example.com"])

    aws.calls.clear()
    dry = invoke(event, now=now, DRY_RUN="true", SNS_TOPIC_ARN=topic_arn)

    assert [] == [op for op in aws.operations() if op in WRITES]
    assert ([], [], []) == (get_findings(), receive_messages(queue_url), published(topic_arn))
    assert (True, "dry run", {"message_ids": [], "parts": 1, "reason": "dry run"}) == (
        dry["dry_run"],
        dry["findings"]["skipped"],
        dry["notification"],
    )

    real = invoke(event, now=now, DRY_RUN="false", SNS_TOPIC_ARN=topic_arn)

    written = [described(finding) for finding in get_findings(monitor=True)]
    assert by_id(written) == by_id(dry["would_write"])
    assert [
        {"subject": subject, "bytes": size, "text": envelope["email"]}
        for subject, envelope, size in published(topic_arn)
    ] == dry["would_send"]
    assert (False, None, 1) == (
        real["dry_run"],
        real["findings"]["skipped"],
        len(real["notification"]["message_ids"]),
    )
    assert set() == {"would_write", "would_send"} & set(real)


def test_dry_run_would_archive_a_renewed_certificates_finding_but_leaves_it_active(
    aws: StrictAws, certificates: dict[str, str], topic: tuple[str, str], now: datetime
):
    renewed = certificates["month.example.com"]
    invoke(load_event("scheduled-event"), now=now)
    old_version = finding_of(renewed)["Id"]
    import_certificate(
        client("acm"),
        common_name="month.example.com",
        days_left=365,
        now=now,
        certificate_arn=renewed,
    )
    later = now + timedelta(minutes=5)

    aws.calls.clear()
    dry = invoke(load_event("scheduled-event"), now=later, DRY_RUN="true")

    assert [] == [op for op in aws.operations() if op in WRITES]
    assert "ACTIVE" == finding_of(renewed)["RecordState"]
    assert [(old_version, "ARCHIVED")] == [
        (entry["Id"], entry["RecordState"])
        for entry in dry["would_write"]
        if entry["RecordState"] != "ACTIVE"
    ]

    invoke(load_event("scheduled-event"), now=later)

    assert [described(finding_of(renewed))] == [
        entry for entry in dry["would_write"] if entry["Id"] == old_version
    ]


@pytest.mark.parametrize(
    ("value", "dry_run"),
    [
        ("true", True),
        ("TRUE", True),
        ("True", True),
        (" true ", True),
        ("false", False),
        ("", False),
    ],
)
def test_dry_run_setting_is_true_or_false_in_any_case_and_unset_means_false(
    aws: StrictAws,
    certificates: dict[str, str],
    topic: tuple[str, str],
    now: datetime,
    value: str,
    dry_run: bool,
):
    topic_arn, queue_url = topic
    aws.calls.clear()

    summary = invoke(load_event("scheduled-event"), now=now, DRY_RUN=value, SNS_TOPIC_ARN=topic_arn)

    # Findings are written while the message is sent: the order of the two is not fixed.
    wrote = sorted(op for op in aws.operations() if op in WRITES)
    assert (dry_run, [] if dry_run else sorted(WRITES)) == (summary["dry_run"], wrote)
    assert (0 if dry_run else 3) == len(get_findings())
    assert (0 if dry_run else 1) == len(receive_messages(queue_url))


@pytest.mark.parametrize("value", ["yes", "1", "dry"])
def test_dry_run_other_values_fail_naming_the_variable_before_any_aws_call(
    aws: StrictAws, now: datetime, value: str
):
    aws.calls.clear()

    with pytest.raises(ConfigurationError) as excinfo:
        invoke(load_event("scheduled-event"), now=now, DRY_RUN=value)

    assert f"DRY_RUN={value!r} is not valid: expected 'true' or 'false'." == str(excinfo.value)
    assert [] == aws.calls


# IGNORE_TAG #########################################################################

TAGGED = "legacy.example.com"


def seed_tagged(now: datetime, tags: Mapping[str, str]) -> dict[str, str]:
    """A tagged certificate and two untagged ones in the window; two outside (one tagged)."""
    acm = client("acm")
    arns = {
        TAGGED: import_certificate(acm, common_name=TAGGED, days_left=5, now=now, tags=tags or None)
    }
    for domain, days, domain_tags in [
        ("soon.example.com", 3, None),
        ("expired.example.com", -2, None),
        ("healthy.example.com", 200, tags or None),
        ("later.example.com", 60, None),
    ]:
        arns[domain] = import_certificate(
            acm, common_name=domain, days_left=days, now=now, tags=domain_tags
        )
    return arns


IN_WINDOW_UNTAGGED = ["expired.example.com", "soon.example.com"]  # most urgent first


@pytest.mark.parametrize(
    ("ignore_tag", "tags", "ignored"),
    [
        ("owner=legacy-team", {"owner": "legacy-team"}, True),
        ("do-not-alert", {"do-not-alert": "yes"}, True),
        ("do-not-alert", {"do-not-alert": ""}, True),
        ("owner=legacy-team", {"owner": "platform-team"}, False),
        ("owner=legacy-team", {"owner": "Legacy-Team"}, False),
        ("owner=legacy-team", {"team": "legacy-team"}, False),
        ("do-not-alert", {}, False),
    ],
    ids=[
        "key=value",
        "key-any-value",
        "key-empty-value",
        "value-mismatch",
        "value-case-differs",
        "other-key-same-value",
        "untagged",
    ],
)
def test_scan_leaves_out_of_findings_and_digest_exactly_the_certificates_with_the_ignore_tag(
    aws: StrictAws,
    topic: tuple[str, str],
    now: datetime,
    ignore_tag: str,
    tags: dict[str, str],
    ignored: bool,
):
    topic_arn, queue_url = topic
    arns = seed_tagged(now, tags)
    # Most urgent first: expired, then 3 days, then the tagged one at 5 days.
    expected = [arns[d] for d in IN_WINDOW_UNTAGGED + ([] if ignored else [TAGGED])]

    summary = invoke(
        load_event("scheduled-event"), now=now, IGNORE_TAG=ignore_tag, SNS_TOPIC_ARN=topic_arn
    )

    assert sorted(expected) == sorted(f["Resources"][0]["Id"] for f in get_findings())
    assert [expected] == messaged_arns(queue_url)
    assert expected == [entry["arn"] for entry in summary["in_window"]]
    assert (
        [{"arn": arns[TAGGED], "reason": f"ignored by tag {ignore_tag}"}] if ignored else []
    ) == summary["skipped"]


@pytest.mark.parametrize(
    ("ignore_tag", "tags"),
    [("owner=legacy-team", {"owner": "legacy-team"}), ("do-not-alert", {"do-not-alert": "1"})],
    ids=["key=value", "key"],
)
def test_acm_event_about_an_ignored_certificate_writes_no_finding_and_sends_nothing(
    aws: StrictAws, topic: tuple[str, str], now: datetime, ignore_tag: str, tags: dict[str, str]
):
    topic_arn, queue_url = topic
    arns = seed_tagged(now, tags)

    summary = invoke(
        event_for(EVENT, arns[TAGGED]), now=now, IGNORE_TAG=ignore_tag, SNS_TOPIC_ARN=topic_arn
    )

    assert ([], [], []) == (get_findings(), receive_messages(queue_url), summary["in_window"])
    assert [{"arn": arns[TAGGED], "reason": f"ignored by tag {ignore_tag}"}] == summary["skipped"]


@pytest.mark.parametrize("option", [SCAN, EVENT])
def test_certificate_tagged_after_its_finding_was_written_has_the_finding_archived(
    aws: StrictAws, topic: tuple[str, str], now: datetime, option: str
):
    topic_arn, queue_url = topic
    arns = seed_tagged(now, {})
    event = event_for(option, arns[TAGGED])
    invoke(event, now=now, IGNORE_TAG="owner=legacy-team", SNS_TOPIC_ARN=topic_arn)
    assert ("ACTIVE", "FAILED") == (
        finding_of(arns[TAGGED])["RecordState"],
        finding_of(arns[TAGGED])["Compliance"]["Status"],
    )
    receive_messages(queue_url)
    client("acm").add_tags_to_certificate(
        CertificateArn=arns[TAGGED], Tags=[{"Key": "owner", "Value": "legacy-team"}]
    )

    summary = invoke(
        event,
        now=now + timedelta(minutes=5),
        IGNORE_TAG="owner=legacy-team",
        SNS_TOPIC_ARN=topic_arn,
    )

    archived = finding_of(arns[TAGGED])
    assert ("ARCHIVED", "PASSED") == (archived["RecordState"], archived["Compliance"]["Status"])
    assert 1 == summary["findings"]["archived"]
    expected_digests = [[arns[d] for d in IN_WINDOW_UNTAGGED]] if option == SCAN else []
    assert expected_digests == messaged_arns(queue_url)


@pytest.mark.parametrize(
    ("option", "domain", "ignore_tag", "expected"),
    [
        (SCAN, None, "owner=legacy-team", 3),
        (SCAN, None, "do-not-alert", 3),
        (SCAN, None, "", 0),
        (EVENT, TAGGED, "owner=legacy-team", 1),
        (EVENT, "healthy.example.com", "owner=legacy-team", 0),
        (EVENT, TAGGED, "", 0),
    ],
    ids=[
        "scan-key=value",
        "scan-key",
        "scan-unset",
        "event-in-window",
        "event-outside-window",
        "event-unset",
    ],
)
def test_tags_are_read_once_per_certificate_inside_the_window_and_only_with_ignore_tag(
    aws: StrictAws,
    topic: tuple[str, str],
    now: datetime,
    option: str,
    domain: str | None,
    ignore_tag: str,
    expected: int,
):
    arns = seed_tagged(now, {"owner": "legacy-team"})
    event = event_for(option, arns[domain] if domain else "")
    aws.calls.clear()

    invoke(event, now=now, IGNORE_TAG=ignore_tag)

    assert expected == aws.operations("acm").count("ListTagsForCertificate")


@pytest.mark.parametrize("value", ["=legacy-team", "owner=", "=", "owner= "])
def test_ignore_tag_without_a_key_or_with_an_empty_value_fails_before_any_aws_call(
    aws: StrictAws, now: datetime, value: str
):
    aws.calls.clear()

    with pytest.raises(ConfigurationError) as excinfo:
        invoke(load_event("scheduled-event"), now=now, IGNORE_TAG=value)

    assert (
        f"IGNORE_TAG={value.strip()!r} is not valid: expected 'key=value' or 'key' "
        "(a tag key of 1 to 128 characters)."
    ) == str(excinfo.value)
    assert [] == aws.calls
