"""Report certificates that are about to expire, to Security Hub and SNS.

Imported certificates are the dangerous ones: ACM cannot renew them, and when one lapses a
website or an API goes down. IAM server certificates are as dangerous and quieter still: nothing
renews them and nothing warns. This AWS Lambda function writes one Security Hub finding (ASFF)
per certificate version inside the expiry window, archives it once the certificate is renewed or
gone, and publishes an SNS notification that a person (and a ticketing system) can act on.

Triggers
    Option 1, per certificate: an EventBridge rule on ``{"source": ["aws.acm"], "detail-type":
        [...]}`` for "ACM Certificate Approaching Expiration" (daily from 45 days out), "ACM
        Certificate Expired" and "ACM Certificate Renewal Action Required". The certificate is
        ``resources[0]``; it is examined in the region its ARN names. One message per certificate.
    Option 2, scheduled: an EventBridge rule ``cron(5 0 ? * 1 *)`` ("Scheduled Event"), or an
        EventBridge Scheduler schedule whose payload is ``{}``. Searches each of ``SCAN_REGIONS``
        for certificates expiring inside the window (``SearchCertificates``; ``ListCertificates``
        of all key types where search is unavailable), adds every certificate with a
        ``DaysToExpiry`` metric and the IAM server certificates; sends one digest, most urgent
        first, and only when something is inside the window.
    Anything else (the console's default test event included) is rejected before any AWS call.

Settings (environment variables; an empty value counts as unset)
    EXPIRY_DAYS          whole number of days, 1 to 3650 (default 45): the window is
                         ``NotAfter <= now + EXPIRY_DAYS``.
    SNS_TOPIC_ARN        SNS topic to notify (optional; without it nothing is published).
    SECURITY_HUB_REGION  region that receives every finding (default: the function's region).
    SCAN_REGIONS         comma-separated regions a scheduled scan covers (default: the
                         function's region).
    INCLUDE_IAM_SERVER_CERTIFICATES
                         ``true`` (default) or ``false``: whether a scan also reports IAM server
                         certificates (global: turn it off in all but one function when several
                         functions, one per region, write to separate hubs).
    NOTIFY_DAYS          comma-separated days left, e.g. ``30,14,7,3,1``: ACM events notify only
                         on those days or once expired (default: every event notifies).
    DRY_RUN              ``true`` or ``false`` (default): with true, nothing is written or sent;
                         the summary shows what would have been.
    IGNORE_TAG           ``key=value`` or ``key``: ACM certificates with that tag are left alone.

Permissions (see iam_policy.json)
    acm:SearchCertificates, acm:ListCertificates, acm:DescribeCertificate,
    acm:ListTagsForCertificate, iam:ListServerCertificates, cloudwatch:ListMetrics,
    cloudwatch:GetMetricData,
    securityhub:GetFindings, securityhub:BatchImportFindings, sns:Publish, and
    logs:CreateLogStream / logs:PutLogEvents for the function's own log group. STS
    GetCallerIdentity needs no permission. It never reads certificate bodies or private keys.

Metrics
    One CloudWatch embedded-metric-format line on stdout per invocation, namespace
    ``HandleExpiringCertificates``, dimensions ``FunctionName`` and ``Mode`` (``scan`` or
    ``certificate``); ``Heartbeat`` is 1 only for a scheduled scan that completed without errors.

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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.session
import botocore.utils
from botocore.utils import ArnParser, InvalidArnException

if TYPE_CHECKING:
    from mypy_boto3_acm import ACMClient
    from mypy_boto3_acm.literals import KeyAlgorithmType
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sts import STSClient


# Constants ######################################################################################

GENERATOR_ID = "handle-expiring-certificates"
FINDING_TYPE = "Software and Configuration Checks/AWS Security Best Practices/Certificate Expiry"
SCHEMA_VERSION = "2018-10-08"
DOCUMENT_VERSION = 2  # the JSON document in every message; see docs/messages.md

DEFAULT_EXPIRY_DAYS = 45
MAX_EXPIRY_DAYS = 3650  # ten years: beyond any certificate's life, and far from datetime overflow
DAY = timedelta(days=1)

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
SEARCH_CERTIFICATES_PAGE = 500  # the API's maximum MaxResults
# What an ACM endpoint or the role answers when SearchCertificates is not there or not allowed:
# the scan then lists instead.
SEARCH_UNAVAILABLE_CODES = frozenset(
    {
        "UnknownOperationException",
        "UnknownOperation",
        "InvalidAction",
        "UnsupportedOperation",
        "NotImplemented",
        "AccessDeniedException",
        "AccessDenied",
        "UnauthorizedOperation",
        "404",
    }
)
DAYS_TO_EXPIRY_NAMESPACE = "AWS/CertificateManager"
DAYS_TO_EXPIRY_METRIC = "DaysToExpiry"
METRIC_QUERIES_PER_CALL = 500  # GetMetricData's limit of MetricDataQueries
# ACM publishes DaysToExpiry once a day for every certificate until it expires: the latest value
# of the last two days tells whether a certificate the search did not return is in the window.
METRIC_LOOKBACK = timedelta(days=2)

FINDINGS_PER_IMPORT = 100  # BatchImportFindings limit
MAX_IMPORT_BYTES = 5_000_000  # a BatchImportFindings request may not exceed 6 MB
MAX_FINDING_BYTES = 200_000  # Security Hub rejects a finding over 240 KB
LISTED_IN_FINDING = 50  # names and users kept in a finding's Details; the count is kept too
FINDINGS_PAGE = 100  # GetFindings MaxResults limit
IMPORT_WORKERS = 4
RETRYABLE_IMPORT_ERRORS = ("Throttl", "TooManyRequests", "Internal", "ServiceUnavailable")

MAX_MESSAGE_BYTES = 262_144  # SNS: 256 KiB in UTF-8 bytes, the whole JSON envelope included
MAX_SUBJECT_CHARS = 99  # SNS: printable ASCII, one line, fewer than 100 characters
NAMES_IN_TEXT = 3
USERS_IN_TEXT = 5

DESCRIBE_WORKERS = 8  # ACM allows about 10 DescribeCertificate calls a second
# Every call has bounded retries and timeouts, so its longest possible run is known. A describe
# only adds detail (the scan falls back to what the search gave), so it gives up sooner.
DESCRIBE_CONFIG = botocore.config.Config(
    retries={"mode": "standard", "total_max_attempts": 2},
    connect_timeout=1,
    read_timeout=3,
    max_pool_connections=DESCRIBE_WORKERS + 2,
)
CALL_CONFIG = botocore.config.Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=2,
    read_timeout=10,
    max_pool_connections=IMPORT_WORKERS + 4,
)
# 2 attempts of (connect + read) plus standard mode's backoff (at most 1 s after attempt 1).
DESCRIBE_WORST_MS = 2 * (1 + 3) * 1000 + 1000
WRITE_RESERVE_MS = 5_000  # left for reading and writing findings and publishing after describes

# ASFF's Resources[].Partition accepts only these; ARNs of other partitions are refused.
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
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
IAM_TYPE = "IAM_SERVER_CERTIFICATE"
GLOBAL_REGION = "global"  # where the summary and messages place IAM server certificates
REMEDIATION_URLS = {
    "IMPORTED": "https://docs.aws.amazon.com/acm/latest/userguide/import-reimport.html",
    "AMAZON_ISSUED": "https://docs.aws.amazon.com/acm/latest/userguide/troubleshooting-renewal.html",
    "PRIVATE": "https://docs.aws.amazon.com/acm/latest/userguide/renew-private-cert.html",
    IAM_TYPE: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_server-certs.html",
}
SEVERITY_ORDER = ("CRITICAL", "HIGH", "MEDIUM", "LOW")

METRICS_NAMESPACE = "HandleExpiringCertificates"
METRIC_DIMENSIONS = ("FunctionName", "Mode")
HEARTBEAT_METRIC = "Heartbeat"
METRIC_NAMES = (
    "CertificatesInWindow",
    "CertificatesExpired",
    "CertificatesInUse",
    "ExpiredInUse",
    "Critical",
    "High",
    "Medium",
    "Low",
    "FindingsWritten",
    "FindingsArchived",
    "FindingsFailed",
    "MessagesSent",
    "Failures",
    HEARTBEAT_METRIC,
)

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
        super().__init__(
            f"Unsupported event: {problem}. Accepted: EventBridge events with source 'aws.acm' "
            f"and detail-type {', '.join(repr(t) for t in ACM_DETAIL_TYPES)} (the certificate "
            f"ARN in resources[0]); source 'aws.events' with detail-type "
            f"{SCHEDULED_DETAIL_TYPE!r}; or {{}} (an EventBridge Scheduler schedule). For a "
            f"manual run from the Lambda console, paste events/scheduled-event.json or {{}}."
        )


class IncompleteRunError(CertificateMonitorError):
    """Raised after all other work is done when something could not be written or read.

    Raising makes Lambda's retries, error metrics, alarms and dead-letter queue see it.
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
    """Option 2: the schedule rule, or an EventBridge Scheduler schedule."""

    detail_type: str = SCHEDULED_DETAIL_TYPE


