"""SNS as AWS answers where moto 5.2 does not, and what its subscribers receive.

- ``Publish`` (and ``PublishBatch``): ``Subject`` 1..99 printable ASCII characters, no line
  breaks, starting with a letter, digit or punctuation; ``Message`` non-empty and at most
  262,144 UTF-8 bytes (moto counts characters); with ``MessageStructure='json'`` the message
  must be a JSON object of strings with a ``default`` key (moto checked only when a subscriber
  existed). Errors are ``InvalidParameter``.
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
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from testkit import paging
from testkit.certificates import make_certificate
from testkit.environment import DEFAULT_REGION, client
from testkit.errors import AwsError
from testkit.moto_internals import (
    Patcher,
    PlatformApplication,
    Request,
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
