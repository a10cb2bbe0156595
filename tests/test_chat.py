"""A chat channel reads what we send (issue 20, point 1): the ``https`` key of every message is an
Amazon Q Developer in chat applications custom notification.

Edge to edge: real certificates in strict moto, ``lambda_handler`` through the kit, and what an
``https`` subscriber (the endpoint Amazon Q Developer subscribes to a topic) would be POSTed,
read from ``testkit.sns.https_deliveries``. Every notification is checked against the documented
event schema (the "Custom notifications using Amazon Q Developer in chat applications" page:
``version`` must be ``1.0``, ``source`` must be ``custom``, only ``client-markdown`` is supported
as ``textType``; ``content`` with ``title``, ``description``, ``nextSteps``, ``keywords``;
``metadata`` with ``threadId``, ``summary``, ``eventType``, ``relatedResources``,
``additionalContext``, a map of strings) and against the limits issue 20 sets where that page is
silent: a title of at most 250 characters, a description of at most 4,000, at most 5 next steps
of at most 350.
"""

# Expected values come first in assertions (docs/development.md), which SIM300 calls a Yoda
# condition.
# ruff: noqa: SIM300, RUF100

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest

from handle_expiring_certificates import ConfigurationError
from testkit import (
    ACCOUNT_ID,
    StrictAws,
    certificate_event,
    client,
    enable_hub,
    human,
    import_many,
    published,
    scan,
)
from testkit.certificates import import_certificate, set_in_use_by
from testkit.sns import https_deliveries, subscribe_https

REGION = "us-east-1"
# The endpoint Amazon Q Developer in chat applications subscribes to a topic with protocol https.
CHAT_URL = "https://global.sns-api.chatbot.amazonaws.com"
LOAD_BALANCER = (
    f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:loadbalancer/app/shop/50dc6c495c0c9188"
)
HUB_CONSOLE = (
    f"https://{REGION}.console.aws.amazon.com/securityhub/home?region={REGION}#/findings"
    "?search=GeneratorId%3D%255Coperator%255C%253AEQUALS%255C%253Ahandle-expiring-certificates"
)
IMPORTED_ACTION = (
    "ACM cannot renew an imported certificate. Get a renewed certificate from its issuer and "
    "re-import it into this same ARN (ACM console: Reimport, or ReimportCertificate), so every "
    "service that uses it picks it up."
)
NOT_IN_USE_ACTION = (
    "Not in use: delete it or let it lapse. Nothing uses this certificate, so its expiry cannot "
    "take a service down; if something is meant to use it, renew it first."
)
TITLE_CHARS, DESCRIPTION_CHARS, STEPS, STEP_CHARS = 250, 4000, 5, 350
# The documented event schema: the keys each level may have.
TOP_KEYS = {"version", "source", "id", "content", "metadata"}
CONTENT_KEYS = {"textType", "title", "description", "nextSteps", "keywords"}
METADATA_KEYS = {"threadId", "summary", "eventType", "relatedResources", "additionalContext"}


def console(arn: str) -> str:
    return (
        f"https://{REGION}.console.aws.amazon.com/acm/home?region={REGION}"
        f"#/certificates/{arn.rsplit('/', 1)[1]}"
    )


def chat_topic(url: str = CHAT_URL) -> str:
    """A topic with a chat channel subscribed, as Amazon Q Developer subscribes one: protocol
    https, SNS's envelope (no raw delivery), no filter policy."""
    topic_arn: str = client("sns").create_topic(Name="certificate-expiry")["TopicArn"]
    subscribe_https(topic_arn, url)
    return topic_arn


def chat_notifications(url: str = CHAT_URL) -> list[dict[str, Any]]:
    """What the chat channel was POSTed, in order: each message parsed from SNS's envelope."""
    return [json.loads(delivery.message) for delivery in https_deliveries(url)]