Trigger = CertificateEvent | ScheduledScan


@dataclass(frozen=True)
class Certificate:
    """What AWS says about a certificate: from a search, a listing or a description (ACM), or
    from ListServerCertificates (IAM)."""

    arn: str
    domain: str  # for an IAM server certificate, its name
    partition: str
    region: str  # "global" for IAM
    account: str
    type: str  # IMPORTED, AMAZON_ISSUED, PRIVATE, or IAM_SERVER_CERTIFICATE
    status: str
    key_algorithm: str
    not_after: datetime | None
    source: str  # "search", "list", "describe" or "iam": what the other fields came from
    not_before: datetime | None = None
    subject_alternative_names: tuple[str, ...] = ()
    more_names: bool = False  # ListCertificates gave only the first names
    in_use: bool | None = None  # None: not known (IAM does not know what uses a certificate)
    in_use_by: tuple[str, ...] | None = None  # None: not read
    renewal_eligibility: str | None = None
    renewal_status: str | None = None
    issuer: str | None = None
    serial: str | None = None
    created_at: datetime | None = None
    imported_at: datetime | None = None
    issued_at: datetime | None = None
    iam_path: str | None = None
    iam_id: str | None = None

    @property
    def certificate_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def is_iam(self) -> bool:
        return self.type == IAM_TYPE

    @property
    def needs_description(self) -> bool:
        """Whether its finding and message need more than the search or listing gave: what uses
        it, and (from a listing) the renewal status ACM keeps and the names past the first."""
        if self.source == "search":
            return self.in_use is True
        if self.source == "list":
            return bool(self.in_use) or self.type != "IMPORTED" or self.more_names
        return False


@dataclass(frozen=True)
class Assessment:
    """A certificate judged at one instant against the window."""

    certificate: Certificate
    now: datetime
    days_left: int  # whole days toward zero: 9.5 days ahead is 9, 4.5 days ago is -4
    expired: bool
    in_window: bool
    severity: str


@dataclass(frozen=True)
class Outcome:
    """What examining one certificate concluded: the one value every worker returns."""

    arn: str
    status: str  # "in_window", "outside", "gone", "ignored" or "unknown"
    assessment: Assessment | None = None
    reason: str = ""  # why it needs no finding: the words an archived finding carries
    warnings: tuple[str, ...] = ()
    not_described: bool = False  # the deadline was near; the listing's data stands

    @property
    def known(self) -> bool:
        """Whether this run knows enough to close the certificate's findings."""
        return self.status in ("outside", "gone", "ignored")


@dataclass(frozen=True)
class ExistingFinding:
    """An active finding of this generator and this account, as GetFindings returned it."""

    id: str
    certificate_arn: str  # Resources[0].Id
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
    """What the invocation examined, found, wrote and sent; returned as JSON. Only the thread
    that runs the handler changes it: workers return values that it gathers."""

    trigger: str
    mode: str
    regions: list[str]
    expiry_days: int
    dry_run: bool
    now: str
    account: str | None = None
    outcome: str = "scanned"
    source: str | None = None  # what found the certificates: SearchCertificates, ListCertificates
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

    def fail(self, message: str) -> None:
        """A failure: something was not written or not read. The run ends in an error."""
        LOGGER.warning(message)
        self.errors.append(message)

    def warn(self, message: str) -> None:
        """Degraded but complete: logged and reported, the run still succeeds."""
        LOGGER.warning(message)
        self.warnings.append(message)

    def skip(self, arn: str, reason: str) -> None:
        LOGGER.warning("Skipped %s: %s", arn, reason)
        self.skipped.append({"arn": arn, "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        result = dict(vars(self))
        if not self.dry_run:
            del result["would_write"], result["would_send"]
        return result


# Configuration ##################################################################################


def _setting(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "")
    if value == "":
        return None
    return value.strip() or value  # whitespace alone is a bad value, reported as given


def _boolean(environ: Mapping[str, str], name: str, default: bool) -> bool:
    value = _setting(environ, name)
    if value is None:
        return default
    if value.lower() not in ("true", "false"):
        raise ConfigurationError(name, value, "'true' or 'false'")
    return value.lower() == "true"


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
    include_iam: bool = True
    notify_days: frozenset[int] | None = None
    dry_run: bool = False
    ignore_tag: IgnoreTag | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Config:
        """Read and validate every setting; raise ConfigurationError on the first bad one."""
        region_variable = "AWS_REGION" if _setting(environ, "AWS_REGION") else "AWS_DEFAULT_REGION"
        function_region = _setting(environ, region_variable)
        if function_region is None:
            raise ConfigurationError(
                "AWS_REGION", "", "the region to run in (Lambda sets it; locally set AWS_REGION)"
            )
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
                or parts["partition"] not in PARTITIONS
                or parts["service"] != "sns"
                or not REGION_PATTERN.match(parts["region"])
                or not ACCOUNT_PATTERN.match(parts["account"])
                or not TOPIC_NAME_PATTERN.match(parts["resource"])
            ):
                raise ConfigurationError(
                    "SNS_TOPIC_ARN",
                    topic,
                    "an SNS topic ARN such as 'arn:aws:sns:us-east-1:123456789012:cert-alerts' "
                    f"(partition one of {', '.join(PARTITIONS)})",
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

        include_iam = _boolean(environ, "INCLUDE_IAM_SERVER_CERTIFICATES", True)

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

        dry_run = _boolean(environ, "DRY_RUN", False)

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
            include_iam=include_iam,
            notify_days=notify_days,
            dry_run=dry_run,
            ignore_tag=ignore_tag,
        )


# Event parsing ##################################################################################


def parse_event(event: object) -> Trigger:
    """Turn the raw event into a Trigger, or raise UnsupportedEventError."""
    if not isinstance(event, Mapping):
        raise UnsupportedEventError(f"the event is a {type(event).__name__}, not a JSON object")
    if not event:
        # What the EventBridge Scheduler console proposes as the payload of a Lambda target.
        return ScheduledScan()
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
    if parts is not None and parts["partition"] not in PARTITIONS:
        raise UnsupportedEventError(
            f"resources[0] {arn!r} is in partition {parts['partition']!r}; Security Hub "
            f"findings take only {', '.join(PARTITIONS)}"
        )
    if (
        parts is None
        or parts["service"] != "acm"
        or not REGION_PATTERN.match(parts["region"])
        or not ACCOUNT_PATTERN.match(parts["account"])
        or not CERTIFICATE_RESOURCE_PATTERN.match(parts["resource"])
    ):
        raise UnsupportedEventError(f"resources[0] {arn!r} is not an ACM certificate ARN")
    return CertificateEvent(detail_type=detail_type, certificate_arn=arn, region=parts["region"])


# The pure core: certificates from what AWS answers ##############################################


def _as_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return None


def _arn_parts(arn: str) -> dict[str, str]:
    return parse_arn(arn) or {"partition": "aws", "region": "", "account": ""}


def certificate_from_acm(data: Mapping[str, Any], *, described: bool) -> Certificate:
    """A Certificate from a CertificateSummary (described=False) or a CertificateDetail."""
    arn = str(data["CertificateArn"])
    parts = _arn_parts(arn)
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
        # DescribeCertificate spells it RSA-2048, the listing and ASFF RSA_2048.
        key_algorithm=str(data.get("KeyAlgorithm", "UNKNOWN")).replace("-", "_"),
        not_after=_as_datetime(data.get("NotAfter")),
        source="describe" if described else "list",
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
    )


def _distinguished_name(name: Mapping[str, Any] | None) -> str | None:
    if not name:
        return None
    return name.get("CommonName") or name.get("Organization") or None


def certificate_from_search(result: Mapping[str, Any]) -> Certificate:
    """A Certificate from one SearchCertificates result: X.509 attributes and ACM metadata."""
    arn = str(result["CertificateArn"])
    parts = _arn_parts(arn)
    x509 = result.get("X509Attributes") or {}
    meta = (result.get("CertificateMetadata") or {}).get("AcmCertificateMetadata") or {}
    names = tuple(
        str(name["DnsName"])
        for name in x509.get("SubjectAlternativeNames") or ()
        if "DnsName" in name
    )
    in_use = meta.get("InUse")
    return Certificate(
        arn=arn,
        domain=(x509.get("Subject") or {}).get("CommonName") or (names[0] if names else ""),
        partition=parts["partition"],
        region=parts["region"],
        account=parts["account"],
        type=str(meta.get("Type", "UNKNOWN")),
        status=str(meta.get("Status", "UNKNOWN")),
        key_algorithm=str(x509.get("KeyAlgorithm", "UNKNOWN")),
        not_after=_as_datetime(x509.get("NotAfter")),
        source="search",
        not_before=_as_datetime(x509.get("NotBefore")),
        subject_alternative_names=names,
        in_use=None if in_use is None else bool(in_use),
        in_use_by=() if in_use is False else None,
        renewal_eligibility=meta.get("RenewalEligibility"),
        renewal_status=meta.get("RenewalStatus"),
        issuer=_distinguished_name(x509.get("Issuer")),
        serial=x509.get("SerialNumber"),
        created_at=_as_datetime(meta.get("CreatedAt")),
        imported_at=_as_datetime(meta.get("ImportedAt")),
        issued_at=_as_datetime(meta.get("IssuedAt")),
    )


