"""Notifications people and machines can act on (issue 3, points 4 to 6).

Edge to edge: real certificates in strict moto, ``lambda_handler`` with an explicit ``environ``
and ``now``; messages read as an SQS subscriber receives them (raw and in the SNS envelope), and
what was published read from the emulator's topic (``testkit.published``), where the
``default`` text is the JSON document (what SQS, Lambda, HTTP/S and Firehose subscribers get),
``email`` the text for people and ``sms`` the subject line.
"""

# Expected values come first in assertions (docs/development.md), which SIM300 calls a Yoda
# condition.
# ruff: noqa: SIM300, RUF100

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import pytest

from handle_expiring_certificates import ConfigurationError
from testkit import (
    ACCOUNT_ID,
    StrictAws,
    certificate_event,
    client,
    create_topic_with_queue,
    enable_hub,
    findings_by_arn,
    get_findings,
    human,
    published,
    receive_messages,
    scan,
)
from testkit.certificates import import_certificate, set_domain_name, set_in_use_by

REGION = "us-east-1"
MAX_MESSAGE_BYTES = 262_144
LOAD_BALANCER = (
    f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:loadbalancer/app/shop/50dc6c495c0c9188"
)
DISTRIBUTION = f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/E2QWRUHEXAMPLE"
NOT_IN_USE_ACTION = (
    "Not in use: delete it or let it lapse. Nothing uses this certificate, so its expiry cannot "
    "take a service down; if something is meant to use it, renew it first."
)
IMPORTED_ACTION = (
    "ACM cannot renew an imported certificate. Get a renewed certificate from its issuer and "
    "re-import it into this same ARN (ACM console: Reimport, or ReimportCertificate), so every "
    "service that uses it picks it up."
)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def console(arn: str) -> str:
    return (
        f"https://{REGION}.console.aws.amazon.com/acm/home?region={REGION}"
        f"#/certificates/{arn.rsplit('/', 1)[1]}"
    )


def finding_ids() -> dict[str, str]:
    return {arn: finding["Id"] for arn, finding in findings_by_arn().items()}


def whole_days_left(days_left: int) -> int:
    """``days_left`` of ``import_certificate`` (NotAfter = now + days + 1 hour) in whole days
    toward zero, as the handler counts them: -1 (23 hours ago) is 0, -2 is -1."""
    return days_left if days_left >= 0 else days_left + 1


# NOTIFY_DAYS ####################################################################################


@pytest.mark.parametrize(
    ("days_left", "messages"),
    [
        (31, 0),
        (30, 1),
        (29, 0),
        (14, 1),
        (7, 1),
        (5, 0),
        (3, 1),
        (1, 1),
        (0, 0),
        (-1, 1),  # expired: every day
        (-2, 1),
    ],
)
def test_events_notify_only_on_notify_days_or_once_expired_but_always_update_the_finding(
    aws: StrictAws, now: datetime, days_left: int, messages: int
):
    enable_hub()
    topic_arn, queue_url = create_topic_with_queue()
    arn = import_certificate(
        client("acm"), common_name="d.example.com", days_left=days_left, now=now
    )
    settings = {"SNS_TOPIC_ARN": topic_arn, "NOTIFY_DAYS": "30,14,7,3,1"}
    acm_days = max(days_left, 0) if days_left >= 0 else None
    certificate_event(arn, now - timedelta(hours=1), days_to_expiry=acm_days, **settings)
    receive_messages(queue_url)

    summary = certificate_event(arn, now, days_to_expiry=acm_days, **settings)

    received = receive_messages(queue_url)
    assert messages == len(received) == len(summary["notification"]["message_ids"])
    assert [[arn]] * messages == [
        [c["arn"] for c in json.loads(m["Message"])["certificates"]] for m in received
    ]
    (finding,) = get_findings()
    assert (now, str(whole_days_left(days_left))) == (
        datetime.fromisoformat(finding["UpdatedAt"].replace("Z", "+00:00")),
        finding["ProductFields"]["DaysLeft"],
    )
    expected_reason = None if messages else "NOTIFY_DAYS does not include this day"
    assert expected_reason == summary["notification"]["reason"]