def _is_strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def schema_problems(notification: Mapping[str, Any]) -> list[str]:
    """Where a notification departs from the documented event schema or the limits; [] when
    it keeps to them."""
    content = notification.get("content", {})
    metadata = notification.get("metadata", {})
    steps = content.get("nextSteps", [])
    context = metadata.get("additionalContext", {})
    checks = {
        "keys": set(notification) <= TOP_KEYS,
        "content keys": set(content) <= CONTENT_KEYS,
        "metadata keys": set(metadata) <= METADATA_KEYS,
        "version 1.0": notification.get("version") == "1.0",
        "source custom": notification.get("source") == "custom",
        "textType client-markdown": content.get("textType") == "client-markdown",
        "title": isinstance(content.get("title"), str) and 0 < len(content["title"]) <= TITLE_CHARS,
        "description": isinstance(content.get("description"), str)
        and 0 < len(content["description"]) <= DESCRIPTION_CHARS,
        "nextSteps": _is_strings(steps)
        and len(steps) <= STEPS
        and all(len(step) <= STEP_CHARS for step in steps),
        "keywords": _is_strings(content.get("keywords", [])),
        "threadId": isinstance(metadata.get("threadId"), str) and bool(metadata["threadId"]),
        "summary": isinstance(metadata.get("summary", ""), str),
        "eventType": isinstance(metadata.get("eventType", ""), str),
        "relatedResources": _is_strings(metadata.get("relatedResources", [])),
        "additionalContext": isinstance(context, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in context.items()),
    }
    return [name for name, kept in checks.items() if not kept]


# Option 1: one certificate ######################################################################


@pytest.mark.parametrize(
    ("days_left", "users", "event", "when", "severity", "action"),
    [
        (3, [LOAD_BALANCER], "acm-approaching-expiration", "expires in 3 days", "HIGH", None),
        (-2, [LOAD_BALANCER], "acm-certificate-expired", "EXPIRED 1 day ago", "CRITICAL", None),
        (3, [], "acm-approaching-expiration", "expires in 3 days", "LOW", NOT_IN_USE_ACTION),
    ],
    ids=["in-use", "expired", "not-in-use"],
)
def test_a_chat_channel_gets_a_custom_notification_for_an_acm_event(
    aws: StrictAws,
    now: datetime,
    days_left: int,
    users: list[str],
    event: str,
    when: str,
    severity: str,
    action: str | None,
):
    """The title is the headline with the severity; the description the facts (what, where,
    expiry, used by, ARN, console); the next steps the remediation and the finding; keywords
    severity, source and region; the certificate is the related resource."""
    topic_arn = chat_topic()
    arn = import_certificate(
        client("acm"), common_name="shop.example.com", days_left=days_left, now=now
    )
    set_in_use_by(arn, REGION, users)
    not_after = now + timedelta(days=days_left, hours=1)

    certificate_event(arn, now, name=event, SNS_TOPIC_ARN=topic_arn)

    (notification,) = chat_notifications()
    title = f"shop.example.com {when} [{severity}]"
    assert {
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": title,
            "description": (
                "*What:* imported ACM certificate `shop.example.com`\n"
                f"*Where:* {REGION}, account {ACCOUNT_ID}\n"
                f"*Expires:* {human(not_after)} ({when})\n"
                f"*Used by:* {', '.join(users) or 'not in use'}\n"
                f"*ARN:* `{arn}`\n"
                f"*Console:* {console(arn)}"
            ),
            "nextSteps": [action or IMPORTED_ACTION, f"Its finding in Security Hub: {HUB_CONSOLE}"],
            "keywords": [severity, "acm", REGION],
        },
        "metadata": {
            "threadId": notification["metadata"]["threadId"],
            "summary": title,
            "eventType": "CertificateExpiring",
            "relatedResources": [arn],
            "additionalContext": {"days_left": str(-1 if days_left < 0 else days_left)},
        },
    } == notification
    assert [] == schema_problems(notification)


def test_the_whole_message_body_is_the_https_key(aws: StrictAws, now: datetime):
    """SNS gives an https subscriber the ``https`` key of the JSON message structure, in its
    envelope: that string, whole, is the notification; the envelope's subject is the message's."""
    topic_arn = chat_topic()
    arn = import_certificate(client("acm"), common_name="m.example.com", days_left=3, now=now)

    certificate_event(arn, now, SNS_TOPIC_ARN=topic_arn)

    ((subject, envelope, _),) = published(topic_arn)
    (delivery,) = https_deliveries(CHAT_URL)
    assert delivery.envelope is not None
    assert (envelope["https"], subject, "Notification") == (
        delivery.message,
        delivery.envelope["Subject"],
        delivery.envelope["Type"],
    )
    assert isinstance(json.loads(delivery.message), dict)


