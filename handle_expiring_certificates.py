"""Report ACM certificates that are about to expire, to Security Hub and SNS.

Imported certificates are the dangerous ones: ACM cannot renew them, and when one lapses a
website or an API goes down. This AWS Lambda function writes one Security Hub finding (ASFF) per
certificate inside the expiry window, archives the finding once the certificate is renewed or
gone, and publishes an SNS notification that a person (and a ticketing system) can act on.

Triggers (EventBridge)
    Option 1, per certificate: a rule on ``{"source": ["aws.acm"], "detail-type": [...]}`` for
        "ACM Certificate Approaching Expiration" (daily from 45 days out), "ACM Certificate
        Expired" and "ACM Certificate Renewal Action Required". The certificate is
        ``resources[0]``; it is examined in the region its ARN names. One message per certificate.
    Option 2, scheduled: a rule ``cron(5 0 ? * 1 *)`` ("Scheduled Event"). Scans every
        certificate with a ``DaysToExpiry`` metric and every certificate ACM lists (all key
        types) in ``SCAN_REGIONS``; sends one digest, most urgent first.
    Anything else (the console's default test event included) is rejected before any AWS call.

Settings (environment variables; an empty value counts as unset)
    EXPIRY_DAYS          whole number of days, 1 to 3650 (default 45): the window is
                         ``NotAfter <= now + EXPIRY_DAYS``.
    SNS_TOPIC_ARN        SNS topic to notify (optional; without it nothing is published).
    SECURITY_HUB_REGION  region that receives every finding (default: the function's region).
    SCAN_REGIONS         comma-separated regions a scheduled scan covers (default: the
                         function's region).
    NOTIFY_DAYS          comma-separated days left, e.g. ``30,14,7,3,1``: ACM events notify only
                         on those days or once expired (default: every event notifies).
    DRY_RUN              ``true`` or ``false`` (default): with true, nothing is written or sent;
                         the summary shows what would have been.
    IGNORE_TAG           ``key=value`` or ``key``: certificates with that tag are left alone.

Permissions (see iam_policy.json)
    acm:ListCertificates, acm:DescribeCertificate, acm:ListTagsForCertificate,
    cloudwatch:ListMetrics, securityhub:GetFindings, securityhub:BatchImportFindings,
    sns:Publish, and logs:CreateLogStream / logs:PutLogEvents for the function's own log group.
    It never reads certificate bodies or private keys.

Run locally: ``python handle_expiring_certificates.py --dry-run`` scans with your credentials
(or ``AWS_ENDPOINT_URL``) and prints the certificates in the window. ``--help`` for more.
"""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.utils
from botocore.utils import ArnParser, InvalidArnException

if TYPE_CHECKING:
    from mypy_boto3_acm import ACMClient
    from mypy_boto3_acm.literals import KeyAlgorithmType
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_sns import SNSClient


# Constants ######################################################################################

GENERATOR_ID = "handle-expiring-certificates"
FINDING_TYPE = "Software and Configuration Checks/AWS Security Best Practices/Certificate Expiry"
SCHEMA_VERSION = "2018-10-08"

DEFAULT_EXPIRY_DAYS = 45
MAX_EXPIRY_DAYS = 3650  # ten years: beyond any certificate's life, and far from datetime overflow

ACM_DETAIL_TYPES = (
    "ACM Certificate Approaching Expiration",
    "ACM Certificate Expired",
    "ACM Certificate Renewal Action Required",
)
SCHEDULED_DETAIL_TYPE = "Scheduled Event"

# Without Includes.keyTypes, ListCertificates returns RSA_2048 certificates only.
ACM_KEY_TYPES: tuple[KeyAlgorithmType, ...] = (
    "RSA_1024",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
)
LIST_CERTIFICATES_PAGE = 1000  # the API's maximum MaxItems
DAYS_TO_EXPIRY_NAMESPACE = "AWS/CertificateManager"
DAYS_TO_EXPIRY_METRIC = "DaysToExpiry"

FINDINGS_PER_IMPORT = 100  # BatchImportFindings limit
FINDINGS_PAGE = 100  # GetFindings MaxResults limit
IMPORT_WORKERS = 4
RETRYABLE_IMPORT_ERRORS = ("Throttl", "TooManyRequests", "Internal", "ServiceUnavailable")

MAX_MESSAGE_BYTES = 262_144  # SNS: 256 KiB in UTF-8 bytes, the whole JSON envelope included
MAX_SUBJECT_CHARS = 99  # SNS: printable ASCII, one line, fewer than 100 characters
NAMES_IN_TEXT = 3
USERS_IN_TEXT = 5
# Protocols whose subscribers get the JSON document; "default" (and so email) gets the text.
MACHINE_PROTOCOLS = ("sqs", "lambda", "http", "https", "firehose")

DESCRIBE_WORKERS = 8  # ACM allows about 10 DescribeCertificate calls a second
DEADLINE_MARGIN_MS = 10_000  # left for writing findings and publishing once describing stops
CLIENT_CONFIG = botocore.config.Config(
    retries={"mode": "adaptive", "max_attempts": 6},
    connect_timeout=5,
    read_timeout=20,
    max_pool_connections=DESCRIBE_WORKERS + 4,
)

KNOWN_PARTITIONS = (
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
)
# \Z, not $ (which also matches before a final newline); ASCII, so \d is 0-9 only.
REGION_PATTERN = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d{1,2}\Z", re.ASCII)
ACCOUNT_PATTERN = re.compile(r"^\d{12}\Z", re.ASCII)
TOPIC_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}(\.fifo)?\Z", re.ASCII)
DAYS_PATTERN = re.compile(r"^\d{1,5}\Z", re.ASCII)
CERTIFICATE_RESOURCE_PATTERN = re.compile(r"^certificate/[A-Za-z0-9-]+\Z", re.ASCII)
CONSOLE_HOSTS = {
    "aws": "https://{region}.console.aws.amazon.com",
    "aws-cn": "https://console.amazonaws.cn",
    "aws-us-gov": "https://console.amazonaws-us-gov.com",
}
REMEDIATION_URLS = {
    "IMPORTED": "https://docs.aws.amazon.com/acm/latest/userguide/import-reimport.html",
    "AMAZON_ISSUED": "https://docs.aws.amazon.com/acm/latest/userguide/troubleshooting-renewal.html",
    "PRIVATE": "https://docs.aws.amazon.com/acm/latest/userguide/renew-private-cert.html",
}

LOGGER = logging.getLogger("handle_expiring_certificates")


# Errors #########################################################################################


class CertificateMonitorError(Exception):
    """Base of every error this function raises on purpose."""


class ConfigurationError(CertificateMonitorError, ValueError):
    """A setting is malformed; raised before any AWS call."""

    def __init__(self, variable: str, value: str, accepted: str) -> None:
        super().__init__(f"{variable}={value!r} is not valid: expected {accepted}.")
        self.variable = variable
        self.value = value


class UnsupportedEventError(CertificateMonitorError, ValueError):
    """The event is not one this function handles; raised before any AWS call."""

    def __init__(self, problem: str) -> None:
        accepted = ", ".join(repr(t) for t in (*ACM_DETAIL_TYPES, SCHEDULED_DETAIL_TYPE))
        super().__init__(
            f"Unsupported event: {problem}. Accepted: EventBridge events with source 'aws.acm' "
            f"and detail-type {', '.join(repr(t) for t in ACM_DETAIL_TYPES)} (the certificate "
            f"ARN in resources[0]), or source 'aws.events' with detail-type "
            f"{SCHEDULED_DETAIL_TYPE!r}. For a manual run from the Lambda console, choose the "
            f"'EventBridge (CloudWatch Events)' scheduled-event template. (All accepted "
            f"detail-types: {accepted}.)"
        )


class IncompleteRunError(CertificateMonitorError):
    """Raised after all other work is done when something could not be written or read.

    Raising makes Lambda's retries, error metrics, alarms and on-failure destinations see it.
    """

    def __init__(self, summary: Mapping[str, Any]) -> None:
        failures = "; ".join(summary["errors"])
        super().__init__(f"Run incomplete, {len(summary['errors'])} failure(s): {failures}")
        self.summary = dict(summary)


