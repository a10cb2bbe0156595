"""SNS as AWS answers where moto 5.2 does not, and what its subscribers receive.

- ``Publish`` (and ``PublishBatch``): ``Subject`` 1..99 printable ASCII characters, no line
  breaks, starting with a letter, digit or punctuation; ``Message`` non-empty and at most
  262,144 UTF-8 bytes (moto counts characters); with ``MessageStructure='json'`` the message
  must be a JSON object of strings with a ``default`` key (moto checked only when a subscriber
  existed). Errors are ``InvalidParameter``.
- Subscription filter policies (issue 20), ``FilterPolicyScope`` ``MessageAttributes``, as the
  SNS developer guide's "Subscription filter policy" pages describe them: every key of a
  policy must match (AND), any of its values (OR); a message without the attribute matches
  no policy that names it; a ``String`` attribute matches a string value exactly (moto also
  parsed it as JSON and tested membership, so ``"team-a-ops"`` or ``'["team-a"]'`` matched
  ``"team-a"``); a ``String.Array`` attribute (a JSON array of strings, numbers, true, false,
  null) matches when any of its elements equals a value of the policy, so
  ``{"owner": ["team-a"]}`` matches ``["all", "team-a"]``; a ``Number`` attribute matches a
  number of the policy; ``Binary`` attributes count as absent; ``{"exists": true|false}``
  asks whether the attribute is there. A ``String.Array`` whose value is not a JSON array is
  still published (``Publish`` does not check it) but matches no value of a policy: AWS
  counts it in ``NumberOfNotificationsFilteredOut-InvalidAttributes``, and only a subscription
  without a filter policy receives the message. Other operators (prefix, suffix,
  anything-but, numeric ranges, equals-ignore-case, cidr, ``$or``) and the ``MessageBody``
  scope raise ``NotEmulated`` when a message meets them. moto's own checks of a policy when it
  is set stay (at most 5 keys, 150 combinations, no nesting).
- HTTP/S subscribers without a network: moto ``POST``s each notification to the subscriber's
  URL with ``requests`` (a connection from the test, or from the server, to anywhere); the
  kit records what AWS would ``POST`` instead (``https_deliveries``): for
  ``MessageStructure=json`` the ``https`` key's value (``http`` for an http subscriber), else
  ``default``, in the SNS JSON envelope (``Type``, ``MessageId``, ``TopicArn``, ``Subject``,
  ``Message``, ``Timestamp``, signature fields, ``UnsubscribeURL``, ``MessageAttributes``)
  unless raw delivery, with the ``x-amz-sns-*`` headers. The endpoint counts as having
  confirmed its subscription (AWS first POSTs a ``SubscriptionConfirmation`` and delivers
  nothing until the endpoint visits its ``SubscribeURL``).
- Platform applications (moto stores the attributes as given and returns them all, private key
  included, and never pages): ``ListPlatformApplications`` pages by 100 with ``NextToken``
  ("paginated and return a limited list of applications, up to 100");
  ``ListPlatformApplications`` and ``GetPlatformApplicationAttributes`` give the attributes AWS
  gives: never ``PlatformCredential`` nor ``PlatformPrincipal``; ``Enabled`` (``"true"`` unless
  set otherwise); for ``APNS`` and ``APNS_SANDBOX``, ``AuthenticationMethod`` (``Certificate``
  or ``Token``) and, for a certificate-based application, ``AppleCertificateExpiryDate``, the
  ``NotAfter`` of the certificate given as ``PlatformPrincipal``, written
  ``2027-01-31T12:00:00Z`` (the format AWS's own sample parses); a token-based one (a ``.p8``
  signing key as ``PlatformCredential``, its key id as ``PlatformPrincipal``) has
  ``ApplePlatformTeamID`` and ``ApplePlatformBundleID`` and no expiry date.
  ``CreatePlatformApplication`` for APNS refuses a certificate that is not a certificate or whose
  private key does not match it, and a token without team and bundle ids, as AWS does
  (``InvalidParameter``, "Platform credentials are invalid").

Helpers:

- ``create_topic_with_queue(region=DEFAULT_REGION, raw=False, *, name=...)`` ->
  ``(topic_arn, queue_url)``: an SNS topic with an SQS queue subscribed, raw delivery on/off.
- ``receive_messages(queue_url, region=None)`` -> list: what the subscriber got, in order, and
  deleted: the parsed SNS envelope (dict with ``Subject``, ``Message``, ...) for normal
  delivery, the body string for raw delivery.
- ``messaged_arns(queue_url)`` -> for each message the (envelope) subscriber got, the ARNs of
  the certificates its JSON document lists.
- ``create_apns_application(region, name, *, not_after=None, enabled=True, sandbox=False)`` ->
  the ARN of an APNs platform application: certificate-based with a real certificate that
  expires at ``not_after``, or token-based when ``not_after`` is None.
- ``published(topic_arn)`` -> ``[Published(subject, envelope, size)]``: what was published to
  the topic, as SNS received it (read from the emulator, no API call): the subject, the
  ``MessageStructure=json`` envelope parsed (``default`` is the JSON document, ``email`` the
  text, ``sms`` the line) and its size in UTF-8 bytes.
- ``subscribe_queue(topic_arn, name, *, filter_policy=None, raw=False)`` -> queue URL: a
  team's SQS queue subscribed to the topic, with a filter policy (a dict) if given.
- ``subscribe_https(topic_arn, url, *, filter_policy=None, raw=False)`` -> subscription ARN.
- ``https_deliveries(subscription_arn_or_url)`` -> ``[HttpsDelivery(subscription_arn, url,
  headers, body)]``, in order: what each matching publish would have POSTed
  (``.message``: the envelope's ``Message``, or the raw body; ``.envelope``: the parsed
  envelope, None for raw delivery).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from testkit import paging
from testkit.certificates import make_certificate
from testkit.environment import DEFAULT_REGION, client
from testkit.errors import AwsError, NotEmulated
from testkit.moto_internals import (
    Patcher,
    PlatformApplication,
    Request,
    SnsSubscription,
    platform_application,
    platform_applications,
    sent_notifications,
)

MAX_MESSAGE_BYTES = 262_144
PLATFORM_APPLICATIONS_PAGE = 100
APPLE_PLATFORMS = ("APNS", "APNS_SANDBOX")
# AWS never gives these back: the credential is a private key, the principal its certificate.
CREDENTIALS = ("PlatformCredential", "PlatformPrincipal")


def install(patch: Patcher) -> None:
    """SNS's strictness, undone with the patcher's monkeypatch."""
    patch.check_sns_publish(check_publish)
    patch.match_sns_filter_policies(policy_matches)
    patch.deliver_sns_http(_record_http_delivery)
    patch.before("sns", "CreatePlatformApplication", _check_apple_credentials)
    patch.answer("sns", "ListPlatformApplications", list_platform_applications)
    patch.answer("sns", "GetPlatformApplicationAttributes", get_platform_application_attributes)


def _invalid(reason: str) -> AwsError:
    return AwsError("InvalidParameter", f"Invalid parameter: {reason}")


def check_publish(message: str, subject: str | None, message_structure: str | None) -> None:
    if subject is not None and not re.fullmatch(r"[!-~][ -~]{0,98}", subject):
        raise _invalid("Subject")
    if not message:
        raise _invalid("Empty message")
    if len(message.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise _invalid("Message too long")
    if message_structure == "json":
        try:
            structure = json.loads(message)
        except ValueError as error:
            raise _invalid("Message Structure - JSON message body failed to parse") from error
        if not isinstance(structure, dict) or "default" not in structure:
            raise _invalid("Message Structure - No default entry in JSON message body")
        if not all(isinstance(v, str) for v in structure.values()):
            raise _invalid("Message Structure - values must be strings")


# Filter policies ################################################################################

_INVALID = object()  # a String.Array attribute whose value is not a JSON array


def _attribute_values(attribute: Mapping[str, Any] | None) -> list[Any] | None:
    """The values a policy is compared with; None when the attribute counts as absent."""
    if attribute is None:
        return None
    kind, value = str(attribute.get("Type", "")), attribute.get("Value")
    if kind.startswith("Binary"):
        return None  # AWS compares policies only with String, String.Array and Number
    if kind.startswith("Number"):
        return [float(value)]
    if kind.startswith("String.Array"):
        try:
            elements = json.loads(value)
        except (TypeError, ValueError):
            return [_INVALID]
        return elements if isinstance(elements, list) else [_INVALID]
    return [value]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _condition_matches(condition: Any, values: list[Any] | None) -> bool:
    if isinstance(condition, dict) and set(condition) == {"exists"}:
        return bool(condition["exists"]) == (values is not None)
    if values is None:
        return False
    if isinstance(condition, str):
        return any(isinstance(v, str) and v == condition for v in values)
    if _is_number(condition):
        return any(_is_number(v) and float(v) == float(condition) for v in values)
    raise NotEmulated(f"testkit.sns: filter policy condition {condition!r} is not emulated")


def policy_matches(
    policy: Mapping[str, Any], scope: str | None, attributes: Mapping[str, Any], message: str
) -> bool:
    """Whether a message with ``attributes`` (``{name: {"Type", "Value"}}``) passes a
    subscription's filter ``policy``; see the module docstring."""
    if (scope or "MessageAttributes") != "MessageAttributes":
        raise NotEmulated(f"testkit.sns: FilterPolicyScope {scope} is not emulated")
    for name, conditions in policy.items():
        if name == "$or":
            raise NotEmulated("testkit.sns: $or in a filter policy is not emulated")
        values = _attribute_values(attributes.get(name))
        listed = conditions if isinstance(conditions, list) else [conditions]
        if not any(_condition_matches(condition, values) for condition in listed):
            return False
    return True