def test_an_event_thread_is_one_per_certificate_version(aws: StrictAws, now: datetime):
    """ACM's daily reminders of one certificate land in one thread, run after run; another
    certificate, or the same one renewed (re-imported with a new expiry), starts its own."""
    topic_arn = chat_topic()
    acm = client("acm")
    shop = import_certificate(acm, common_name="shop.example.com", days_left=5, now=now)
    api = import_certificate(acm, common_name="api.example.com", days_left=5, now=now)

    for arn in (shop, shop, api):
        certificate_event(arn, now, SNS_TOPIC_ARN=topic_arn)
    import_certificate(
        acm, common_name="shop.example.com", days_left=30, now=now, certificate_arn=shop
    )
    certificate_event(shop, now, SNS_TOPIC_ARN=topic_arn)
    certificate_event(shop, now + timedelta(days=1), SNS_TOPIC_ARN=topic_arn)

    threads = [n["metadata"]["threadId"] for n in chat_notifications()]
    first, again, other, renewed, renewed_next_day = threads
    assert (first, renewed) == (again, renewed_next_day)
    assert 3 == len({first, other, renewed})


# Option 2: the digest ###########################################################################


def test_a_chat_channel_gets_a_custom_notification_for_a_digest(aws: StrictAws, now: datetime):
    """The title is the subject; the description the certificates, most urgent first, one line
    each; the next step where to see all of them."""
    topic_arn = chat_topic()
    acm = client("acm")
    later = import_certificate(acm, common_name="later.example.com", days_left=20, now=now)
    soon = import_certificate(acm, common_name="soon.example.com", days_left=2, now=now)
    set_in_use_by(soon, REGION, [LOAD_BALANCER])
    gone = import_certificate(acm, common_name="gone.example.com", days_left=-3, now=now)
    set_in_use_by(gone, REGION, [LOAD_BALANCER])

    scan(now, SNS_TOPIC_ARN=topic_arn, CERTIFICATE_SOURCES="acm")

    ((subject, _, _),) = published(topic_arn)
    (notification,) = chat_notifications()
    assert "3 certificates expire within 45 days (1 expired)" == subject
    assert {
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": subject,
            "description": (
                f"• *CRITICAL* gone.example.com EXPIRED 2 days ago ({REGION}, {ACCOUNT_ID})\n"
                f"• *HIGH* soon.example.com expires in 2 days ({REGION}, {ACCOUNT_ID})\n"
                f"• *LOW* later.example.com expires in 20 days ({REGION}, {ACCOUNT_ID})"
            ),
            "nextSteps": [f"See every one in Security Hub: {HUB_CONSOLE}"],
            "keywords": ["account", "digest", "all"],
        },
        "metadata": {
            "threadId": notification["metadata"]["threadId"],
            "summary": subject,
            "eventType": "CertificateExpiryDigest",
            "relatedResources": [gone, soon, later],
            "additionalContext": {"part": "1"},
        },
    } == notification
    assert [] == schema_problems(notification)


def test_a_digest_thread_is_one_per_account_and_scope(aws: StrictAws, now: datetime):
    """Week after week, the digest of an account lands in one thread whatever it holds; the
    organisation's digest has a thread of its own; neither is a certificate's thread."""
    enable_hub()  # an organisation digest reads the administrator's hub
    topic_arn = chat_topic()
    acm = client("acm")
    arn = import_certificate(acm, common_name="shop.example.com", days_left=5, now=now)
    settings = {"SNS_TOPIC_ARN": topic_arn, "CERTIFICATE_SOURCES": "acm"}

    scan(now, **settings)
    import_certificate(acm, common_name="api.example.com", days_left=9, now=now)
    scan(now + timedelta(days=7), **settings)
    scan(now, DIGEST_SCOPE="organization", **settings)
    scan(now + timedelta(days=7), DIGEST_SCOPE="organization", **settings)
    certificate_event(arn, now, SNS_TOPIC_ARN=topic_arn)

    threads = [n["metadata"]["threadId"] for n in chat_notifications()]
    account, account_next_week, organization, organization_next_week, certificate = threads
    assert (account, organization) == (account_next_week, organization_next_week)
    assert 3 == len({account, organization, certificate})