def certificate_from_iam(metadata: Mapping[str, Any]) -> Certificate:
    """A Certificate from one IAM ServerCertificateMetadata. IAM does not know what uses it."""
    arn = str(metadata["Arn"])
    parts = _arn_parts(arn)
    return Certificate(
        arn=arn,
        domain=str(metadata.get("ServerCertificateName", "")),
        partition=parts["partition"],
        region=GLOBAL_REGION,
        account=parts["account"],
        type=IAM_TYPE,
        status="UPLOADED",
        key_algorithm="UNKNOWN",
        not_after=_as_datetime(metadata.get("Expiration")),
        source="iam",
        in_use=None,
        imported_at=_as_datetime(metadata.get("UploadDate")),
        iam_path=metadata.get("Path"),
        iam_id=metadata.get("ServerCertificateId"),
    )


# The pure core: assess certificates #############################################################


def whole_days(delta: timedelta) -> int:
    """Whole days toward zero, so the number and the words agree either side of NotAfter."""
    days = abs(delta) // DAY
    return days if delta >= timedelta(0) else -days


def severity_for(days_left: int, expired: bool, in_use: bool | None) -> str:
    """By risk: only a certificate that something uses (or may use) can take a service down."""
    if in_use is False:
        return "LOW"
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
    days_left = whole_days(certificate.not_after - now)
    expired = certificate.not_after <= now
    return Assessment(
        certificate=certificate,
        now=now,
        days_left=days_left,
        expired=expired,
        in_window=certificate.not_after <= now + timedelta(days=expiry_days),
        severity=severity_for(days_left, expired, certificate.in_use),
    )


def by_urgency(assessments: Iterable[Assessment]) -> list[Assessment]:
    """Most severe first, then soonest to expire."""
    return sorted(
        assessments,
        key=lambda a: (
            SEVERITY_ORDER.index(a.severity),
            a.certificate.not_after,
            a.certificate.arn,
        ),
    )


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


def console_url(certificate: Certificate) -> str | None:
    if certificate.is_iam:
        return None  # the IAM console does not show server certificates
    host = CONSOLE_HOSTS.get(certificate.partition, CONSOLE_HOSTS["aws"])
    region = certificate.region
    return (
        f"{host.format(region=region)}/acm/home?region={region}"
        f"#/certificates/{certificate.certificate_id}"
    )


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def when_text(assessment: Assessment) -> str:
    """The same whole days as ``days_left``: -4 is "EXPIRED 4 days ago"."""
    if assessment.expired:
        if assessment.days_left == 0:
            return "EXPIRED less than a day ago"
        return f"EXPIRED {plural(-assessment.days_left, 'day')} ago"
    if assessment.days_left == 0:
        return "expires within 24 hours"
    return f"expires in {plural(assessment.days_left, 'day')}"


def kind_text(certificate: Certificate) -> str:
    if certificate.is_iam:
        return "IAM server certificate"
    kind = {"IMPORTED": "imported", "AMAZON_ISSUED": "ACM-issued", "PRIVATE": "private"}
    return f"{kind.get(certificate.type, certificate.type)} ACM certificate"


NOT_IN_USE_ACTION = (
    "Not in use: delete it or let it lapse. Nothing uses this certificate, so its expiry cannot "
    "take a service down; if something is meant to use it, renew it first."
)


def action_text(certificate: Certificate) -> str:
    if certificate.in_use is False:
        return NOT_IN_USE_ACTION
    if certificate.is_iam:
        return (
            "Nothing renews an IAM server certificate. Upload a renewed certificate (better: "
            "import it into ACM, which warns before it expires), move every load balancer or "
            "CloudFront distribution that uses this one to it, then delete the old one."
        )
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
        "renewal status."
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
    if certificate.is_iam:
        return "unknown (IAM does not record it; check load balancers and CloudFront)"
    if certificate.in_use is None or (certificate.in_use and certificate.in_use_by is None):
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


def finding_id(certificate_arn: str, not_after: datetime) -> str:
    """One finding per certificate version: a renewal's next expiry starts NEW, even where
    someone suppressed the last one (Security Hub keeps SUPPRESSED across re-activation)."""
    stamp = not_after.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    finding = f"{GENERATOR_ID}/{certificate_arn}/{stamp}"
    if len(finding) <= 512:  # the ASFF limit; only a long IAM path gets near it
        return finding
    digest = hashlib.sha256(certificate_arn.encode()).hexdigest()
    return f"{GENERATOR_ID}/sha256:{digest}/{stamp}"


def _finding_id_of(assessment: Assessment) -> str:
    assert assessment.certificate.not_after is not None  # assessed, so it has an expiry
    return finding_id(assessment.certificate.arn, assessment.certificate.not_after)


def first_release_finding_id(certificate_arn: str) -> str:
    """The first release's Id, one per certificate: archived and replaced when met."""
    return f"{GENERATOR_ID}/{certificate_arn}"


def product_arn(partition: str, hub_region: str, account: str) -> str:
    return f"arn:{partition}:securityhub:{hub_region}:{account}:product/{account}/default"


def _capped(values: Sequence[str], limit: int = LISTED_IN_FINDING) -> list[str]:
    return [value[:2048] for value in values[:limit]]


def _acm_details(certificate: Certificate) -> dict[str, Any]:
    details: dict[str, Any] = {
        "DomainName": certificate.domain[:253],
        "SubjectAlternativeNames": _capped(certificate.subject_alternative_names),
        "Type": certificate.type,
        "Status": certificate.status,
        "KeyAlgorithm": certificate.key_algorithm,
        "InUseBy": _capped(certificate.in_use_by or ()),
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


def _resource(certificate: Certificate) -> dict[str, Any]:
    if certificate.is_iam:
        other = {
            "ServerCertificateName": certificate.domain,
            "Path": certificate.iam_path,
            "ServerCertificateId": certificate.iam_id,
            "UploadDate": iso(certificate.imported_at) if certificate.imported_at else None,
            "Expiration": iso(certificate.not_after) if certificate.not_after else None,
        }
        # ASFF's guidance for a resource type it does not list: Type Other, Details.Other.
        return {
            "Type": "Other",
            "Id": certificate.arn,
            "Partition": certificate.partition,
            "Details": {"Other": {k: v for k, v in other.items() if v}},
        }
    return {
        "Type": "AwsCertificateManagerCertificate",
        "Id": certificate.arn,
        "Partition": certificate.partition,
        "Region": certificate.region,
        "Details": {"AwsCertificateManagerCertificate": _acm_details(certificate)},
    }


def next_updated_at(now: datetime, existing: ExistingFinding | None) -> datetime:
    """Security Hub ignores an update whose UpdatedAt is older than the stored one."""
    if existing is None or existing.updated_at < now:
        return now
    return existing.updated_at + timedelta(milliseconds=1)


def in_use_field(certificate: Certificate) -> str:
    return "unknown" if certificate.in_use is None else str(certificate.in_use).lower()


def build_finding(
    assessment: Assessment,
    *,
    hub_region: str,
    hub_partition: str,
    expiry_days: int,
    existing: ExistingFinding | None,
) -> dict[str, Any]:
    """The ASFF finding for a certificate version inside the window."""
    cert = assessment.certificate
    assert cert.not_after is not None  # assessed, so it has an expiry
    now = assessment.now
    label = assessment.severity
    title = f"{'IAM server' if cert.is_iam else 'ACM'} certificate {cert.domain} "
    verb = "expired" if assessment.expired else "expires"
    ahead = "" if assessment.expired else f", {plural(assessment.days_left, 'day')} from now"
    description = (
        f"The {kind_text(cert)} {cert.domain} ({cert.arn}) {verb} on "
        f"{human_date(cert.not_after)}{ahead}, inside the {expiry_days}-day window. "
        f"Used by: {users_text(cert)}."
    )
    product_fields = {
        "DaysLeft": str(assessment.days_left),
        "NotAfter": iso(cert.not_after),
        "ExpiryDays": str(expiry_days),
        "CertificateType": cert.type,
        "InUse": in_use_field(cert),
        "InUseByCount": str(len(cert.in_use_by or ())),
        "SubjectAlternativeNameCount": str(len(cert.subject_alternative_names)),
    }
    finding: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(cert.arn, cert.not_after),
        "ProductArn": product_arn(hub_partition, hub_region, cert.account),
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
        "Title": (title + when_text(assessment))[:256],
        "Description": description[:1024],
        "Remediation": {
            "Recommendation": {
                "Text": action_text(cert)[:512],
                "Url": REMEDIATION_URLS.get(cert.type, REMEDIATION_URLS["AMAZON_ISSUED"]),
            }
        },
        "ProductFields": product_fields,
        "Resources": [_resource(cert)],
        "Compliance": {"Status": "FAILED"},
        "RecordState": "ACTIVE",
    }
    url = console_url(cert)
    if url:
        finding["SourceUrl"] = url
        product_fields["ConsoleUrl"] = url
    if len(json.dumps(finding)) > MAX_FINDING_BYTES:  # thousands of long names or users
        details = finding["Resources"][0]["Details"]["AwsCertificateManagerCertificate"]
        for key in ("SubjectAlternativeNames", "InUseBy"):
            if key in details:
                details[key] = details[key][:5]
    return finding


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