# HTTP/S subscribers #############################################################################


class HttpsDelivery(NamedTuple):
    """What SNS would POST to an http/https subscriber for one message."""

    subscription_arn: str
    url: str
    headers: dict[str, str]
    body: str

    @property
    def envelope(self) -> dict[str, Any] | None:
        """The SNS JSON envelope, None for raw delivery."""
        if self.headers.get("x-amz-sns-rawdelivery") == "true":
            return None
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def message(self) -> str:
        """What the subscriber reads: the envelope's Message, or the raw body."""
        envelope = self.envelope
        return self.body if envelope is None else str(envelope["Message"])


def _record_http_delivery(
    subscription: SnsSubscription, body: str, headers: dict[str, str]
) -> None:
    subscription.deliveries.append(
        HttpsDelivery(subscription.arn, subscription.endpoint, headers, body)
    )


# Platform applications ##########################################################################


def _apple_certificate(principal: str) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(principal.encode())
    except ValueError:
        return None


def _invalid_credentials() -> AwsError:
    return _invalid("Attributes Reason: Platform credentials are invalid")


def _check_apple_credentials(request: Request) -> None:
    if request.param("Platform") not in APPLE_PLATFORMS:
        return
    attributes = request.param("Attributes") or {}
    credential = attributes.get("PlatformCredential", "")
    principal = attributes.get("PlatformPrincipal", "")
    try:
        key = serialization.load_pem_private_key(credential.encode(), password=None)
    except (ValueError, TypeError) as error:
        raise _invalid_credentials() from error
    certificate = _apple_certificate(principal)
    if certificate is None:
        # Token-based: a .p8 signing key, its key id, the team and the app.
        if not (attributes.get("ApplePlatformTeamID") and attributes.get("ApplePlatformBundleID")):
            raise _invalid_credentials()
        return
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.DER, public) != (
        certificate.public_key().public_bytes(serialization.Encoding.DER, public)
    ):
        raise _invalid_credentials()


