"""Each team its own certificates (issue 20, points 2 and 3): ``OWNER_TAG`` routes every message
by the ``String.Array`` message attribute ``owner``.

Edge to edge: tagged certificates in strict moto (ACM, an RDS instance whose ``TagList`` the
listing returns, an IAM server certificate whose tags no listing gives), ``lambda_handler``
through the kit, and SQS queues subscribed with the filter policies a team would write,
``{"owner": ["team-a"]}`` or ``{"owner": ["all"]}``, which ``testkit.sns`` evaluates as SNS does
(a ``String.Array`` attribute matches when one of its elements is a value of the policy; a
message without the attribute matches no policy that names it). An ``audit`` queue without a
policy sees every message, in order, with its attributes.
"""

# Expected values come first in assertions (docs/development.md), which SIM300 calls a Yoda
# condition.
# ruff: noqa: SIM300, RUF100

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from handle_expiring_certificates import ConfigurationError
from testkit import (
    ACCOUNT_ID,
    Requests,
    StrictAws,
    certificate_event,
    client,
    create_db_instance,
    enable_hub,
    findings_by_arn,
    messaged_arns,
    published,
    receive_messages,
    scan,
)
from testkit.certificates import import_certificate, set_in_use_by, upload_server_certificate
from testkit.sns import subscribe_queue

REGION = "us-east-1"
TEAMS = ("team-a", "team-b", "team-c")
LOAD_BALANCER = (
    f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:loadbalancer/app/shop/50dc6c495c0c9188"
)
SOURCES = "acm,iam,rds"
# The fields docs/messages.md documents for each certificate of the JSON document (version 2).
DOCUMENTED_FIELDS = {
    "arn",
    "kind",
    "domain",
    "subject_alternative_names",
    "region",
    "account",
    "type",
    "status",
    "key_algorithm",
    "not_after",
    "days_left",
    "expired",
    "severity",
    "in_use",
    "in_use_by",
    "console_url",
    "finding_id",
    "exported",
}


@dataclass(frozen=True)
class Account:
    """Certificates of three teams, of nobody, and one outside the window; and the topic."""

    topic_arn: str
    owners: dict[str, str]  # ARN of each certificate inside the window -> its owner
    outside: str  # a team-a certificate outside the window

    def of(self, owner: str) -> set[str]:
        return {arn for arn, theirs in self.owners.items() if theirs == owner}

    @property
    def acm(self) -> list[str]:
        return sorted(arn for arn in self.owners if ":acm:" in arn)


def topic() -> str:
    arn: str = client("sns").create_topic(Name="certificate-expiry")["TopicArn"]
    return arn


def seed(now: datetime, topic_arn: str) -> Account:
    """team-a: two ACM certificates (and one outside the window); team-b: one; team-c: an ACM
    certificate and an RDS instance (its tags come with DescribeDBInstances); nobody's: an
    untagged ACM certificate and an IAM server certificate (no listing gives IAM's tags)."""
    acm = client("acm")

    def acm_certificate(name: str, days: int, owner: str | None) -> str:
        tags = {"owner": owner} if owner else None
        return import_certificate(
            acm, common_name=f"{name}.example.com", days_left=days, now=now, tags=tags
        )

    shop = acm_certificate("shop", 3, "team-a")
    set_in_use_by(shop, REGION, [LOAD_BALANCER])
    owners = {
        shop: "team-a",
        acm_certificate("pay", 20, "team-a"): "team-a",
        acm_certificate("api", 10, "team-b"): "team-b",
        acm_certificate("static", 30, "team-c"): "team-c",
        create_db_instance(
            REGION, "orders-db", valid_till=now + timedelta(days=6), tags={"owner": "team-c"}
        ): "team-c",
        acm_certificate("legacy", 8, None): "unowned",
        upload_server_certificate(client("iam"), name="old-lb", days_left=12, now=now): "unowned",
    }
    return Account(topic_arn, owners, acm_certificate("far", 100, "team-a"))


@pytest.fixture
def account(aws: StrictAws, now: datetime) -> Account:
    return seed(now, topic())