def existing_finding_from(
    raw: Mapping[str, Any], *, account: str, product: str
) -> ExistingFinding | None:
    """Read back one of our own active findings; None for anything else. GetFindings filters
    on account and product too, but an administrator's hub holds its members' findings of this
    generator, and archiving one of those would be rejected or, worse, close someone else's."""
    resources = raw.get("Resources") or [{}]
    arn = str(resources[0].get("Id", ""))
    if (
        raw.get("GeneratorId") != GENERATOR_ID
        or raw.get("AwsAccountId") != account
        or raw.get("ProductArn") != product
        or raw.get("RecordState", "ACTIVE") != "ACTIVE"
        or not arn
        or not str(raw.get("Id", "")).startswith(f"{GENERATOR_ID}/")
    ):
        return None
    updated = parse_timestamp(str(raw.get("UpdatedAt", ""))) or datetime.min.replace(
        tzinfo=timezone.utc
    )
    parts = parse_arn(arn) or {}
    region = GLOBAL_REGION if parts.get("service") == "iam" else parts.get("region", "")
    return ExistingFinding(
        id=str(raw["Id"]),
        certificate_arn=arn,
        region=str(resources[0].get("Region") or region),
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
    reasons: Mapping[str, str],
    existing: Sequence[ExistingFinding],
    hub_region: str,
    hub_partition: str,
    expiry_days: int,
    now: datetime,
) -> FindingPlan:
    """Which findings to write: one per certificate version in the window; archive the rest.

    Existing findings are matched to certificates by ``Resources[0].Id``. One of a certificate in
    the window but of another version (renewed, or the first release's Id) is archived and
    replaced; one of a certificate outside the window is archived with the reason in
    ``reasons`` (renewed, deleted, ignored), and left alone when this run has no reason.
    """
    by_id = {finding.id: finding for finding in existing}
    active = [
        build_finding(
            assessment,
            hub_region=hub_region,
            hub_partition=hub_partition,
            expiry_days=expiry_days,
            existing=by_id.get(_finding_id_of(assessment)),
        )
        for assessment in in_window
    ]
    current = {finding["Id"] for finding in active}
    current_by_arn = {finding["Resources"][0]["Id"]: finding["Id"] for finding in active}
    archived = []
    for finding in existing:
        if finding.id in current:
            continue
        replacement = current_by_arn.get(finding.certificate_arn)
        if replacement is not None:
            reason = (
                f"replaced by a finding per certificate version ({replacement})."
                if finding.id == first_release_finding_id(finding.certificate_arn)
                else f"the certificate was renewed or re-imported; its current version has "
                f"its own finding ({replacement})."
            )
        elif finding.certificate_arn in reasons:
            reason = reasons[finding.certificate_arn]
        else:
            continue
        archived.append(build_archived_finding(finding, reason, now))
    return FindingPlan(write=tuple(active + archived), active=len(active), archived=len(archived))


def outside_reason(assessment: Assessment, expiry_days: int) -> str:
    cert = assessment.certificate
    return (
        f"the certificate was renewed or re-imported; it now expires on "
        f"{human_date(cert.not_after) if cert.not_after else 'an unknown date'}, "
        f"{plural(assessment.days_left, 'day')} away, outside the {expiry_days}-day window."
    )


# The pure core: messages ########################################################################


def certificate_entry(assessment: Assessment) -> dict[str, Any]:
    """One certificate in the machine-readable document (see docs/messages.md)."""
    cert = assessment.certificate
    return {
        "arn": cert.arn,
        "kind": "iam" if cert.is_iam else "acm",
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
        "finding_id": _finding_id_of(assessment),
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
    ]
    if cert.is_iam:
        lines.append(f"   Kind:     IAM server certificate (account {cert.account}), not in ACM")
    else:
        lines += [
            f"   Region:   {cert.region} (account {cert.account})",
            f"   Type:     {cert.type}, {cert.key_algorithm}, status {cert.status}",
        ]
    lines.append(f"   Used by:  {users_text(cert)}")
    url = console_url(cert)
    if url:
        lines.append(f"   Console:  {url}")
    lines.append(f"   To do:    {action_text(cert)}")
    return "\n".join(lines) + "\n\n"


def _escaped_bytes(text: str) -> int:
    """Bytes ``text`` takes inside a JSON string; JSON escaping works character by character,
    so the size of a concatenation is the sum of the sizes of its pieces."""
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8")) - 2


def _envelope(text: str, document: Mapping[str, Any], short: str) -> str:
    # SQS, Lambda, HTTP/S, Firehose and email-json subscribers fall back to "default": the
    # document appears once, which leaves room for more certificates per message.
    machine = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return json.dumps({"default": machine, "email": text, "sms": short}, ensure_ascii=False)


@dataclass(frozen=True)
class MessageHeader:
    trigger: str
    scope: str
    expiry_days: int
    now: datetime


def _render(
    header: MessageHeader,
    assessments: Sequence[Assessment],
    part: int,
    parts: int,
    first: int,
    *,
    heading: tuple[int, int] | None = None,
) -> Notification:
    """One message. ``heading`` overrides the counts the subject and intro give (certificates,
    expired), to measure the longest heading any part of a digest can have."""
    count, expired = heading or (len(assessments), sum(a.expired for a in assessments))
    if header.trigger == SCHEDULED_DETAIL_TYPE:
        noun, verb, has = (
            ("certificate", "expires", "has") if count == 1 else ("certificates", "expire", "have")
        )
        subject = fit_subject(
            f"{count} {noun} {verb} within {header.expiry_days} days"
            + (f" ({expired} expired)" if expired else ""),
            "",
        )
        intro = (
            f"{count} {noun} in this message {verb} within {header.expiry_days} days or "
            f"{has} expired ({header.scope}, {human_date(header.now)}). Most urgent first."
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
        intro += f" Part {part} of {parts}."
    text = (
        intro
        + "\n\n"
        + "".join(certificate_text(first + i, a) for i, a in enumerate(assessments))
        + "Sent by the handle-expiring-certificates Lambda function.\n"
    )
    document = {
        "version": DOCUMENT_VERSION,
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
        message=_envelope(text, document, subject),
        certificate_arns=tuple(a.certificate.arn for a in assessments),
    )


def _size(notification: Notification) -> int:
    return len(notification.message.encode("utf-8"))


def _entry_bytes(number: int, assessment: Assessment) -> int:
    """What one certificate adds to a published message: its text once, and its JSON entry
    (and a comma) once, escaped inside the "default" string."""
    entry = json.dumps(certificate_entry(assessment), ensure_ascii=False, separators=(",", ":"))
    return _escaped_bytes(certificate_text(number, assessment)) + _escaped_bytes(entry + ",")


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
    # All but the entries, with part numbers and counts as wide as they get in any part: an
    # upper bound, so every part packed within the limit is rendered within it.
    heading = (len(ordered), sum(a.expired for a in ordered))
    base = _size(_render(header, ordered[:1], 9999, 9999, 1, heading=heading)) - costs[0]
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


# The pure core: metrics #########################################################################


def metric_values(summary: Mapping[str, Any]) -> dict[str, int]:
    """The numbers a dashboard graphs and an alarm watches, read off the returned summary."""
    entries = summary.get("in_window", [])
    findings = summary.get("findings", {})
    in_use = [entry for entry in entries if entry["in_use"] is not False]
    values = {
        "CertificatesInWindow": len(entries),
        "CertificatesExpired": sum(entry["expired"] for entry in entries),
        "CertificatesInUse": len(in_use),
        "ExpiredInUse": sum(entry["expired"] for entry in in_use),
        **{
            label.title(): sum(entry["severity"] == label for entry in entries)
            for label in SEVERITY_ORDER
        },
        "FindingsWritten": findings.get("written", 0),
        "FindingsArchived": findings.get("archived", 0),
        "FindingsFailed": findings.get("failed", 0),
        "MessagesSent": len(summary.get("notification", {}).get("message_ids", [])),
        "Failures": len(summary.get("errors", [])),
    }
    if summary.get("mode") == "scan":
        # Complete means everything was read and written: a hub switched off is no error of a
        # run, but a monitor whose findings go nowhere is not alive either.
        complete = not summary.get("errors") and findings.get("skipped") in (None, "dry run")
        values[HEARTBEAT_METRIC] = int(complete)
    return values


def build_metrics(
    summary: Mapping[str, Any], *, function_name: str, now: datetime
) -> dict[str, Any]:
    """One CloudWatch embedded-metric-format document. Dimensions are low-cardinality on
    purpose: every distinct value is a metric CloudWatch bills for."""
    values = metric_values(summary)
    return {
        "_aws": {
            "Timestamp": int(now.timestamp() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": METRICS_NAMESPACE,
                    "Dimensions": [list(METRIC_DIMENSIONS)],
                    "Metrics": [{"Name": name, "Unit": "Count"} for name in values],
                }
            ],
        },
        "FunctionName": function_name,
        "Mode": summary.get("mode", "scan"),
        **values,
    }