def _text(value: Any) -> str:
    """An attribute as SNS writes it (moto keeps ``Enabled`` as a bool)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def platform_attributes(application: PlatformApplication) -> dict[str, str]:
    """The attributes AWS gives for the application (module docstring)."""
    given = application.attributes
    attributes = {k: _text(v) for k, v in given.items() if k not in CREDENTIALS}
    attributes.setdefault("Enabled", "true")
    if application.platform in APPLE_PLATFORMS:
        certificate = _apple_certificate(str(given.get("PlatformPrincipal", "")))
        if certificate is None:
            attributes["AuthenticationMethod"] = "Token"
        else:
            attributes["AuthenticationMethod"] = "Certificate"
            expiry = certificate.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
            attributes["AppleCertificateExpiryDate"] = expiry
    return attributes


def list_platform_applications(request: Request) -> dict[str, Any]:
    start = paging.offset(request.param("NextToken"), lambda: _invalid("NextToken"))
    applications = platform_applications(request.account, request.region)
    page = applications[start : start + PLATFORM_APPLICATIONS_PAGE]
    result: dict[str, Any] = {
        "PlatformApplications": [
            {"PlatformApplicationArn": app.arn, "Attributes": platform_attributes(app)}
            for app in page
        ]
    }
    if start + PLATFORM_APPLICATIONS_PAGE < len(applications):
        result["NextToken"] = paging.token(start + PLATFORM_APPLICATIONS_PAGE)
    return result


def get_platform_application_attributes(request: Request) -> dict[str, Any]:
    arn = request.param("PlatformApplicationArn")
    return {
        "Attributes": platform_attributes(
            platform_application(request.account, request.region, arn)
        )
    }


# Helpers ########################################################################################


def create_apns_application(
    region: str = DEFAULT_REGION,
    name: str = "app",
    *,
    not_after: datetime | None = None,
    enabled: bool = True,
    sandbox: bool = False,
) -> str:
    """An APNs platform application: with a certificate that expires at ``not_after``, or
    token-based when it is None; its ARN."""
    bundle = f"com.example.{name.lower()}"
    if not_after is None:
        key = ec.generate_private_key(ec.SECP256R1())
        attributes = {
            "PlatformCredential": key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode(),
            "PlatformPrincipal": "ABC123DEFG",  # the signing key's id in Apple's portal
            "ApplePlatformTeamID": "DEF123GHIJ",
            "ApplePlatformBundleID": bundle,
        }
    else:
        certificate, key_pem = make_certificate(bundle, not_after=not_after)
        attributes = {
            "PlatformCredential": key_pem.decode(),
            "PlatformPrincipal": certificate.decode(),
        }
    if not enabled:
        attributes["Enabled"] = "false"
    arn: str = client("sns", region).create_platform_application(
        Name=name, Platform="APNS_SANDBOX" if sandbox else "APNS", Attributes=attributes
    )["PlatformApplicationArn"]
    return arn


# Topics and subscribers #########################################################################

_queue_regions: dict[str, str] = {}


def _region_of(arn: str) -> str:
    return arn.split(":")[3]


def _subscription_attributes(filter_policy: Mapping[str, Any] | None, raw: bool) -> dict[str, str]:
    attributes = {"RawMessageDelivery": "true" if raw else "false"}
    if filter_policy is not None:
        attributes["FilterPolicy"] = json.dumps(filter_policy)
        attributes["FilterPolicyScope"] = "MessageAttributes"
    return attributes


def subscribe_https(
    topic_arn: str,
    url: str,
    *,
    filter_policy: Mapping[str, Any] | None = None,
    raw: bool = False,
) -> str:
    """An https (or http) subscriber at ``url``, with a filter policy if given; its ARN. No
    connection is ever made to ``url``: ``https_deliveries`` tells what it would receive."""
    protocol = url.split("://", 1)[0]
    if protocol not in ("http", "https"):
        raise ValueError(f"an http or https URL, not {url!r}")
    arn: str = client("sns", _region_of(topic_arn)).subscribe(
        TopicArn=topic_arn,
        Protocol=protocol,
        Endpoint=url,
        Attributes=_subscription_attributes(filter_policy, raw),
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return arn


def https_deliveries(subscription_arn_or_url: str) -> list[HttpsDelivery]:
    """What SNS would have POSTed to the subscriber, in order (no API call)."""
    found = SnsSubscription.find(subscription_arn_or_url)
    if not found:
        raise KeyError(f"no http/https subscription {subscription_arn_or_url}")
    return [delivery for subscription in found for delivery in subscription.deliveries]


def subscribe_queue(
    topic_arn: str,
    name: str,
    *,
    filter_policy: Mapping[str, Any] | None = None,
    raw: bool = False,
) -> str:
    """An SQS queue ``name`` subscribed to the topic (a team's queue), with a filter policy if
    given; its URL, for ``receive_messages``."""
    region = _region_of(topic_arn)
    sqs = client("sqs", region)
    queue_url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    client("sns", region).subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes=_subscription_attributes(filter_policy, raw),
    )
    _queue_regions[queue_url] = region
    return queue_url


def create_topic_with_queue(
    region: str = DEFAULT_REGION, raw: bool = False, *, name: str = "certificate-expiry"
) -> tuple[str, str]:
    """An SNS topic with an SQS queue subscribed (raw message delivery iff ``raw``)."""
    sns = client("sns", region)
    sqs = client("sqs", region)
    topic_arn: str = sns.create_topic(Name=name)["TopicArn"]
    queue_url: str = sqs.create_queue(QueueName=f"{name}-{'raw' if raw else 'envelope'}")[
        "QueueUrl"
    ]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true" if raw else "false"},
    )
    _queue_regions[queue_url] = region
    return topic_arn, queue_url


def receive_messages(queue_url: str, region: str | None = None) -> list[Any]:
    """Everything waiting in the queue, deleted once read.

    A message delivered in the SNS envelope comes back as that envelope (a dict with ``Type``,
    ``Subject``, ``Message``, ...); a raw delivery as its body (str).
    """
    if region is None:
        match = re.search(r"sqs\.([a-z0-9-]+)\.amazonaws\.com", queue_url)
        region = _queue_regions.get(queue_url) or (match.group(1) if match else DEFAULT_REGION)
    sqs = client("sqs", region)
    received: list[Any] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        if not messages:
            return received
        for message in messages:
            received.append(_unwrap(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def _unwrap(body: str) -> Any:
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    if isinstance(parsed, dict) and parsed.get("Type") == "Notification" and "TopicArn" in parsed:
        return parsed
    return body


def messaged_arns(queue_url: str, region: str | None = None) -> list[list[str]]:
    """For each message the subscriber got (SNS envelope), the certificate ARNs it lists."""
    return [
        [entry["arn"] for entry in json.loads(envelope["Message"])["certificates"]]
        for envelope in receive_messages(queue_url, region)
    ]


class Published(NamedTuple):
    """One publish as SNS received it."""

    subject: str | None
    envelope: dict[str, str]  # MessageStructure=json: "default", "email", "sms"
    size: int  # UTF-8 bytes of the whole message


def published(topic_arn: str) -> list[Published]:
    """Everything published to the topic, in order (from the emulator's state)."""
    return [
        Published(subject, json.loads(message), len(message.encode("utf-8")))
        for subject, message in sent_notifications(topic_arn)
    ]