def team_queues(topic_arn: str) -> dict[str, str]:
    """A queue per owner with its filter policy, one for ``all``, and ``audit`` without one."""
    queues = {
        owner: subscribe_queue(topic_arn, owner, filter_policy={"owner": [owner]})
        for owner in (*TEAMS, "unowned", "all")
    }
    return queues | {"audit": subscribe_queue(topic_arn, "audit")}


def attributes(envelope: dict[str, Any]) -> list[str] | None:
    """The ``owner`` attribute of a message as a subscriber reads it in SNS's envelope."""
    attribute = envelope.get("MessageAttributes", {}).get("owner")
    if attribute is None:
        return None
    assert "String.Array" == attribute["Type"]
    owners: list[str] = json.loads(attribute["Value"])
    return owners


# Routing ########################################################################################


def test_each_owner_receives_exactly_their_certificates_and_all_each_once(
    account: Account, now: datetime
):
    queues = team_queues(account.topic_arn)

    scan(now, SNS_TOPIC_ARN=account.topic_arn, OWNER_TAG="owner", CERTIFICATE_SOURCES=SOURCES)

    received = {owner: messaged_arns(queue) for owner, queue in queues.items()}
    assert {owner: [account.of(owner)] for owner in (*TEAMS, "unowned")} == {
        owner: [set(arns) for arns in received[owner]] for owner in (*TEAMS, "unowned")
    }
    (everything,) = received["all"]
    assert Counter(list(account.owners)) == Counter(everything)
    assert account.outside not in {arn for arns in received["audit"] for arn in arns}


def test_a_scan_with_three_owners_sends_the_whole_digest_then_one_per_owner(
    account: Account, now: datetime
):
    """The list of messages: the digest to ``all``, then each owner's (``unowned`` among them),
    each under a subject that names the owner."""
    queues = team_queues(account.topic_arn)

    scan(now, SNS_TOPIC_ARN=account.topic_arn, OWNER_TAG="owner", CERTIFICATE_SOURCES=SOURCES)

    assert [
        ("7 certificates expire within 45 days", ["all"]),
        ("[team-a] 2 certificates expire within 45 days", ["team-a"]),
        ("[team-b] 1 certificate expires within 45 days", ["team-b"]),
        ("[team-c] 2 certificates expire within 45 days", ["team-c"]),
        ("[unowned] 2 certificates expire within 45 days", ["unowned"]),
    ] == [(m["Subject"], attributes(m)) for m in receive_messages(queues["audit"])]


def test_an_acm_event_goes_to_all_and_its_owner(account: Account, now: datetime):
    """An Option 1 message carries ``["all", "<owner>"]``: the owner's queue and the ``all``
    queue each get it once, nobody else does; an untagged certificate's goes to ``unowned``."""
    queues = team_queues(account.topic_arn)
    (team_b,) = account.of("team-b")
    legacy = next(arn for arn in account.of("unowned") if ":acm:" in arn)

    for arn in (team_b, legacy):
        certificate_event(arn, now, SNS_TOPIC_ARN=account.topic_arn, OWNER_TAG="owner")

    assert {
        "team-a": [],
        "team-b": [[team_b]],
        "team-c": [],
        "unowned": [[legacy]],
        "all": [[team_b], [legacy]],
    } == {owner: messaged_arns(queues[owner]) for owner in (*TEAMS, "unowned", "all")}
    assert [["all", "team-b"], ["all", "unowned"]] == [
        attributes(m) for m in receive_messages(queues["audit"])
    ]


def test_an_owner_named_all_does_not_repeat_certificates_to_all(aws: StrictAws, now: datetime):
    topic_arn = topic()
    everything = subscribe_queue(topic_arn, "all", filter_policy={"owner": ["all"]})
    arns = [
        import_certificate(
            client("acm"), common_name=f"{name}.example.com", days_left=5, now=now, tags=tags
        )
        for name, tags in (("a", {"owner": "all"}), ("b", {"owner": "team-b"}))
    ]

    scan(now, SNS_TOPIC_ARN=topic_arn, OWNER_TAG="owner", CERTIFICATE_SOURCES="acm")

    assert Counter(arns) == Counter(arn for arns in messaged_arns(everything) for arn in arns)


# Where owners come from #########################################################################