# Value types ####################################################################################


@dataclass(frozen=True)
class IgnoreTag:
    key: str
    value: str | None  # None: any value

    def matches(self, tags: Mapping[str, str]) -> bool:
        return self.key in tags and (self.value is None or tags[self.key] == self.value)

    def __str__(self) -> str:
        return self.key if self.value is None else f"{self.key}={self.value}"


@dataclass(frozen=True)
class CertificateEvent:
    """Option 1: an ACM event about one certificate."""

    detail_type: str
    certificate_arn: str
    region: str


@dataclass(frozen=True)
class ScheduledScan:
    """Option 2: the schedule rule."""

    detail_type: str = SCHEDULED_DETAIL_TYPE


Trigger = CertificateEvent | ScheduledScan


@dataclass(frozen=True)
class Certificate:
    """What ACM says about a certificate, from ListCertificates or DescribeCertificate."""

    arn: str
    domain: str
    partition: str
    region: str
    account: str
    type: str
    status: str
    key_algorithm: str
    not_after: datetime | None
    not_before: datetime | None = None
    subject_alternative_names: tuple[str, ...] = ()
    more_names: bool = False  # ListCertificates gave only the first names
    in_use: bool = False
    in_use_by: tuple[str, ...] | None = None  # None: not described, so not known
    renewal_eligibility: str | None = None
    renewal_status: str | None = None
    issuer: str | None = None
    serial: str | None = None
    created_at: datetime | None = None
    imported_at: datetime | None = None
    issued_at: datetime | None = None
    described: bool = False

    @property
    def certificate_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def needs_description(self) -> bool:
        """Whether the finding and message need more than ListCertificates gives: what uses it,
        the renewal status of a certificate ACM renews, or names beyond the first page."""
        return not self.described and (self.in_use or self.type != "IMPORTED" or self.more_names)


@dataclass(frozen=True)
class Assessment:
    """A certificate judged at one instant against the window."""

    certificate: Certificate
    now: datetime
    days_left: int
    expired: bool
    in_window: bool
    severity: str


@dataclass(frozen=True)
class ExistingFinding:
    """An active finding of this generator, as GetFindings returned it."""

    id: str
    certificate_arn: str
    region: str
    created_at: str
    updated_at: datetime
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class Notification:
    subject: str
    text: str
    document: Mapping[str, Any]
    message: str  # the JSON envelope for MessageStructure='json'
    certificate_arns: tuple[str, ...]