@pytest.mark.parametrize("notify_days", [None, ""], ids=["absent", "empty"])
@pytest.mark.parametrize("days_left", [44, 29, 5, 0, -1])
def test_without_notify_days_every_event_notifies(
    aws: StrictAws, now: datetime, notify_days: str | None, days_left: int
):
    topic_arn, queue_url = create_topic_with_queue()
    arn = import_certificate(
        client("acm"), common_name="e.example.com", days_left=days_left, now=now
    )
    settings = {"SNS_TOPIC_ARN": topic_arn}
    if notify_days is not None:
        settings["NOTIFY_DAYS"] = notify_days

    certificate_event(arn, now, **settings)

    (message,) = receive_messages(queue_url)
    assert [arn] == [c["arn"] for c in json.loads(message["Message"])["certificates"]]


def test_scans_send_their_digest_whatever_notify_days_says(aws: StrictAws, now: datetime):
    topic_arn, queue_url = create_topic_with_queue(raw=True)
    acm = client("acm")
    later = import_certificate(acm, common_name="later.example.com", days_left=29, now=now)
    sooner = import_certificate(acm, common_name="sooner.example.com", days_left=5, now=now)

    scan(now, SNS_TOPIC_ARN=topic_arn, NOTIFY_DAYS="30,14,7,3,1")

    (body,) = receive_messages(queue_url)
    assert [sooner, later] == [c["arn"] for c in json.loads(body)["certificates"]]


@pytest.mark.parametrize(
    "value", ["30,x", "thirty", ",", " ", "-1", "3.5", "7;3", "1e3", "123456", "30 14"]
)
def test_malformed_notify_days_fails_before_any_aws_call_naming_the_variable(
    aws: StrictAws, now: datetime, value: str
):
    topic_arn, _ = create_topic_with_queue()
    aws.calls.clear()

    with pytest.raises(ConfigurationError) as excinfo:
        scan(now, SNS_TOPIC_ARN=topic_arn, NOTIFY_DAYS=value)

    assert (
        f"NOTIFY_DAYS={value!r} is not valid: expected comma-separated whole numbers of days, "
        f"e.g. '30,14,7,3,1'."
    ) == str(excinfo.value)
    assert ("NOTIFY_DAYS", value) == (excinfo.value.variable, excinfo.value.value)
    assert [] == aws.calls


# The document for machines ######################################################################


@pytest.mark.parametrize("raw", [True, False], ids=["raw", "envelope"])
def test_sqs_subscriber_receives_the_json_document_of_an_event(
    aws: StrictAws, now: datetime, raw: bool
):
    enable_hub()
    topic_arn, queue_url = create_topic_with_queue(raw=raw)
    sans = ["www.shop.example.com", "api.shop.example.com"]
    arn = import_certificate(
        client("acm"), common_name="shop.example.com", days_left=3, now=now, sans=sans
    )
    set_in_use_by(arn, REGION, [LOAD_BALANCER, DISTRIBUTION])

    certificate_event(arn, now, SNS_TOPIC_ARN=topic_arn)

    expected = {
        "version": 2,
        "trigger": "ACM Certificate Approaching Expiration",
        "generated_at": iso(now),
        "expiry_days": 45,
        "part": 1,
        "parts": 1,
        "certificates": [
            {
                "arn": arn,
                "kind": "acm",
                "domain": "shop.example.com",
                "subject_alternative_names": ["shop.example.com", *sans],
                "region": REGION,
                "account": ACCOUNT_ID,
                "type": "IMPORTED",
                "status": "ISSUED",
                "key_algorithm": "EC_prime256v1",
                "not_after": iso(now + timedelta(days=3, hours=1)),
                "days_left": 3,
                "expired": False,
                "severity": "HIGH",
                "in_use": True,
                "in_use_by": [LOAD_BALANCER, DISTRIBUTION],
                "exported": False,
                "console_url": console(arn),
                "finding_id": finding_ids()[arn],
            }
        ],
    }
    (message,) = receive_messages(queue_url)
    if raw:
        assert expected == json.loads(message)
    else:
        assert ("ACM certificate shop.example.com expires in 3 days", expected) == (
            message["Subject"],
            json.loads(message["Message"]),
        )