def test_a_big_digest_says_how_many_more_within_the_description_limit(
    aws: StrictAws, now: datetime
):
    """The description holds the most urgent certificates that fit in 4,000 characters, in the
    digest's order, then how many more the message has; the message keeps every one."""
    topic_arn = chat_topic()
    list(import_many(REGION, [1 + index % 40 for index in range(150)], now))

    scan(now, SNS_TOPIC_ARN=topic_arn, CERTIFICATE_SOURCES="acm")

    ((subject, envelope, _),) = published(topic_arn)
    (notification,) = chat_notifications()
    certificates = json.loads(envelope["default"])["certificates"]
    *lines, more = notification["content"]["description"].split("\n")
    expected = [
        f"• *{c['severity']}* {c['domain']} expires in {c['days_left']} day"
        f"{'s' * (c['days_left'] != 1)} ({REGION}, {ACCOUNT_ID})"
        for c in certificates[: len(lines)]
    ]
    assert (150, subject, expected) == (len(certificates), notification["content"]["title"], lines)
    assert f"…and {150 - len(lines)} more in this message." == more
    assert 40 <= len(lines) < 150
    assert [] == schema_problems(notification)


# HTTPS_FORMAT ###################################################################################


@pytest.mark.parametrize("value", ["json", "JSON"])
def test_https_format_json_gives_http_subscribers_the_document_once(
    aws: StrictAws, now: datetime, value: str
):
    """Without the ``https`` key, SNS gives HTTP/S subscribers ``default``: the JSON document,
    once per message, as SQS and Lambda get it."""
    topic_arn = chat_topic()
    arn = import_certificate(client("acm"), common_name="m.example.com", days_left=3, now=now)

    scan(now, SNS_TOPIC_ARN=topic_arn, CERTIFICATE_SOURCES="acm", HTTPS_FORMAT=value)
    certificate_event(arn, now, SNS_TOPIC_ARN=topic_arn, HTTPS_FORMAT=value)

    envelopes = [envelope for _, envelope, _ in published(topic_arn)]
    deliveries = https_deliveries(CHAT_URL)
    assert [{"default", "email", "sms"}] * 2 == [set(envelope) for envelope in envelopes]
    assert [envelope["default"] for envelope in envelopes] == [d.message for d in deliveries]
    assert [(2, [arn])] * 2 == [
        (document["version"], [c["arn"] for c in document["certificates"]])
        for document in (json.loads(d.message) for d in deliveries)
    ]


def test_https_format_leaves_the_other_keys_as_they_are(aws: StrictAws, now: datetime):
    """``chat`` (the default) adds the ``https`` key and changes nothing else."""
    topic_arn = chat_topic()
    arn = import_certificate(client("acm"), common_name="m.example.com", days_left=3, now=now)

    certificate_event(arn, now, SNS_TOPIC_ARN=topic_arn)
    certificate_event(arn, now, SNS_TOPIC_ARN=topic_arn, HTTPS_FORMAT="chat")
    certificate_event(arn, now, SNS_TOPIC_ARN=topic_arn, HTTPS_FORMAT="json")

    default, chat, plain = (envelope for _, envelope, _ in published(topic_arn))
    assert (default, {"default", "email", "sms", "https"}) == (chat, set(chat))
    assert plain == {key: value for key, value in chat.items() if key != "https"}


@pytest.mark.parametrize("value", ["markdown", "slack", "chat,json", "   ", "jsonl"])
def test_a_bad_https_format_is_refused_before_any_aws_call(
    aws: StrictAws, now: datetime, value: str
):
    topic_arn = chat_topic()
    aws.calls.clear()

    with pytest.raises(ConfigurationError) as excinfo:
        scan(now, SNS_TOPIC_ARN=topic_arn, HTTPS_FORMAT=value)

    assert f"HTTPS_FORMAT={value!r} is not valid: expected 'chat' or 'json'." == str(excinfo.value)
    assert ("HTTPS_FORMAT", value) == (excinfo.value.variable, excinfo.value.value)
    assert [] == aws.calls


# Against the server #############################################################################


def test_a_chat_channel_gets_the_notification_over_the_server(aws_server: StrictAws, now: datetime):
    """The same notification when the handler talks HTTP to moto's server."""
    topic_arn = chat_topic()
    arn = import_certificate(client("acm"), common_name="shop.example.com", days_left=3, now=now)
    set_in_use_by(arn, REGION, [LOAD_BALANCER])

    certificate_event(arn, now, SNS_TOPIC_ARN=topic_arn)

    (notification,) = chat_notifications()
    assert ("shop.example.com expires in 3 days [HIGH]", [arn], []) == (
        notification["content"]["title"],
        notification["metadata"]["relatedResources"],
        schema_problems(notification),
    )