@dataclass
class Summary:
    """What the invocation examined, found, wrote and sent; returned as JSON."""

    trigger: str
    mode: str
    regions: list[str]
    expiry_days: int
    dry_run: bool
    now: str
    outcome: str = "scanned"
    certificates_examined: int = 0
    not_examined: int = 0
    in_window: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    findings: dict[str, Any] = field(default_factory=dict)
    notification: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    would_write: list[dict[str, Any]] = field(default_factory=list)
    would_send: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def fail(self, message: str) -> None:
        """A failure: something was not written or not read. The run ends in an error."""
        LOGGER.warning(message)
        with self.lock:
            self.errors.append(message)

    def warn(self, message: str) -> None:
        """Degraded but complete: logged and reported, the run still succeeds."""
        LOGGER.warning(message)
        with self.lock:
            self.warnings.append(message)

    def skip(self, arn: str, reason: str) -> None:
        LOGGER.warning("Skipped %s: %s", arn, reason)
        with self.lock:
            self.skipped.append({"arn": arn, "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        result = {k: v for k, v in vars(self).items() if k != "lock"}
        if not self.dry_run:
            del result["would_write"], result["would_send"]
        return result


# Configuration ##################################################################################


def _setting(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "")
    if value == "":
        return None
    return value.strip() or value  # whitespace alone is a bad value, reported as given


def _region(variable: str, value: str) -> str:
    if not REGION_PATTERN.match(value):
        raise ConfigurationError(variable, value, "an AWS region name such as 'us-east-1'")
    return value


def _comma_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_arn(arn: str) -> dict[str, str] | None:
    """The parts of an ARN, or None when it is not one."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    try:
        return ArnParser().parse_arn(arn)
    except (InvalidArnException, AttributeError, TypeError):
        return None


@dataclass(frozen=True)
class Config:
    function_region: str
    security_hub_region: str
    scan_regions: tuple[str, ...]
    expiry_days: int = DEFAULT_EXPIRY_DAYS
    sns_topic_arn: str | None = None
    notify_days: frozenset[int] | None = None
    dry_run: bool = False
    ignore_tag: IgnoreTag | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Config:
        """Read and validate every setting; raise ConfigurationError on the first bad one."""
        region_variable = "AWS_REGION" if _setting(environ, "AWS_REGION") else "AWS_DEFAULT_REGION"
        function_region = _setting(environ, region_variable)
        if function_region is None:
            raise ConfigurationError("AWS_REGION", "", "the region to run in (Lambda sets it)")
        function_region = _region(region_variable, function_region)

        expiry_days = DEFAULT_EXPIRY_DAYS
        raw = _setting(environ, "EXPIRY_DAYS")
        if raw is not None:
            if not DAYS_PATTERN.match(raw) or not 1 <= int(raw) <= MAX_EXPIRY_DAYS:
                raise ConfigurationError(
                    "EXPIRY_DAYS", raw, f"a whole number of days from 1 to {MAX_EXPIRY_DAYS}"
                )
            expiry_days = int(raw)

        topic = _setting(environ, "SNS_TOPIC_ARN")
        if topic is not None:
            parts = parse_arn(topic)
            if (
                parts is None
                or parts["partition"] not in KNOWN_PARTITIONS
                or parts["service"] != "sns"
                or not REGION_PATTERN.match(parts["region"])
                or not ACCOUNT_PATTERN.match(parts["account"])
                or not TOPIC_NAME_PATTERN.match(parts["resource"])
            ):
                raise ConfigurationError(
                    "SNS_TOPIC_ARN",
                    topic,
                    "an SNS topic ARN such as 'arn:aws:sns:us-east-1:123456789012:cert-alerts' "
                    f"(partition one of {', '.join(KNOWN_PARTITIONS)})",
                )

        hub = _setting(environ, "SECURITY_HUB_REGION")
        hub_region = function_region if hub is None else _region("SECURITY_HUB_REGION", hub)

        scan = _setting(environ, "SCAN_REGIONS")
        scan_regions: tuple[str, ...] = (function_region,)
        if scan is not None:
            names = _comma_list(scan)
            if not names or any(not REGION_PATTERN.match(name) for name in names):
                raise ConfigurationError(
                    "SCAN_REGIONS",
                    scan,
                    "comma-separated region names such as 'us-east-1,eu-west-1'",
                )
            scan_regions = tuple(dict.fromkeys(names))

        notify_days = None
        notify = _setting(environ, "NOTIFY_DAYS")
        if notify is not None:
            days = _comma_list(notify)
            if not days or any(not DAYS_PATTERN.match(day) for day in days):
                raise ConfigurationError(
                    "NOTIFY_DAYS",
                    notify,
                    "comma-separated whole numbers of days, e.g. '30,14,7,3,1'",
                )
            notify_days = frozenset(int(day) for day in days)

        dry_run = False
        dry = _setting(environ, "DRY_RUN")
        if dry is not None:
            if dry.lower() not in ("true", "false"):
                raise ConfigurationError("DRY_RUN", dry, "'true' or 'false'")
            dry_run = dry.lower() == "true"

        ignore_tag = None
        tag = _setting(environ, "IGNORE_TAG")
        if tag is not None:
            key, has_value, value = tag.partition("=")
            key = key.strip()
            if not key or len(key) > 128 or len(value) > 256 or (has_value and not value.strip()):
                raise ConfigurationError(
                    "IGNORE_TAG", tag, "'key=value' or 'key' (a tag key of 1 to 128 characters)"
                )
            ignore_tag = IgnoreTag(key, value.strip() if has_value else None)

        return cls(
            function_region=function_region,
            security_hub_region=hub_region,
            scan_regions=scan_regions,
            expiry_days=expiry_days,
            sns_topic_arn=topic,
            notify_days=notify_days,
            dry_run=dry_run,
            ignore_tag=ignore_tag,
        )


# Event parsing ##################################################################################


def parse_event(event: object) -> Trigger:
    """Turn the raw EventBridge event into a Trigger, or raise UnsupportedEventError."""
    if not isinstance(event, Mapping):
        raise UnsupportedEventError(f"the event is a {type(event).__name__}, not a JSON object")
    detail_type = event.get("detail-type")
    source = event.get("source")
    if detail_type == SCHEDULED_DETAIL_TYPE:
        if source != "aws.events":
            raise UnsupportedEventError(f"a {SCHEDULED_DETAIL_TYPE!r} must come from 'aws.events'")
        return ScheduledScan()
    if detail_type not in ACM_DETAIL_TYPES:
        keys = ", ".join(sorted(str(key) for key in event)[:5]) or "none"
        raise UnsupportedEventError(f"detail-type is {detail_type!r} (event keys: {keys})")
    if source != "aws.acm":
        raise UnsupportedEventError(f"an {detail_type!r} event must come from 'aws.acm'")
    resources = event.get("resources")
    if not isinstance(resources, list) or not resources or not isinstance(resources[0], str):
        raise UnsupportedEventError("resources[0] must be the certificate ARN")
    arn = resources[0]
    parts = parse_arn(arn)
    if (
        parts is None
        or parts["partition"] not in KNOWN_PARTITIONS
        or parts["service"] != "acm"
        or not REGION_PATTERN.match(parts["region"])
        or not ACCOUNT_PATTERN.match(parts["account"])
        or not CERTIFICATE_RESOURCE_PATTERN.match(parts["resource"])
    ):
        raise UnsupportedEventError(f"resources[0] {arn!r} is not an ACM certificate ARN")
    return CertificateEvent(detail_type=detail_type, certificate_arn=arn, region=parts["region"])


# The pure core: assess certificates ###########################################################


def _as_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return None


def certificate_from_acm(data: Mapping[str, Any], *, described: bool) -> Certificate:
    """A Certificate from a CertificateSummary (described=False) or a CertificateDetail."""
    arn = str(data["CertificateArn"])
    parts = parse_arn(arn) or {"partition": "aws", "region": "", "account": ""}
    names = data.get("SubjectAlternativeNames") or data.get("SubjectAlternativeNameSummaries")
    renewal = data.get("RenewalSummary") or {}
    in_use_by = data.get("InUseBy")
    in_use = bool(data.get("InUse")) or bool(in_use_by)
    users: tuple[str, ...] | None = None
    if described and in_use_by is not None:
        users = tuple(in_use_by)
    elif not in_use:
        users = ()  # ListCertificates says whether it is in use, not by what
    return Certificate(
        arn=arn,
        domain=str(data.get("DomainName", "")),
        partition=parts["partition"],
        region=parts["region"],
        account=parts["account"],
        type=str(data.get("Type", "UNKNOWN")),
        status=str(data.get("Status", "UNKNOWN")),
        key_algorithm=str(data.get("KeyAlgorithm", "UNKNOWN")),
        not_after=_as_datetime(data.get("NotAfter")),
        not_before=_as_datetime(data.get("NotBefore")),
        subject_alternative_names=tuple(str(name) for name in names or ()),
        more_names=bool(data.get("HasAdditionalSubjectAlternativeNames")) and not described,
        in_use=in_use,
        in_use_by=users,
        renewal_eligibility=data.get("RenewalEligibility"),
        renewal_status=renewal.get("RenewalStatus"),
        issuer=data.get("Issuer"),
        serial=data.get("Serial"),
        created_at=_as_datetime(data.get("CreatedAt")),
        imported_at=_as_datetime(data.get("ImportedAt")),
        issued_at=_as_datetime(data.get("IssuedAt")),
        described=described,
    )


def severity_for(days_left: int, expired: bool) -> str:
    if expired:
        return "CRITICAL"
    if days_left <= 7:
        return "HIGH"
    if days_left <= 30:
        return "MEDIUM"
    return "LOW"


def assess(certificate: Certificate, now: datetime, expiry_days: int) -> Assessment | None:
    """Judge a certificate at ``now``; None when it has no expiry date (not issued yet)."""
    if certificate.not_after is None:
        return None
    days_left = (certificate.not_after - now) // timedelta(days=1)
    expired = certificate.not_after <= now
    return Assessment(
        certificate=certificate,
        now=now,
        days_left=days_left,
        expired=expired,
        in_window=certificate.not_after <= now + timedelta(days=expiry_days),
        severity=severity_for(days_left, expired),
    )


def by_urgency(assessments: Iterable[Assessment]) -> list[Assessment]:
    return sorted(assessments, key=lambda a: (a.certificate.not_after, a.certificate.arn))


def should_notify(assessment: Assessment, notify_days: frozenset[int] | None) -> bool:
    """For ACM events: notify on the chosen days, or once expired; every day when unset."""
    return notify_days is None or assessment.expired or assessment.days_left in notify_days


# The pure core: words a person reads ############################################################


def iso(moment: datetime) -> str:
    """ASFF and JSON timestamps: UTC, milliseconds, 'Z'."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def human_date(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def parse_timestamp(value: str) -> datetime | None:
    """Security Hub timestamps, with any number of fraction digits (Python 3.10 takes 3 or 6)."""
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$", value)
    if not match:
        return None
    base, fraction, zone = match.groups()
    zone = "+00:00" if zone in (None, "Z") else zone
    micros = (fraction or "0")[:6].ljust(6, "0")
    return datetime.fromisoformat(f"{base}.{micros}{zone}").astimezone(timezone.utc)


def console_url(certificate: Certificate) -> str:
    host = CONSOLE_HOSTS.get(certificate.partition, CONSOLE_HOSTS["aws"])
    region = certificate.region
    return (
        f"{host.format(region=region)}/acm/home?region={region}"
        f"#/certificates/{certificate.certificate_id}"
    )


def when_text(assessment: Assessment) -> str:
    if assessment.expired:
        ago = (assessment.now - assessment.certificate.not_after).days  # type: ignore[operator]
        return "EXPIRED today" if ago == 0 else f"EXPIRED {ago} day{'s' * (ago != 1)} ago"
    if assessment.days_left == 0:
        return "expires within 24 hours"
    return f"expires in {assessment.days_left} day{'s' * (assessment.days_left != 1)}"


def action_text(certificate: Certificate) -> str:
    if certificate.type == "IMPORTED":
        return (
            "ACM cannot renew an imported certificate. Get a renewed certificate from its "
            "issuer and re-import it into this same ARN (ACM console: Reimport, or "
            "ReimportCertificate), so every service that uses it picks it up."
        )
    if certificate.type == "PRIVATE":
        return (
            "Check that the issuing AWS Private CA is active and that ACM may renew this "
            "certificate; otherwise issue a new private certificate and replace it where used."
        )
    return (
        "ACM renews this certificate only if it is in use and every domain still validates. "
        "Fix domain validation (the DNS CNAME records or validation e-mail) and check its "
        "renewal status; if it is not in use, delete it or request a new one."
    )


def names_text(certificate: Certificate) -> str:
    # ACM may report the domain in Unicode and the names as A-labels, or in another case.
    domain = ascii_domain(certificate.domain).lower()
    others = [n for n in certificate.subject_alternative_names if ascii_domain(n).lower() != domain]
    shown = ", ".join(others[:NAMES_IN_TEXT])
    rest = len(others) - NAMES_IN_TEXT
    return shown + (f" and {rest} more" if rest > 0 else "")


def users_text(certificate: Certificate) -> str:
    if certificate.in_use_by:
        users = list(certificate.in_use_by)
        rest = len(users) - USERS_IN_TEXT
        return ", ".join(users[:USERS_IN_TEXT]) + (f" and {rest} more" if rest > 0 else "")
    if certificate.in_use and certificate.in_use_by is None:
        return "in use (the resources could not be read)"
    return "not in use"


def ascii_domain(name: str) -> str:
    """A domain name as printable ASCII: IDN labels to punycode (A-labels)."""
    if name.isascii() and name.isprintable():
        return name
    labels = []
    for label in name.split("."):
        if label.isascii():
            labels.append(label)
            continue
        try:
            labels.append(label.encode("idna").decode("ascii"))
        except UnicodeError:
            labels.append("xn--" + label.encode("punycode").decode("ascii"))
    return "".join(ch for ch in ".".join(labels) if ch.isprintable() and ch.isascii())


def fit_subject(template: str, domain: str) -> str:
    """Fill ``{domain}`` so the subject stays printable ASCII under SNS's 100 characters."""
    clean_template = "".join(c for c in template if c.isascii() and c.isprintable())
    room = MAX_SUBJECT_CHARS - len(clean_template.replace("{domain}", ""))
    name = ascii_domain(domain)
    if len(name) > room:
        name = name[: max(room - 3, 0)] + "..."
    return clean_template.replace("{domain}", name)[:MAX_SUBJECT_CHARS].strip() or "ACM"


# The pure core: findings ########################################################################


def finding_id(certificate_arn: str) -> str:
    return f"{GENERATOR_ID}/{certificate_arn}"


def product_arn(partition: str, hub_region: str, account: str) -> str:
    return f"arn:{partition}:securityhub:{hub_region}:{account}:product/{account}/default"


def _resource_details(certificate: Certificate) -> dict[str, Any]:
    details: dict[str, Any] = {
        "DomainName": certificate.domain,
        "SubjectAlternativeNames": list(certificate.subject_alternative_names),
        "Type": certificate.type,
        "Status": certificate.status,
        "KeyAlgorithm": certificate.key_algorithm,
        "InUseBy": list(certificate.in_use_by or ()),
        "RenewalEligibility": certificate.renewal_eligibility,
        "Issuer": certificate.issuer,
        "Serial": certificate.serial,
    }
    for key, moment in (
        ("NotAfter", certificate.not_after),
        ("NotBefore", certificate.not_before),
        ("CreatedAt", certificate.created_at),
        ("ImportedAt", certificate.imported_at),
        ("IssuedAt", certificate.issued_at),
    ):
        details[key] = iso(moment) if moment else None
    if certificate.renewal_status:
        details["RenewalSummary"] = {"RenewalStatus": certificate.renewal_status}
    # ASFF rejects empty strings and empty lists in these fields.
    return {k: v for k, v in details.items() if v not in (None, "", [])}


def next_updated_at(now: datetime, existing: ExistingFinding | None) -> datetime:
    """Security Hub ignores an update whose UpdatedAt is older than the stored one."""
    if existing is None or existing.updated_at < now:
        return now
    return existing.updated_at + timedelta(milliseconds=1)


def build_finding(
    assessment: Assessment,
    *,
    hub_region: str,
    expiry_days: int,
    existing: ExistingFinding | None,
) -> dict[str, Any]:
    """The ASFF finding for a certificate inside the window."""
    cert = assessment.certificate
    now = assessment.now
    label = assessment.severity
    expires = human_date(cert.not_after) if cert.not_after else "unknown"
    kind = {"IMPORTED": "imported", "AMAZON_ISSUED": "ACM-issued", "PRIVATE": "private"}.get(
        cert.type, cert.type
    )
    title = f"ACM certificate {cert.domain} {when_text(assessment)}"
    description = (
        f"The {kind} certificate {cert.domain} ({cert.arn}) in {cert.region} "
        f"{'expired' if assessment.expired else 'expires'} on {expires}"
        f"{'' if assessment.expired else f', {assessment.days_left} days from now'}, inside the "
        f"{expiry_days}-day window. Used by: {users_text(cert)}."
    )
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(cert.arn),
        "ProductArn": product_arn(cert.partition, hub_region, cert.account),
        "GeneratorId": GENERATOR_ID,
        "AwsAccountId": cert.account,
        "Types": [FINDING_TYPE],
        "CreatedAt": existing.created_at if existing else iso(now),
        "UpdatedAt": iso(next_updated_at(now, existing)),
        "FirstObservedAt": existing.raw.get("FirstObservedAt", existing.created_at)
        if existing
        else iso(now),
        "LastObservedAt": iso(now),
        "Severity": {"Label": label, "Original": str(assessment.days_left)},
        "FindingProviderFields": {
            "Severity": {"Label": label, "Original": str(assessment.days_left)},
            "Types": [FINDING_TYPE],
        },
        "Title": title[:256],
        "Description": description[:1024],
        "Remediation": {
            "Recommendation": {
                "Text": action_text(cert)[:512],
                "Url": REMEDIATION_URLS.get(cert.type, REMEDIATION_URLS["AMAZON_ISSUED"]),
            }
        },
        "SourceUrl": console_url(cert),
        "ProductFields": {
            "DaysLeft": str(assessment.days_left),
            "NotAfter": iso(cert.not_after) if cert.not_after else "",
            "ExpiryDays": str(expiry_days),
            "CertificateType": cert.type,
            "ConsoleUrl": console_url(cert),
        },
        "Resources": [
            {
                "Type": "AwsCertificateManagerCertificate",
                "Id": cert.arn,
                "Partition": cert.partition,
                "Region": cert.region,
                "Details": {"AwsCertificateManagerCertificate": _resource_details(cert)},
            }
        ],
        "Compliance": {"Status": "FAILED"},
        "RecordState": "ACTIVE",
    }


_CARRIED_OVER = (
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "Types",
    "CreatedAt",
    "FirstObservedAt",
    "Remediation",
    "SourceUrl",
    "ProductFields",
    "Resources",
)


def build_archived_finding(existing: ExistingFinding, reason: str, now: datetime) -> dict[str, Any]:
    """The same finding, closed: ARCHIVED and PASSED, with why in the description."""
    finding = {key: existing.raw[key] for key in _CARRIED_OVER if key in existing.raw}
    finding.update(
        {
            "UpdatedAt": iso(next_updated_at(now, existing)),
            "Severity": {"Label": "INFORMATIONAL"},
            "FindingProviderFields": {
                "Severity": {"Label": "INFORMATIONAL"},
                "Types": list(existing.raw.get("Types") or [FINDING_TYPE]),
            },
            "Title": f"Resolved: {existing.raw.get('Title', existing.certificate_arn)}"[:256],
            "Description": f"Resolved on {human_date(now)}: {reason}"[:1024],
            "Compliance": {"Status": "PASSED"},
            "RecordState": "ARCHIVED",
        }
    )
    return finding


def existing_finding_from(raw: Mapping[str, Any]) -> ExistingFinding | None:
    """Read back one of our findings; None for anything that is not (the emulator ignores
    GetFindings filters, and a hub holds other products' findings)."""
    resources = raw.get("Resources") or [{}]
    arn = resources[0].get("Id", "")
    if raw.get("GeneratorId") != GENERATOR_ID or raw.get("Id") != finding_id(arn):
        return None
    if raw.get("RecordState", "ACTIVE") != "ACTIVE":
        return None
    updated = parse_timestamp(str(raw.get("UpdatedAt", ""))) or datetime.min.replace(
        tzinfo=timezone.utc
    )
    return ExistingFinding(
        id=str(raw["Id"]),
        certificate_arn=arn,
        region=str(resources[0].get("Region") or (parse_arn(arn) or {}).get("region", "")),
        created_at=str(raw.get("CreatedAt") or raw.get("UpdatedAt")),
        updated_at=updated,
        raw=raw,
    )


@dataclass(frozen=True)
class FindingPlan:
    write: tuple[dict[str, Any], ...]  # active findings, then archived ones
    active: int
    archived: int


def plan_findings(
    *,
    in_window: Sequence[Assessment],
    outside: Mapping[str, Assessment | str],
    existing: Sequence[ExistingFinding],
    covers: Callable[[ExistingFinding], bool],
    hub_region: str,
    expiry_days: int,
    now: datetime,
) -> FindingPlan:
    """Which findings to write: one per certificate in the window; archive the rest.

    ``outside`` maps the ARN of every examined certificate that needs no finding to why (renewed,
    ignored). An existing finding that ``covers`` and is neither in the window nor in ``outside``
    belongs to a certificate that no longer exists.
    """
    by_arn = {finding.certificate_arn: finding for finding in existing}
    active = [
        build_finding(
            assessment,
            hub_region=hub_region,
            expiry_days=expiry_days,
            existing=by_arn.get(assessment.certificate.arn),
        )
        for assessment in in_window
    ]
    keep = {assessment.certificate.arn for assessment in in_window}
    archived = [
        build_archived_finding(
            finding,
            why_outside(outside.get(finding.certificate_arn), expiry_days),
            now,
        )
        for finding in existing
        if finding.certificate_arn not in keep and covers(finding)
    ]
    return FindingPlan(write=tuple(active + archived), active=len(active), archived=len(archived))


def why_outside(known: Assessment | str | None, expiry_days: int) -> str:
    if known is None:
        return "the certificate no longer exists in ACM."
    return outside_reason(known, expiry_days) if isinstance(known, Assessment) else known


def outside_reason(assessment: Assessment, expiry_days: int) -> str:
    cert = assessment.certificate
    return (
        f"the certificate was renewed or re-imported; it now expires on "
        f"{human_date(cert.not_after) if cert.not_after else 'an unknown date'}, "
        f"{assessment.days_left} days away, outside the {expiry_days}-day window."
    )


# The pure core: messages ########################################################################


def certificate_entry(assessment: Assessment) -> dict[str, Any]:
    """One certificate in the machine-readable document (see README: message schema)."""
    cert = assessment.certificate
    return {
        "arn": cert.arn,
        "domain": cert.domain,
        "subject_alternative_names": list(cert.subject_alternative_names),
        "region": cert.region,
        "account": cert.account,
        "type": cert.type,
        "status": cert.status,
        "key_algorithm": cert.key_algorithm,
        "not_after": iso(cert.not_after) if cert.not_after else None,
        "days_left": assessment.days_left,
        "expired": assessment.expired,
        "severity": assessment.severity,
        "in_use": cert.in_use,
        "in_use_by": list(cert.in_use_by) if cert.in_use_by is not None else None,
        "console_url": console_url(cert),
        "finding_id": finding_id(cert.arn),
    }


def certificate_text(number: int, assessment: Assessment) -> str:
    cert = assessment.certificate
    lines = [f"{number}. {cert.domain} - {when_text(assessment)} [{assessment.severity}]"]
    also = names_text(cert)
    if also:
        lines.append(f"   Also covers: {also}")
    lines += [
        f"   Expires:  {human_date(cert.not_after) if cert.not_after else 'unknown'}",
        f"   ARN:      {cert.arn}",
        f"   Region:   {cert.region} (account {cert.account})",
        f"   Type:     {cert.type}, {cert.key_algorithm}, status {cert.status}",
        f"   Used by:  {users_text(cert)}",
        f"   Console:  {console_url(cert)}",
        f"   To do:    {action_text(cert)}",
    ]
    return "\n".join(lines) + "\n\n"


def _escaped_bytes(text: str) -> int:
    """Bytes ``text`` takes inside a JSON string; JSON escaping works character by character,
    so the size of a concatenation is the sum of the sizes of its pieces."""
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8")) - 2


def _envelope(text: str, document: Mapping[str, Any]) -> str:
    machine = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    # Email subscribers fall back to "default"; the text appears once to leave room for more
    # certificates per message.
    return json.dumps(
        {"default": text, **{protocol: machine for protocol in MACHINE_PROTOCOLS}},
        ensure_ascii=False,
    )


@dataclass(frozen=True)
class MessageHeader:
    trigger: str
    scope: str
    expiry_days: int
    now: datetime


def _render(
    header: MessageHeader, assessments: Sequence[Assessment], part: int, parts: int, first: int
) -> Notification:
    count = len(assessments)
    if header.trigger == SCHEDULED_DETAIL_TYPE:
        expired = sum(a.expired for a in assessments)
        noun, verb, has = (
            ("certificate", "expires", "has") if count == 1 else ("certificates", "expire", "have")
        )
        subject = fit_subject(
            f"ACM: {count} {noun} {verb} within {header.expiry_days} days"
            + (f" ({expired} expired)" if expired else ""),
            "",
        )
        intro = (
            f"{count} ACM {noun} in this message {verb} within {header.expiry_days} days or "
            f"{has} expired ({header.scope}, {human_date(header.now)})."
        )
    else:
        only = assessments[0]
        subject = fit_subject(
            f"ACM certificate {{domain}} {when_text(only)}", only.certificate.domain
        )
        intro = f"{header.trigger}: {header.scope}, {human_date(header.now)}."
    if parts > 1:
        suffix = f" (part {part} of {parts})"
        subject = subject[: MAX_SUBJECT_CHARS - len(suffix)] + suffix
        intro += f" Part {part} of {parts}, most urgent first."
    text = (
        intro
        + "\n\n"
        + "".join(certificate_text(first + i, a) for i, a in enumerate(assessments))
        + "Sent by the handle-expiring-certificates Lambda function.\n"
    )
    document = {
        "version": 1,
        "trigger": header.trigger,
        "generated_at": iso(header.now),
        "expiry_days": header.expiry_days,
        "part": part,
        "parts": parts,
        "certificates": [certificate_entry(a) for a in assessments],
    }
    return Notification(
        subject=subject,
        text=text,
        document=document,
        message=_envelope(text, document),
        certificate_arns=tuple(a.certificate.arn for a in assessments),
    )


def _size(notification: Notification) -> int:
    return len(notification.message.encode("utf-8"))


def _entry_bytes(number: int, assessment: Assessment) -> int:
    """What one certificate adds to a published message: its text once, its JSON entry (and a
    comma) once per machine protocol."""
    entry = json.dumps(certificate_entry(assessment), ensure_ascii=False, separators=(",", ":"))
    return _escaped_bytes(certificate_text(number, assessment)) + len(MACHINE_PROTOCOLS) * (
        _escaped_bytes(entry) + 1
    )


def build_notifications(
    header: MessageHeader, assessments: Sequence[Assessment], limit: int = MAX_MESSAGE_BYTES
) -> list[Notification]:
    """Messages for the certificates, most urgent first, each within SNS's size limit.

    A digest that does not fit is split into numbered parts so that no certificate is left out.
    """
    ordered = by_urgency(assessments)
    if not ordered:
        return []
    costs = [_entry_bytes(number, a) for number, a in enumerate(ordered, start=1)]
    # All but the entries, with part numbers as wide as they get: an upper bound, so every part
    # packed within the limit is rendered within it.
    base = _size(_render(header, ordered[:1], 9999, 9999, 1)) - costs[0]
    groups: list[list[Assessment]] = [[]]
    used = base
    for assessment, cost in zip(ordered, costs, strict=True):
        if groups[-1] and used + cost > limit:
            groups.append([])
            used = base
        groups[-1].append(assessment)
        used += cost
    notifications = []
    first = 1
    for number, group in enumerate(groups, start=1):
        notifications.append(_render(header, group, number, len(groups), first))
        first += len(group)
    return notifications


# The AWS gateway: the only code that calls boto3 ###############################################


def _parse_timestamp(value: str | float) -> datetime:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return botocore.utils.parse_timestamp(value)


class AwsClients:
    """Creates clients lazily, one per service and region, shared by threads and invocations."""

    def __init__(self, session: boto3.session.Session | None = None) -> None:
        self._session = session or boto3.session.Session()
        # botocore turns each epoch number into a tzlocal datetime through dateutil: a third of
        # a 10,000-certificate scan's CPU. The numbers ACM sends need only fromtimestamp.
        parsers = self._session._session.get_component("response_parser_factory")
        parsers.set_parser_defaults(timestamp_parser=_parse_timestamp)
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def _client(self, service: str, region: str) -> Any:
        with self._lock:  # sessions are not thread-safe; clients are
            key = (service, region)
            if key not in self._clients:
                self._clients[key] = self._session.client(
                    service,  # type: ignore[call-overload]
                    region_name=region,
                    config=CLIENT_CONFIG,
                )
            return self._clients[key]

    def acm(self, region: str) -> ACMClient:
        return self._client("acm", region)  # type: ignore[no-any-return]

    def cloudwatch(self, region: str) -> CloudWatchClient:
        return self._client("cloudwatch", region)  # type: ignore[no-any-return]

    def securityhub(self, region: str) -> SecurityHubClient:
        return self._client("securityhub", region)  # type: ignore[no-any-return]

    def sns(self, region: str) -> SNSClient:
        return self._client("sns", region)  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=1)