def test_scan_document_lists_every_certificate_in_the_window_most_urgent_first(
    aws: StrictAws, now: datetime
):
    enable_hub()
    topic_arn, queue_url = create_topic_with_queue(raw=True)
    acm = client("acm")
    later = import_certificate(acm, common_name="later.example.com", days_left=40, now=now)
    expired = import_certificate(
        acm, common_name="expired.example.com", days_left=-2, now=now, key_type="EC_secp384r1"
    )
    import_certificate(acm, common_name="healthy.example.com", days_left=46, now=now)

    scan(now, SNS_TOPIC_ARN=topic_arn)

    ids = finding_ids()
    # Imported and not in use: reported from SearchCertificates alone, which says nothing uses
    # them; both are LOW (nothing can break), so the sooner expiry comes first.
    common = {
        "kind": "acm",
        "region": REGION,
        "account": ACCOUNT_ID,
        "type": "IMPORTED",
        "in_use": False,
    }
    assert {
        "version": 2,
        "trigger": "Scheduled Event",
        "generated_at": iso(now),
        "expiry_days": 45,
        "part": 1,
        "parts": 1,
        "certificates": [
            {
                "arn": expired,
                "domain": "expired.example.com",
                "subject_alternative_names": ["expired.example.com"],
                **common,
                "status": "EXPIRED",
                "key_algorithm": "EC_secp384r1",
                "not_after": iso(now - timedelta(days=2) + timedelta(hours=1)),
                "days_left": -1,
                "expired": True,
                "severity": "LOW",
                "in_use_by": [],
                "exported": False,
                "console_url": console(expired),
                "finding_id": ids[expired],
            },
            {
                "arn": later,
                "domain": "later.example.com",
                "subject_alternative_names": ["later.example.com"],
                **common,
                "status": "ISSUED",
                "key_algorithm": "EC_prime256v1",
                "not_after": iso(now + timedelta(days=40, hours=1)),
                "days_left": 40,
                "expired": False,
                "severity": "LOW",
                "in_use_by": [],
                "exported": False,
                "console_url": console(later),
                "finding_id": ids[later],
            },
        ],
    } == json.loads(receive_messages(queue_url)[0])
    ((_, envelope, _),) = published(topic_arn)
    assert ["not in use", "not in use"] == re.findall(r"Used by: +(.*)", envelope["email"])


def test_digest_is_ordered_by_severity_then_expiry(aws: StrictAws, now: datetime):
    """Risk first: an expired certificate nothing uses (LOW) comes after every one in use."""
    topic_arn, queue_url = create_topic_with_queue(raw=True)
    acm = client("acm")
    arns = {
        name: import_certificate(acm, common_name=f"{name}.example.com", days_left=days, now=now)
        for name, days in (
            ("unused-expired", -3),
            ("medium-later", 25),
            ("unused-soon", 2),
            ("medium-sooner", 20),
            ("high", 6),
            ("critical", -1),
        )
    }
    for name in ("medium-later", "medium-sooner", "high", "critical"):
        set_in_use_by(arns[name], REGION, [LOAD_BALANCER])
    expected = [
        ("critical", "CRITICAL"),
        ("high", "HIGH"),
        ("medium-sooner", "MEDIUM"),
        ("medium-later", "MEDIUM"),
        ("unused-expired", "LOW"),
        ("unused-soon", "LOW"),
    ]

    summary = scan(now, SNS_TOPIC_ARN=topic_arn)

    (body,) = receive_messages(queue_url)
    ((_, envelope, _),) = published(topic_arn)
    assert [(arns[name], severity) for name, severity in expected] == [
        (c["arn"], c["severity"]) for c in json.loads(body)["certificates"]
    ]
    assert [f"{number}. {name}.example.com" for number, (name, _) in enumerate(expected, 1)] == [
        line.split(" - ")[0]
        for line in envelope["email"].splitlines()
        if re.match(r"^\d+\. ", line)
    ]
    assert [arns[name] for name, _ in expected] == [entry["arn"] for entry in summary["in_window"]]


def test_people_get_the_text_and_machines_the_document(aws: StrictAws, now: datetime):
    """The envelope has exactly ``default`` (the JSON document, which every machine protocol
    falls back to), ``email`` (the text), ``sms`` (the subject) and ``https`` (a chat
    notification, tests/test_chat.py); the document appears once."""
    topic_arn, raw_queue = create_topic_with_queue(raw=True)
    arn = import_certificate(client("acm"), common_name="m.example.com", days_left=3, now=now)

    certificate_event(arn, now, SNS_TOPIC_ARN=topic_arn)

    ((subject, envelope, _),) = published(topic_arn)
    (document,) = receive_messages(raw_queue)
    assert {"default", "email", "sms", "https"} == set(envelope)
    assert (document, 2) == (envelope["default"], json.loads(document)["version"])
    assert (True, subject) == (
        envelope["email"].startswith("ACM Certificate Approaching Expiration: "),
        envelope["sms"],
    )
    assert 1 == json.dumps(envelope).count("finding_id")