# The AWS gateway: the only code that calls boto3 ###############################################


def _parse_timestamp(value: str | float) -> datetime:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return botocore.utils.parse_timestamp(value)


class AwsClients:
    """Creates clients, one per service, region and retry budget, kept across warm invocations.

    A session is not thread-safe: the handler asks for every client it needs before it fans out.
    """

    def __init__(self, session: botocore.session.Session | None = None) -> None:
        core = session or botocore.session.get_session()
        # botocore turns each epoch number into a tzlocal datetime through dateutil: most of the
        # CPU of parsing a listing. The numbers ACM sends need only fromtimestamp.
        parsers = core.get_component("response_parser_factory")
        parsers.set_parser_defaults(timestamp_parser=_parse_timestamp)
        self._session = boto3.session.Session(botocore_session=core)
        self._clients: dict[tuple[str, str, bool], Any] = {}

    def _client(self, service: str, region: str, quick: bool = False) -> Any:
        key = (service, region, quick)
        if key not in self._clients:
            self._clients[key] = self._session.client(
                service,  # type: ignore[call-overload]
                region_name=region,
                config=DESCRIBE_CONFIG if quick else CALL_CONFIG,
            )
        return self._clients[key]

    def acm(self, region: str, *, quick: bool = False) -> ACMClient:
        """``quick``: for describes that only add detail, with fewer retries."""
        return self._client("acm", region, quick)  # type: ignore[no-any-return]

    def cloudwatch(self, region: str) -> CloudWatchClient:
        return self._client("cloudwatch", region)  # type: ignore[no-any-return]

    def iam(self, region: str) -> IAMClient:
        return self._client("iam", region)  # type: ignore[no-any-return]

    def securityhub(self, region: str) -> SecurityHubClient:
        return self._client("securityhub", region)  # type: ignore[no-any-return]

    def sns(self, region: str) -> SNSClient:
        return self._client("sns", region)  # type: ignore[no-any-return]

    def sts(self, region: str) -> STSClient:
        return self._client("sts", region)  # type: ignore[no-any-return]

    def partition(self, region: str) -> str:
        return self._session.get_partition_for_region(region)


@functools.lru_cache(maxsize=1)
def default_clients() -> AwsClients:
    """Reused across warm invocations so connections and credentials are not set up again."""
    return AwsClients()


@dataclass(frozen=True)
class Deadline:
    """The Lambda context's clock: a call starts only if it can end, retries and all, with
    time left to write findings and publish."""

    context: object

    def allows(self, call_ms: int) -> bool:
        remaining = getattr(self.context, "get_remaining_time_in_millis", None)
        return not callable(remaining) or remaining() >= call_ms + WRITE_RESERVE_MS


def error_code(error: Exception) -> str:
    if isinstance(error, botocore.exceptions.ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__


AWS_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


class SearchUnavailableError(Exception):
    """SearchCertificates is not there (an older SDK or endpoint) or not allowed."""


def _search_unavailable(error: botocore.exceptions.ClientError) -> bool:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(error) in SEARCH_UNAVAILABLE_CODES or status == 404


def search_window(acm: ACMClient, end: datetime) -> list[Certificate]:
    """Every certificate of the region whose NotAfter is at or before ``end``, expired ones
    included: what expires, not what exists."""
    if not hasattr(acm, "search_certificates") or not acm.can_paginate("search_certificates"):
        # A Lambda runtime bundles an older botocore than PyPI; a pasted file runs on that.
        raise SearchUnavailableError("this SDK's ACM client has no SearchCertificates")
    pages = acm.get_paginator("search_certificates").paginate(
        FilterStatement={"Filter": {"X509AttributeFilter": {"NotAfter": {"End": end}}}},
        PaginationConfig={"PageSize": SEARCH_CERTIFICATES_PAGE},
    )
    try:
        return [
            certificate_from_search(result) for page in pages for result in page.get("Results", [])
        ]
    except botocore.exceptions.ClientError as error:
        if _search_unavailable(error):
            raise SearchUnavailableError(f"{error_code(error)}: {error}") from error
        raise


def list_certificates(acm: ACMClient) -> Iterator[Certificate]:
    """Every certificate of every key type, a page at a time."""
    pages = acm.get_paginator("list_certificates").paginate(
        Includes={"keyTypes": list(ACM_KEY_TYPES)},
        PaginationConfig={"PageSize": LIST_CERTIFICATES_PAGE},
    )
    for page in pages:
        for summary in page.get("CertificateSummaryList", []):
            yield certificate_from_acm(summary, described=False)


def list_server_certificates(iam: IAMClient) -> list[Certificate]:
    pages = iam.get_paginator("list_server_certificates").paginate()
    return [
        certificate_from_iam(metadata)
        for page in pages
        for metadata in page.get("ServerCertificateMetadataList", [])
    ]


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


def latest_days_to_expiry(
    cloudwatch: CloudWatchClient, arns: Sequence[str], now: datetime
) -> dict[str, float]:
    """The latest DaysToExpiry of each certificate that has one in the last two days."""
    queries: list[Any] = [
        {
            "Id": f"c{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": DAYS_TO_EXPIRY_NAMESPACE,
                    "MetricName": DAYS_TO_EXPIRY_METRIC,
                    "Dimensions": [{"Name": "CertificateArn", "Value": arn}],
                },
                "Period": 86400,
                "Stat": "Minimum",
            },
            "ReturnData": True,
        }
        for index, arn in enumerate(arns)
    ]
    pages = cloudwatch.get_paginator("get_metric_data").paginate(
        MetricDataQueries=queries,
        StartTime=now - METRIC_LOOKBACK,
        # Up to the hour after: a value published while this run started still counts.
        EndTime=now + timedelta(hours=1),
        ScanBy="TimestampDescending",
    )
    latest: dict[str, float] = {}
    for page in pages:
        for result in page.get("MetricDataResults", []):
            values = result.get("Values") or []
            if values:
                latest.setdefault(arns[int(result["Id"][1:])], float(values[0]))
    return latest


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


def caller_account(sts: STSClient) -> str:
    """GetCallerIdentity needs no permission: any role may ask who it is."""
    return str(sts.get_caller_identity()["Account"])


class HubNotEnabledError(Exception):
    pass


def _hub_not_enabled(error: botocore.exceptions.ClientError) -> bool:
    return error_code(error) == "InvalidAccessException"


def read_own_findings(
    securityhub: SecurityHubClient,
    *,
    account: str,
    product: str,
    resource_arn: str | None = None,
) -> list[ExistingFinding]:
    """Active findings of this generator, this account and its own product, of every
    certificate or of one."""
    filters: dict[str, Any] = {
        "GeneratorId": [{"Value": GENERATOR_ID, "Comparison": "EQUALS"}],
        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
        "AwsAccountId": [{"Value": account, "Comparison": "EQUALS"}],
        "ProductArn": [{"Value": product, "Comparison": "EQUALS"}],
    }
    if resource_arn:
        filters["ResourceId"] = [{"Value": resource_arn, "Comparison": "EQUALS"}]
    pages = securityhub.get_paginator("get_findings").paginate(
        Filters=filters,  # type: ignore[arg-type]
        PaginationConfig={"PageSize": FINDINGS_PAGE},
    )
    try:
        found = [
            existing_finding_from(raw, account=account, product=product)
            for page in pages
            for raw in page.get("Findings", [])
        ]
    except botocore.exceptions.ClientError as error:
        if _hub_not_enabled(error):
            raise HubNotEnabledError(str(error)) from error
        raise
    return [
        finding
        for finding in found
        if finding is not None and resource_arn in (None, finding.certificate_arn)
    ]


@dataclass(frozen=True)
class ImportFailure:
    finding_id: str
    code: str
    message: str