@pytest.mark.parametrize(
    "settings",
    [{"OWNER_TAG": "owner"}, {"OWNER_TAG": "owner", "IGNORE_TAG": "skip-expiry-check"}],
    ids=["owner-tag", "owner-and-ignore-tags"],
)
def test_tags_are_read_once_and_only_for_acm_certificates_inside_the_window(
    account: Account, now: datetime, settings: dict[str, str]
):
    """ACM: ``ListTagsForCertificate`` once per certificate inside the window, whichever tag
    setting asks; other sources: the tags their listing returns, no call of their own."""
    requests = Requests()

    scan(now, clients=requests.clients(), CERTIFICATE_SOURCES=SOURCES, **settings)

    tagged = [p["CertificateArn"] for p in requests.params("ListTagsForCertificate", "acm")]
    rds = {operation for service, operation, _ in requests.calls if service == "rds"}
    other_tag_reads = [
        f"{service}:{operation}"
        for service, operation, _ in requests.calls
        if "Tag" in operation and operation != "ListTagsForCertificate"
    ]
    assert (account.acm, {"DescribeDBInstances"}, []) == (sorted(tagged), rds, other_tag_reads)


def test_without_a_tag_setting_no_tags_are_read(account: Account, now: datetime):
    requests = Requests()

    scan(now, clients=requests.clients(), CERTIFICATE_SOURCES=SOURCES)

    assert [] == requests.params("ListTagsForCertificate", "acm")


def test_an_event_outside_the_window_reads_no_tags(account: Account, now: datetime):
    requests = Requests()

    certificate_event(account.outside, now, clients=requests.clients(), OWNER_TAG="owner")

    assert (["DescribeCertificate"], []) == (
        [operation for service, operation, _ in requests.calls if service == "acm"],
        published(account.topic_arn),
    )


def test_findings_and_the_document_carry_the_owner(account: Account, now: datetime):
    """``ProductFields.Owner`` (what a Security Hub automation rule can route on) and each
    entry's ``owner`` in the JSON document."""
    enable_hub()

    scan(now, SNS_TOPIC_ARN=account.topic_arn, OWNER_TAG="owner", CERTIFICATE_SOURCES=SOURCES)

    (whole, *_) = published(account.topic_arn)
    entries = json.loads(whole.envelope["default"])["certificates"]
    findings = findings_by_arn()
    assert account.owners == {
        arn: findings[arn]["ProductFields"]["Owner"] for arn in account.owners
    }
    assert account.owners == {entry["arn"]: entry["owner"] for entry in entries}


def test_without_owner_tag_findings_name_no_owner(account: Account, now: datetime):
    enable_hub()

    scan(now, SNS_TOPIC_ARN=account.topic_arn, CERTIFICATE_SOURCES=SOURCES)

    findings = findings_by_arn()
    assert {arn: False for arn in account.owners} == {
        arn: "Owner" in findings[arn]["ProductFields"] for arn in account.owners
    }


def test_owners_by_other_tag_keys_and_values(aws: StrictAws, now: datetime):
    """The owner is the value of the tag ``OWNER_TAG`` names, whatever else is tagged."""
    topic_arn = topic()
    arn = import_certificate(
        client("acm"),
        common_name="shop.example.com",
        days_left=5,
        now=now,
        tags={"team": "Payments EU", "owner": "someone-else"},
    )
    payments = subscribe_queue(topic_arn, "payments", filter_policy={"owner": ["Payments EU"]})

    scan(now, SNS_TOPIC_ARN=topic_arn, OWNER_TAG="team", CERTIFICATE_SOURCES="acm")

    assert [[arn]] == messaged_arns(payments)


# Without OWNER_TAG ##############################################################################


def test_without_owner_tag_a_scan_sends_one_digest_without_attributes(
    account: Account, now: datetime
):
    """As before owners existed: one digest, no message attribute (so a subscription with an
    owner filter policy receives nothing), the same keys, no owner in the document or text."""
    queues = team_queues(account.topic_arn)
    requests = Requests()

    scan(
        now,
        clients=requests.clients(),
        SNS_TOPIC_ARN=account.topic_arn,
        CERTIFICATE_SOURCES=SOURCES,
    )

    ((subject, envelope, _),) = published(account.topic_arn)
    (message,) = receive_messages(queues["audit"])
    (publish,) = requests.params("Publish", "sns")
    document = json.loads(envelope["default"])
    assert ("7 certificates expire within 45 days", None, None) == (
        subject,
        attributes(message),
        publish.get("MessageAttributes"),
    )
    assert {"default", "email", "sms", "https"} == set(envelope)
    assert [DOCUMENTED_FIELDS] * 7 == [set(entry) for entry in document["certificates"]]
    assert ("Owner:" not in envelope["email"], subject) == (True, envelope["sms"])
    assert {owner: [] for owner in (*TEAMS, "unowned", "all")} == {
        owner: receive_messages(queues[owner]) for owner in (*TEAMS, "unowned", "all")
    }