# The text for people ############################################################################


@pytest.mark.parametrize(
    ("users", "used_by", "severity", "action"),
    [
        ([], "not in use", "LOW", NOT_IN_USE_ACTION),
        (
            [LOAD_BALANCER, DISTRIBUTION],
            f"{LOAD_BALANCER}, {DISTRIBUTION}",
            "HIGH",
            IMPORTED_ACTION,
        ),
        (
            [f"{LOAD_BALANCER}-{i}" for i in range(7)],
            ", ".join(f"{LOAD_BALANCER}-{i}" for i in range(5)) + " and 2 more",
            "HIGH",
            IMPORTED_ACTION,
        ),
    ],
    ids=["not-in-use", "two-users", "seven-users"],
)
def test_text_names_everything_a_person_needs_to_act(
    aws: StrictAws, now: datetime, users: list[str], used_by: str, severity: str, action: str
):
    topic_arn, _ = create_topic_with_queue()
    sans = [f"{name}.shop.example.com" for name in ("www", "api", "cdn", "static", "img", "m")]
    arn = import_certificate(
        client("acm"), common_name="shop.example.com", days_left=3, now=now, sans=sans
    )
    set_in_use_by(arn, REGION, users)

    certificate_event(arn, now, SNS_TOPIC_ARN=topic_arn)

    ((subject, envelope, _),) = published(topic_arn)
    assert "ACM certificate shop.example.com expires in 3 days" == subject
    assert (
        f"ACM Certificate Approaching Expiration: certificate {arn}, {human(now)}.\n"
        f"\n"
        f"1. shop.example.com - expires in 3 days [{severity}]\n"
        f"   Also covers: www.shop.example.com, api.shop.example.com, cdn.shop.example.com "
        f"and 3 more\n"
        f"   Expires:  {human(now + timedelta(days=3, hours=1))}\n"
        f"   ARN:      {arn}\n"
        f"   Region:   {REGION} (account {ACCOUNT_ID})\n"
        f"   Type:     IMPORTED, EC_prime256v1, status ISSUED\n"
        f"   Used by:  {used_by}\n"
        f"   Console:  {console(arn)}\n"
        f"   To do:    {action}\n"
        f"\n"
        f"Sent by the handle-expiring-certificates Lambda function.\n"
    ) == envelope["email"]


@pytest.mark.parametrize(
    ("days_left", "when"),
    [
        (3, "expires in 3 days"),
        (1, "expires in 1 day"),
        (0, "expires within 24 hours"),
        (-1, "EXPIRED less than a day ago"),  # NotAfter = now - 1 day + 1 hour: 23 hours ago
        (-2, "EXPIRED 1 day ago"),
        (-4, "EXPIRED 3 days ago"),
    ],
)
def test_text_and_subject_say_how_long_is_left_in_words(
    aws: StrictAws, now: datetime, days_left: int, when: str
):
    topic_arn, _ = create_topic_with_queue()
    arn = import_certificate(
        client("acm"), common_name="w.example.com", days_left=days_left, now=now
    )

    certificate_event(arn, now, SNS_TOPIC_ARN=topic_arn)

    ((subject, envelope, _),) = published(topic_arn)
    assert f"ACM certificate w.example.com {when}" == subject
    assert f"1. w.example.com - {when} [" in envelope["email"]


def test_digest_text_numbers_the_certificates_most_urgent_first(aws: StrictAws, now: datetime):
    topic_arn, _ = create_topic_with_queue()
    acm = client("acm")
    for name, days in (("c", 20), ("a", -1), ("b", 2)):
        arn = import_certificate(acm, common_name=f"{name}.example.com", days_left=days, now=now)
        set_in_use_by(arn, REGION, [LOAD_BALANCER])

    scan(now, SNS_TOPIC_ARN=topic_arn)

    ((subject, envelope, _),) = published(topic_arn)
    assert "3 certificates expire within 45 days (1 expired)" == subject
    assert [
        f"3 certificates in this message expire within 45 days or have expired "
        f"(scan of {REGION} and IAM, {human(now)}). Most urgent first.",
        "1. a.example.com - EXPIRED less than a day ago [CRITICAL]",
        "2. b.example.com - expires in 2 days [HIGH]",
        "3. c.example.com - expires in 20 days [MEDIUM]",
    ] == [
        line
        for line in envelope["email"].splitlines()
        if re.match(r"^(\d+\. |\d+ certificates)", line)
    ]


