"""SNS as AWS answers where moto 5.2 does not, and what its subscribers receive.

- ``Publish`` (and ``PublishBatch``): ``Subject`` 1..99 printable ASCII characters, no line
  breaks, starting with a letter, digit or punctuation; ``Message`` non-empty and at most
  262,144 UTF-8 bytes (moto counts characters); with ``MessageStructure='json'`` the message
  must be a JSON object of strings with a ``default`` key (moto checked only when a subscriber
  existed). Errors are ``InvalidParameter``.

Helpers:

- ``create_topic_with_queue(region=DEFAULT_REGION, raw=False, *, name=...)`` ->
  ``(topic_arn, queue_url)``: an SNS topic with an SQS queue subscribed, raw delivery on/off.
- ``receive_messages(queue_url, region=None)`` -> list: what the subscriber got, in order, and
  deleted: the parsed SNS envelope (dict with ``Subject``, ``Message``, ...) for normal
  delivery, the body string for raw delivery.
- ``messaged_arns(queue_url)`` -> for each message the (envelope) subscriber got, the ARNs of
  the certificates its JSON document lists.
- ``published(topic_arn)`` -> ``[Published(subject, envelope, size)]``: what was published to
  the topic, as SNS received it (read from the emulator, no API call): the subject, the
  ``MessageStructure=json`` envelope parsed (``default`` is the JSON document, ``email`` the
  text, ``sms`` the line) and its size in UTF-8 bytes.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from testkit.environment import DEFAULT_REGION, client
from testkit.errors import AwsError
from testkit.moto_internals import Patcher, sent_notifications

MAX_MESSAGE_BYTES = 262_144


def install(patch: Patcher) -> None:
    """SNS's strictness, undone with the patcher's monkeypatch."""
    patch.check_sns_publish(check_publish)


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


# Helpers ########################################################################################

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