def test_owner_tag_adds_only_the_owners_to_the_whole_digest(account: Account, now: datetime):
    """The digest to ``all`` is today's digest plus each certificate's owner (a field of the
    document, a line of the text): nothing else of ``default``, ``email`` or ``sms`` moves."""
    scan(now, SNS_TOPIC_ARN=account.topic_arn, CERTIFICATE_SOURCES=SOURCES)
    scan(now, SNS_TOPIC_ARN=account.topic_arn, CERTIFICATE_SOURCES=SOURCES, OWNER_TAG="owner")

    today, whole, *_ = (envelope for _, envelope, _ in published(account.topic_arn))
    document = json.loads(whole["default"])
    for entry in document["certificates"]:
        del entry["owner"]
    text = "".join(
        line for line in whole["email"].splitlines(keepends=True) if "   Owner:    " not in line
    )
    assert (json.loads(today["default"]), today["email"], today["sms"]) == (
        document,
        text,
        whole["sms"],
    )


# Bad input ######################################################################################


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("   ", id="spaces-only"),
        pytest.param("k" * 129, id="129-characters"),
        pytest.param("team!", id="exclamation-mark"),
        pytest.param("owner#1", id="hash"),
        pytest.param("ow\tner", id="tab"),
        pytest.param("aws:owner", id="aws-prefix"),
        pytest.param("AWS:Owner", id="aws-prefix-upper-case"),
    ],
)
def test_an_invalid_owner_tag_is_refused_before_any_aws_call(
    aws: StrictAws, now: datetime, value: str
):
    topic_arn = topic()
    aws.calls.clear()

    with pytest.raises(ConfigurationError) as excinfo:
        scan(now, SNS_TOPIC_ARN=topic_arn, OWNER_TAG=value)

    assert (
        f"OWNER_TAG={value!r} is not valid: expected a tag key: 1 to 128 letters, digits, "
        "spaces or _ . : / = + - @, not starting with 'aws:'."
    ) == str(excinfo.value)
    assert ("OWNER_TAG", value) == (excinfo.value.variable, excinfo.value.value)
    assert [] == aws.calls


@pytest.mark.parametrize(
    "key",
    ["k" * 128, "cost center", "team_a.b:c/d=e+f-g@h", "Équipe", "a", "awsowner"],
    ids=["128-characters", "space", "punctuation", "unicode-letter", "one-character", "aws"],
)
def test_a_valid_owner_tag_routes_by_that_key(aws: StrictAws, now: datetime, key: str):
    topic_arn = topic()
    arn = import_certificate(
        client("acm"), common_name="shop.example.com", days_left=5, now=now, tags={key: "team-a"}
    )
    team_a = subscribe_queue(topic_arn, "team-a", filter_policy={"owner": ["team-a"]})

    scan(now, SNS_TOPIC_ARN=topic_arn, OWNER_TAG=key, CERTIFICATE_SOURCES="acm")

    assert [[arn]] == messaged_arns(team_a)


# Against the server #############################################################################


def test_each_owner_receives_their_certificates_over_the_server(
    aws_server: StrictAws, now: datetime
):
    account = seed(now, topic())
    queues = team_queues(account.topic_arn)

    scan(now, SNS_TOPIC_ARN=account.topic_arn, OWNER_TAG="owner", CERTIFICATE_SOURCES=SOURCES)

    assert {owner: [account.of(owner)] for owner in (*TEAMS, "unowned")} | {
        "all": [set(account.owners)]
    } == {
        owner: [set(arns) for arns in messaged_arns(queues[owner])]
        for owner in (*TEAMS, "unowned", "all")
    }