@pytest.mark.parametrize(
    ("common_name", "unicode_common_name"),
    [("bücher.example", True), ("xn--bcher-kva.example", False)],
    ids=["unicode-cn", "a-label-cn"],
)
def test_text_does_not_list_the_domain_again_among_the_alternative_names(
    aws: StrictAws, now: datetime, common_name: str, unicode_common_name: bool
):
    """Certificates hold IDNs as A-labels; a private CA may still write the CN in Unicode."""
    topic_arn, _ = create_topic_with_queue()
    arn = import_certificate(
        client("acm"),
        common_name=common_name,
        days_left=3,
        now=now,
        sans=["www.bücher.example"],
        unicode_common_name=unicode_common_name,
    )

    certificate_event(arn, now, SNS_TOPIC_ARN=topic_arn)

    ((_, envelope, _),) = published(topic_arn)
    assert ["   Also covers: www.xn--bcher-kva.example"] == [
        line for line in envelope["email"].splitlines() if "Also covers" in line
    ]


# Limits #########################################################################################

SUBJECT = re.compile(r"[!-~][ -~]{0,98}")  # SNS: printable ASCII, one line, under 100 characters
LABEL_63 = "a" * 63


@pytest.mark.parametrize(
    ("common_name", "sans", "unicode_common_name"),
    [
        ("bücher.example", ["straße.example", "日本語.example"], True),
        ("bücher.example", [], False),
        ("xn--bcher-kva.example", [], False),
    ],
    ids=["unicode-cn-and-sans", "idn-written-as-a-label", "a-label"],
)
def test_subject_names_an_internationalised_domain_in_ascii(
    aws: StrictAws, now: datetime, common_name: str, sans: Sequence[str], unicode_common_name: bool
):
    topic_arn, queue_url = create_topic_with_queue()
    arn = import_certificate(
        client("acm"),
        common_name=common_name,
        days_left=3,
        now=now,
        sans=sans,
        unicode_common_name=unicode_common_name,
    )

    summary = certificate_event(arn, now, SNS_TOPIC_ARN=topic_arn)

    (message,) = receive_messages(queue_url)
    assert ([], "ACM certificate xn--bcher-kva.example expires in 3 days") == (
        summary["errors"],
        message["Subject"],
    )


@pytest.mark.parametrize(
    ("domain_name", "days_left", "when"),
    [
        ("a" * 52 + ".example.com", -100, "EXPIRED 99 days ago"),  # the longest CN: 64
        (f"{LABEL_63}.example.com", 3, "expires in 3 days"),
        (f"{LABEL_63}.{LABEL_63}.{LABEL_63}.{'b' * 57}.com", 3, "expires in 3 days"),  # 253
        (f"*.{LABEL_63}.bücher.example", 3, "expires in 3 days"),
        (f"{'ü' * 50}.example", 3, "expires in 3 days"),  # too long a label for IDNA
        ("line\nbreak.example\t", 3, "expires in 3 days"),
    ],
    ids=["64-char-cn", "63-char-label", "253-chars", "wildcard-idn", "long-unicode-label", "ctrl"],
)
def test_subject_is_printable_ascii_on_one_line_under_100_characters(
    aws: StrictAws, now: datetime, domain_name: str, days_left: int, when: str
):
    topic_arn, queue_url = create_topic_with_queue()
    arn = import_certificate(
        client("acm"), common_name="short.example.com", days_left=days_left, now=now
    )
    set_domain_name(arn, REGION, domain_name)

    summary = certificate_event(arn, now, SNS_TOPIC_ARN=topic_arn)

    (message,) = receive_messages(queue_url)
    subject = message["Subject"]
    assert ([], True) == (summary["errors"], bool(SUBJECT.fullmatch(subject)))
    assert (True, True) == (
        subject.startswith("ACM certificate "),
        subject.endswith(f" {when}"),
    ), subject
    assert domain_name == json.loads(message["Message"])["certificates"][0]["domain"]