def default_clients() -> AwsClients:
    """Reused across warm invocations so connections and credentials are not set up again."""
    return AwsClients()


@dataclass(frozen=True)
class Deadline:
    context: object

    def near(self) -> bool:
        remaining = getattr(self.context, "get_remaining_time_in_millis", None)
        return callable(remaining) and remaining() < DEADLINE_MARGIN_MS


def error_code(error: Exception) -> str:
    if isinstance(error, botocore.exceptions.ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__


AWS_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


def list_certificates(acm: ACMClient) -> Iterator[Certificate]:
    """Every certificate of every key type, a page at a time."""
    pages = acm.get_paginator("list_certificates").paginate(
        Includes={"keyTypes": list(ACM_KEY_TYPES)},
        PaginationConfig={"PageSize": LIST_CERTIFICATES_PAGE},
    )
    for page in pages:
        for summary in page.get("CertificateSummaryList", []):
            yield certificate_from_acm(summary, described=False)


def list_metric_certificate_arns(cloudwatch: CloudWatchClient) -> set[str]:
    pages = cloudwatch.get_paginator("list_metrics").paginate(
        Namespace=DAYS_TO_EXPIRY_NAMESPACE, MetricName=DAYS_TO_EXPIRY_METRIC
    )
    return {
        dimension["Value"]
        for page in pages
        for metric in page.get("Metrics", [])
        for dimension in metric.get("Dimensions", [])
        if dimension.get("Name") == "CertificateArn"
    }


def describe_certificate(acm: ACMClient, arn: str) -> Certificate | None:
    """The certificate in full, or None when it no longer exists."""
    try:
        detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    except acm.exceptions.ResourceNotFoundException:
        return None
    return certificate_from_acm(detail, described=True)


def certificate_tags(acm: ACMClient, arn: str) -> dict[str, str]:
    tags = acm.list_tags_for_certificate(CertificateArn=arn).get("Tags", [])
    return {tag["Key"]: tag.get("Value", "") for tag in tags}


class HubNotEnabledError(Exception):
    pass


def _hub_call(call: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return call(**kwargs)
    except botocore.exceptions.ClientError as error:
        if error_code(error) == "InvalidAccessException":
            raise HubNotEnabledError(str(error)) from error
        raise


def read_active_findings(
    securityhub: SecurityHubClient, *, certificate_arn: str | None = None
) -> list[ExistingFinding]:
    """Active findings of this generator, or of one certificate; read once per invocation."""
    filters: dict[str, Any] = {
        "GeneratorId": [{"Value": GENERATOR_ID, "Comparison": "EQUALS"}],
        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
    }
    if certificate_arn:
        filters["Id"] = [{"Value": finding_id(certificate_arn), "Comparison": "EQUALS"}]
    found: list[ExistingFinding] = []
    token = None
    while True:
        kwargs: dict[str, Any] = {"Filters": filters, "MaxResults": FINDINGS_PAGE}
        if token:
            kwargs["NextToken"] = token
        page = _hub_call(securityhub.get_findings, **kwargs)
        for raw in page.get("Findings", []):
            finding = existing_finding_from(raw)
            if finding and (certificate_arn is None or finding.certificate_arn == certificate_arn):
                found.append(finding)
        token = page.get("NextToken")
        if not token:
            return found


@dataclass(frozen=True)
class ImportFailure:
    finding_id: str
    code: str
    message: str


def import_findings(
    securityhub: SecurityHubClient, findings: Sequence[Mapping[str, Any]]
) -> list[ImportFailure]:
    """Write findings 100 at a time, a few batches side by side."""
    batches = [
        list(findings[start : start + FINDINGS_PER_IMPORT])
        for start in range(0, len(findings), FINDINGS_PER_IMPORT)
    ]
    with concurrent.futures.ThreadPoolExecutor(max_workers=IMPORT_WORKERS) as pool:
        results = list(pool.map(lambda batch: _import_batch(securityhub, batch), batches))
    return [failure for failures in results for failure in failures]


def _import_batch(
    securityhub: SecurityHubClient, batch: list[Mapping[str, Any]]
) -> list[ImportFailure]:
    """One BatchImportFindings; those that failed for a passing reason are sent once more."""
    failures: list[ImportFailure] = []
    for attempt in (1, 2):
        try:
            response = _hub_call(securityhub.batch_import_findings, Findings=batch)
        except AWS_ERRORS as error:
            return failures + [
                ImportFailure(str(f["Id"]), error_code(error), str(error)) for f in batch
            ]
        failed = {
            item["Id"]: ImportFailure(item["Id"], item["ErrorCode"], item["ErrorMessage"])
            for item in response.get("FailedFindings", [])
        }
        retry = [
            f
            for f in batch
            if f["Id"] in failed
            and any(mark in failed[f["Id"]].code for mark in RETRYABLE_IMPORT_ERRORS)
        ]
        if attempt == 2 or not retry:
            return failures + list(failed.values())
        failures += [v for k, v in failed.items() if k not in {f["Id"] for f in retry}]
        batch = retry
    return failures


def publish(sns: SNSClient, topic_arn: str, notification: Notification) -> str:
    kwargs: dict[str, Any] = {
        "TopicArn": topic_arn,
        "Subject": notification.subject,
        "Message": notification.message,
        "MessageStructure": "json",
    }
    if topic_arn.endswith(".fifo"):
        kwargs["MessageGroupId"] = GENERATOR_ID
        kwargs["MessageDeduplicationId"] = hashlib.sha256(notification.message.encode()).hexdigest()
    return str(sns.publish(**kwargs)["MessageId"])


# The handler ####################################################################################


@dataclass
class Examination:
    """The certificates one invocation looked at, and what it concluded."""

    in_window: list[Assessment] = field(default_factory=list)
    # ARN -> why it needs no finding: the reason, or the assessment to word it from if needed
    outside: dict[str, Assessment | str] = field(default_factory=dict)
    covered_regions: set[str] = field(default_factory=set)
    examined: int = 0


def _in_window_entry(assessment: Assessment) -> dict[str, Any]:
    cert = assessment.certificate
    return {
        "arn": cert.arn,
        "domain": cert.domain,
        "region": cert.region,
        "days_left": assessment.days_left,
        "severity": assessment.severity,
        "not_after": iso(cert.not_after) if cert.not_after else None,
        "type": cert.type,
        "in_use_by": list(cert.in_use_by) if cert.in_use_by is not None else None,
    }


def _complete(
    assessment: Assessment,
    config: Config,
    clients: AwsClients,
    deadline: Deadline,
    summary: Summary,
) -> Assessment | str | None:
    """Describe a certificate in the window and read its tags.

    Returns the fuller assessment, a reason it needs no finding (renewed meanwhile, ignored),
    or None when it no longer exists.
    """
    cert = assessment.certificate
    acm = clients.acm(cert.region)
    if cert.needs_description:
        if deadline.near():
            with summary.lock:
                summary.not_examined += 1
            return assessment
        try:
            described = describe_certificate(acm, cert.arn)
        except AWS_ERRORS as error:
            summary.warn(f"DescribeCertificate {cert.arn} failed ({error_code(error)}): {error}")
            described = cert
        if described is None:
            summary.skip(cert.arn, "deleted after it was listed")
            return None
        fresh = assess(described, assessment.now, config.expiry_days)
        if fresh is None or not fresh.in_window:
            return outside_reason(fresh, config.expiry_days) if fresh else "no expiry date."
        assessment = fresh
    if config.ignore_tag is not None:
        try:
            tags = certificate_tags(acm, cert.arn)
        except AWS_ERRORS as error:
            summary.warn(f"ListTagsForCertificate {cert.arn} failed ({error_code(error)}): {error}")
            tags = {}
        if config.ignore_tag.matches(tags):
            summary.skip(cert.arn, f"ignored by tag {config.ignore_tag}")
            return f"the certificate carries the ignore tag {config.ignore_tag}."
    return assessment


def _collect(
    candidate: Assessment, result: Assessment | str | None, examination: Examination
) -> None:
    if isinstance(result, Assessment):
        examination.in_window.append(result)
    elif isinstance(result, str):
        examination.outside[candidate.certificate.arn] = result


def _scan_region(
    region: str, clients: AwsClients, summary: Summary, consider: Callable[[Certificate], None]
) -> set[str] | None:
    """Hand every certificate ACM lists in a region to ``consider`` as its page arrives; return
    the ARNs of the region's DaysToExpiry metrics, or None when the listing failed."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as beside:
        metrics = beside.submit(list_metric_certificate_arns, clients.cloudwatch(region))
        try:
            for certificate in list_certificates(clients.acm(region)):
                consider(certificate)
        except AWS_ERRORS as error:
            summary.fail(f"ListCertificates in {region} failed ({error_code(error)}): {error}")
            return None
    try:
        return metrics.result()
    except AWS_ERRORS as error:
        summary.warn(
            f"ListMetrics in {region} failed ({error_code(error)}); carrying on with "
            f"ListCertificates alone: {error}"
        )
        return set()


def examine_scan(
    config: Config, clients: AwsClients, now: datetime, deadline: Deadline, summary: Summary
) -> Examination:
    """Every certificate of every scanned region; those in the window are described (where
    needed) while the listing goes on."""
    examination = Examination()
    seen: set[str] = set()
    pending: list[tuple[Assessment, concurrent.futures.Future[Assessment | str | None]]] = []
    lock = threading.Lock()
    with concurrent.futures.ThreadPoolExecutor(max_workers=DESCRIBE_WORKERS) as describers:

        def consider(certificate: Certificate) -> None:
            assessment = assess(certificate, now, config.expiry_days)
            with lock:
                seen.add(certificate.arn)
                examination.examined += 1
                if assessment is None:
                    examination.outside[certificate.arn] = (
                        f"it has no expiry date (status {certificate.status})."
                    )
                elif not assessment.in_window:
                    examination.outside[certificate.arn] = assessment
                else:
                    future = describers.submit(
                        _complete, assessment, config, clients, deadline, summary
                    )
                    pending.append((assessment, future))

        with concurrent.futures.ThreadPoolExecutor(len(config.scan_regions)) as listers:
            metric_arns = list(
                listers.map(
                    lambda region: _scan_region(region, clients, summary, consider),
                    config.scan_regions,
                )
            )
        metric_only = []
        for region, arns in zip(config.scan_regions, metric_arns, strict=True):
            if arns is not None:
                examination.covered_regions.add(region)
                metric_only += sorted(arns - seen)
        # A metric lingers up to two weeks after its certificate is deleted; confirm with one
        # call each, since a certificate of a key type ListCertificates does not know would
        # hide here too.
        for arn in metric_only:
            region = (parse_arn(arn) or {}).get("region", "")
            try:
                described = describe_certificate(clients.acm(region), arn) if region else None
            except AWS_ERRORS as error:
                summary.warn(f"DescribeCertificate {arn} failed ({error_code(error)}): {error}")
                continue
            if described is None:
                summary.skip(arn, "deleted; its DaysToExpiry metric lingers")
            else:
                consider(described)
        for candidate, future in pending:
            _collect(candidate, future.result(), examination)
    return examination


def examine_certificate(
    trigger: CertificateEvent,
    config: Config,
    clients: AwsClients,
    now: datetime,
    deadline: Deadline,
    summary: Summary,
) -> Examination:
    examination = Examination()
    arn = trigger.certificate_arn
    try:
        described = describe_certificate(clients.acm(trigger.region), arn)
    except AWS_ERRORS as error:
        summary.outcome = "failed"
        summary.fail(f"DescribeCertificate {arn} failed ({error_code(error)}): {error}")
        return examination
    examination.covered_regions.add(trigger.region)
    if described is None:
        summary.outcome = "not_found"
        summary.skip(arn, "the certificate no longer exists")
        return examination
    examination.examined = 1
    assessment = assess(described, now, config.expiry_days)
    if assessment is None or not assessment.in_window:
        summary.outcome = "outside_window"
        examination.outside[arn] = (
            outside_reason(assessment, config.expiry_days) if assessment else "no expiry date."
        )
        LOGGER.info("%s is outside the %d-day window: nothing new", arn, config.expiry_days)
        return examination
    _collect(assessment, _complete(assessment, config, clients, deadline, summary), examination)
    summary.outcome = "in_window" if examination.in_window else "ignored"
    return examination


def write_findings(
    examination: Examination,
    config: Config,
    securityhub: SecurityHubClient,
    read_existing: Callable[[], list[ExistingFinding]],
    now: datetime,
    summary: Summary,
    only_arn: str | None,
) -> None:
    hub_region = config.security_hub_region
    summary.findings = {
        "hub_region": hub_region,
        "written": 0,
        "archived": 0,
        "failed": 0,
        "skipped": None,
    }
    if not examination.in_window and not examination.covered_regions:
        return

    def hub_not_enabled() -> None:
        # A known state, not a failure: the message still goes out.
        reason = f"Security Hub is not enabled in {hub_region}; findings were not written"
        summary.findings["skipped"] = reason
        summary.warn(reason)

    existing: list[ExistingFinding] = []
    try:
        existing = read_existing()
    except HubNotEnabledError:
        hub_not_enabled()
        return
    except AWS_ERRORS as error:
        summary.fail(
            f"GetFindings in {hub_region} failed ({error_code(error)}); findings are written "
            f"but none archived: {error}"
        )
        examination.covered_regions.clear()

    def covers(finding: ExistingFinding) -> bool:
        if only_arn is not None:
            return finding.certificate_arn == only_arn
        return finding.region in examination.covered_regions

    plan = plan_findings(
        in_window=examination.in_window,
        outside=examination.outside,
        existing=existing,
        covers=covers,
        hub_region=hub_region,
        expiry_days=config.expiry_days,
        now=now,
    )
    if config.dry_run:
        summary.would_write = [
            {
                "Id": f["Id"],
                "RecordState": f["RecordState"],
                "Severity": f["Severity"]["Label"],
                "Title": f.get("Title"),
            }
            for f in plan.write
        ]
        summary.findings["skipped"] = "dry run"
        return
    try:
        failures = import_findings(securityhub, plan.write)
    except HubNotEnabledError:
        hub_not_enabled()
        return
    failed_ids = {failure.finding_id for failure in failures}
    for failure in failures:
        summary.fail(
            f"BatchImportFindings rejected {failure.finding_id}: {failure.code} {failure.message}"
        )
    summary.findings["failed"] = len(failed_ids)
    summary.findings["written"] = sum(
        1 for f in plan.write[: plan.active] if f["Id"] not in failed_ids
    )
    summary.findings["archived"] = sum(
        1 for f in plan.write[plan.active :] if f["Id"] not in failed_ids
    )


def send_notifications(
    notifications: Sequence[Notification],
    config: Config,
    clients: AwsClients,
    summary: Summary,
    reason_if_none: str,
) -> None:
    summary.notification = {"message_ids": [], "parts": len(notifications), "reason": None}
    if not notifications:
        summary.notification["reason"] = reason_if_none
        return
    if config.sns_topic_arn is None:
        summary.notification["reason"] = "SNS_TOPIC_ARN is not set"
        return
    if config.dry_run:
        summary.would_send = [
            {"subject": n.subject, "bytes": len(n.message.encode("utf-8")), "text": n.text}
            for n in notifications
        ]
        summary.notification["reason"] = "dry run"
        return
    topic_region = (parse_arn(config.sns_topic_arn) or {})["region"]
    sns = clients.sns(topic_region)
    for notification in notifications:
        try:
            message_id = publish(sns, config.sns_topic_arn, notification)
        except AWS_ERRORS as error:
            summary.fail(f"Publish to {config.sns_topic_arn} failed ({error_code(error)}): {error}")
            continue
        summary.notification["message_ids"].append(message_id)


def run(
    trigger: Trigger,
    config: Config,
    *,
    now: datetime,
    clients: AwsClients,
    deadline: Deadline,
) -> Summary:
    """Examine, write findings, notify; every failure is recorded in the summary, not raised."""
    is_scan = isinstance(trigger, ScheduledScan)
    summary = Summary(
        trigger=trigger.detail_type,
        mode="scan" if is_scan else "certificate",
        regions=[trigger.region]
        if isinstance(trigger, CertificateEvent)
        else [*config.scan_regions],
        expiry_days=config.expiry_days,
        dry_run=config.dry_run,
        now=iso(now),
    )
    hub = clients.securityhub(config.security_hub_region)
    if isinstance(trigger, ScheduledScan):
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as meanwhile:
            # The hub's active findings do not depend on the scan: read them during it.
            active = meanwhile.submit(read_active_findings, hub)
            examination = examine_scan(config, clients, now, deadline, summary)
        read_existing: Callable[[], list[ExistingFinding]] = active.result
        only_arn = None
        scope = f"scan of {', '.join(config.scan_regions)}"
        notify = examination.in_window
        reason = "no certificate is inside the window"
    else:
        examination = examine_certificate(trigger, config, clients, now, deadline, summary)
        only_arn = trigger.certificate_arn
        read_existing = functools.partial(read_active_findings, hub, certificate_arn=only_arn)
        scope = f"certificate {trigger.certificate_arn}"
        notify = [a for a in examination.in_window if should_notify(a, config.notify_days)]
        reason = (
            "NOTIFY_DAYS does not include this day"
            if examination.in_window and not notify
            else f"the certificate is not inside the window ({summary.outcome})"
        )
    summary.certificates_examined = examination.examined
    summary.in_window = [_in_window_entry(a) for a in by_urgency(examination.in_window)]
    if summary.not_examined:
        summary.warn(
            f"The Lambda deadline was near: {summary.not_examined} certificate(s) in the window "
            f"were not described; their findings and messages use ListCertificates data"
        )
    header = MessageHeader(trigger.detail_type, scope, config.expiry_days, now)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as writer:
        # Findings and messages do not depend on each other: write the one while sending the
        # other, so a failure of either never holds up the other.
        writing = writer.submit(
            write_findings, examination, config, hub, read_existing, now, summary, only_arn
        )
        send_notifications(build_notifications(header, notify), config, clients, summary, reason)
        writing.result()
    return summary


def lambda_handler(
    event: object,
    context: object,
    *,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
    clients: AwsClients | None = None,
) -> dict[str, Any]:
    """Lambda entry point; ``environ``, ``now`` and ``clients`` are for tests and local runs."""
    env = os.environ if environ is None else environ
    if not env.get("AWS_LAMBDA_LOG_LEVEL"):
        # Under Lambda's JSON log format the runtime sets the level the user chose; otherwise
        # the root logger's default (WARNING) would hide the one INFO line per invocation.
        LOGGER.setLevel(logging.INFO)
    config = Config.from_environ(env)
    trigger = parse_event(event)
    summary = run(
        trigger,
        config,
        now=now or datetime.now(timezone.utc),
        clients=clients or default_clients(),
        deadline=Deadline(context),
    )
    result = summary.as_dict()
    LOGGER.info(
        "%s: %d examined, %d in window, findings %d written / %d archived / %d failed%s, "
        "%d message(s) sent, %d error(s), %d warning(s)",
        summary.trigger,
        summary.certificates_examined,
        len(summary.in_window),
        summary.findings.get("written", 0),
        summary.findings.get("archived", 0),
        summary.findings.get("failed", 0),
        f" (skipped: {summary.findings['skipped']})" if summary.findings.get("skipped") else "",
        len(summary.notification.get("message_ids", [])),
        len(summary.errors),
        len(summary.warnings),
        extra={
            "summary": {k: v for k, v in result.items() if k not in ("in_window", "would_send")}
        },
    )
    if summary.errors:
        raise IncompleteRunError(result)
    return result


# Local run ######################################################################################


def _table(summary: Mapping[str, Any]) -> str:
    rows = [("DAYS", "SEVERITY", "EXPIRES (UTC)", "TYPE", "REGION", "DOMAIN", "ARN")]
    for entry in summary["in_window"]:
        rows.append(
            (
                str(entry["days_left"]),
                entry["severity"],
                (entry["not_after"] or "")[:16].replace("T", " "),
                entry["type"],
                entry["region"],
                entry["domain"],
                entry["arn"],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    findings = summary.get("findings", {})
    note = summary["notification"]
    lines += [
        "",
        (
            f"{len(summary['in_window'])} of {summary['certificates_examined']} certificate(s) "
            f"inside the {summary['expiry_days']}-day window ({summary['trigger']}, "
            f"{', '.join(summary['regions'])})."
        ),
        f"Findings: {findings.get('written', 0)} written, {findings.get('archived', 0)} archived, "
        f"{findings.get('failed', 0)} failed"
        + (f" (skipped: {findings['skipped']})" if findings.get("skipped") else "")
        + (f"; would write {len(summary['would_write'])}" if summary.get("would_write") else ""),
        f"Messages: {len(note.get('message_ids', []))} sent"
        + (f" ({note['reason']})" if note.get("reason") else "")
        + (f"; would send {len(summary['would_send'])}" if summary.get("would_send") else ""),
    ]
    lines += [f"Warning: {w}" for w in summary.get("warnings", [])]
    lines += [f"Error: {e}" for e in summary.get("errors", [])]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python handle_expiring_certificates.py``: run a scan (or an event) from a shell."""
    import argparse  # only the command line needs it; keeps the Lambda cold start shorter

    parser = argparse.ArgumentParser(
        description="Report ACM certificates inside the expiry window, as the Lambda does. "
        "Settings come from the same environment variables; AWS access from your credentials "
        "(or AWS_ENDPOINT_URL)."
    )
    parser.add_argument("--dry-run", action="store_true", help="write no findings, send nothing")
    parser.add_argument("--event", metavar="FILE", help="run this EventBridge event (JSON file)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")

    environ = dict(os.environ)
    if args.dry_run:
        environ["DRY_RUN"] = "true"
    if not (environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")):
        region = boto3.session.Session().region_name
        if region:
            environ["AWS_REGION"] = region
    event: object = {
        "version": "0",
        "detail-type": SCHEDULED_DETAIL_TYPE,
        "source": "aws.events",
        "resources": [],
        "detail": {},
    }
    try:
        if args.event:
            with open(args.event, encoding="utf-8") as file:
                event = json.load(file)
        Config.from_environ(environ)
        parse_event(event)
        # The handler records every AWS error as a failure of the run (exit 1); no login at all
        # means it could not start.
        if boto3.session.Session().get_credentials() is None:
            raise botocore.exceptions.NoCredentialsError()
        summary = lambda_handler(event, None, environ=environ)
        status = 0
    except (OSError, json.JSONDecodeError) as error:
        print(f"Cannot read the event file: {error}", file=sys.stderr)
        return 2
    except (ConfigurationError, UnsupportedEventError) as error:
        print(error, file=sys.stderr)
        return 2
    except IncompleteRunError as error:
        summary, status = error.summary, 1
    except botocore.exceptions.NoCredentialsError as error:
        print(f"No AWS credentials: {error}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2, default=str) if args.json else _table(summary))
    return status


if __name__ == "__main__":
    sys.exit(main())