def import_batches(findings: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """At most 100 findings and a few MB a request: BatchImportFindings' limits."""
    batches: list[list[Mapping[str, Any]]] = [[]]
    size = 0
    for finding in findings:
        cost = len(json.dumps(finding, ensure_ascii=False).encode("utf-8"))
        if batches[-1] and (
            len(batches[-1]) == FINDINGS_PER_IMPORT or size + cost > MAX_IMPORT_BYTES
        ):
            batches.append([])
            size = 0
        batches[-1].append(finding)
        size += cost
    return [batch for batch in batches if batch]


def import_findings(
    securityhub: SecurityHubClient, findings: Sequence[Mapping[str, Any]]
) -> list[ImportFailure]:
    """Write findings in batches, a few side by side."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=IMPORT_WORKERS) as pool:
        results = list(
            pool.map(lambda batch: _import_batch(securityhub, batch), import_batches(findings))
        )
    return [failure for failures in results for failure in failures]


def _import_batch(
    securityhub: SecurityHubClient, batch: list[Mapping[str, Any]]
) -> list[ImportFailure]:
    """One BatchImportFindings; those that failed for a passing reason are sent once more."""
    failures: list[ImportFailure] = []
    for attempt in (1, 2):
        try:
            response = securityhub.batch_import_findings(Findings=batch)  # type: ignore[arg-type]
        except botocore.exceptions.ClientError as error:
            if _hub_not_enabled(error):
                raise HubNotEnabledError(str(error)) from error
            return failures + [
                ImportFailure(str(f["Id"]), error_code(error), str(error)) for f in batch
            ]
        except botocore.exceptions.BotoCoreError as error:
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


@dataclass(frozen=True)
class Listing:
    """What one listing task found. Each task returns one; the handler gathers them."""

    task: str  # "certificates", "metrics" or "iam"
    region: str
    source: str
    certificates: tuple[Certificate, ...] = ()
    metric_arns: frozenset[str] = frozenset()
    complete: bool = True  # every certificate there was seen, so a missing one is gone
    failure: str | None = None  # could not read: the run is incomplete
    fallback: str | None = None  # why SearchCertificates was not used


def find_certificates(region: str, acm: ACMClient, end: datetime) -> Listing:
    """The region's certificates in the window (a search), or all of them (a listing)."""
    try:
        found = search_window(acm, end)
        return Listing("certificates", region, "SearchCertificates", tuple(found))
    except SearchUnavailableError as unavailable:
        fallback = str(unavailable)
    except AWS_ERRORS as error:
        failure = f"SearchCertificates in {region} failed ({error_code(error)}): {error}"
        return Listing(
            "certificates", region, "SearchCertificates", complete=False, failure=failure
        )
    try:
        listed = tuple(list_certificates(acm))
        return Listing("certificates", region, "ListCertificates", listed, fallback=fallback)
    except AWS_ERRORS as error:
        failure = f"ListCertificates in {region} failed ({error_code(error)}): {error}"
        return Listing(
            "certificates",
            region,
            "ListCertificates",
            complete=False,
            failure=failure,
            fallback=fallback,
        )


def find_metric_arns(region: str, cloudwatch: CloudWatchClient) -> Listing:
    try:
        arns = frozenset(list_metric_certificate_arns(cloudwatch))
        return Listing("metrics", region, "ListMetrics", metric_arns=arns)
    except AWS_ERRORS as error:
        # A second source only: the search or listing still covers the region.
        return Listing(
            "metrics",
            region,
            "ListMetrics",
            complete=False,
            fallback=f"ListMetrics in {region} failed ({error_code(error)}): {error}",
        )


def find_metric_values(
    region: str, cloudwatch: CloudWatchClient, arns: Sequence[str], now: datetime
) -> tuple[dict[str, float], str | None]:
    """The latest DaysToExpiry of up to 500 certificates, or why it could not be read."""
    try:
        return latest_days_to_expiry(cloudwatch, arns, now), None
    except AWS_ERRORS as error:
        return {}, f"GetMetricData in {region} failed ({error_code(error)}): {error}"


def find_server_certificates(iam: IAMClient) -> Listing:
    try:
        found = tuple(list_server_certificates(iam))
        return Listing("iam", GLOBAL_REGION, "ListServerCertificates", found)
    except AWS_ERRORS as error:
        failure = f"ListServerCertificates failed ({error_code(error)}): {error}"
        return Listing(
            "iam", GLOBAL_REGION, "ListServerCertificates", complete=False, failure=failure
        )


def examine(
    arn: str,
    known: Certificate | None,
    acm: ACMClient | None,
    config: Config,
    now: datetime,
    deadline: Deadline,
) -> Outcome:
    """Complete what is known of one certificate (describe it where the finding needs more,
    read its tags where IGNORE_TAG is set) and judge it. ``known`` is what a search or listing
    gave, None when only the ARN is known. ``acm`` is None for an IAM server certificate."""
    warnings: list[str] = []
    certificate = known
    not_described = False
    if known is None or known.needs_description:
        described: Certificate | None = known
        if acm is None or not deadline.allows(DESCRIBE_WORST_MS):
            not_described = True
        else:
            try:
                described = describe_certificate(acm, arn)
                if described is None:
                    return Outcome(arn, "gone", reason="the certificate no longer exists in ACM.")
            except AWS_ERRORS as error:
                warnings.append(f"DescribeCertificate {arn} failed ({error_code(error)}): {error}")
        if described is None:
            return Outcome(arn, "unknown", warnings=tuple(warnings), not_described=not_described)
        certificate = described
    assert certificate is not None
    assessment = assess(certificate, now, config.expiry_days)
    if assessment is None:
        reason = f"it has no expiry date (status {certificate.status})."
        return Outcome(arn, "outside", reason=reason, warnings=tuple(warnings))
    if not assessment.in_window:
        reason = outside_reason(assessment, config.expiry_days)
        return Outcome(arn, "outside", assessment, reason, tuple(warnings))
    if config.ignore_tag is not None and acm is not None and not certificate.is_iam:
        try:
            tags = certificate_tags(acm, arn)
        except AWS_ERRORS as error:
            warnings.append(f"ListTagsForCertificate {arn} failed ({error_code(error)}): {error}")
            tags = {}
        if config.ignore_tag.matches(tags):
            reason = f"the certificate carries the ignore tag {config.ignore_tag}."
            return Outcome(arn, "ignored", assessment, reason, tuple(warnings))
    return Outcome(
        arn, "in_window", assessment, warnings=tuple(warnings), not_described=not_described
    )


@dataclass(frozen=True)
class ExistingFindings:
    """The hub's own active findings, or why they could not be read."""

    findings: tuple[ExistingFinding, ...] = ()
    hub_off: str | None = None  # Security Hub is not enabled in the hub region
    failure: str | None = None  # GetFindings failed: write, but archive nothing


def read_existing(
    securityhub: SecurityHubClient,
    hub_region: str,
    account: str,
    product: str,
    resource_arn: str | None = None,
) -> ExistingFindings:
    try:
        found = read_own_findings(
            securityhub, account=account, product=product, resource_arn=resource_arn
        )
        return ExistingFindings(tuple(found))
    except HubNotEnabledError:
        return ExistingFindings(hub_off=hub_off_reason(hub_region))
    except AWS_ERRORS as error:
        return ExistingFindings(
            failure=f"GetFindings in {hub_region} failed ({error_code(error)}); findings are "
            f"written but none archived: {error}"
        )


def hub_off_reason(hub_region: str) -> str:
    return f"Security Hub is not enabled in {hub_region}; findings were not written"


@dataclass(frozen=True)
class Examination:
    """What a trigger's examination gathered, for findings and messages."""

    outcomes: tuple[Outcome, ...]
    reasons: Mapping[str, str]  # ARN -> why its findings close
    existing: ExistingFindings
    examined: int


def _gone_note(arn: str, listed: Mapping[str, Certificate], metric_only: set[str]) -> str:
    if arn in listed:
        return "deleted after it was listed"
    if arn in metric_only:
        return "deleted; its DaysToExpiry metric lingers"
    return "deleted; its finding is archived"


def examine_scan(
    config: Config, clients: AwsClients, now: datetime, deadline: Deadline, summary: Summary
) -> Examination:
    """Search (or list) every scanned region and IAM, then complete what is in the window.

    Two pools, one per kind of wait: listings (a task per region and source) and describes.
    The describes start as soon as the certificates are found; the DaysToExpiry metrics, the
    only listing that grows with every certificate the account holds, are gathered meanwhile.
    """
    end = now + timedelta(days=config.expiry_days)
    regions = config.scan_regions
    quick = {region: clients.acm(region, quick=True) for region in regions}
    finders: list[Callable[[], Listing]] = [
        functools.partial(find_certificates, region, clients.acm(region), end) for region in regions
    ]
    if config.include_iam:
        finders.append(
            functools.partial(find_server_certificates, clients.iam(config.function_region))
        )
    metric_finders = [
        functools.partial(find_metric_arns, region, clients.cloudwatch(region))
        for region in regions
    ]
    hub_region = config.security_hub_region
    hub = clients.securityhub(hub_region)
    sts = clients.sts(config.function_region)
    partition = clients.partition(hub_region)
    with (
        concurrent.futures.ThreadPoolExecutor(len(finders) + len(regions)) as listers,
        concurrent.futures.ThreadPoolExecutor(DESCRIBE_WORKERS) as describers,
    ):
        metric_listings = [listers.submit(finder) for finder in metric_finders]
        listings = list(listers.map(lambda finder: finder(), finders))

        listed: dict[str, Certificate] = {}
        covered: set[str] = set()
        fallbacks: list[str] = []
        for listing in listings:
            if listing.failure:
                summary.fail(listing.failure)
            if listing.complete:
                covered.add(listing.region)
            if listing.fallback:
                fallbacks.append(f"{listing.region}: {listing.fallback}")
            listed.update((certificate.arn, certificate) for certificate in listing.certificates)
        sources = [listing.source for listing in listings if listing.task == "certificates"]
        summary.source = ", ".join(dict.fromkeys(sources)) or None
        if fallbacks:
            summary.warn(
                "SearchCertificates is unavailable, so every certificate was listed instead "
                f"(ListCertificates, all key types): {'; '.join(fallbacks)}"
            )

        in_window: dict[str, Certificate] = {}
        outside: dict[str, Assessment | str] = {}
        for arn, certificate in listed.items():
            assessment = assess(certificate, now, config.expiry_days)
            if assessment is None:
                outside[arn] = f"it has no expiry date (status {certificate.status})."
            elif assessment.in_window:
                in_window[arn] = certificate
            else:
                outside[arn] = assessment

        def examining(arn: str, known: Certificate | None) -> concurrent.futures.Future[Outcome]:
            acm = quick.get(_region_of(arn))
            return describers.submit(examine, arn, known, acm, config, now, deadline)

        futures = [examining(arn, certificate) for arn, certificate in in_window.items()]

        account = next((c.account for c in listed.values() if c.account), None)
        if account is None:
            try:
                account = caller_account(sts)
            except AWS_ERRORS as error:
                summary.fail(f"GetCallerIdentity failed ({error_code(error)}): {error}")
        summary.account = account
        # The hub's findings are read while the describes run.
        existing = (
            read_existing(hub, hub_region, account, product_arn(partition, hub_region, account))
            if account
            else ExistingFindings(failure="the account is unknown; no finding was read")
        )

        # ACM keeps a DaysToExpiry metric for every certificate: those the search did not
        # return are outside the window, gone (a metric lingers two weeks), or not searchable
        # yet. Their latest values tell which are worth asking ACM about.
        unlisted: list[tuple[str, list[str]]] = []
        for future in metric_listings:
            metric_listing = future.result()
            if metric_listing.fallback:
                summary.warn(f"{metric_listing.fallback}; carrying on with the search alone")
            arns = sorted(metric_listing.metric_arns - listed.keys())
            unlisted += [
                (metric_listing.region, arns[start : start + METRIC_QUERIES_PER_CALL])
                for start in range(0, len(arns), METRIC_QUERIES_PER_CALL)
            ]
        valuing = [
            listers.submit(find_metric_values, region, clients.cloudwatch(region), arns, now)
            for region, arns in unlisted
        ]
        metric_only: set[str] = set()
        valued: set[str] = set()  # certificates whose expiry a metric told
        for values in valuing:
            latest, problem = values.result()
            if problem:
                summary.warn(f"{problem}; carrying on with the search alone")
            valued |= latest.keys()
            # A value is up to a day old: one day of slack keeps the window's edge.
            metric_only |= {arn for arn, days in latest.items() if days <= config.expiry_days + 1}
        futures += [examining(arn, None) for arn in sorted(metric_only)]

        reasons: dict[str, str] = {}
        checked: set[str] = set()
        for finding in existing.findings:
            arn = finding.certificate_arn
            if arn in in_window or arn in metric_only or arn in checked:
                continue
            if arn in outside:
                known = outside[arn]
                reasons[arn] = (
                    outside_reason(known, config.expiry_days)
                    if isinstance(known, Assessment)
                    else known
                )
            elif finding.region == GLOBAL_REGION:
                if GLOBAL_REGION in covered:
                    reasons[arn] = "the IAM server certificate no longer exists."
            elif finding.region in covered and finding.region in quick:
                # Not in the search: renewed out of the window, or deleted. Ask.
                checked.add(arn)
                futures.append(examining(arn, None))
        outcomes = tuple(future.result() for future in futures)

    for outcome in outcomes:
        for warning in outcome.warnings:
            summary.warn(warning)
        if outcome.status == "gone":
            summary.skip(outcome.arn, _gone_note(outcome.arn, listed, metric_only))
        elif outcome.status == "ignored":
            summary.skip(outcome.arn, f"ignored by tag {config.ignore_tag}")
        if outcome.known:
            reasons[outcome.arn] = outcome.reason
        summary.not_examined += outcome.not_described
    seen = {o.arn for o in outcomes if o.status in ("in_window", "outside", "ignored")}
    gone = {o.arn for o in outcomes if o.status == "gone"}
    examined = len((listed.keys() | valued | seen) - gone)
    return Examination(outcomes, reasons, existing, examined)


def _region_of(arn: str) -> str:
    return (parse_arn(arn) or {}).get("region", "")


def _account_of(arn: str) -> str | None:
    return (parse_arn(arn) or {}).get("account") or None


OPTION_1_OUTCOMES = {
    "in_window": "in_window",
    "outside": "outside_window",
    "gone": "not_found",
    "ignored": "ignored",
    "unknown": "failed",
}


def examine_certificate(
    trigger: CertificateEvent,
    config: Config,
    clients: AwsClients,
    now: datetime,
    deadline: Deadline,
    summary: Summary,
) -> Examination:
    arn = trigger.certificate_arn
    outcome = examine(arn, None, clients.acm(trigger.region), config, now, deadline)
    summary.outcome = OPTION_1_OUTCOMES[outcome.status]
    summary.account = _account_of(arn)
    if outcome.status == "unknown":
        for warning in outcome.warnings or (f"DescribeCertificate {arn}: no time left",):
            summary.fail(warning)
        return Examination((outcome,), {}, ExistingFindings(), 0)
    for warning in outcome.warnings:
        summary.warn(warning)
    if outcome.status == "gone":
        summary.skip(arn, "the certificate no longer exists")
    elif outcome.status == "ignored":
        summary.skip(arn, f"ignored by tag {config.ignore_tag}")
    elif outcome.status == "outside":
        LOGGER.info("%s is outside the %d-day window: nothing new", arn, config.expiry_days)
    hub_region = config.security_hub_region
    product = product_arn(clients.partition(hub_region), hub_region, summary.account or "")
    existing = read_existing(
        clients.securityhub(hub_region), hub_region, summary.account or "", product, arn
    )
    reasons = {arn: outcome.reason} if outcome.known else {}
    return Examination((outcome,), reasons, existing, int(outcome.status != "gone"))


@dataclass(frozen=True)
class Written:
    """What writing findings did, for the summary."""

    written: int = 0
    archived: int = 0
    failed: int = 0
    skipped: str | None = None
    failures: tuple[str, ...] = ()


def write_findings(plan: FindingPlan, securityhub: SecurityHubClient, hub_region: str) -> Written:
    if not plan.write:
        return Written()
    try:
        failures = import_findings(securityhub, plan.write)
    except HubNotEnabledError:
        return Written(skipped=hub_off_reason(hub_region))
    failed_ids = {failure.finding_id for failure in failures}
    return Written(
        written=sum(1 for f in plan.write[: plan.active] if f["Id"] not in failed_ids),
        archived=sum(1 for f in plan.write[plan.active :] if f["Id"] not in failed_ids),
        failed=len(failed_ids),
        failures=tuple(
            f"BatchImportFindings rejected {failure.finding_id}: {failure.code} {failure.message}"
            for failure in failures
        ),
    )


@dataclass(frozen=True)
class Sent:
    message_ids: tuple[str, ...] = ()
    failures: tuple[str, ...] = ()


def send_notifications(
    notifications: Sequence[Notification], topic_arn: str, clients: AwsClients
) -> Sent:
    sns = clients.sns(_region_of(topic_arn))
    message_ids: list[str] = []
    failures: list[str] = []
    for notification in notifications:
        try:
            message_ids.append(publish(sns, topic_arn, notification))
        except AWS_ERRORS as error:
            failures.append(f"Publish to {topic_arn} failed ({error_code(error)}): {error}")
    return Sent(tuple(message_ids), tuple(failures))


# The summary's entry of a certificate in the window: the document's, less what only a person
# or a ticket needs.
SUMMARY_ENTRY_KEYS = (
    "arn",
    "kind",
    "domain",
    "region",
    "days_left",
    "expired",
    "severity",
    "not_after",
    "type",
    "in_use",
    "in_use_by",
    "finding_id",
)


def _in_window_entry(assessment: Assessment) -> dict[str, Any]:
    entry = certificate_entry(assessment)
    return {key: entry[key] for key in SUMMARY_ENTRY_KEYS}


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
    if isinstance(trigger, ScheduledScan):
        examination = examine_scan(config, clients, now, deadline, summary)
        scope = f"scan of {', '.join(config.scan_regions)}" + (
            " and IAM" if config.include_iam else ""
        )
    else:
        examination = examine_certificate(trigger, config, clients, now, deadline, summary)
        scope = f"certificate {trigger.certificate_arn}"
    in_window = by_urgency(
        o.assessment
        for o in examination.outcomes
        if o.status == "in_window" and o.assessment is not None
    )
    summary.certificates_examined = examination.examined
    summary.in_window = [_in_window_entry(a) for a in in_window]
    if summary.not_examined:
        summary.warn(
            f"The Lambda deadline was near: {summary.not_examined} certificate(s) were not "
            f"described; their findings and messages use what the search or listing gave"
        )

    if is_scan:
        notify = in_window
        reason = (
            "nothing found to report, but the scan is incomplete (see the errors)"
            if summary.errors
            else "no certificate is inside the window"
        )
    else:
        notify = [a for a in in_window if should_notify(a, config.notify_days)]
        reason = (
            "NOTIFY_DAYS does not include this day"
            if in_window and not notify
            else f"the certificate is not inside the window ({summary.outcome})"
        )
    notifications = build_notifications(
        MessageHeader(trigger.detail_type, scope, config.expiry_days, now), notify
    )

    hub_region = config.security_hub_region
    existing = examination.existing
    if existing.failure:
        summary.fail(existing.failure)
    plan = plan_findings(
        in_window=in_window,
        reasons=examination.reasons if not existing.failure else {},
        existing=existing.findings,
        hub_region=hub_region,
        hub_partition=clients.partition(hub_region),
        expiry_days=config.expiry_days,
        now=now,
    )
    summary.findings = {"hub_region": hub_region, "written": 0, "archived": 0, "failed": 0}
    summary.findings["skipped"] = existing.hub_off or ("dry run" if config.dry_run else None)
    summary.notification = {"message_ids": [], "parts": len(notifications), "reason": None}
    if not notifications:
        summary.notification["reason"] = reason
    elif config.sns_topic_arn is None:
        summary.notification["reason"] = "SNS_TOPIC_ARN is not set"
    elif config.dry_run:
        summary.notification["reason"] = "dry run"

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
        summary.would_send = [
            {"subject": n.subject, "bytes": _size(n), "text": n.text} for n in notifications
        ]
        return summary

    write = existing.hub_off is None and (existing.failure is None or plan.active)
    topic = config.sns_topic_arn
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as writer:
        # Findings and messages do not depend on each other: write the one while sending the
        # other, so a failure of either never holds up the other.
        writing = (
            writer.submit(write_findings, plan, clients.securityhub(hub_region), hub_region)
            if write
            else None
        )
        sent = (
            send_notifications(notifications, topic, clients) if topic and notifications else Sent()
        )
        written = writing.result() if writing else Written()
    if written.skipped:
        summary.findings["skipped"] = written.skipped
    if summary.findings["skipped"] and not config.dry_run:
        summary.warn(summary.findings["skipped"])
    summary.findings.update(
        written=written.written, archived=written.archived, failed=written.failed
    )
    for failure in (*written.failures, *sent.failures):
        summary.fail(failure)
    summary.notification["message_ids"] = list(sent.message_ids)
    return summary


def _function_name(context: object, environ: Mapping[str, str]) -> str:
    return str(
        getattr(context, "function_name", None)
        or environ.get("AWS_LAMBDA_FUNCTION_NAME")
        or "local"
    )


def lambda_handler(
    event: object,
    context: object,
    *,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
    clients: AwsClients | None = None,
    emit: Callable[[str], object] | None = None,
) -> dict[str, Any]:
    """Lambda entry point; ``environ``, ``now``, ``clients`` and ``emit`` (where the metrics
    line goes, stdout by default) are for tests and local runs."""
    env = os.environ if environ is None else environ
    if not env.get("AWS_LAMBDA_LOG_LEVEL"):
        # Under Lambda's JSON log format the runtime sets the level the user chose; otherwise
        # the root logger's default (WARNING) would hide the one INFO line per invocation.
        LOGGER.setLevel(logging.INFO)
    config = Config.from_environ(env)
    trigger = parse_event(event)
    moment = now or datetime.now(timezone.utc)
    summary = run(
        trigger,
        config,
        now=moment,
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
    # A bare JSON line on stdout: CloudWatch extracts it under Lambda's text and JSON log
    # formats alike (print output is passed through, not wrapped), and needs no permission.
    metrics = build_metrics(result, function_name=_function_name(context, env), now=moment)
    (emit or print)(json.dumps(metrics, separators=(",", ":")))
    if summary.errors:
        raise IncompleteRunError(result)
    return result


# Local run ######################################################################################


def _headline(summary: Mapping[str, Any]) -> str:
    """What happened, in words: a certificate not found is not "0 inside the window"."""
    count = len(summary["in_window"])
    window = f"the {summary['expiry_days']}-day window"
    if summary["mode"] == "certificate":
        return {
            "not_found": "The certificate no longer exists in ACM.",
            "failed": "The certificate could not be read (see the errors below).",
            "outside_window": f"The certificate is outside {window}.",
            "ignored": "The certificate carries the ignore tag; it is left alone.",
        }.get(summary["outcome"], f"The certificate is inside {window}.")
    regions = ", ".join(summary["regions"])
    if summary["errors"] and not summary["certificates_examined"]:
        return f"Could not list the certificates of {regions} (see the errors below)."
    return (
        f"{count} of {summary['certificates_examined']} certificate(s) examined are inside "
        f"{window} (scan of {regions}; found with {summary.get('source') or 'nothing'})."
    )


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
    lines = (
        [
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in rows
        ]
        if len(rows) > 1
        else []
    )
    findings = summary.get("findings", {})
    note = summary["notification"]
    lines += [
        "",
        _headline(summary),
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
    return "\n".join(lines).lstrip("\n")


CLI_EPILOG = """\
settings (environment variables, as in Lambda):
  EXPIRY_DAYS, SNS_TOPIC_ARN, SECURITY_HUB_REGION, SCAN_REGIONS,
  INCLUDE_IAM_SERVER_CERTIFICATES, NOTIFY_DAYS, DRY_RUN, IGNORE_TAG
  (see the top of this file, or the settings table in the README), and the
  usual AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL.

exit codes:
  0  done; 1  done, but something could not be read, written or sent (see Error:);
  2  nothing done: a bad setting or event, no credentials or no region.

examples:
  python3 handle_expiring_certificates.py --dry-run
  python3 handle_expiring_certificates.py --dry-run --event events/acm-approaching-expiration.json
  SCAN_REGIONS=us-east-1,eu-west-1 python3 handle_expiring_certificates.py --region us-east-1 --json
"""


def main(argv: Sequence[str] | None = None) -> int:
    """``python handle_expiring_certificates.py``: run a scan (or an event) from a shell."""
    import argparse  # only the command line needs it; keeps the Lambda cold start shorter

    parser = argparse.ArgumentParser(
        description="Report certificates inside the expiry window, as the Lambda function does: "
        "a scheduled scan by default, or the event in --event. AWS access comes from your "
        "credentials (or AWS_ENDPOINT_URL).",
        epilog=CLI_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dry-run", action="store_true", help="write no findings, send nothing")
    parser.add_argument("--event", metavar="FILE", help="run this event (a JSON file, events/)")
    parser.add_argument("--region", help="the function's region (default: AWS_REGION or profile)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")

    environ = dict(os.environ)
    if args.dry_run:
        environ["DRY_RUN"] = "true"
    event: object = {
        "version": "0",
        "detail-type": SCHEDULED_DETAIL_TYPE,
        "source": "aws.events",
        "resources": [],
        "detail": {},
    }
    if args.event:
        try:
            with open(args.event, encoding="utf-8") as file:
                event = json.load(file)
        except (OSError, ValueError) as error:
            print(f"Cannot read the event file {args.event}: {error}", file=sys.stderr)
            return 2
    session = boto3.session.Session()
    if session.get_credentials() is None:
        print(
            "No AWS credentials found. Sign in first (aws sso login, or aws configure), or set "
            "AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
            file=sys.stderr,
        )
        return 2
    region = args.region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    region = region or session.region_name
    if not region:
        print(
            "No AWS region. Pass --region us-east-1, or set AWS_REGION=us-east-1, or give your "
            "profile one with: aws configure set region us-east-1",
            file=sys.stderr,
        )
        return 2
    environ["AWS_REGION"] = region
    try:
        Config.from_environ(environ)
        parse_event(event)
        summary = lambda_handler(event, None, environ=environ, emit=lambda line: None)
        status = 0
    except (ConfigurationError, UnsupportedEventError) as error:
        print(error, file=sys.stderr)
        return 2
    except IncompleteRunError as error:
        summary, status = error.summary, 1
    print(json.dumps(summary, indent=2, default=str) if args.json else _table(summary))
    return status


if __name__ == "__main__":
    sys.exit(main())