def long_names(index: int) -> list[str]:
    """20 alternative names of about 60 characters each."""
    return [
        f"{index:04d}-{n:02d}-payments-gateway-backend.eu-central.internal.example.com"
        for n in range(20)
    ]


def test_large_digest_is_split_into_numbered_parts_that_each_fit_and_leave_nothing_out(
    aws: StrictAws, now: datetime
):
    """900 certificates with 20 long names each: about 40 messages of up to 256 KB."""
    topic_arn, queue_url = create_topic_with_queue(raw=True)
    acm = client("acm")
    by_urgency = []
    for index in range(900):
        days_left = -1 if index % 180 == 0 else index % 45
        # A distinct NotAfter each, so "most urgent first" is one order, not one of many.
        offset = timedelta(hours=1, minutes=index)
        arn = import_certificate(
            acm,
            common_name=f"site-{index:04d}.example.com",
            days_left=days_left,
            now=now,
            sans=long_names(index),
            offset=offset,
        )
        by_urgency.append((now + timedelta(days=days_left) + offset, arn))
    expected_order = [arn for _, arn in sorted(by_urgency)]

    summary = scan(now, SNS_TOPIC_ARN=topic_arn)

    messages = published(topic_arn)
    documents = [json.loads(body) for body in receive_messages(queue_url)]
    parts = len(messages)
    assert parts >= 2
    assert ([], parts) == (summary["errors"], summary["notification"]["parts"])
    for number, (subject, _, size) in enumerate(messages, start=1):
        assert subject is not None and SUBJECT.fullmatch(subject), subject
        assert subject.endswith(f" (part {number} of {parts})"), subject
        assert size <= MAX_MESSAGE_BYTES
    assert [(n, parts) for n in range(1, parts + 1)] == [(d["part"], d["parts"]) for d in documents]
    assert expected_order == [c["arn"] for d in documents for c in d["certificates"]]
    texts = [envelope["email"] for _, envelope, _ in messages]
    assert expected_order == [
        arn for text in texts for arn in re.findall(r"^   ARN:      (\S+)$", text, re.M)
    ]


def test_notify_days_counts_acm_s_days_when_an_event_waited_in_the_queue(
    aws: StrictAws, now: datetime
):
    """ACM sends "Approaching Expiration" once a day with detail.DaysToExpiry; the template queues
    bursts (reserved concurrency, events kept up to 6 hours). An event ACM sent at 7 days left
    and delivered 3 hours later, past the certificate's time of day, is still the "7 days"
    notification (issue 17, problem 3): counting from the moment the function runs would say 6,
    and the 7-day message would never go. The text still shows the exact time left."""
    enable_hub()
    topic_arn, queue_url = create_topic_with_queue()
    sent_at = now - timedelta(hours=3)
    arn = import_certificate(
        client("acm"), common_name="q.example.com", days_left=6, now=now, offset=timedelta(hours=22)
    )
    assert 7 == (import_not_after(arn) - sent_at) // timedelta(days=1)  # ACM's count at sending

    summary = certificate_event(
        arn, now, days_to_expiry=7, SNS_TOPIC_ARN=topic_arn, NOTIFY_DAYS="14,7,3"
    )

    [message] = receive_messages(queue_url)
    assert (None, 6) == (summary["notification"]["reason"], summary["in_window"][0]["days_left"])
    assert "ACM certificate q.example.com expires in 6 days" == message["Subject"]


def import_not_after(arn: str) -> datetime:
    certificate = client("acm").describe_certificate(CertificateArn=arn)["Certificate"]
    not_after: datetime = certificate["NotAfter"]
    return not_after


@pytest.mark.parametrize("acm_days", [6, 8])
def test_notify_days_skips_a_day_acm_did_not_count(aws: StrictAws, now: datetime, acm_days: int):
    """The other side of ACM's count: an event ACM sent at 6 or 8 days left does not notify on
    NOTIFY_DAYS=7, whatever the hour it arrives."""
    enable_hub()
    topic_arn, queue_url = create_topic_with_queue()
    arn = import_certificate(client("acm"), common_name="q.example.com", days_left=7, now=now)

    summary = certificate_event(
        arn, now, days_to_expiry=acm_days, SNS_TOPIC_ARN=topic_arn, NOTIFY_DAYS="7"
    )

    assert ([], "NOTIFY_DAYS does not include this day") == (
        receive_messages(queue_url),
        summary["notification"]["reason"],
    )
