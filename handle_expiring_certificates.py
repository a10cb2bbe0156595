"""Report certificates that are about to expire, to Security Hub and SNS.

Imported certificates are the dangerous ones: ACM cannot renew them, and when one lapses a
website or an API goes down. Many more certificates AWS keeps for its customers expire with no
warning at all: IAM server certificates, a Private CA's own certificate (and with it every
certificate it issued), the server certificates of RDS, Aurora, DocumentDB and Neptune, API
Gateway client certificates, IoT CA certificates, SAML providers' signing certificates, Transfer
Family, Directory Service and DMS certificates, SNS APNs certificates. This AWS Lambda function
writes one Security Hub finding (ASFF) per certificate version inside the expiry window,
archives it once the certificate is renewed or gone, and publishes an SNS notification that a
person, a ticketing system and a chat channel can act on.

Triggers
    Option 1, per certificate: an EventBridge rule on ``{"source": ["aws.acm"], "detail-type":
        [...]}`` for "ACM Certificate Approaching Expiration" (daily from 45 days out), "ACM
        Certificate Expired" and "ACM Certificate Renewal Action Required". The certificate is
        ``resources[0]``; it is examined in the region its ARN names. One message per certificate.
    Option 2, scheduled: an EventBridge rule ``cron(5 0 ? * 1 *)`` ("Scheduled Event"), or an
        EventBridge Scheduler schedule whose payload is ``{}``. Reads every certificate source
        of ``CERTIFICATE_SOURCES`` (the regional ones in each of ``SCAN_REGIONS``, the global
        ones once): ACM by ``SearchCertificates`` (``ListCertificates`` of all key types where
        search is unavailable) and every certificate with a ``DaysToExpiry`` metric, and the
        other sources by their listings; writes a monitor finding about itself; sends one
        digest, most urgent first, when something is inside the window (with
        ``DIGEST_SCOPE=organization``, one for every account of the Security Hub administrator).
    Anything else (the console's default test event included) is rejected before any AWS call.

Settings (environment variables; an empty value counts as unset)
    EXPIRY_DAYS          whole number of days, 1 to 3650 (default 45): the window is
                         ``NotAfter <= now + EXPIRY_DAYS``.
    SNS_TOPIC_ARN        SNS topic to notify (optional; without it nothing is published).
    SECURITY_HUB_REGION  region that receives every finding (default: the function's region).
    SCAN_REGIONS         comma-separated regions a scheduled scan covers (default: the
                         function's region).
    CERTIFICATE_SOURCES  ``all`` (default) or comma-separated names of: acm, iam, private-ca, rds,
                         api-gateway, iot, saml, transfer, directory-service, dms, sns-apns.
    INCLUDE_IAM_SERVER_CERTIFICATES
                         ``true`` (default) or ``false``: whether a scan also reports IAM server
                         certificates (global: turn it off in all but one function when several
                         functions, one per region, write to separate hubs).
    NOTIFY_DAYS          comma-separated days left, e.g. ``30,14,7,3,1``: ACM events notify only
                         on those days (ACM's own count) or once expired (default: every event).
    DRY_RUN              ``true`` or ``false`` (default): with true, nothing is written or sent;
                         the summary shows what would have been.
    IGNORE_TAG           ``key=value`` or ``key``: ACM certificates with that tag are left alone.
    DIGEST_SCOPE         ``account`` (default) or ``organization``: in the Security Hub
                         administrator account, one digest of every account's findings, with
                         the member accounts whose monitor is silent.
    OWNER_TAG            a tag key (``owner``, ``team``): each certificate's owner is that tag's
                         value (``unowned`` without it); every message carries the String.Array
                         attribute ``owner`` for SNS filter policies.
    HTTPS_FORMAT         ``chat`` (default: HTTP/S subscribers get an Amazon Q Developer in chat
                         applications custom notification) or ``json`` (the JSON document).

Permissions (see iam_policy.json)
    acm:SearchCertificates, acm:ListCertificates, acm:DescribeCertificate,
    acm:ListTagsForCertificate, cloudwatch:ListMetrics, cloudwatch:GetMetricData,
    iam:ListServerCertificates, and each other source's reads (the ``actions`` of its row of
    ``SOURCES``): acm-pca:ListCertificateAuthorities, rds:DescribeDBInstances, apigateway:GET
    (client certificates), iot:ListCACertificates, iot:DescribeCACertificate,
    iam:ListSAMLProviders, iam:GetSAMLProvider, transfer:ListCertificates,
    transfer:DescribeCertificate, ds:DescribeDirectories, ds:ListCertificates,
    dms:DescribeCertificates, sns:ListPlatformApplications; securityhub:GetFindings,
    securityhub:BatchImportFindings, securityhub:ListMembers (organisation scope), sns:Publish,
    and logs:CreateLogStream / logs:PutLogEvents for the function's own log group. STS
    GetCallerIdentity needs no permission (and is called only outside Lambda). It reads no
    private key; where a listing returns a certificate body (API Gateway, SAML metadata) only its
    dates are read.

Metrics
    One CloudWatch embedded-metric-format line on stdout per invocation, namespace
    ``HandleExpiringCertificates``, dimensions ``FunctionName`` and ``Mode`` (``scan`` or
    ``certificate``); ``Heartbeat`` is 1 only for a scheduled scan that completed without errors;
    ``SilentAccounts`` in organisation scope.

Errors (every one this function raises on purpose)
    CertificateMonitorError
    +-- ConfigurationError       a setting is malformed; before any AWS call
    +-- UnsupportedEventError    the event is not one this function handles; before any AWS call
    +-- AwsCallError             an AWS answer the run turns into a Problem
    |   +-- SearchUnavailableError   SearchCertificates missing or denied: the scan lists instead
    |   +-- HubNotEnabledError       Security Hub is off in the hub region: nothing is written
    +-- LocalSetupError          the command line cannot start (no credentials, no region)
    +-- IncompleteRunError       raised last, after everything else, when a part failed
    A part that could not be done is a ``Problem`` (what, where, AWS's code and message), the
    one shape every listing, read, write and send reports, logged at its level.

Run locally: ``python handle_expiring_certificates.py --dry-run`` scans with your credentials
(or ``AWS_ENDPOINT_URL``) and prints the certificates in the window. ``--help`` for more.
"""

from __future__ import annotations

import base64
import concurrent.futures
import functools
import hashlib
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, TypeVar

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
# How AWS says "not allowed" besides AccessDenied*: EC2-style APIs and SNS (its Query API).
DENIAL_CODES = frozenset({"UnauthorizedOperation", "AuthorizationError"})
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
HUB_NOT_ENABLED_CODE = "InvalidAccessException"  # Security Hub's answer where it is off

MAX_MESSAGE_BYTES = 262_144  # SNS: 256 KiB in UTF-8 bytes, the whole JSON envelope included
HTTPS_FORMATS = ("chat", "json")
# Amazon Q Developer in chat applications' custom notifications: well inside what the service
# renders (its documentation gives no limits for these fields).
CHAT_TITLE_CHARS = 250
CHAT_DESCRIPTION_CHARS = 4000
CHAT_STEPS = 5
CHAT_STEP_CHARS = 350
# A chat notification's share of a message, at most: every character of it may take 4 bytes
# (UTF-8, or a quote escaped twice), the fields at their limits, and 1,500 for the rest.
CHAT_RESERVE_BYTES = 4 * (
    CHAT_TITLE_CHARS + CHAT_DESCRIPTION_CHARS + CHAT_STEPS * CHAT_STEP_CHARS + 1500
)
UNOWNED = "unowned"  # the owner of a certificate without the OWNER_TAG tag
EVERYONE = "all"  # the owner attribute of the messages that carry every certificate
# A tag key as AWS accepts one, which AWS reserves the "aws:" prefix of.
TAG_KEY_PATTERN = re.compile(r"^[\w .:/=+\-@]{1,128}\Z")
MAX_SUBJECT_CHARS = 99  # SNS: printable ASCII, one line, fewer than 100 characters
NAMES_IN_TEXT = 3
USERS_IN_TEXT = 5

DESCRIBE_WORKERS = 8  # ACM allows about 10 DescribeCertificate calls a second
METRIC_WORKERS = 4  # GetMetricData calls of one region side by side
EACH_WORKERS = 4  # describes of one source's items side by side (IoT, Transfer, SAML, ...)
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
# 3 attempts of (connect + read) plus backoff (at most 1 s, then 2 s).
CALL_WORST_MS = 3 * (2 + 10) * 1000 + 3000
WRITE_RESERVE_MS = 5_000  # left for reading and writing findings and publishing after describes

# ASFF's Resources[].Partition accepts only these; ARNs of other partitions are refused.
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
# \Z, not $ (which also matches before a final newline); ASCII, so \d is 0-9 only.
REGION_PATTERN = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d{1,2}\Z", re.ASCII)
ACCOUNT_PATTERN = re.compile(r"^\d{12}\Z", re.ASCII)
TOPIC_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}(\.fifo)?\Z", re.ASCII)
DAYS_PATTERN = re.compile(r"^\d{1,5}\Z", re.ASCII)
CERTIFICATE_RESOURCE_PATTERN = re.compile(r"^certificate/[A-Za-z0-9-]+\Z", re.ASCII)
# ISO 8601 as Security Hub, IAM and CloudWatch write it, with any number of fraction digits.
ISO_TIMESTAMP = re.compile(
    r"^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?\Z", re.ASCII
)
CONSOLE_HOSTS = {
    "aws": "https://{region}.console.aws.amazon.com",
    "aws-cn": "https://console.amazonaws.cn",
    "aws-us-gov": "https://console.amazonaws-us-gov.com",
}

# Certificate sources: where a scan looks. Each is one row of SOURCES (the AWS gateway) and,
# beyond ACM and IAM, one row of HELD (the words a person reads).
ACM = "acm"
IAM = "iam"
SAML = "saml"
SOURCE_NAMES: tuple[str, ...] = (
    ACM,
    IAM,
    "private-ca",
    "rds",
    "api-gateway",
    "iot",
    SAML,
    "transfer",
    "directory-service",
    "dms",
    "sns-apns",
)
GLOBAL_SOURCES = frozenset({IAM, SAML})  # read once, through the function's region
MONITOR = "monitor"  # the kind of the finding every scan writes about itself
SILENT_AFTER = timedelta(days=8)  # a weekly scan and a day of slack
DIGEST_SCOPES = ("account", "organization")
ORGANIZATION_DETAILS = 100  # certificates an organisation digest gives in detail
MEMBERS_PAGE = 50  # ListMembers' limit of MaxResults
GET_FINDINGS_PER_SECOND = 3  # Security Hub's documented rate of GetFindings
IAM_TYPE = "IAM_SERVER_CERTIFICATE"
GLOBAL_REGION = "global"  # the region of a global source's certificates and findings
REMEDIATION_URLS = {
    "IMPORTED": "https://docs.aws.amazon.com/acm/latest/userguide/import-reimport.html",
    "AMAZON_ISSUED": "https://docs.aws.amazon.com/acm/latest/userguide/troubleshooting-renewal.html",
    "PRIVATE": "https://docs.aws.amazon.com/acm/latest/userguide/renew-private-cert.html",
    IAM_TYPE: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_server-certs.html",
}
SEVERITY_ORDER = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
# The values Security Hub documents for AwsCertificateManagerCertificateDetails (botocore's
# securityhub model). ACM knows more (RSA_3072): such a value stays out of Details and goes in
# the description and product fields instead.
ASFF_ACM_VALUES = {
    "KeyAlgorithm": frozenset(
        ("RSA_1024", "RSA_2048", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1")
    ),
    "Status": frozenset(
        (
            "PENDING_VALIDATION",
            "ISSUED",
            "INACTIVE",
            "EXPIRED",
            "VALIDATION_TIMED_OUT",
            "REVOKED",
            "FAILED",
        )
    ),
    "Type": frozenset(("IMPORTED", "AMAZON_ISSUED", "PRIVATE")),
    "RenewalEligibility": frozenset(("ELIGIBLE", "INELIGIBLE")),
}

METRICS_NAMESPACE = "HandleExpiringCertificates"
METRIC_DIMENSIONS = ("FunctionName", "Mode")
HEARTBEAT_METRIC = "Heartbeat"

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


class AwsCallError(CertificateMonitorError):
    """An AWS answer that the run handles by doing something else (and reporting it)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}" if code else detail)
        self.code = code
        self.detail = detail


class SearchUnavailableError(AwsCallError):
    """SearchCertificates is not there (an older SDK or endpoint) or not allowed."""


class HubNotEnabledError(AwsCallError):
    """Security Hub is not enabled in the hub region: no finding can be read or written."""


class LocalSetupError(CertificateMonitorError):
    """The command line cannot start: no credentials, no region, an unreadable event file."""


class IncompleteRunError(CertificateMonitorError):
    """Raised after all other work is done when something could not be written or read.

    Raising makes Lambda's retries, error metrics, alarms and dead-letter queue see it.
    ``summary`` is the returned summary (JSON); ``report`` the Summary it was made from.
    """

    def __init__(self, report: Summary) -> None:
        errors = report.errors
        super().__init__(f"Run incomplete, {len(errors)} failure(s): {'; '.join(errors)}")
        self.report = report
        self.summary = report.as_dict()


# Value types ####################################################################################


@dataclass(frozen=True)
class Problem:
    """A part of the run that could not be done as planned: what was attempted, where, and what
    AWS answered. ``level`` "error" leaves the run incomplete (it raises at the end); "warning"
    degrades it, and it still completes. Rendered by ``str``: the one wording of every failure.
    """

    level: str
    action: str  # the AWS operation ("SearchCertificates"), or "" for a plain statement
    where: str = ""  # "in us-east-1", a certificate ARN, "to <topic ARN>"
    code: str = ""  # AWS's error code; "" when AWS gave none
    detail: str = ""  # AWS's message, or what happened
    then: str = ""  # what the run did instead

    def __str__(self) -> str:
        head = " ".join(part for part in (self.action, self.where) if part)
        if self.code:
            head += f" failed ({self.code})"
        body = "; ".join(part for part in (self.detail, self.then) if part)
        return f"{head}: {body}" if head and body else head or body


def failed(level: str, action: str, where: str, error: Exception, then: str = "") -> Problem:
    """The Problem of an AWS call that raised ``error``."""
    return Problem(level, action, where, error_code(error), str(error), then)


def error_code(error: Exception) -> str:
    if isinstance(error, botocore.exceptions.ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__


@dataclass(frozen=True)
class Skip:
    """A certificate left out on purpose (deleted meanwhile, ignored by tag): not a problem."""

    arn: str
    reason: str


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
    days_to_expiry: int | None = None  # ACM's own count (detail.DaysToExpiry), when given
    exported: bool = False  # detail.Exported: DescribeCertificate does not say


@dataclass(frozen=True)
class ScheduledScan:
    """Option 2: the schedule rule, or an EventBridge Scheduler schedule."""

    detail_type: str = SCHEDULED_DETAIL_TYPE


Trigger = CertificateEvent | ScheduledScan


@dataclass(frozen=True)
class Certificate:
    """What one certificate source says about a certificate."""

    arn: str  # the resource's ARN
    domain: str  # what a person calls it: the domain, or the resource's name
    kind: str  # the source that holds it: one of SOURCE_NAMES
    partition: str
    region: str  # GLOBAL_REGION for a global source
    account: str
    type: str  # ACM's (IMPORTED, AMAZON_ISSUED, PRIVATE), IAM_SERVER_CERTIFICATE, or the source
    status: str
    key_algorithm: str
    not_after: datetime | None
    read_by: str  # what the fields came from: "search", "list", "describe" or "listing"
    not_before: datetime | None = None
    subject_alternative_names: tuple[str, ...] = ()
    more_names: bool = False  # ListCertificates gave only the first names
    in_use: bool | None = None  # None: not known (IAM does not know what uses a certificate)
    exported: bool = False  # exported or exportable: copies may run where ACM cannot see
    in_use_by: tuple[str, ...] | None = None  # None: not read
    renewal_eligibility: str | None = None
    renewal_status: str | None = None
    issuer: str | None = None
    serial: str | None = None
    created_at: datetime | None = None
    imported_at: datetime | None = None
    issued_at: datetime | None = None
    label: str = ""  # what holds it, beyond ACM and IAM: "RDS DB instance", "Private CA", ...
    details: Mapping[str, str] = field(default_factory=dict)  # the finding's resource details
    tags: Mapping[str, str] | None = None  # None: its listing does not return them
    owner: str = ""  # with OWNER_TAG: that tag's value, or "unowned"

    @property
    def certificate_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def is_iam(self) -> bool:
        return self.kind == IAM

    @property
    def needs_description(self) -> bool:
        """Whether its finding and message need more than the search or listing gave: what uses
        it, and (from a listing) the renewal status ACM keeps and the names past the first."""
        if self.read_by == "search":
            return self.in_use is True
        if self.read_by == "list":
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
    """What examining one certificate concluded: the one value every examination returns."""

    arn: str
    status: str  # "in_window", "outside", "gone", "ignored" or "unknown"
    assessment: Assessment | None = None
    reason: str = ""  # why it needs no finding: the words an archived finding carries
    problems: tuple[Problem, ...] = ()
    not_described: bool = False  # the deadline was near; the listing's data stands

    @property
    def closes_findings(self) -> bool:
        """Whether this run knows enough to close the certificate's findings."""
        return self.status in ("outside", "gone", "ignored")


@dataclass(frozen=True)
class ExistingFinding:
    """An active finding of this generator and this account, as GetFindings returned it."""

    id: str
    certificate_arn: str  # Resources[0].Id
    kind: str  # the source of its certificate
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
    owners: tuple[str, ...] = ()  # the String.Array attribute "owner"; () without OWNER_TAG

    @property
    def size(self) -> int:
        return len(self.message.encode("utf-8"))


@dataclass(frozen=True)
class Listing:
    """What one certificate source holds in one region (or globally): each source returns one."""

    kind: str  # the source
    region: str
    read_with: str  # the operation that read it: "SearchCertificates", "ListCertificates", ...
    certificates: tuple[Certificate, ...] = ()
    unlisted: frozenset[str] = frozenset()  # known to exist, details not read (ACM's metrics)
    to_describe: frozenset[str] = frozenset()  # of those, the ones that may be in the window
    complete: bool = True  # everything there was read: a certificate missing is renewed or gone
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class FindingsRead:
    """The hub's active findings of this generator and account, or why they could not be read."""

    findings: tuple[ExistingFinding, ...] = ()
    problem: Problem | None = None  # not read: write, but archive nothing
    hub_enabled: bool = True


@dataclass(frozen=True)
class Written:
    """What writing findings did."""

    written: int = 0
    archived: int = 0
    failed: int = 0
    problems: tuple[Problem, ...] = ()
    hub_enabled: bool = True


@dataclass(frozen=True)
class Sent:
    message_ids: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()


@dataclass
class FindingsReport:
    hub_region: str
    written: int = 0
    archived: int = 0
    failed: int = 0
    skipped: str | None = None  # why none was written: the hub is off, or a dry run


@dataclass
class NotificationReport:
    message_ids: list[str] = field(default_factory=list)
    parts: int = 0
    reason: str | None = None  # why nothing was sent


@dataclass
class Summary:
    """What the invocation examined, found, wrote and sent; returned as JSON. Built by the
    thread that runs the handler from the values its workers return."""

    trigger: str
    mode: str
    regions: list[str]
    expiry_days: int
    dry_run: bool
    now: str
    account: str | None = None
    outcome: str = "scanned"
    source: str | None = None  # what read ACM: SearchCertificates, ListCertificates
    certificates_examined: int = 0
    not_examined: int = 0
    in_window: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    findings: FindingsReport | None = None
    notification: NotificationReport = field(default_factory=NotificationReport)
    problems: list[Problem] = field(default_factory=list)
    scope: str = "account"  # the digest's: this account's, or the organisation's
    silent_accounts: list[dict[str, Any]] = field(default_factory=list)
    would_write: list[dict[str, Any]] = field(default_factory=list)
    would_send: list[dict[str, Any]] = field(default_factory=list)

    def record(self, *problems: Problem) -> None:
        """Problems, logged at their level as they are recorded."""
        levels = {"error": logging.ERROR, "warning": logging.WARNING, "note": logging.INFO}
        for problem in problems:
            LOGGER.log(levels[problem.level], "%s", problem)
            self.problems.append(problem)

    def skip(self, arn: str, reason: str) -> None:
        LOGGER.info("Skipped %s: %s", arn, reason)
        self.skipped.append(Skip(arn, reason))

    @property
    def errors(self) -> list[str]:
        return [str(p) for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[str]:
        return [str(p) for p in self.problems if p.level == "warning"]

    @property
    def notes(self) -> list[str]:
        """What a scan skipped on purpose: a service not offered in a region."""
        return [str(p) for p in self.problems if p.level == "note"]

    @property
    def complete(self) -> bool:
        """Everything was read and written: a hub switched off is no error of a run, but a
        monitor whose findings go nowhere is not alive either."""
        skipped = self.findings.skipped if self.findings else None
        return not self.errors and skipped in (None, "dry run")

    def counts(self) -> dict[str, int]:
        """The numbers a dashboard graphs and an alarm watches, by metric name; the log line
        and the command line count from the same."""
        entries = self.in_window
        in_use = [entry for entry in entries if entry["in_use"] is not False]
        findings = self.findings or FindingsReport("")
        return {
            "CertificatesInWindow": len(entries),
            "CertificatesExpired": sum(entry["expired"] for entry in entries),
            "CertificatesInUse": len(in_use),
            "ExpiredInUse": sum(entry["expired"] for entry in in_use),
            **{s.title(): sum(e["severity"] == s for e in entries) for s in SEVERITY_ORDER},
            "FindingsWritten": findings.written,
            "FindingsArchived": findings.archived,
            "FindingsFailed": findings.failed,
            "MessagesSent": len(self.notification.message_ids),
            "Failures": len(self.errors),
        }

    def as_dict(self) -> dict[str, Any]:
        result = asdict(self)
        del result["problems"]
        result.update(errors=self.errors, warnings=self.warnings, notes=self.notes)
        if self.findings is None:
            result["findings"] = {}
        if not self.dry_run:
            del result["would_write"], result["would_send"]
        return result


# Configuration ##################################################################################

T = TypeVar("T")


def _setting(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "")
    if value == "":
        return None
    return value.strip() or value  # whitespace alone is a bad value, reported as given


def _read(environ: Mapping[str, str], name: str, parse: Callable[[str], T], default: T) -> T:
    """One setting: ``default`` when unset, else ``parse(value)``, whose ValueError says what
    is accepted and becomes the ConfigurationError that names the variable."""
    value = _setting(environ, name)
    if value is None:
        return default
    try:
        return parse(value)
    except ConfigurationError:
        raise
    except ValueError as accepted:
        raise ConfigurationError(name, value, str(accepted)) from None


def _comma_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _boolean(value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise ValueError("'true' or 'false'")
    return value.lower() == "true"


def _region(value: str) -> str:
    if not REGION_PATTERN.match(value):
        raise ValueError("an AWS region name such as 'us-east-1'")
    return value


def _regions(value: str) -> tuple[str, ...]:
    names = _comma_list(value)
    if not names or any(not REGION_PATTERN.match(name) for name in names):
        raise ValueError("comma-separated region names such as 'us-east-1,eu-west-1'")
    return tuple(dict.fromkeys(names))


def _expiry_days(value: str) -> int:
    if not DAYS_PATTERN.match(value) or not 1 <= int(value) <= MAX_EXPIRY_DAYS:
        raise ValueError(f"a whole number of days from 1 to {MAX_EXPIRY_DAYS}")
    return int(value)


def _notify_days(value: str) -> frozenset[int]:
    days = _comma_list(value)
    if not days or any(not DAYS_PATTERN.match(day) for day in days):
        raise ValueError("comma-separated whole numbers of days, e.g. '30,14,7,3,1'")
    return frozenset(int(day) for day in days)


def _topic_arn(value: str) -> str:
    parts = parse_arn(value)
    if (
        parts is None
        or parts["partition"] not in PARTITIONS
        or parts["service"] != "sns"
        or not REGION_PATTERN.match(parts["region"])
        or not ACCOUNT_PATTERN.match(parts["account"])
        or not TOPIC_NAME_PATTERN.match(parts["resource"])
    ):
        raise ValueError(
            "an SNS topic ARN such as 'arn:aws:sns:us-east-1:123456789012:cert-alerts' "
            f"(partition one of {', '.join(PARTITIONS)})"
        )
    return value


def _sources(value: str) -> tuple[str, ...]:
    names = _comma_list(value.lower())
    if names == ["all"]:
        return SOURCE_NAMES
    if not names or any(name not in SOURCE_NAMES for name in names):
        raise ValueError(f"'all' or comma-separated names of {', '.join(SOURCE_NAMES)}")
    return tuple(name for name in SOURCE_NAMES if name in names)


def _one_of(choices: Sequence[str]) -> Callable[[str], str]:
    """A parser of a setting that takes one of ``choices``, in any case."""

    def parse(value: str) -> str:
        if value.lower() not in choices:
            raise ValueError(" or ".join(repr(choice) for choice in choices))
        return value.lower()

    return parse


def _owner_tag(value: str) -> str:
    blank = not value.strip()
    if blank or not TAG_KEY_PATTERN.match(value) or value.lower().startswith("aws:"):
        raise ValueError(
            "a tag key: 1 to 128 letters, digits, spaces or _ . : / = + - @, not starting "
            "with 'aws:'"
        )
    return value


def _ignore_tag(value: str) -> IgnoreTag:
    key, has_value, tag_value = value.partition("=")
    key = key.strip()
    if not key or len(key) > 128 or len(tag_value) > 256 or (has_value and not tag_value.strip()):
        raise ValueError("'key=value' or 'key' (a tag key of 1 to 128 characters)")
    return IgnoreTag(key, tag_value.strip() if has_value else None)


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
    sources: tuple[str, ...] = SOURCE_NAMES
    notify_days: frozenset[int] | None = None
    dry_run: bool = False
    ignore_tag: IgnoreTag | None = None
    digest_scope: str = "account"
    owner_tag: str | None = None
    https_format: str = "chat"
    account: str | None = None  # where it runs: known once the run starts, not a setting

    @property
    def include_iam(self) -> bool:
        return IAM in self.sources

    @property
    def reads_tags(self) -> bool:
        """Whether ACM certificates' tags decide anything: IGNORE_TAG or OWNER_TAG is set."""
        return self.ignore_tag is not None or self.owner_tag is not None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Config:
        """Read and validate every setting; raise ConfigurationError on the first bad one."""
        region_variable = "AWS_REGION" if _setting(environ, "AWS_REGION") else "AWS_DEFAULT_REGION"
        region = _read(environ, region_variable, _region, None)
        if region is None:
            raise ConfigurationError(
                "AWS_REGION", "", "the region to run in (Lambda sets it; locally set AWS_REGION)"
            )
        return cls(
            function_region=region,
            expiry_days=_read(environ, "EXPIRY_DAYS", _expiry_days, DEFAULT_EXPIRY_DAYS),
            sns_topic_arn=_read(environ, "SNS_TOPIC_ARN", _topic_arn, None),
            security_hub_region=_read(environ, "SECURITY_HUB_REGION", _region, region),
            scan_regions=_read(environ, "SCAN_REGIONS", _regions, (region,)),
            sources=tuple(
                name
                for name in _read(environ, "CERTIFICATE_SOURCES", _sources, SOURCE_NAMES)
                if name != IAM or _read(environ, "INCLUDE_IAM_SERVER_CERTIFICATES", _boolean, True)
            ),
            notify_days=_read(environ, "NOTIFY_DAYS", _notify_days, None),
            dry_run=_read(environ, "DRY_RUN", _boolean, False),
            ignore_tag=_read(environ, "IGNORE_TAG", _ignore_tag, None),
            digest_scope=_read(environ, "DIGEST_SCOPE", _one_of(DIGEST_SCOPES), "account"),
            owner_tag=_read(environ, "OWNER_TAG", _owner_tag, None),
            https_format=_read(environ, "HTTPS_FORMAT", _one_of(HTTPS_FORMATS), "chat"),
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
    detail = event.get("detail")
    detail = detail if isinstance(detail, Mapping) else {}
    days = detail.get("DaysToExpiry")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 0):
        raise UnsupportedEventError(f"detail.DaysToExpiry is {days!r}, not a whole number of days")
    return CertificateEvent(
        detail_type, arn, _acm_region(arn), days, exported=detail.get("Exported") is True
    )


def _acm_region(arn: str) -> str:
    """The region of an ACM certificate ARN, or UnsupportedEventError naming what is wrong."""
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
    return parts["region"]


# The pure core: certificates from what AWS answers ##############################################


def timestamp(value: object) -> datetime | None:
    """Any time AWS gives (a datetime, epoch seconds, or ISO 8601 text with any number of
    fraction digits: Python 3.10 takes only 3 or 6) as an aware datetime; None otherwise."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    match = ISO_TIMESTAMP.match(value) if isinstance(value, str) else None
    if not match:
        return None
    date, time, fraction, zone = match.groups()
    if zone in (None, "Z"):
        zone = "+00:00"
    elif ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    micros = (fraction or "0")[:6].ljust(6, "0")
    return datetime.fromisoformat(f"{date}T{time}.{micros}{zone}")


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
    options = data.get("Options") or {}
    exported = _exported(data.get("Exported"), data.get("ExportOption") or options.get("Export"))
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
        not_after=timestamp(data.get("NotAfter")),
        kind=ACM,
        read_by="describe" if described else "list",
        not_before=timestamp(data.get("NotBefore")),
        subject_alternative_names=tuple(str(name) for name in names or ()),
        more_names=bool(data.get("HasAdditionalSubjectAlternativeNames")) and not described,
        in_use=True if in_use else (None if exported else False),
        exported=exported,
        in_use_by=users,
        renewal_eligibility=data.get("RenewalEligibility"),
        renewal_status=renewal.get("RenewalStatus"),
        issuer=data.get("Issuer"),
        serial=data.get("Serial"),
        created_at=timestamp(data.get("CreatedAt")),
        imported_at=timestamp(data.get("ImportedAt")),
        issued_at=timestamp(data.get("IssuedAt")),
    )


def _exported(exported: object, export_option: object) -> bool:
    """Exported (a private certificate) or exportable (a public one): either way copies may
    run on servers that ACM's InUse knows nothing of."""
    return exported is True or export_option == "ENABLED"


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
    exported = _exported(meta.get("Exported"), meta.get("ExportOption"))
    if exported and not in_use:
        in_use = None
    return Certificate(
        arn=arn,
        domain=(x509.get("Subject") or {}).get("CommonName") or (names[0] if names else ""),
        partition=parts["partition"],
        region=parts["region"],
        account=parts["account"],
        type=str(meta.get("Type", "UNKNOWN")),
        status=str(meta.get("Status", "UNKNOWN")),
        key_algorithm=str(x509.get("KeyAlgorithm", "UNKNOWN")),
        not_after=timestamp(x509.get("NotAfter")),
        kind=ACM,
        read_by="search",
        not_before=timestamp(x509.get("NotBefore")),
        subject_alternative_names=names,
        in_use=None if in_use is None else bool(in_use),
        exported=exported,
        in_use_by=() if in_use is False or (exported and in_use is None) else None,
        renewal_eligibility=meta.get("RenewalEligibility"),
        renewal_status=meta.get("RenewalStatus"),
        issuer=_distinguished_name(x509.get("Issuer")),
        serial=x509.get("SerialNumber"),
        created_at=timestamp(meta.get("CreatedAt")),
        imported_at=timestamp(meta.get("ImportedAt")),
        issued_at=timestamp(meta.get("IssuedAt")),
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
        not_after=timestamp(metadata.get("Expiration")),
        kind=IAM,
        read_by="listing",
        in_use=None,
        imported_at=timestamp(metadata.get("UploadDate")),
        details=_strings(
            {
                "ServerCertificateName": metadata.get("ServerCertificateName"),
                "Path": metadata.get("Path"),
                "ServerCertificateId": metadata.get("ServerCertificateId"),
                "UploadDate": metadata.get("UploadDate"),
                "Expiration": metadata.get("Expiration"),
            }
        ),
    )


def _strings(values: Mapping[str, object]) -> dict[str, str]:
    """Details for a finding's resource: strings only (ASFF's Details.Other), none empty (ASFF
    rejects those), times in ASFF's form."""
    texts = {
        key: iso(value)
        if isinstance(value, datetime)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
        for key, value in values.items()
        if value is not None
    }
    return {key: text for key, text in texts.items() if text}


def held_certificate(
    kind: str,
    arn: str,
    name: str,
    not_after: object,
    *,
    in_use: bool | None,
    label: str,
    details: Mapping[str, object],
    region: str | None = None,
    account: str | None = None,
    status: str = "",
    tags: Mapping[str, str] | None = None,
) -> Certificate:
    """A certificate a service beyond ACM and IAM holds: its resource, what a person calls it,
    its expiry and whether something uses it (None: not known, which counts as in use)."""
    parts = _arn_parts(arn)
    return Certificate(
        arn=arn,
        domain=name,
        kind=kind,
        partition=parts["partition"],
        region=region or (GLOBAL_REGION if kind in GLOBAL_SOURCES else parts["region"]),
        account=account or parts["account"],
        type=kind.upper().replace("-", "_"),
        status=status,
        key_algorithm="",
        not_after=timestamp(not_after),
        read_by="listing",
        in_use=in_use,
        in_use_by=() if in_use is False else None,
        label=label,
        details=_strings(details),
        tags=tags,
    )


def _tags(pairs: object) -> dict[str, str]:
    """Tags as ``[{"Key", "Value"}]`` (RDS, Transfer, IAM) or ``{key: value}`` (API Gateway)."""
    if isinstance(pairs, Mapping):
        return {str(k): str(v) for k, v in pairs.items()}
    items = pairs if isinstance(pairs, list) else []
    return {str(t["Key"]): str(t.get("Value", "")) for t in items if "Key" in t}


def certificate_from_private_ca(ca: Mapping[str, Any]) -> Certificate | None:
    """A Private CA's own certificate; None while it has none, or once deleted."""
    status = str(ca.get("Status", ""))
    if status in ("CREATING", "PENDING_CERTIFICATE", "DELETED", "FAILED") or not ca.get("NotAfter"):
        return None
    configuration = ca.get("CertificateAuthorityConfiguration") or {}
    subject = configuration.get("Subject") or {}
    arn = str(ca["Arn"])
    return held_certificate(
        "private-ca",
        arn,
        str(subject.get("CommonName") or arn.rsplit("/", 1)[-1]),
        ca.get("NotAfter"),
        in_use=status != "DISABLED",
        label=f"{str(ca.get('Type', '')).lower()} Private CA".strip(),
        status=status,
        details={
            "Type": ca.get("Type"),
            "Status": status,
            "Serial": ca.get("Serial"),
            "UsageMode": ca.get("UsageMode"),
            "KeyAlgorithm": configuration.get("KeyAlgorithm"),
            "NotAfter": ca.get("NotAfter"),
        },
    )


RDS_LABELS = {"docdb": "DocumentDB instance", "neptune": "Neptune instance"}


def certificate_from_rds(instance: Mapping[str, Any]) -> Certificate | None:
    """The server certificate a DB instance presents (RDS, Aurora, DocumentDB, Neptune)."""
    details = instance.get("CertificateDetails") or {}
    if not details.get("ValidTill"):
        return None
    engine = str(instance.get("Engine", ""))
    label = RDS_LABELS.get(
        engine, "Aurora DB instance" if "aurora" in engine else "RDS DB instance"
    )
    return held_certificate(
        "rds",
        str(instance["DBInstanceArn"]),
        str(instance.get("DBInstanceIdentifier", "")),
        details.get("ValidTill"),
        in_use=True,
        label=label,
        status=str(instance.get("DBInstanceStatus", "")),
        details={
            "DBInstanceIdentifier": instance.get("DBInstanceIdentifier"),
            "Engine": engine,
            "CACertificateIdentifier": details.get("CAIdentifier")
            or instance.get("CACertificateIdentifier"),
        },
        tags=_tags(instance.get("TagList")),
    )


def certificate_from_api_gateway(
    item: Mapping[str, Any], region: str, partition: str, account: str
) -> Certificate:
    """An API Gateway client certificate (365 days when API Gateway generates it). What uses it
    (the stages of every API) is not read: unknown."""
    identifier = str(item["clientCertificateId"])
    return held_certificate(
        "api-gateway",
        f"arn:{partition}:apigateway:{region}::/clientcertificates/{identifier}",
        str(item.get("description") or identifier),
        item.get("expirationDate"),
        in_use=None,
        label="API Gateway client certificate",
        account=account,
        details={"ClientCertificateId": identifier, "Description": item.get("description")},
        tags=_tags(item.get("tags")),
    )


def certificate_from_iot(description: Mapping[str, Any]) -> Certificate:
    """An IoT CA certificate: devices whose certificates it signed stop connecting after it."""
    status = str(description.get("status", ""))
    return held_certificate(
        "iot",
        str(description["certificateArn"]),
        common_name_of_der(_der_of_pem(description.get("certificatePem")))
        or str(description.get("certificateId", "")),
        (description.get("validity") or {}).get("notAfter"),
        in_use=status == "ACTIVE",
        label="IoT CA certificate",
        status=status,
        details={
            "CertificateId": description.get("certificateId"),
            "Status": status,
            "CertificateMode": description.get("certificateMode"),
        },
    )


def certificate_from_saml(provider: Mapping[str, Any], metadata: str) -> Certificate:
    """An IAM SAML provider expires with the first of its metadata's ValidUntil and its
    certificates' NotAfter (read from the metadata's base64 DER)."""
    arn = str(provider["Arn"])
    valid_until = timestamp(provider.get("ValidUntil"))
    certificates = [not_after_of_der(der) for der in saml_certificates(metadata)]
    signing = min((moment for moment in certificates if moment), default=None)
    ends = [moment for moment in (valid_until, signing) if moment]
    return held_certificate(
        SAML,
        arn,
        arn.rsplit("/", 1)[-1],
        min(ends, default=None),
        in_use=None,
        label="IAM SAML identity provider",
        details={"ValidUntil": valid_until, "SigningCertificateNotAfter": signing},
        tags=_tags(provider.get("Tags")),
    )


COMMON_NAME_OID = b"\x55\x04\x03"  # 2.5.4.3, DER-encoded
SAML_CERTIFICATE = re.compile(r"<(?:\w+:)?X509Certificate>([A-Za-z0-9+/=\s]+)</", re.ASCII)


def saml_certificates(metadata: str) -> list[bytes]:
    """The DER of every certificate in SAML metadata. A pattern, not an XML parser: only the
    base64 text of X509Certificate elements is read, so no entity or external reference in
    the document is ever expanded."""
    found = []
    for text in SAML_CERTIFICATE.findall(metadata):
        try:
            found.append(base64.b64decode("".join(text.split()), validate=True))
        except ValueError:
            continue
    return found


def not_after_of_der(der: bytes) -> datetime | None:
    """An X.509 certificate's notAfter, read with a minimal DER reader."""
    try:
        validity = _tbs_fields(der)[3]
        not_before, _ = _der_item(der, validity[1])
        not_after, _ = _der_item(der, not_before[2])
        return _der_time(der[not_after[0]], der[not_after[1] : not_after[2]])
    except (IndexError, ValueError):
        return None


def common_name_of_der(der: bytes) -> str | None:
    """An X.509 certificate's subject commonName (OID 2.5.4.3), if it has one. The subject is
    a SEQUENCE of SETs, each of SEQUENCE { type OID, value }."""
    try:
        subject = _tbs_fields(der)[4]
        at = subject[1]
        while at < subject[2]:
            name_set, _ = _der_item(der, at)
            attribute, _ = _der_item(der, name_set[1])
            oid, _ = _der_item(der, attribute[1])
            if der[oid[1] : oid[2]] == COMMON_NAME_OID:
                value, _ = _der_item(der, oid[2])
                return der[value[1] : value[2]].decode("utf-8", "replace") or None
            at = name_set[2]
    except (IndexError, ValueError):
        pass
    return None


def _tbs_fields(der: bytes) -> list[tuple[int, int, int]]:
    """The elements of tbsCertificate past its optional [0] version: serialNumber, signature,
    issuer, validity, subject, ... (Certificate is a SEQUENCE of tbsCertificate, ...)."""
    tbs, _ = _der_item(der, _der_item(der, 0)[1])
    fields, at = [], tbs[1]
    while at < tbs[2]:
        field, _ = _der_item(der, at)
        fields.append(field)
        at = field[2]
    return fields[1:] if fields and der[fields[0][0]] == 0xA0 else fields


def _der_of_pem(pem: object) -> bytes:
    body = "".join(
        line for line in str(pem or "").splitlines() if line and not line.startswith("-----")
    )
    try:
        return base64.b64decode(body, validate=True)
    except ValueError:
        return b""


def _der_item(der: bytes, at: int) -> tuple[tuple[int, int, int], int]:
    """The DER element at ``at``: (tag offset, content start, content end), and where its
    content starts (for stepping into a SEQUENCE)."""
    length, start = der[at + 1], at + 2
    if length & 0x80:
        count = length & 0x7F
        length, start = int.from_bytes(der[start : start + count], "big"), start + count
    if start + length > len(der):
        raise ValueError("truncated DER")
    return (at, start, start + length), start


def _der_time(tag: int, value: bytes) -> datetime:
    """UTCTime (YYMMDDHHMMSSZ; years 50-99 are 19xx) or GeneralizedTime (YYYYMMDDHHMMSSZ)."""
    text = value.decode("ascii").rstrip("Z")
    if tag == 0x17:
        century = "19" if int(text[:2]) >= 50 else "20"
        text = century + text
    elif tag != 0x18:
        raise ValueError("not a time")
    return datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)


def certificate_from_transfer(described: Mapping[str, Any]) -> Certificate:
    """A Transfer Family certificate (AS2 signing or encryption, or TLS)."""
    status = str(described.get("Status", ""))
    return held_certificate(
        "transfer",
        str(described["Arn"]),
        str(
            described.get("Description")
            or common_name_of_der(_der_of_pem(described.get("Certificate")))
            or described.get("CertificateId", "")
        ),
        described.get("NotAfterDate"),
        in_use=status != "INACTIVE",
        label=f"Transfer Family {str(described.get('Usage', '')).lower()} certificate".replace(
            "  ", " "
        ),
        status=status,
        details={
            "CertificateId": described.get("CertificateId"),
            "Usage": described.get("Usage"),
            "Status": status,
            "Serial": described.get("Serial"),
        },
        tags=_tags(described.get("Tags")),
    )


def certificate_from_directory(
    info: Mapping[str, Any], directory: Mapping[str, Any], region: str, partition: str, account: str
) -> Certificate:
    """A certificate registered with a Managed Microsoft AD directory (LDAPS or client
    certificate authentication). The service gives it no ARN: the id is built from the
    directory's, which is stable."""
    directory_id = str(directory["DirectoryId"])
    state = str(info.get("State", ""))
    name = info.get("CommonName") or info["CertificateId"]
    return held_certificate(
        "directory-service",
        f"arn:{partition}:ds:{region}:{account}:directory/{directory_id}/certificate/"
        f"{info['CertificateId']}",
        f"{name} ({directory.get('Name', directory_id)})",
        info.get("ExpiryDateTime"),
        # Serving until deregistered (a failed deregistration leaves it registered).
        in_use=False if state in ("Deregistered", "RegisterFailed") else None,
        label="Directory Service certificate",
        status=state,
        details={
            "DirectoryId": directory_id,
            "CertificateId": info.get("CertificateId"),
            "Type": info.get("Type"),
            "State": state,
        },
    )


def certificate_from_dms(certificate: Mapping[str, Any]) -> Certificate:
    """A DMS certificate; the endpoints that use it are not read: unknown."""
    return held_certificate(
        "dms",
        str(certificate["CertificateArn"]),
        str(certificate.get("CertificateIdentifier", "")),
        certificate.get("ValidToDate"),
        in_use=None,
        label="DMS certificate",
        details={
            "CertificateIdentifier": certificate.get("CertificateIdentifier"),
            "KeyLength": certificate.get("KeyLength"),
            "SigningAlgorithm": certificate.get("SigningAlgorithm"),
        },
    )


def certificate_from_sns_apns(application: Mapping[str, Any]) -> Certificate | None:
    """An SNS platform application's APNs certificate; None for token-based authentication
    and other platforms, which have no AppleCertificateExpiryDate."""
    attributes = application.get("Attributes") or {}
    expires = attributes.get("AppleCertificateExpiryDate")
    if not expires:
        return None
    arn = str(application["PlatformApplicationArn"])
    enabled = str(attributes.get("Enabled", "true")).lower() != "false"
    return held_certificate(
        "sns-apns",
        arn,
        arn.rsplit("/", 1)[-1],
        expires,
        in_use=enabled,
        label="SNS APNs platform application",
        status="Enabled" if enabled else "Disabled",
        details={"Platform": arn.split("/")[-2] if arn.count("/") >= 2 else "APNS"},
    )


@dataclass(frozen=True)
class Held:
    """What a person reads about the certificates of a source beyond ACM and IAM."""

    subject: str  # what of it expires ("server certificate"); "" when the label names it
    breaks: str  # what an expiry takes down: the "Used by" of a certificate in use
    action: str  # what to do in that service
    url: str


HELD: Mapping[str, Held] = {
    "private-ca": Held(
        "CA certificate",
        "every certificate this CA issued, which stops validating with it",
        "Install a new CA certificate before this one's NotAfter: a subordinate CA imports one "
        "its parent signs (GetCertificateAuthorityCsr, then "
        "ImportCertificateAuthorityCertificate); a root CA needs a new self-signed certificate "
        "or a new CA that clients trust. Then "
        "re-issue the certificates it signed.",
        "https://docs.aws.amazon.com/privateca/latest/APIReference/"
        "API_ImportCertificateAuthorityCertificate.html",
    ),
    "rds": Held(
        "server certificate",
        "every client that connects to it over TLS",
        "Move the DB instance to a current CA, such as rds-ca-rsa2048-g1, once its clients trust "
        "that CA's root (ModifyDBInstance --ca-certificate-identifier, now or in the maintenance "
        "window). Clients that verify the server certificate fail after it expires.",
        "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL-certificate-"
        "rotation.html",
    ),
    "api-gateway": Held(
        "",
        "the API stages that present it to their backends (not read)",
        "Generate a new client certificate (GenerateClientCertificate), make the backend trust it, "
        "then set it on every stage that uses this one (UpdateStage clientCertificateId) and "
        "delete the old one.",
        "https://docs.aws.amazon.com/apigateway/latest/developerguide/getting-started-client-"
        "side-ssl-authentication.html",
    ),
    "iot": Held(
        "",
        "every device whose certificate it signed, which can no longer connect",
        "Register a new CA certificate (RegisterCACertificate), issue the devices new "
        "certificates signed by it (or let just-in-time registration do so), then deactivate "
        "the old CA certificate.",
        "https://docs.aws.amazon.com/iot/latest/developerguide/register-CA-cert.html",
    ),
    SAML: Held(
        "signing certificate",
        "every federated sign-in through this provider",
        "Update the provider's metadata (UpdateSAMLProvider) with the identity provider's new "
        "signing certificate, and its validUntil, before the old one expires; most identity "
        "providers publish the next certificate ahead of time.",
        "https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateSAMLProvider.html",
    ),
    "transfer": Held(
        "",
        "the AS2 profiles and connectors, or the server's TLS, that use it",
        "Import the renewed certificate (ImportCertificate) and point the AS2 profiles, "
        "connectors or server at it before NotAfterDate; AS2 messages signed or encrypted "
        "with an expired certificate are refused.",
        "https://docs.aws.amazon.com/transfer/latest/APIReference/API_ImportCertificate.html",
    ),
    "directory-service": Held(
        "",
        "secure LDAP (LDAPS) or client certificate authentication of the directory",
        "Register a renewed certificate with the directory (RegisterCertificate), then "
        "deregister this one; LDAPS and certificate authentication stop when it expires.",
        "https://docs.aws.amazon.com/directoryservice/latest/devguide/API_RegisterCertificate.html",
    ),
    "dms": Held(
        "",
        "the endpoints that connect with it over SSL (not read)",
        "Import the renewed certificate (ImportCertificate) and set it on every endpoint that "
        "uses this one (ModifyEndpoint --certificate-arn) before ValidToDate; replication over "
        "SSL fails once it expires.",
        "https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Security.SSL.html",
    ),
    "sns-apns": Held(
        "APNs certificate",
        "push notifications to Apple devices",
        "Renew the certificate in Apple's developer portal and set it on the platform "
        "application (SetPlatformApplicationAttributes: PlatformCredential and "
        "PlatformPrincipal), or move to token-based authentication, whose key does not expire.",
        "https://docs.aws.amazon.com/sns/latest/api/API_SetPlatformApplicationAttributes.html",
    ),
}


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


def should_notify(
    assessment: Assessment, notify_days: frozenset[int] | None, acm_days: int | None = None
) -> bool:
    """For ACM events: notify on the chosen days, or once expired; every day when unset. The
    day is ACM's own count where the event gives it: an event that waited in a queue across
    the certificate's time of day would otherwise count a day short (8, 6, 6: no "7")."""
    days = assessment.days_left if acm_days is None else acm_days
    return notify_days is None or assessment.expired or days in notify_days


# The pure core: words a person reads ############################################################


def iso(moment: datetime) -> str:
    """ASFF and JSON timestamps: UTC, milliseconds, 'Z'."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def human_date(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def console_url(certificate: Certificate) -> str | None:
    if certificate.kind != ACM:
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


def held_name(certificate: Certificate) -> str:
    """A certificate beyond ACM and IAM in words: "RDS DB instance orders-db: server
    certificate", or "DMS certificate oracle-ca" where the label names the certificate."""
    subject = HELD[certificate.kind].subject
    named = f"{certificate.label} {certificate.domain}"
    return f"{named}: {subject}" if subject else named


def kind_text(certificate: Certificate) -> str:
    if certificate.label:
        subject = HELD[certificate.kind].subject
        return f"{subject} of the {certificate.label}" if subject else certificate.label
    if certificate.is_iam:
        return "IAM server certificate"
    kind = {"IMPORTED": "imported", "AMAZON_ISSUED": "ACM-issued", "PRIVATE": "private"}
    return f"{kind.get(certificate.type, certificate.type)} ACM certificate"


NOT_IN_USE_ACTION = (
    "Not in use: delete it or let it lapse. Nothing uses this certificate, so its expiry cannot "
    "take a service down; if something is meant to use it, renew it first."
)


EXPORTED_ACTION = (
    " It was exported (or may be: it is exportable): once it is renewed, export the new "
    "certificate and deploy it on every server that holds a copy of the old one."
)


def action_text(certificate: Certificate) -> str:
    action = _renewal_text(certificate)
    return action + EXPORTED_ACTION if certificate.exported else action


def _renewal_text(certificate: Certificate) -> str:
    if certificate.in_use is False:
        return NOT_IN_USE_ACTION
    if certificate.label:
        return HELD[certificate.kind].action
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
    text = _aws_users_text(certificate)
    if certificate.exported:
        return f"{text}; exported: copies may run on servers outside AWS"
    return text


def _aws_users_text(certificate: Certificate) -> str:
    if certificate.label:
        state = f" ({certificate.status})" if certificate.status else ""
        used = certificate.in_use is not False
        return HELD[certificate.kind].breaks if used else f"not in use{state}"
    if certificate.in_use_by:
        users = list(certificate.in_use_by)
        rest = len(users) - USERS_IN_TEXT
        return ", ".join(users[:USERS_IN_TEXT]) + (f" and {rest} more" if rest > 0 else "")
    if certificate.is_iam:
        return "unknown (IAM does not record it; check load balancers and CloudFront)"
    if certificate.exported and not certificate.in_use:
        return "no AWS service"
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
    for key, documented in ASFF_ACM_VALUES.items():
        if details[key] not in documented:
            details[key] = None
    # ASFF rejects empty strings and empty lists in these fields.
    return {k: v for k, v in details.items() if v not in (None, "", [])}


def _resource(certificate: Certificate) -> dict[str, Any]:
    """ACM's and RDS's resource types are ASFF's own; for a resource type it does not list,
    ASFF's guidance is Type Other with Details.Other (a global one has no Region)."""
    if certificate.kind == ACM:
        kind, details = "AwsCertificateManagerCertificate", _acm_details(certificate)
    elif certificate.kind == "rds":
        kind, details = "AwsRdsDbInstance", dict(certificate.details)
    else:
        kind, details = "Other", {k: v[:1024] for k, v in certificate.details.items()}
    resource = {"Type": kind, "Id": certificate.arn, "Partition": certificate.partition}
    if certificate.region != GLOBAL_REGION:
        resource["Region"] = certificate.region
    return resource | {"Details": {kind: details}}


def next_updated_at(now: datetime, existing: ExistingFinding | None) -> datetime:
    """Security Hub ignores an update whose UpdatedAt is older than the stored one."""
    if existing is None or existing.updated_at < now:
        return now
    return existing.updated_at + timedelta(milliseconds=1)


def in_use_field(certificate: Certificate) -> str:
    return "unknown" if certificate.in_use is None else str(certificate.in_use).lower()


def _finding_words(assessment: Assessment, expiry_days: int) -> tuple[str, str]:
    """A finding's title and description."""
    cert = assessment.certificate
    assert cert.not_after is not None  # assessed, so it has an expiry
    title = f"{'IAM server' if cert.is_iam else 'ACM'} certificate {cert.domain} "
    if cert.label:
        title = f"{held_name(cert)} "
    verb = "expired" if assessment.expired else "expires"
    ahead = "" if assessment.expired else f", {plural(assessment.days_left, 'day')} from now"
    description = (
        f"The {kind_text(cert)} {cert.domain} ({cert.arn}) {verb} on "
        f"{human_date(cert.not_after)}{ahead}, inside the {expiry_days}-day window. "
        f"Used by: {users_text(cert)}."
        + (f" Key algorithm: {cert.key_algorithm}." if cert.kind == ACM else "")
    )
    return (title + when_text(assessment))[:256], description[:1024]


def _product_fields(assessment: Assessment, expiry_days: int) -> dict[str, str]:
    cert = assessment.certificate
    assert cert.not_after is not None  # assessed, so it has an expiry
    fields = {
        "Source": cert.kind,
        "Name": cert.domain[:256],
        "Label": cert.label,
        "DaysLeft": str(assessment.days_left),
        "NotAfter": iso(cert.not_after),
        "ExpiryDays": str(expiry_days),
        "CertificateType": cert.type,
        "KeyAlgorithm": cert.key_algorithm,
        "InUse": in_use_field(cert),
        "Exported": str(cert.exported).lower(),
        "InUseByCount": str(len(cert.in_use_by or ())),
        "SubjectAlternativeNameCount": str(len(cert.subject_alternative_names)),
        "ConsoleUrl": console_url(cert) or "",
        "Owner": cert.owner,  # Security Hub automation rules can route on it
    }
    return {key: value for key, value in fields.items() if value}


def _finding_head(
    finding_id: str,
    account: str,
    *,
    partition: str,
    hub_region: str,
    now: datetime,
    severity: Mapping[str, str],
    existing: ExistingFinding | None,
) -> dict[str, Any]:
    """What every finding of this generator starts with, a certificate's or the monitor's: its
    identity, and its times, kept from the finding it updates."""
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id,
        "ProductArn": product_arn(partition, hub_region, account),
        "GeneratorId": GENERATOR_ID,
        "AwsAccountId": account,
        "Types": [FINDING_TYPE],
        "CreatedAt": existing.created_at if existing else iso(now),
        "UpdatedAt": iso(next_updated_at(now, existing)),
        "FirstObservedAt": existing.raw.get("FirstObservedAt", existing.created_at)
        if existing
        else iso(now),
        "LastObservedAt": iso(now),
        "Severity": dict(severity),
        "FindingProviderFields": {"Severity": dict(severity), "Types": [FINDING_TYPE]},
    }


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
    title, description = _finding_words(assessment, expiry_days)
    finding = _finding_head(
        _finding_id_of(assessment),
        cert.account,
        partition=hub_partition,
        hub_region=hub_region,
        now=assessment.now,
        severity={"Label": assessment.severity, "Original": str(assessment.days_left)},
        existing=existing,
    )
    url = console_url(cert)
    finding |= {
        "Title": title,
        "Description": description,
        "Remediation": {
            "Recommendation": {
                "Text": action_text(cert)[:512],
                "Url": HELD[cert.kind].url
                if cert.label
                else REMEDIATION_URLS.get(cert.type, REMEDIATION_URLS["AMAZON_ISSUED"]),
            }
        },
        "ProductFields": _product_fields(assessment, expiry_days),
        "Resources": [_resource(cert)],
        "Compliance": {"Status": "FAILED"},
        "RecordState": "ACTIVE",
        **({"SourceUrl": url} if url else {}),
    }
    if len(json.dumps(finding)) > MAX_FINDING_BYTES:  # thousands of long names or users
        details = finding["Resources"][0]["Details"].get("AwsCertificateManagerCertificate", {})
        for key in ("SubjectAlternativeNames", "InUseBy"):
            if key in details:
                details[key] = details[key][:5]
    return finding


# What an archived finding keeps of the active one.
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
    kind, region = _source_of(raw, arn)
    return ExistingFinding(
        id=str(raw["Id"]),
        certificate_arn=arn,
        kind=kind,
        region=region,
        created_at=str(raw.get("CreatedAt") or raw.get("UpdatedAt")),
        updated_at=timestamp(raw.get("UpdatedAt")) or datetime.min.replace(tzinfo=timezone.utc),
        raw=raw,
    )


def _source_of(raw: Mapping[str, Any], arn: str) -> tuple[str, str]:
    """The source and region of a finding's certificate: its ProductFields say, and the ARN
    for findings written before they did."""
    if is_monitor_finding(raw):
        return MONITOR, ""
    parts = parse_arn(arn) or {}
    kind = (raw.get("ProductFields") or {}).get("Source") or (
        IAM if parts.get("service") == "iam" else ACM
    )
    if kind in GLOBAL_SOURCES:
        return kind, GLOBAL_REGION
    return kind, str((raw.get("Resources") or [{}])[0].get("Region") or parts.get("region", ""))


@dataclass(frozen=True)
class FindingPlan:
    write: tuple[dict[str, Any], ...]  # active findings, then archived ones
    active: int
    archived: int
    closed: frozenset[str] = frozenset()  # the certificates whose findings are archived


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
    current = {finding["Resources"][0]["Id"]: finding["Id"] for finding in active}
    archived = [
        build_archived_finding(finding, reason, now)
        for finding, reason in findings_to_close(existing, current, reasons)
    ]
    closed = frozenset(f["Resources"][0]["Id"] for f in archived)
    return FindingPlan(tuple(active + archived), len(active), len(archived), closed)


def findings_to_close(
    existing: Sequence[ExistingFinding], current: Mapping[str, str], reasons: Mapping[str, str]
) -> list[tuple[ExistingFinding, str]]:
    """Which active findings to close, and why. ``current`` maps each certificate in the window
    to the Id of its finding; ``reasons`` says why other certificates need none (renewed out of
    the window, deleted, ignored). A finding of another version of a certificate in the window
    is replaced; one of a certificate this run knows nothing about is left as it is."""
    closing = []
    for finding in existing:
        replacement = current.get(finding.certificate_arn)
        if replacement == finding.id:
            continue
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
        closing.append((finding, reason))
    return closing


def outside_reason(assessment: Assessment, expiry_days: int) -> str:
    cert = assessment.certificate
    reason = (
        f"the certificate was renewed or re-imported; it now expires on "
        f"{human_date(cert.not_after) if cert.not_after else 'an unknown date'}, "
        f"{plural(assessment.days_left, 'day')} away, outside the {expiry_days}-day window."
    )
    return reason + (RENEWED_EXPORTED if cert.exported else "")


RENEWED_EXPORTED = (
    " It was exported: the servers that hold copies still have the old certificate until the "
    "renewed one is exported and deployed there."
)


# The pure core: the monitor and the organisation ################################################


def monitor_finding_id(account: str) -> str:
    return f"{GENERATOR_ID}/{MONITOR}/{account}"


def is_monitor_finding(raw: Mapping[str, Any]) -> bool:
    return str(raw.get("Id", "")).startswith(monitor_finding_id(""))


def build_monitor_finding(
    account: str,
    *,
    partition: str,
    hub_region: str,
    now: datetime,
    scanned: str,
    by_severity: Mapping[str, int],
    missing: Sequence[str],
    existing: ExistingFinding | None,
) -> dict[str, Any]:
    """The finding a scheduled scan writes about itself: its UpdatedAt says when the account last
    reported, its severity and compliance whether that scan was complete, and what it missed."""
    complete = not missing
    label = "INFORMATIONAL" if complete else "MEDIUM"
    words = "complete" if complete else f"incomplete: {'; '.join(missing)}"
    head = _finding_head(
        monitor_finding_id(account),
        account,
        partition=partition,
        hub_region=hub_region,
        now=now,
        severity={"Label": label},
        existing=existing,
    )
    return head | {
        "Title": f"Certificate expiry monitor of {account}: scan {words}"[:256],
        "Description": f"The weekly certificate scan of {scanned} ran on {human_date(now)}; "
        f"it was {words}"[:1023]
        + ".",
        "ProductFields": {
            "Source": MONITOR,
            "Complete": str(complete).lower(),
            "ScannedAt": iso(now),
            "Scanned": scanned[:1024],
            **{label.title(): str(count) for label, count in by_severity.items()},
            **({"Missing": "; ".join(missing)[:1024]} if missing else {}),
        },
        "Resources": [
            {
                "Type": "AwsAccount",
                "Id": f"AWS::::Account:{account}",
                "Partition": partition,
                "Region": hub_region,
            }
        ],
        "Compliance": {"Status": "PASSED" if complete else "WARNING"},
        "RecordState": "ACTIVE",
    }


def certificate_from_finding(raw: Mapping[str, Any]) -> Certificate | None:
    """A member account's certificate as its finding describes it (every finding carries its
    NotAfter and use, so days left and severity are judged again when the digest is made)."""
    fields = raw.get("ProductFields") or {}
    resource = (raw.get("Resources") or [{}])[0]
    not_after = timestamp(fields.get("NotAfter"))
    if not_after is None or not resource.get("Id"):
        return None
    details = resource.get("Details") or {}
    acm = details.get("AwsCertificateManagerCertificate") or {}
    kind = str(fields.get("Source") or (IAM if resource.get("Type") == "Other" else ACM))
    in_use = {"true": True, "false": False}.get(str(fields.get("InUse")))
    return Certificate(
        arn=str(resource["Id"]),
        domain=str(fields.get("Name") or acm.get("DomainName") or resource["Id"]),
        kind=kind,
        partition=str(resource.get("Partition", "aws")),
        region=GLOBAL_REGION if kind in GLOBAL_SOURCES else str(resource.get("Region", "")),
        account=str(raw.get("AwsAccountId", "")),
        type=str(fields.get("CertificateType", "")),
        status=str(acm.get("Status", "")),
        key_algorithm=str(fields.get("KeyAlgorithm", "")),
        not_after=not_after,
        read_by="finding",
        subject_alternative_names=tuple(acm.get("SubjectAlternativeNames") or ()),
        in_use=in_use,
        in_use_by=() if in_use is False else None,
        exported=fields.get("Exported") == "true",
        label=str(fields.get("Label", "")) if kind in HELD else "",
        owner=str(fields.get("Owner", "")),
    )


@dataclass(frozen=True)
class Reported:
    """When a member account last reported (its monitor finding), and whether that scan was
    complete."""

    account: str
    at: datetime
    complete: bool
    missing: str


def reported_from(raw: Mapping[str, Any]) -> Reported | None:
    if not is_monitor_finding(raw):
        return None
    fields = raw.get("ProductFields") or {}
    return Reported(
        str(raw.get("AwsAccountId", "")),
        timestamp(raw.get("UpdatedAt")) or datetime.min.replace(tzinfo=timezone.utc),
        fields.get("Complete") == "true",
        str(fields.get("Missing", "")),
    )


def silent_accounts(
    members: Sequence[str], reports: Mapping[str, Reported], now: datetime
) -> list[dict[str, Any]]:
    """Associated members whose monitor is missing, older than 8 days, or incomplete: the
    organisation's heartbeat."""
    silent = []
    for account in sorted(members):
        report = reports.get(account)
        if report is None:
            reason = "no scan has reported"
        elif report.at < now - SILENT_AFTER:
            reason = f"no scan for {plural(whole_days(now - report.at), 'day')}"
        elif not report.complete:
            reason = f"the last scan was incomplete: {report.missing}".rstrip(": ")
        else:
            continue
        last = iso(report.at) if report else None
        silent.append({"account": account, "last_reported": last, "reason": reason})
    return silent


@dataclass(frozen=True)
class OrganizationDigest:
    """What an organisation digest adds to its certificates: whose they are, the counts of each
    account, the accounts whose monitor is silent, and how many were left out of the detail."""

    names: Mapping[str, str]
    accounts: tuple[dict[str, Any], ...]
    silent: tuple[dict[str, Any], ...]
    certificates: int
    left_out: int


def organization_digest(
    assessments: Sequence[Assessment],
    names: Mapping[str, str],
    silent: Sequence[dict[str, Any]],
) -> OrganizationDigest:
    """Every account's counts, and how many certificates the detail leaves out (it gives the
    100 most urgent)."""
    ordered = by_urgency(assessments)
    rows: dict[str, dict[str, Any]] = {}
    for assessment in ordered:
        account = assessment.certificate.account
        row = rows.setdefault(
            account,
            {"account": account, "name": names.get(account, "")}
            | {s.lower(): 0 for s in SEVERITY_ORDER},
        )
        row[assessment.severity.lower()] += 1
    accounts = sorted(rows.values(), key=lambda r: [-r[s.lower()] for s in SEVERITY_ORDER])
    left_out = max(0, len(ordered) - ORGANIZATION_DETAILS)
    return OrganizationDigest(dict(names), tuple(accounts), tuple(silent), len(ordered), left_out)


def organization_text(digest: OrganizationDigest) -> str:
    """The per-account table and the silent accounts, said once, after the certificates."""
    lines = [f"Certificates by account ({plural(len(digest.accounts), 'account')}):"]
    lines += [
        f"  {row['account']} {row['name'][:30]:<30} "
        + " ".join(f"{s.lower()} {row[s.lower()]}" for s in SEVERITY_ORDER)
        for row in digest.accounts
    ]
    if digest.silent:
        within = plural(whole_days(SILENT_AFTER), "day")
        lines += ["", f"Silent accounts (no complete scan within {within}):"]
        lines += [
            f"  {row['account']} {digest.names.get(row['account'], '')[:30]:<30} "
            f"last reported {row['last_reported'] or 'never'}: {row['reason']}"
            for row in digest.silent
        ]
    return "\n".join(lines) + "\n\n"


# The pure core: messages ########################################################################


def certificate_entry(assessment: Assessment, account_name: str | None = None) -> dict[str, Any]:
    """One certificate in the machine-readable document (see docs/messages.md)."""
    cert = assessment.certificate
    named = {} if account_name is None else {"account_name": account_name}
    return named | {
        "arn": cert.arn,
        "kind": cert.kind,
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
        "exported": cert.exported,
        **({"owner": cert.owner} if cert.owner else {}),
        "console_url": console_url(cert),
        "finding_id": _finding_id_of(assessment),
    }


def certificate_text(number: int, assessment: Assessment, account_name: str = "") -> str:
    cert = assessment.certificate
    account = f"account {cert.account}" + (f", {account_name}" if account_name else "")
    what = held_name(cert) if cert.label else cert.domain
    separator = " " if cert.label else " - "
    lines = [f"{number}. {what}{separator}{when_text(assessment)} [{assessment.severity}]"]
    also = names_text(cert)
    if also:
        lines.append(f"   Also covers: {also}")
    lines += [
        f"   Expires:  {human_date(cert.not_after) if cert.not_after else 'unknown'}",
        f"   ARN:      {cert.arn}",
    ]
    if cert.is_iam:
        lines.append(f"   Kind:     IAM server certificate ({account}), not in ACM")
    elif cert.label:
        lines += [
            f"   Region:   {cert.region} ({account})",
            f"   Kind:     {cert.label}" + (f", {cert.status}" if cert.status else ""),
        ]
    else:
        lines += [
            f"   Region:   {cert.region} ({account})",
            f"   Type:     {cert.type}, {cert.key_algorithm}, status {cert.status}",
        ]
    lines.append(f"   Used by:  {users_text(cert)}")
    if cert.owner:
        lines.append(f"   Owner:    {cert.owner}")
    url = console_url(cert)
    if url:
        lines.append(f"   Console:  {url}")
    lines.append(f"   To do:    {action_text(cert)}")
    return "\n".join(lines) + "\n\n"


def headline(assessment: Assessment) -> str:
    """One line that says what expires when: the title of a chat notification."""
    cert = assessment.certificate
    if cert.label:
        return f"{held_name(cert)} {when_text(assessment)}"
    if cert.is_iam:
        return f"IAM server certificate {cert.domain} {when_text(assessment)}"
    return f"{cert.domain} {when_text(assessment)}"


def security_hub_console(context: ChatContext) -> str:
    """The Security Hub console's findings of this generator."""
    host = CONSOLE_HOSTS.get(context.partition, CONSOLE_HOSTS["aws"])
    search = f"GeneratorId%3D%255Coperator%255C%253AEQUALS%255C%253A{GENERATOR_ID}"
    region = context.hub_region
    return (
        f"{host.format(region=region)}/securityhub/home?region={region}#/findings?search={search}"
    )


def _thread(*parts: str) -> str:
    """A thread id that stays the same for the same parts, run after run."""
    return hashlib.sha256("/".join((GENERATOR_ID, *parts)).encode()).hexdigest()[:40]


def _steps(*texts: str) -> list[str]:
    return [text[:CHAT_STEP_CHARS] for text in texts if text][:CHAT_STEPS]


def chat_notification(
    header: MessageHeader, assessments: Sequence[Assessment], subject: str, part: int
) -> dict[str, Any]:
    """An Amazon Q Developer in chat applications custom notification (its documented event
    schema: version 1.0, source custom, client-markdown content, a thread per subject)."""
    assert header.chat is not None
    console = security_hub_console(header.chat)
    if header.trigger != SCHEDULED_DETAIL_TYPE and len(assessments) == 1:
        return _certificate_chat(assessments[0], console)
    lines: list[str] = []
    used = 0
    for assessment in assessments:
        cert = assessment.certificate
        line = f"• *{assessment.severity}* {headline(assessment)} ({cert.region}, {cert.account})"
        if used + len(line) + 1 > CHAT_DESCRIPTION_CHARS - 60:  # room for "and N more"
            break
        lines.append(line)
        used += len(line) + 1
    shown = len(lines)
    if shown < len(assessments):
        lines.append(f"…and {len(assessments) - shown} more in this message.")
    scope = "organization" if header.organization else "account"
    owner = header.owner or EVERYONE
    return _chat(
        title=subject,
        description="\n".join(lines or ["Nothing expires; see the accounts below."]),
        steps=_steps(f"See every one in Security Hub: {console}", *header.notes),
        keywords=[scope, "digest", owner],
        thread=_thread(scope, header.chat.account, owner),
        resources=[a.certificate.arn for a in assessments[:10]],
        event="CertificateExpiryDigest",
        context={"part": str(part)},
    )


def _certificate_chat(assessment: Assessment, console: str) -> dict[str, Any]:
    cert = assessment.certificate
    assert cert.not_after is not None  # assessed, so it has an expiry
    facts = [
        f"*What:* {kind_text(cert)} `{cert.domain}`",
        f"*Where:* {cert.region}, account {cert.account}",
        f"*Expires:* {human_date(cert.not_after)} ({when_text(assessment)})",
        f"*Used by:* {users_text(cert)}",
        f"*ARN:* `{cert.arn}`",
    ]
    url = console_url(cert)
    return _chat(
        title=f"{headline(assessment)} [{assessment.severity}]",
        description="\n".join(facts + ([f"*Console:* {url}"] if url else [])),
        steps=_steps(action_text(cert), f"Its finding in Security Hub: {console}"),
        keywords=[assessment.severity, cert.kind, cert.region],
        thread=_thread(_finding_id_of(assessment)),
        resources=[cert.arn],
        event="CertificateExpiring",
        context={"days_left": str(assessment.days_left)},
    )


def _chat(
    *,
    title: str,
    description: str,
    steps: list[str],
    keywords: list[str],
    thread: str,
    resources: list[str],
    event: str,
    context: dict[str, str],
) -> dict[str, Any]:
    return {
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": title[:CHAT_TITLE_CHARS],
            "description": description[:CHAT_DESCRIPTION_CHARS],
            "nextSteps": steps,
            "keywords": keywords,
        },
        "metadata": {
            "threadId": thread,
            "summary": title[:CHAT_TITLE_CHARS],
            "eventType": event,
            "relatedResources": resources,
            "additionalContext": context,
        },
    }


def _escaped_bytes(text: str) -> int:
    """Bytes ``text`` takes inside a JSON string; JSON escaping works character by character,
    so the size of a concatenation is the sum of the sizes of its pieces."""
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8")) - 2


def _envelope(
    text: str, document: Mapping[str, Any], short: str, chat: Mapping[str, Any] | None
) -> str:
    # SQS, Lambda, Firehose and email-json subscribers fall back to "default": the document
    # appears once, which leaves room for more certificates per message. HTTP/S subscribers
    # (Amazon Q Developer's chat channels among them) get "https" when there is one.
    machine = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    envelope = {"default": machine, "email": text, "sms": short}
    if chat is not None:
        envelope["https"] = json.dumps(chat, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(envelope, ensure_ascii=False)


@dataclass(frozen=True)
class MessageHeader:
    trigger: str
    scope: str
    expiry_days: int
    now: datetime
    notes: tuple[str, ...] = ()  # said in every part: renewed certificates that were exported
    organization: OrganizationDigest | None = None  # an organisation digest's accounts
    chat: ChatContext | None = None  # HTTPS_FORMAT=chat: where a chat channel's links lead
    owner: str | None = None  # a digest of one owner's certificates
    owners: tuple[str, ...] = ()  # the message attribute the messages carry


@dataclass(frozen=True)
class ChatContext:
    """What a chat notification needs beyond the certificates: whose digest it is (its thread)
    and where to see every finding."""

    account: str
    hub_region: str
    partition: str


def _heading(
    header: MessageHeader, assessments: Sequence[Assessment], count: int, expired: int
) -> tuple[str, str]:
    """A message's subject and first line."""
    if header.organization is not None:
        return _organization_heading(header, header.organization, expired)
    if not assessments:
        renewed = plural(len(header.notes), "exported certificate")
        subject = fit_subject(f"{renewed} renewed: deploy the new copies", "")
        return subject, f"{renewed} renewed ({header.scope}, {human_date(header.now)})."
    if header.trigger != SCHEDULED_DETAIL_TYPE:
        only = assessments[0]
        subject = fit_subject(
            f"ACM certificate {{domain}} {when_text(only)}", only.certificate.domain
        )
        return subject, f"{header.trigger}: {header.scope}, {human_date(header.now)}."
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
    return subject, intro


def _organization_heading(
    header: MessageHeader, organization: OrganizationDigest, expired: int
) -> tuple[str, str]:
    count, accounts = organization.certificates, len(organization.accounts)
    silent = f", {len(organization.silent)} silent" if organization.silent else ""
    verb, has = ("expires", "has") if count == 1 else ("expire", "have")
    subject = fit_subject(
        f"{plural(count, 'certificate')} in {plural(accounts, 'account')} {verb} within "
        f"{header.expiry_days} days{silent}",
        "",
    )
    detail = f" The {ORGANIZATION_DETAILS} most urgent" if organization.left_out else " All"
    intro = (
        f"{plural(count, 'certificate')} in {plural(accounts, 'account')} {verb} within "
        f"{header.expiry_days} days or {has} expired ({header.scope}, "
        f"{human_date(header.now)}).{detail} in detail, most urgent first; every account's "
        "counts and the silent accounts follow."
    )
    return subject, intro


def _document(
    header: MessageHeader, assessments: Sequence[Assessment], part: int, parts: int
) -> dict[str, Any]:
    """The JSON document of one message (docs/messages.md)."""
    organization = header.organization
    names = organization.names if organization else None
    document: dict[str, Any] = {
        "version": DOCUMENT_VERSION,
        "trigger": header.trigger,
        "generated_at": iso(header.now),
        "expiry_days": header.expiry_days,
        "part": part,
        "parts": parts,
        "certificates": [
            certificate_entry(a, None if names is None else names.get(a.certificate.account, ""))
            for a in assessments
        ],
    }
    if header.notes:
        document["notes"] = list(header.notes)
    if organization:
        document.update(scope="organization", left_out=organization.left_out)
        if part == parts:
            document.update(
                accounts=list(organization.accounts), silent_accounts=list(organization.silent)
            )
    return document


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
    subject, intro = _heading(header, assessments, count, expired)
    if header.owner is not None:
        subject = fit_subject(f"[{header.owner}] {subject}", "")
        intro = f"Certificates of {header.owner}. {intro}"
    if parts > 1:
        suffix = f" (part {part} of {parts})"
        subject = subject[: MAX_SUBJECT_CHARS - len(suffix)] + suffix
        intro += f" Part {part} of {parts}."
    organization = header.organization
    text = (
        intro
        + "".join(f"\n\n{note}" for note in header.notes)
        + "\n\n"
        + "".join(
            certificate_text(first + i, a, _name_of(organization, a))
            for i, a in enumerate(assessments)
        )
        + (organization_text(organization) if organization and part == parts else "")
        + "Sent by the handle-expiring-certificates Lambda function.\n"
    )
    document = _document(header, assessments, part, parts)
    chat = chat_notification(header, assessments, subject, part) if header.chat else None
    return Notification(
        subject=subject,
        text=text,
        document=document,
        message=_envelope(text, document, subject, chat),
        certificate_arns=tuple(a.certificate.arn for a in assessments),
        owners=header.owners,
    )


def _name_of(organization: OrganizationDigest | None, assessment: Assessment) -> str:
    return organization.names.get(assessment.certificate.account, "") if organization else ""


def _entry_bytes(
    number: int, assessment: Assessment, names: Mapping[str, str] | None = None
) -> int:
    """What one certificate adds to a published message: its text once, and its JSON entry
    (and a comma) once, escaped inside the "default" string."""
    name = None if names is None else names.get(assessment.certificate.account, "")
    entry = json.dumps(
        certificate_entry(assessment, name), ensure_ascii=False, separators=(",", ":")
    )
    text = certificate_text(number, assessment, name or "")
    return _escaped_bytes(text) + _escaped_bytes(entry + ",")


def build_notifications(
    header: MessageHeader, assessments: Sequence[Assessment], limit: int = MAX_MESSAGE_BYTES
) -> list[Notification]:
    """Messages for the certificates, most urgent first, each within SNS's size limit.

    A digest that does not fit is split into numbered parts so that no certificate is left out.
    """
    ordered = by_urgency(assessments)
    if header.organization is not None:
        ordered = ordered[:ORGANIZATION_DETAILS]  # the rest are counted by account
    if not ordered:
        said = header.notes or (header.organization and header.organization.silent)
        return [_render(header, [], 1, 1, 1)] if said else []
    names = header.organization.names if header.organization else None
    costs = [_entry_bytes(number, a, names) for number, a in enumerate(ordered, start=1)]
    # A chat notification takes what it takes of each part: counted at its most.
    limit -= CHAT_RESERVE_BYTES if header.chat else 0
    # All but the entries, with part numbers and counts as wide as they get in any part: an
    # upper bound, so every part packed within the limit is rendered within it. An organisation
    # digest's accounts come once, in the last part.
    heading = (len(ordered), sum(a.expired for a in ordered))
    plain = replace(header, chat=None)
    with_trailer = _render(plain, ordered[:1], 9999, 9999, 1, heading=heading).size - costs[0]
    base = _render(plain, ordered[:1], 9998, 9999, 1, heading=heading).size - costs[0]
    groups: list[list[Assessment]] = [[]]
    used = base
    for assessment, cost in zip(ordered, costs, strict=True):
        if groups[-1] and used + cost > limit:
            groups.append([])
            used = base
        groups[-1].append(assessment)
        used += cost
    if used + with_trailer - base > limit:
        groups.append([])
    notifications = []
    first = 1
    for number, group in enumerate(groups, start=1):
        notifications.append(_render(header, group, number, len(groups), first))
        first += len(group)
    return notifications


# The pure core: metrics #########################################################################


def build_metrics(summary: Summary, *, function_name: str, now: datetime) -> dict[str, Any]:
    """One CloudWatch embedded-metric-format document. Dimensions are low-cardinality on
    purpose: every distinct value is a metric CloudWatch bills for. ``Heartbeat`` only for a
    scan: 1 when it was complete."""
    values = summary.counts()
    if summary.scope == "organization":
        values["SilentAccounts"] = len(summary.silent_accounts)
    if summary.mode == "scan":
        values[HEARTBEAT_METRIC] = int(summary.complete)
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
        "Mode": summary.mode,
        **values,
    }


# The pure core: what a scan asks ################################################################


@dataclass(frozen=True)
class Ask:
    """A certificate to examine one by one (describe it, read its tags), and what the summary
    says if it turns out to be gone."""

    arn: str
    known: Certificate | None  # what a listing gave; None when only the ARN is known
    gone_note: str
    exported: bool = False  # known to be exported (an ACM event says so; a describe does not)


@dataclass(frozen=True)
class ScanPlan:
    settled: tuple[Outcome, ...]  # judged from the listings alone
    asks: tuple[Ask, ...]


def judge(certificate: Certificate, config: Config, now: datetime) -> Outcome:
    """Inside the window, or outside it and why (renewed, or not issued yet)."""
    assessment = assess(certificate, now, config.expiry_days)
    if assessment is None:
        reason = f"it has no expiry date (status {certificate.status})."
        return Outcome(certificate.arn, "outside", reason=reason)
    if not assessment.in_window:
        reason = outside_reason(assessment, config.expiry_days)
        return Outcome(certificate.arn, "outside", assessment, reason)
    return Outcome(certificate.arn, "in_window", assessment)


def needs_examination(certificate: Certificate, config: Config) -> bool:
    """Whether an ACM certificate in the window must be asked about one by one: its finding
    needs more than the listing gave, or its tags decide whether it is reported."""
    return certificate.kind == ACM and (certificate.needs_description or config.reads_tags)


def plan_scan(
    listings: Sequence[Listing],
    existing: Sequence[ExistingFinding],
    config: Config,
    now: datetime,
    gone_reasons: Mapping[str, str],
) -> ScanPlan:
    """What the listings settle, and what must still be asked: listed certificates that need
    more, those only a metric names, and those of active findings a complete listing no longer
    holds. ``gone_reasons``: per source, what such a finding means ("" to ask)."""
    listed = {c.arn: c for listing in listings for c in listing.certificates}
    settled: list[Outcome] = []
    asks: list[Ask] = []
    for certificate in listed.values():
        outcome = judge(certificate, config, now)
        if outcome.status == "in_window" and needs_examination(certificate, config):
            asks.append(Ask(certificate.arn, certificate, "deleted after it was listed"))
        else:
            settled.append(outcome)
    metric_only = sorted(
        set().union(*(listing.to_describe for listing in listings)) - listed.keys()
    )
    asks += [Ask(arn, None, "deleted; its DaysToExpiry metric lingers") for arn in metric_only]
    covered = {(listing.kind, listing.region) for listing in listings if listing.complete}
    known = listed.keys() | set(metric_only)
    for finding in existing:
        arn = finding.certificate_arn
        if arn in known or (finding.kind, finding.region) not in covered:
            continue
        known.add(arn)
        if gone_reasons.get(finding.kind):
            settled.append(Outcome(arn, "gone", reason=gone_reasons[finding.kind]))
        else:
            # A describe does not say whether it was exported; its finding does.
            exported = (finding.raw.get("ProductFields") or {}).get("Exported") == "true"
            asks.append(Ask(arn, None, "deleted; its finding is archived", exported))
    return ScanPlan(tuple(settled), tuple(asks))


# The AWS gateway: the only code that calls boto3 ###############################################


def _botocore_timestamp(value: str | float) -> datetime:
    # botocore turns each epoch number into a tzlocal datetime through dateutil: most of the CPU
    # of parsing a listing. The numbers and ISO texts AWS sends need only the standard library.
    return timestamp(value) or botocore.utils.parse_timestamp(str(value))


class AwsClients:
    """Creates clients, one per service, region and retry budget, kept across warm invocations.

    A session is not thread-safe: the handler prepares every client it needs before it fans out.
    """

    def __init__(self, session: botocore.session.Session | None = None) -> None:
        core = session or botocore.session.get_session()
        parsers = core.get_component("response_parser_factory")
        parsers.set_parser_defaults(timestamp_parser=_botocore_timestamp)
        self._session = boto3.session.Session(botocore_session=core)
        self._clients: dict[tuple[str, str, bool], Any] = {}

    def client(self, service: str, region: str, *, quick: bool = False) -> Any:
        """``quick``: for describes that only add detail, with fewer retries."""
        key = (service, region, quick)
        if key not in self._clients:
            self._clients[key] = self._session.client(
                service,  # type: ignore[call-overload]
                region_name=region,
                config=DESCRIBE_CONFIG if quick else CALL_CONFIG,
            )
        return self._clients[key]

    def prepare(self, needs: Iterable[tuple[str, str]]) -> None:
        """Create the clients of ``(service, region)`` now, before a fan-out."""
        for service, region in needs:
            self.client(service, region)

    def acm(self, region: str, *, quick: bool = False) -> ACMClient:
        return self.client("acm", region, quick=quick)  # type: ignore[no-any-return]

    def cloudwatch(self, region: str) -> CloudWatchClient:
        return self.client("cloudwatch", region)  # type: ignore[no-any-return]

    def iam(self, region: str) -> IAMClient:
        return self.client("iam", region)  # type: ignore[no-any-return]

    def securityhub(self, region: str) -> SecurityHubClient:
        return self.client("securityhub", region)  # type: ignore[no-any-return]

    def sns(self, region: str) -> SNSClient:
        return self.client("sns", region)  # type: ignore[no-any-return]

    def sts(self, region: str) -> STSClient:
        return self.client("sts", region)  # type: ignore[no-any-return]

    def partition(self, region: str) -> str:
        return self._session.get_partition_for_region(region)

    def offers(self, service: str, region: str) -> bool:
        """Whether this SDK knows the service in the region: a hint (a runtime's SDK may
        predate a region), used only to tell "not offered there" from a network failure."""
        partition = self.partition(region)
        return region in self._session.get_available_regions(service, partition_name=partition)


@functools.lru_cache(maxsize=1)
def default_clients() -> AwsClients:
    """Reused across warm invocations so connections and credentials are not set up again."""
    return AwsClients()


@dataclass(frozen=True)
class Deadline:
    """The invocation's time: the instant it judges at, read once (``now``), and the Lambda
    context's clock. A call starts only if it can end, retries and all, with time left to write
    findings and publish."""

    context: object
    now: datetime

    def allows(self, call_ms: int) -> bool:
        remaining = getattr(self.context, "get_remaining_time_in_millis", None)
        return not callable(remaining) or remaining() >= call_ms + WRITE_RESERVE_MS

    def window_end(self, config: Config) -> datetime:
        return self.now + timedelta(days=config.expiry_days)


AWS_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


def search_window(acm: ACMClient, end: datetime) -> list[Certificate]:
    """Every certificate of the region whose NotAfter is at or before ``end``, expired ones
    included: what expires, not what exists."""
    if not hasattr(acm, "search_certificates") or not acm.can_paginate("search_certificates"):
        # A Lambda runtime bundles an older botocore than PyPI; a pasted file runs on that.
        raise SearchUnavailableError("", "this SDK's ACM client has no SearchCertificates")
    pages = acm.get_paginator("search_certificates").paginate(
        FilterStatement={"Filter": {"X509AttributeFilter": {"NotAfter": {"End": end}}}},
        PaginationConfig={"PageSize": SEARCH_CERTIFICATES_PAGE},
    )
    try:
        return [
            certificate_from_search(result) for page in pages for result in page.get("Results", [])
        ]
    except botocore.exceptions.ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if error_code(error) in SEARCH_UNAVAILABLE_CODES or status == 404:
            raise SearchUnavailableError(error_code(error), str(error)) from error
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
        _raise_if_hub_off(error)
        raise
    return [
        finding
        for finding in found
        if finding is not None and resource_arn in (None, finding.certificate_arn)
    ]


def organization_findings(securityhub: SecurityHubClient) -> Iterator[Mapping[str, Any]]:
    """Every ACTIVE finding of this generator in the administrator's hub, every account's,
    but those a person suppressed; paced at GetFindings' documented rate (3 a second), so ten
    thousand findings read in about half a minute instead of throttling."""
    filters: dict[str, Any] = {
        "GeneratorId": [{"Value": GENERATOR_ID, "Comparison": "EQUALS"}],
        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
        "WorkflowStatus": [{"Value": "SUPPRESSED", "Comparison": "NOT_EQUALS"}],
    }
    pages = securityhub.get_paginator("get_findings").paginate(
        Filters=filters,  # type: ignore[arg-type]
        PaginationConfig={"PageSize": FINDINGS_PAGE},
    )
    interval, last = 1 / GET_FINDINGS_PER_SECOND, time.monotonic()
    for page in pages:
        yield from page.get("Findings", [])
        time.sleep(max(0.0, last + interval - time.monotonic()))
        last = time.monotonic()


def associated_members(securityhub: SecurityHubClient) -> list[str]:
    """The member accounts associated with this administrator."""
    pages = securityhub.get_paginator("list_members").paginate(
        OnlyAssociated=True, PaginationConfig={"PageSize": MEMBERS_PAGE}
    )
    return [str(member["AccountId"]) for page in pages for member in page.get("Members", [])]


def _raise_if_hub_off(error: botocore.exceptions.ClientError) -> None:
    if error_code(error) == HUB_NOT_ENABLED_CODE:
        raise HubNotEnabledError(HUB_NOT_ENABLED_CODE, str(error)) from error


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
) -> list[Problem]:
    """Write findings in batches, a few side by side; the findings that were not written."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=IMPORT_WORKERS) as pool:
        results = list(
            pool.map(lambda batch: _import_batch(securityhub, batch), import_batches(findings))
        )
    return [problem for problems in results for problem in problems]


def _import_batch(securityhub: SecurityHubClient, batch: list[Mapping[str, Any]]) -> list[Problem]:
    """One BatchImportFindings; those it rejected for a passing reason are sent once more."""
    rejected, answered = _import_once(securityhub, batch)
    passing = {
        problem.where
        for problem in rejected
        if answered and any(mark in problem.code for mark in RETRYABLE_IMPORT_ERRORS)
    }
    if not passing:
        return rejected
    again, _ = _import_once(securityhub, [f for f in batch if f["Id"] in passing])
    return [problem for problem in rejected if problem.where not in passing] + again


def _import_once(
    securityhub: SecurityHubClient, batch: list[Mapping[str, Any]]
) -> tuple[list[Problem], bool]:
    """The findings one BatchImportFindings did not write, and whether it answered at all."""
    try:
        response = securityhub.batch_import_findings(Findings=batch)  # type: ignore[arg-type]
    except AWS_ERRORS as error:
        if isinstance(error, botocore.exceptions.ClientError):
            _raise_if_hub_off(error)
        return [failed("error", "BatchImportFindings", str(f["Id"]), error) for f in batch], False
    rejected = [
        Problem("error", "BatchImportFindings", item["Id"], item["ErrorCode"], item["ErrorMessage"])
        for item in response.get("FailedFindings", [])
    ]
    return rejected, True


def publish(sns: SNSClient, topic_arn: str, notification: Notification) -> str:
    kwargs: dict[str, Any] = {
        "TopicArn": topic_arn,
        "Subject": notification.subject,
        "Message": notification.message,
        "MessageStructure": "json",
    }
    if notification.owners:
        # SNS delivers it to the subscriptions whose filter policy names one of these owners.
        owners = json.dumps(list(notification.owners))
        kwargs["MessageAttributes"] = {"owner": {"DataType": "String.Array", "StringValue": owners}}
    if topic_arn.endswith(".fifo"):
        kwargs["MessageGroupId"] = GENERATOR_ID
        kwargs["MessageDeduplicationId"] = hashlib.sha256(notification.message.encode()).hexdigest()
    return str(sns.publish(**kwargs)["MessageId"])


# The AWS gateway: certificate sources ###########################################################


def read_acm(clients: AwsClients, region: str, config: Config, deadline: Deadline) -> Listing:
    """ACM in one region: what a search finds inside the window (every certificate, where search
    is unavailable), and the certificates whose DaysToExpiry metric says they may be inside it."""
    found = _acm_certificates(clients.acm(region), region, deadline.window_end(config))
    listed = {certificate.arn for certificate in found.certificates}
    metrics = _acm_metrics(clients.cloudwatch(region), region, listed, config, deadline.now)
    return Listing(
        ACM,
        region,
        found.read_with,
        found.certificates,
        unlisted=metrics.unlisted,
        to_describe=metrics.to_describe,
        complete=found.complete,
        problems=found.problems + metrics.problems,
    )


def _acm_certificates(acm: ACMClient, region: str, end: datetime) -> Listing:
    try:
        return Listing(ACM, region, "SearchCertificates", tuple(search_window(acm, end)))
    except SearchUnavailableError as unavailable:
        instead = "every certificate was listed instead (ListCertificates, all key types)"
        fallback = Problem(
            "warning",
            "SearchCertificates",
            f"in {region}",
            unavailable.code,
            unavailable.detail,
            instead,
        )
    except AWS_ERRORS as error:
        problem = failed("error", "SearchCertificates", f"in {region}", error)
        return Listing(ACM, region, "SearchCertificates", complete=False, problems=(problem,))
    try:
        listed = tuple(list_certificates(acm))
    except AWS_ERRORS as error:
        problems = (fallback, failed("error", "ListCertificates", f"in {region}", error))
        return Listing(ACM, region, "ListCertificates", complete=False, problems=problems)
    return Listing(ACM, region, "ListCertificates", listed, problems=(fallback,))


def _acm_metrics(
    cloudwatch: CloudWatchClient, region: str, listed: set[str], config: Config, now: datetime
) -> Listing:
    """ACM keeps a DaysToExpiry metric for every certificate: those the search did not return
    are outside the window, deleted (a metric lingers two weeks), or not searchable yet. Their
    latest values tell which are worth asking ACM about."""
    instead = "carrying on with the search alone"
    try:
        arns = sorted(list_metric_certificate_arns(cloudwatch) - listed)
    except AWS_ERRORS as error:
        problem = failed("warning", "ListMetrics", f"in {region}", error, instead)
        return Listing(ACM, region, "ListMetrics", problems=(problem,))
    chunks = [
        arns[start : start + METRIC_QUERIES_PER_CALL]
        for start in range(0, len(arns), METRIC_QUERIES_PER_CALL)
    ]

    def values(chunk: Sequence[str]) -> tuple[dict[str, float], tuple[Problem, ...]]:
        try:
            return latest_days_to_expiry(cloudwatch, chunk, now), ()
        except AWS_ERRORS as error:
            return {}, (failed("warning", "GetMetricData", f"in {region}", error, instead),)

    with concurrent.futures.ThreadPoolExecutor(METRIC_WORKERS) as pool:
        read = list(pool.map(values, chunks))
    latest = {arn: days for found, _ in read for arn, days in found.items()}
    return Listing(
        ACM,
        region,
        "GetMetricData",
        unlisted=frozenset(latest),
        # A value is up to a day old: one day of slack keeps the window's edge.
        to_describe=frozenset(
            arn for arn, days in latest.items() if days <= config.expiry_days + 1
        ),
        problems=tuple(problem for _, problems in read for problem in problems),
    )


def read_iam(clients: AwsClients, region: str, config: Config, deadline: Deadline) -> Listing:
    """IAM server certificates (global)."""
    found = list_server_certificates(clients.iam(region))
    return Listing(IAM, GLOBAL_REGION, "ListServerCertificates", tuple(found))


def read_private_ca(
    clients: AwsClients, region: str, config: Config, deadline: Deadline
) -> Listing:
    """Each Private CA's own certificate: every certificate it issued expires with it."""
    pca = clients.client("acm-pca", region)
    found = _paged(pca, "list_certificate_authorities", "CertificateAuthorities", 1000)
    return Listing("private-ca", region, "ListCertificateAuthorities", _parsed(found, _private_ca))


def _private_ca(ca: Mapping[str, Any]) -> Iterable[Certificate]:
    certificate = certificate_from_private_ca(ca)
    return [certificate] if certificate else []


def read_rds(clients: AwsClients, region: str, config: Config, deadline: Deadline) -> Listing:
    """The server certificate of every DB instance (RDS, Aurora, DocumentDB, Neptune)."""
    instances = _paged(clients.client("rds", region), "describe_db_instances", "DBInstances", 100)
    found = (certificate_from_rds(instance) for instance in instances)
    return Listing("rds", region, "DescribeDBInstances", tuple(c for c in found if c))


def read_api_gateway(
    clients: AwsClients, region: str, config: Config, deadline: Deadline
) -> Listing:
    """API Gateway client certificates."""
    items = _paged(clients.client("apigateway", region), "get_client_certificates", "items", 500)
    partition, account = clients.partition(region), config.account or ""
    found = (certificate_from_api_gateway(item, region, partition, account) for item in items)
    return Listing("api-gateway", region, "GetClientCertificates", tuple(found))


def read_iot(clients: AwsClients, region: str, config: Config, deadline: Deadline) -> Listing:
    """IoT CA certificates: listed, then each described for its validity."""
    iot = clients.client("iot", region)
    listed = list(_paged(iot, "list_ca_certificates", "certificates", 250))

    def describe(item: Mapping[str, Any]) -> Iterable[Certificate]:
        answer = iot.describe_ca_certificate(certificateId=item["certificateId"])
        return [certificate_from_iot(answer["certificateDescription"])]

    return _each("iot", region, "DescribeCACertificate", listed, describe, deadline)


def read_saml(clients: AwsClients, region: str, config: Config, deadline: Deadline) -> Listing:
    """IAM SAML providers (global): listed, then each read for its metadata's certificates."""
    iam = clients.iam(region)
    providers = iam.list_saml_providers().get("SAMLProviderList", [])

    def read(provider: Mapping[str, Any]) -> Iterable[Certificate]:
        full = iam.get_saml_provider(SAMLProviderArn=str(provider["Arn"]))
        metadata = str(full.get("SAMLMetadataDocument", ""))
        return [certificate_from_saml({**provider, **full}, metadata)]

    return _each(SAML, GLOBAL_REGION, "GetSAMLProvider", providers, read, deadline)


def read_transfer(clients: AwsClients, region: str, config: Config, deadline: Deadline) -> Listing:
    """Transfer Family certificates: listed, then each described for its NotAfterDate."""
    transfer = clients.client("transfer", region)
    listed = list(_paged(transfer, "list_certificates", "Certificates", 1000))

    def describe(item: Mapping[str, Any]) -> Iterable[Certificate]:
        answer = transfer.describe_certificate(CertificateId=item["CertificateId"])
        return [certificate_from_transfer(answer["Certificate"])]

    return _each("transfer", region, "DescribeCertificate", listed, describe, deadline)


def read_directory_service(
    clients: AwsClients, region: str, config: Config, deadline: Deadline
) -> Listing:
    """Certificates registered with each Managed Microsoft AD directory (the only kind that
    holds any)."""
    ds = clients.client("ds", region)
    directories = _paged(ds, "describe_directories", "DirectoryDescriptions")
    managed = [d for d in directories if d.get("Type") == "MicrosoftAD"]
    partition, account = clients.partition(region), config.account or ""

    def certificates(directory: Mapping[str, Any]) -> Iterable[Certificate]:
        infos = _paged(
            ds, "list_certificates", "CertificatesInfo", 50, DirectoryId=directory["DirectoryId"]
        )
        return [certificate_from_directory(i, directory, region, partition, account) for i in infos]

    return _each("directory-service", region, "ListCertificates", managed, certificates, deadline)


def read_dms(clients: AwsClients, region: str, config: Config, deadline: Deadline) -> Listing:
    """DMS certificates."""
    found = _paged(clients.client("dms", region), "describe_certificates", "Certificates", 100)
    return Listing("dms", region, "DescribeCertificates", tuple(map(certificate_from_dms, found)))


def read_sns_apns(clients: AwsClients, region: str, config: Config, deadline: Deadline) -> Listing:
    """SNS platform applications that authenticate to APNs with a certificate."""
    found = _paged(clients.sns(region), "list_platform_applications", "PlatformApplications")
    certificates = (certificate_from_sns_apns(application) for application in found)
    return Listing(
        "sns-apns", region, "ListPlatformApplications", tuple(c for c in certificates if c)
    )


def _paged(client: Any, operation: str, key: str, size: int = 0, **params: Any) -> Iterator[Any]:
    """Every item of every page, pages of ``size`` (the API's largest) where it has a limit."""
    paging = {"PageSize": size} if size else {}
    for page in client.get_paginator(operation).paginate(PaginationConfig=paging, **params):
        yield from page.get(key) or []


def _parsed(
    items: Iterable[Mapping[str, Any]], parse: Callable[[Mapping[str, Any]], Iterable[Certificate]]
) -> tuple[Certificate, ...]:
    return tuple(certificate for item in items for certificate in parse(item))


def _each(
    kind: str,
    region: str,
    operation: str,
    items: Sequence[Mapping[str, Any]],
    read: Callable[[Mapping[str, Any]], Iterable[Certificate]],
    deadline: Deadline,
) -> Listing:
    """Read each listed item (a describe per item), a few side by side. One that cannot be read
    leaves the listing incomplete (its findings stay as they are); the others go on."""
    where = "" if region == GLOBAL_REGION else f"in {region}"

    def one(item: Mapping[str, Any]) -> Listing:
        if not deadline.allows(CALL_WORST_MS):
            problem = Problem("error", operation, where, detail="no time left before the deadline")
            return Listing(kind, region, operation, complete=False, problems=(problem,))
        try:
            return Listing(kind, region, operation, tuple(read(item)))
        except AWS_ERRORS as error:
            problem = failed("error", operation, where, error)
            return Listing(kind, region, operation, complete=False, problems=(problem,))

    with concurrent.futures.ThreadPoolExecutor(EACH_WORKERS) as pool:
        read_items = list(pool.map(one, items))
    return Listing(
        kind,
        region,
        operation,
        tuple(c for listing in read_items for c in listing.certificates),
        complete=all(listing.complete for listing in read_items),
        problems=tuple(p for listing in read_items for p in listing.problems),
    )


@dataclass(frozen=True)
class Source:
    """One certificate source: where it is read, how, and with which permissions."""

    name: str
    scope: str  # "regional": read in each of SCAN_REGIONS; "global": once
    services: tuple[str, ...]  # the clients ``read`` uses, made before the fan-out
    read: Callable[[AwsClients, str, Config, Deadline], Listing]
    actions: tuple[str, ...]  # the IAM actions it needs (iam_policy.json grants exactly these)
    # Why a finding's certificate that a complete listing no longer holds needs none; "" when
    # the certificate is asked about one by one (ACM: a search returns only the window).
    gone: str = ""


SOURCES: Mapping[str, Source] = {
    source.name: source
    for source in (
        Source(
            ACM,
            "regional",
            ("acm", "cloudwatch"),
            read_acm,
            (
                "acm:SearchCertificates",
                "acm:ListCertificates",
                "acm:DescribeCertificate",
                "acm:ListTagsForCertificate",
                "cloudwatch:ListMetrics",
                "cloudwatch:GetMetricData",
            ),
        ),
        Source(
            IAM,
            "global",
            ("iam",),
            read_iam,
            ("iam:ListServerCertificates",),
            "the IAM server certificate no longer exists.",
        ),
        Source(
            "private-ca",
            "regional",
            ("acm-pca",),
            read_private_ca,
            ("acm-pca:ListCertificateAuthorities",),
            "the Private CA was deleted, or has no CA certificate any more.",
        ),
        Source(
            "rds",
            "regional",
            ("rds",),
            read_rds,
            ("rds:DescribeDBInstances",),
            "the DB instance no longer exists.",
        ),
        Source(
            "api-gateway",
            "regional",
            ("apigateway",),
            read_api_gateway,
            ("apigateway:GET",),
            "the client certificate was deleted.",
        ),
        Source(
            "iot",
            "regional",
            ("iot",),
            read_iot,
            ("iot:ListCACertificates", "iot:DescribeCACertificate"),
            "the CA certificate was deleted.",
        ),
        Source(
            SAML,
            "global",
            ("iam",),
            read_saml,
            ("iam:ListSAMLProviders", "iam:GetSAMLProvider"),
            "the SAML provider was deleted.",
        ),
        Source(
            "transfer",
            "regional",
            ("transfer",),
            read_transfer,
            ("transfer:ListCertificates", "transfer:DescribeCertificate"),
            "the certificate was deleted.",
        ),
        Source(
            "directory-service",
            "regional",
            ("ds",),
            read_directory_service,
            ("ds:DescribeDirectories", "ds:ListCertificates"),
            "the certificate was deleted, or its directory.",
        ),
        Source(
            "dms",
            "regional",
            ("dms",),
            read_dms,
            ("dms:DescribeCertificates",),
            "the certificate was deleted.",
        ),
        Source(
            "sns-apns",
            "regional",
            ("sns",),
            read_sns_apns,
            ("sns:ListPlatformApplications",),
            "the platform application was deleted, or no longer uses a certificate.",
        ),
    )
}


def read_source(
    source: Source, clients: AwsClients, region: str, config: Config, deadline: Deadline
) -> Listing:
    """A source's listing in one region; what failed, as a Problem naming the source and, for a
    denial, the permission the role lacks (for the listing and for each item read after it).
    A service not offered in the region: a note."""
    try:
        listing = source.read(clients, region, config, deadline)
    except AWS_ERRORS as error:
        listed_region = GLOBAL_REGION if source.scope == "global" else region
        where = "" if source.scope == "global" else f"in {region}"
        operation = getattr(error, "operation_name", None) or source.name
        if isinstance(error, botocore.exceptions.EndpointConnectionError) and not (
            clients.offers(source.services[0], region)
        ):
            note = Problem(
                "note",
                source.name,
                where,
                detail=f"{source.services[0]} is not offered there; skipped",
            )
            return Listing(source.name, listed_region, operation, problems=(note,))
        problem = failed("error", operation, where, error)
        return Listing(
            source.name,
            listed_region,
            operation,
            complete=False,
            problems=(replace(problem, then=not_read(source, problem)),),
        )
    named = (
        replace(p, then=not_read(source, p)) if p.level == "error" and p.code and not p.then else p
        for p in listing.problems
    )
    return replace(listing, problems=tuple(named))


def not_read(source: Source, problem: Problem) -> str:
    """What a failed call of a source left unread and, if AWS denied it, the action to grant."""
    then = f"the {source.name} source was not read"
    if problem.code.startswith("AccessDenied") or problem.code in DENIAL_CODES:
        action = next(
            (a for a in source.actions if a.endswith(f":{problem.action}")), source.actions[0]
        )
        then += f"; the role needs {action}"
    return then


def source_regions(source: Source, config: Config) -> tuple[str, ...]:
    """Where a source is read; a global source through the function's own region."""
    return config.scan_regions if source.scope == "regional" else (config.function_region,)


def examine(ask: Ask, acm: ACMClient | None, config: Config, deadline: Deadline) -> Outcome:
    """Complete what is known of one ACM certificate (describe it where the finding needs more,
    read its tags where IGNORE_TAG or OWNER_TAG is set) and judge it. ``acm`` is None where no
    client may be used."""
    arn, known = ask.arn, ask.known
    problems: tuple[Problem, ...] = ()
    certificate = known
    not_described = False
    if known is None or known.needs_description:
        if acm is None or not deadline.allows(DESCRIBE_WORST_MS):
            not_described = True
        else:
            try:
                certificate = describe_certificate(acm, arn)
            except AWS_ERRORS as error:
                problems = (failed("warning", "DescribeCertificate", arn, error),)
                certificate = known
            else:
                if certificate is None:
                    return Outcome(arn, "gone", reason="the certificate no longer exists in ACM.")
    if certificate is None:
        return Outcome(arn, "unknown", problems=problems, not_described=not_described)
    if (ask.exported or (known and known.exported)) and not certificate.exported:
        certificate = replace(certificate, exported=True, in_use=certificate.in_use or None)
    outcome = judge(certificate, config, deadline.now)
    if outcome.status == "in_window" and config.reads_tags and acm is not None:
        outcome = with_tags(outcome, acm, config.ignore_tag)
    return replace(outcome, problems=problems + outcome.problems, not_described=not_described)


def with_tags(outcome: Outcome, acm: ACMClient, ignore_tag: IgnoreTag | None) -> Outcome:
    """The outcome of a certificate in the window once its tags are read: for IGNORE_TAG and
    OWNER_TAG, once, and only inside the window."""
    try:
        tags = certificate_tags(acm, outcome.arn)
    except AWS_ERRORS as error:
        return replace(
            outcome, problems=(failed("warning", "ListTagsForCertificate", outcome.arn, error),)
        )
    assert outcome.assessment is not None  # inside the window
    certificate = replace(outcome.assessment.certificate, tags=tags)
    tagged = replace(outcome, assessment=replace(outcome.assessment, certificate=certificate))
    if ignore_tag is not None and ignore_tag.matches(tags):
        reason = f"the certificate carries the ignore tag {ignore_tag}."
        return replace(tagged, status="ignored", reason=reason)
    return tagged


def read_existing(
    securityhub: SecurityHubClient,
    hub_region: str,
    account: str | None,
    partition: str,
    resource_arn: str | None = None,
) -> FindingsRead:
    """The hub's own active findings (of every certificate, or of one)."""
    where = f"in {hub_region}"
    if account is None:
        unknown = "the account is unknown; no finding was read"
        return FindingsRead(problem=Problem("error", "GetFindings", where, detail=unknown))
    product = product_arn(partition, hub_region, account)
    try:
        found = read_own_findings(
            securityhub, account=account, product=product, resource_arn=resource_arn
        )
    except HubNotEnabledError:
        return FindingsRead(hub_enabled=False)
    except AWS_ERRORS as error:
        instead = "findings are written but none archived"
        return FindingsRead(problem=failed("error", "GetFindings", where, error, instead))
    return FindingsRead(tuple(found))


def write_findings(plan: FindingPlan, securityhub: SecurityHubClient) -> Written:
    if not plan.write:
        return Written()
    try:
        problems = import_findings(securityhub, plan.write)
    except HubNotEnabledError:
        return Written(hub_enabled=False)
    failed_ids = {problem.where for problem in problems}
    certificates = plan.write[: plan.active + plan.archived]  # the monitor finding is not one
    return Written(
        written=sum(1 for f in plan.write[: plan.active] if f["Id"] not in failed_ids),
        archived=sum(
            1
            for f in plan.write[plan.active : plan.active + plan.archived]
            if f["Id"] not in failed_ids
        ),
        failed=sum(1 for f in certificates if f["Id"] in failed_ids),
        problems=tuple(problems),
    )


def send_notifications(
    notifications: Sequence[Notification], topic_arn: str, sns: SNSClient
) -> Sent:
    message_ids: list[str] = []
    problems: list[Problem] = []
    for notification in notifications:
        try:
            message_ids.append(publish(sns, topic_arn, notification))
        except AWS_ERRORS as error:
            problems.append(failed("error", "Publish", f"to {topic_arn}", error))
    return Sent(tuple(message_ids), tuple(problems))


def function_account(context: object, sts: STSClient) -> str:
    """The function's own account: in Lambda, the one its ARN names (no call); elsewhere, who
    the credentials are."""
    parts = parse_arn(str(getattr(context, "invoked_function_arn", "")))
    if parts and ACCOUNT_PATTERN.match(parts["account"]):
        return parts["account"]
    return caller_account(sts)


# The handler ####################################################################################


@dataclass(frozen=True)
class Examination:
    """What examining a trigger found, for the findings, the messages and the summary."""

    outcomes: tuple[Outcome, ...]
    existing: FindingsRead
    account: str | None
    listings: tuple[Listing, ...] = ()
    skipped: tuple[Skip, ...] = ()
    examined: int = 0
    problems: tuple[Problem, ...] = ()

    def in_window(self) -> list[Assessment]:
        return by_urgency(
            o.assessment for o in self.outcomes if o.status == "in_window" and o.assessment
        )

    def closing_reasons(self) -> dict[str, str]:
        """Why the findings of certificates outside the window close, by certificate."""
        return {o.arn: o.reason for o in self.outcomes if o.closes_findings}


def gather(
    config: Config, clients: AwsClients, deadline: Deadline, account: str | None
) -> tuple[tuple[Listing, ...], FindingsRead]:
    """Every source in every region it is read in, and the hub's findings, side by side."""
    reads = [
        (SOURCES[name], region)
        for name in config.sources
        for region in source_regions(SOURCES[name], config)
    ]
    clients.prepare((service, region) for source, region in reads for service in source.services)
    hub_region = config.security_hub_region
    hub, partition = clients.securityhub(hub_region), clients.partition(hub_region)
    with concurrent.futures.ThreadPoolExecutor(len(reads) + 1) as pool:
        existing = pool.submit(read_existing, hub, hub_region, account, partition)
        listings = pool.map(
            lambda read: read_source(read[0], clients, read[1], config, deadline), reads
        )
        return tuple(listings), existing.result()


def examine_all(
    asks: Sequence[Ask], clients: AwsClients, config: Config, deadline: Deadline
) -> list[Outcome]:
    """Each certificate asked about, a few at a time: ACM allows about 10 describes a second."""
    acm = {region: clients.acm(region, quick=True) for region in config.scan_regions}
    with concurrent.futures.ThreadPoolExecutor(DESCRIBE_WORKERS) as pool:
        return list(
            pool.map(
                lambda ask: examine(ask, acm.get(_region_of(ask.arn)), config, deadline),
                asks,
            )
        )


def examine_scan(config: Config, clients: AwsClients, deadline: Deadline) -> Examination:
    """Gather every listing and the hub's findings, decide what to ask, ask it."""
    problems: tuple[Problem, ...] = ()
    account: str | None = None
    try:
        account = function_account(deadline.context, clients.sts(config.function_region))
    except AWS_ERRORS as error:
        problems = (failed("error", "GetCallerIdentity", "", error),)
    config = replace(config, account=account)
    listings, existing = gather(config, clients, deadline, account)
    gone = {name: source.gone for name, source in SOURCES.items()}
    plan = plan_scan(listings, existing.findings, config, deadline.now, gone)
    asked = examine_all(plan.asks, clients, config, deadline)
    skipped = [
        Skip(a.arn, a.gone_note)
        for a, o in zip(plan.asks, asked, strict=True)
        if o.status == "gone"
    ]
    skipped += [
        Skip(o.arn, f"ignored by tag {config.ignore_tag}") for o in asked if o.status == "ignored"
    ]
    outcomes = plan.settled + tuple(asked)
    return Examination(
        outcomes,
        existing,
        account,
        listings,
        tuple(skipped),
        examined(listings, outcomes),
        problems,
    )


def examined(listings: Sequence[Listing], outcomes: Sequence[Outcome]) -> int:
    """Certificates a scan saw that still exist: listed, known by a metric, or asked about."""
    seen = {c.arn for listing in listings for c in listing.certificates}
    seen |= {arn for listing in listings for arn in listing.unlisted}
    seen |= {o.arn for o in outcomes if o.status in ("in_window", "outside", "ignored")}
    return len(seen - {o.arn for o in outcomes if o.status == "gone"})


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
    trigger: CertificateEvent, config: Config, clients: AwsClients, deadline: Deadline
) -> Examination:
    """Option 1: the one certificate of an ACM event, and the hub's findings about it."""
    arn, account = trigger.certificate_arn, _account_of(trigger.certificate_arn)
    ask = Ask(arn, None, "the certificate no longer exists", trigger.exported)
    outcome = examine(ask, clients.acm(trigger.region), config, deadline)
    if outcome.status == "unknown":
        # Nothing is known of it: the run is incomplete, and no finding is touched.
        problems = tuple(replace(p, level="error") for p in outcome.problems) or (
            Problem("error", "DescribeCertificate", arn, detail="no time left"),
        )
        return Examination(
            (replace(outcome, problems=()),), FindingsRead(), account, problems=problems
        )
    if outcome.status == "outside":
        LOGGER.info("%s is outside the %d-day window: nothing new", arn, config.expiry_days)
    hub_region = config.security_hub_region
    existing = read_existing(
        clients.securityhub(hub_region), hub_region, account, clients.partition(hub_region), arn
    )
    notes = {"gone": ask.gone_note, "ignored": f"ignored by tag {config.ignore_tag}"}
    skipped = (Skip(arn, notes[outcome.status]),) if outcome.status in notes else ()
    return Examination(
        (outcome,), existing, account, skipped=skipped, examined=int(outcome.status != "gone")
    )


@dataclass(frozen=True)
class Organization:
    """What the administrator's hub says of the member accounts."""

    assessments: tuple[Assessment, ...] = ()  # their certificates inside the window, judged now
    names: Mapping[str, str] = field(default_factory=dict)  # account -> AwsAccountName
    silent: tuple[dict[str, Any], ...] = ()
    problems: tuple[Problem, ...] = ()


def read_organization(
    config: Config, clients: AwsClients, now: datetime, account: str | None
) -> Organization:
    """Members' findings and monitors, read (never written) from the administrator's hub. This
    account's own findings are left out: its fresh scan speaks for it."""
    hub_region = config.security_hub_region
    hub, where = clients.securityhub(hub_region), f"in {hub_region}"
    problems: list[Problem] = []
    try:
        members = set(associated_members(hub)) - {account}
    except AWS_ERRORS as error:
        problems.append(failed("error", "ListMembers", where, error, "silent accounts unknown"))
        members = set()
    latest: dict[str, tuple[datetime, Assessment]] = {}
    reports: dict[str, Reported] = {}
    names: dict[str, str] = {}
    try:
        for raw in organization_findings(hub):
            owner = str(raw.get("AwsAccountId", ""))
            if raw.get("AwsAccountName"):
                names[owner] = str(raw["AwsAccountName"])
            if owner != account:
                _member_finding(raw, now, config.expiry_days, latest, reports)
    except AWS_ERRORS as error:
        problems.append(failed("error", "GetFindings", where, error, "the digest is incomplete"))
    return Organization(
        tuple(assessment for _, assessment in latest.values()),
        names,
        tuple(silent_accounts(sorted(members), reports, now)),
        tuple(problems),
    )


def _member_finding(
    raw: Mapping[str, Any],
    now: datetime,
    expiry_days: int,
    latest: dict[str, tuple[datetime, Assessment]],
    reports: dict[str, Reported],
) -> None:
    """One member finding into what the digest keeps: the latest report of each account, the
    latest finding of each certificate inside the window."""
    report = reported_from(raw)
    if report is not None:
        if report.account not in reports or reports[report.account].at < report.at:
            reports[report.account] = report
        return
    certificate = certificate_from_finding(raw)
    assessment = assess(certificate, now, expiry_days) if certificate else None
    updated = timestamp(raw.get("UpdatedAt")) or now
    if assessment and assessment.in_window:
        key = f"{assessment.certificate.account}/{assessment.certificate.arn}"
        if key not in latest or latest[key][0] < updated:
            latest[key] = (updated, assessment)


@dataclass(frozen=True)
class Decision:
    """What to write and send, decided from an examination without calling AWS."""

    in_window: tuple[Assessment, ...]
    plan: FindingPlan
    notifications: tuple[Notification, ...]
    quiet: str | None  # why nothing is sent


def decide(
    trigger: Trigger,
    config: Config,
    examination: Examination,
    *,
    now: datetime,
    hub_partition: str,
    missing: Sequence[str],
    organization: Organization | None = None,
) -> Decision:
    """The findings to write or archive and the messages to send. ``missing``: what the run
    could not read so far (the monitor finding names it); ``organization``: the members'
    certificates and monitors, for an organisation digest instead of this account's."""
    in_window = [owned(a, config.owner_tag) for a in examination.in_window()]
    existing = examination.existing
    plan = plan_findings(
        in_window=in_window,
        reasons=examination.closing_reasons() if existing.problem is None else {},
        existing=existing.findings,
        hub_region=config.security_hub_region,
        hub_partition=hub_partition,
        expiry_days=config.expiry_days,
        now=now,
    )
    if isinstance(trigger, ScheduledScan) and examination.account:
        scanned = f"{', '.join(config.scan_regions)} ({', '.join(config.sources)})"
        monitor = build_monitor_finding(
            examination.account,
            partition=hub_partition,
            hub_region=config.security_hub_region,
            now=now,
            scanned=scanned,
            by_severity={s: sum(a.severity == s for a in in_window) for s in SEVERITY_ORDER},
            missing=missing,
            existing=next((f for f in existing.findings if f.kind == MONITOR), None),
        )
        plan = replace(plan, write=(*plan.write, monitor))
    header, notify = _messages_of(trigger, config, in_window, now, organization, examination)
    chat = ChatContext(examination.account or "", config.security_hub_region, hub_partition)
    header = replace(
        header,
        notes=renewed_notes(examination, plan),
        chat=chat if config.https_format == "chat" else None,
    )
    notifications = owned_notifications(header, notify, config.owner_tag, trigger)
    quiet = quiet_reason(trigger, config, examination, notifications, bool(missing))
    return Decision(tuple(in_window), plan, tuple(notifications), quiet)


def _messages_of(
    trigger: Trigger,
    config: Config,
    in_window: Sequence[Assessment],
    now: datetime,
    organization: Organization | None,
    examination: Examination,
) -> tuple[MessageHeader, Sequence[Assessment]]:
    """Who the messages speak of: one certificate, this account's scan, or the organisation."""
    if isinstance(trigger, CertificateEvent):
        days = trigger.days_to_expiry
        notify = [a for a in in_window if should_notify(a, config.notify_days, days)]
        scope = f"certificate {trigger.certificate_arn}"
        return MessageHeader(trigger.detail_type, scope, config.expiry_days, now), notify
    if organization is None:
        scope = f"scan of {', '.join(config.scan_regions)}" + (
            " and IAM" if config.include_iam else ""
        )
        return MessageHeader(trigger.detail_type, scope, config.expiry_days, now), in_window
    members = [owned(a, config.owner_tag) for a in organization.assessments]
    everyone = [*in_window, *members]
    digest = organization_digest(everyone, organization.names, organization.silent)
    scope = f"organization of {examination.account}"
    header = MessageHeader(trigger.detail_type, scope, config.expiry_days, now)
    return replace(header, organization=digest), everyone


def owned(assessment: Assessment, owner_tag: str | None) -> Assessment:
    """With OWNER_TAG, the certificate's owner: its tag's value (a member's finding says it),
    or "unowned" when the tag is missing or the tags are not known."""
    cert = assessment.certificate
    if owner_tag is None:
        return assessment
    owner = cert.owner or (cert.tags or {}).get(owner_tag) or UNOWNED
    return replace(assessment, certificate=replace(cert, owner=owner))


def owned_notifications(
    header: MessageHeader,
    assessments: Sequence[Assessment],
    owner_tag: str | None,
    trigger: Trigger,
) -> list[Notification]:
    """Without OWNER_TAG, the messages as they are. With it, every message carries the
    attribute "owner": a digest goes once to "all" and once to each owner with that owner's
    certificates only; a message about one certificate to "all" and its owner."""
    if owner_tag is None:
        return build_notifications(header, assessments)
    # An owner whose tag says "all" is everyone's: the digest to "all" carries theirs once.
    owners = sorted({a.certificate.owner for a in assessments} - {EVERYONE})
    if isinstance(trigger, CertificateEvent):
        return build_notifications(replace(header, owners=(EVERYONE, *owners)), assessments)
    notifications = build_notifications(replace(header, owners=(EVERYONE,)), assessments)
    for owner in owners:
        theirs = [a for a in assessments if a.certificate.owner == owner]
        digest = header.organization
        if digest is not None:
            digest = organization_digest(theirs, digest.names, ())
        mine = replace(header, owner=owner, owners=(owner,), organization=digest, notes=())
        notifications += build_notifications(mine, theirs)
    return notifications


def renewed_notes(examination: Examination, plan: FindingPlan) -> tuple[str, ...]:
    """Once, in the run that archives its finding: a renewed certificate that was exported
    still has to reach the servers that hold copies of the old one."""
    return tuple(
        f"{o.assessment.certificate.domain} ({o.arn}) was renewed.{RENEWED_EXPORTED}"
        for o in examination.outcomes
        if o.status == "outside"
        and o.assessment
        and o.assessment.certificate.exported
        and o.arn in plan.closed
    )


def quiet_reason(
    trigger: Trigger,
    config: Config,
    examination: Examination,
    notifications: Sequence[Notification],
    incomplete: bool,
) -> str | None:
    """Why nothing is sent; None when something is."""
    if notifications:
        if config.sns_topic_arn is None:
            return "SNS_TOPIC_ARN is not set"
        return "dry run" if config.dry_run else None
    if isinstance(trigger, ScheduledScan):
        if incomplete:
            return "nothing found to report, but the scan is incomplete (see the errors)"
        return "no certificate is inside the window"
    [outcome] = examination.outcomes
    if outcome.status == "in_window":
        return "NOTIFY_DAYS does not include this day"
    return f"the certificate is not inside the window ({OPTION_1_OUTCOMES[outcome.status]})"


def act(
    decision: Decision, config: Config, clients: AwsClients, existing: FindingsRead
) -> tuple[Written, Sent]:
    """Write findings while sending messages: a failure of either never holds up the other."""
    securityhub = clients.securityhub(config.security_hub_region)
    topic = config.sns_topic_arn
    sns = clients.sns(_region_of(topic)) if topic else None
    write = existing.hub_enabled and (existing.problem is None or decision.plan.active > 0)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as writer:
        writing = writer.submit(write_findings, decision.plan, securityhub) if write else None
        sent = Sent()
        if topic and sns and decision.notifications:
            sent = send_notifications(decision.notifications, topic, sns)
        written = writing.result() if writing else Written(hub_enabled=existing.hub_enabled)
    return written, sent


def start_summary(trigger: Trigger, config: Config, now: datetime) -> Summary:
    is_event = isinstance(trigger, CertificateEvent)
    return Summary(
        trigger=trigger.detail_type,
        mode="certificate" if is_event else "scan",
        regions=[trigger.region]
        if isinstance(trigger, CertificateEvent)
        else [*config.scan_regions],
        expiry_days=config.expiry_days,
        dry_run=config.dry_run,
        now=iso(now),
        scope=config.digest_scope if isinstance(trigger, ScheduledScan) else "account",
    )


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


def report_examination(summary: Summary, examination: Examination) -> None:
    """What was read and found, and what could not be read, into the summary (and the log)."""
    summary.account = examination.account
    acm_reads = [listing.read_with for listing in examination.listings if listing.kind == ACM]
    summary.source = ", ".join(dict.fromkeys(acm_reads)) or None
    summary.record(*(p for listing in examination.listings for p in listing.problems))
    summary.record(*examination.problems)
    summary.record(*(p for outcome in examination.outcomes for p in outcome.problems))
    for skip in examination.skipped:
        summary.skip(skip.arn, skip.reason)
    summary.certificates_examined = examination.examined
    entries = [certificate_entry(a) for a in examination.in_window()]
    summary.in_window = [{key: entry[key] for key in SUMMARY_ENTRY_KEYS} for entry in entries]
    summary.not_examined = sum(outcome.not_described for outcome in examination.outcomes)
    if summary.not_examined:
        summary.record(
            Problem(
                "warning",
                "",
                detail=f"The Lambda deadline was near: {summary.not_examined} certificate(s) were "
                "not described; their findings and messages use what the search or listing gave",
            )
        )


def report_actions(
    summary: Summary, decision: Decision, written: Written, sent: Sent, config: Config
) -> None:
    """What was written and sent (or would have been, in a dry run) into the summary."""
    hub_region = config.security_hub_region
    hub_off = f"Security Hub is not enabled in {hub_region}; findings were not written"
    skipped = hub_off if not written.hub_enabled else ("dry run" if config.dry_run else None)
    summary.findings = FindingsReport(
        hub_region, written.written, written.archived, written.failed, skipped
    )
    if not written.hub_enabled and not config.dry_run:
        summary.record(Problem("warning", "", detail=hub_off))
    summary.record(*written.problems, *sent.problems)
    summary.notification = NotificationReport(
        list(sent.message_ids), len(decision.notifications), decision.quiet
    )
    if config.dry_run:
        summary.would_write = [
            {
                "Id": f["Id"],
                "RecordState": f["RecordState"],
                "Severity": f["Severity"]["Label"],
                "Title": f.get("Title"),
            }
            for f in decision.plan.write
        ]
        summary.would_send = [
            {"subject": n.subject, "bytes": n.size, "text": n.text} for n in decision.notifications
        ]


def run(trigger: Trigger, config: Config, *, clients: AwsClients, deadline: Deadline) -> Summary:
    """Examine, decide, write findings and notify; every failure is recorded in the summary."""
    summary = start_summary(trigger, config, deadline.now)
    if isinstance(trigger, ScheduledScan):
        examination = examine_scan(config, clients, deadline)
    else:
        examination = examine_certificate(trigger, config, clients, deadline)
        summary.outcome = OPTION_1_OUTCOMES[examination.outcomes[0].status]
    report_examination(summary, examination)
    organization = None
    if isinstance(trigger, ScheduledScan) and config.digest_scope == "organization":
        organization = read_organization(config, clients, deadline.now, examination.account)
        summary.silent_accounts = list(organization.silent)
    decision = decide(
        trigger,
        config,
        examination,
        now=deadline.now,
        hub_partition=clients.partition(config.security_hub_region),
        missing=summary.errors,
        organization=organization,
    )
    if organization:
        summary.record(*organization.problems)
    existing = examination.existing
    if existing.problem:
        summary.record(existing.problem)
    written, sent = (
        (Written(hub_enabled=existing.hub_enabled), Sent())
        if config.dry_run
        else act(decision, config, clients, existing)
    )
    report_actions(summary, decision, written, sent, config)
    return summary


def _function_name(context: object, environ: Mapping[str, str]) -> str:
    return str(
        getattr(context, "function_name", None)
        or environ.get("AWS_LAMBDA_FUNCTION_NAME")
        or "local"
    )


def log_summary(summary: Summary) -> None:
    counts = summary.counts()
    skipped = summary.findings.skipped if summary.findings else None
    LOGGER.info(
        "%s: %d examined, %d in window, findings %d written / %d archived / %d failed%s, "
        "%d message(s) sent, %d error(s), %d warning(s), %d skipped",
        summary.trigger,
        summary.certificates_examined,
        counts["CertificatesInWindow"],
        counts["FindingsWritten"],
        counts["FindingsArchived"],
        counts["FindingsFailed"],
        f" (skipped: {skipped})" if skipped else "",
        counts["MessagesSent"],
        len(summary.errors),
        len(summary.warnings),
        len(summary.skipped),
        extra={
            "summary": {
                k: v for k, v in summary.as_dict().items() if k not in ("in_window", "would_send")
            }
        },
    )


def handle(
    event: object,
    context: object,
    *,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
    clients: AwsClients | None = None,
    emit: Callable[[str], object] | None = None,
) -> Summary:
    """One invocation, start to end: its Summary (``lambda_handler`` returns it as JSON)."""
    env = os.environ if environ is None else environ
    if not env.get("AWS_LAMBDA_LOG_LEVEL"):
        # Under Lambda's JSON log format the runtime sets the level the user chose; otherwise
        # the root logger's default (WARNING) would hide the one INFO line per invocation.
        LOGGER.setLevel(logging.INFO)
    config = Config.from_environ(env)
    trigger = parse_event(event)
    moment = now or datetime.now(timezone.utc)
    summary = run(
        trigger, config, clients=clients or default_clients(), deadline=Deadline(context, moment)
    )
    log_summary(summary)
    # A bare JSON line on stdout: CloudWatch extracts it under Lambda's text and JSON log
    # formats alike (print output is passed through, not wrapped), and needs no permission.
    metrics = build_metrics(summary, function_name=_function_name(context, env), now=moment)
    (emit or print)(json.dumps(metrics, separators=(",", ":")))
    return summary


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
    summary = handle(event, context, environ=environ, now=now, clients=clients, emit=emit)
    if summary.errors:
        raise IncompleteRunError(summary)
    return summary.as_dict()


# Local run ######################################################################################


def _headline(summary: Summary) -> str:
    """What happened, in words: a certificate not found is not "0 inside the window"."""
    window = f"the {summary.expiry_days}-day window"
    if summary.mode == "certificate":
        return {
            "not_found": "The certificate no longer exists in ACM.",
            "failed": "The certificate could not be read (see the errors below).",
            "outside_window": f"The certificate is outside {window}.",
            "ignored": "The certificate carries the ignore tag; it is left alone.",
        }.get(summary.outcome, f"The certificate is inside {window}.")
    regions = ", ".join(summary.regions)
    if summary.errors and not summary.certificates_examined:
        return f"Could not list the certificates of {regions} (see the errors below)."
    return (
        f"{len(summary.in_window)} of {summary.certificates_examined} certificate(s) examined "
        f"are inside {window} (scan of {regions}; found with {summary.source or 'nothing'})."
    )


def _table(summary: Summary) -> str:
    """The certificates in the window, then what was written and sent, and what failed."""
    rows = [("DAYS", "SEVERITY", "EXPIRES (UTC)", "TYPE", "REGION", "DOMAIN", "ARN")]
    rows += [
        (
            str(entry["days_left"]),
            entry["severity"],
            (entry["not_after"] or "")[:16].replace("T", " "),
            entry["type"],
            entry["region"],
            entry["domain"],
            entry["arn"],
        )
        for entry in summary.in_window
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
        if len(rows) > 1
    ]
    counts, note = summary.counts(), summary.notification
    skipped = summary.findings.skipped if summary.findings else None
    lines += [
        "",
        _headline(summary),
        f"Findings: {counts['FindingsWritten']} written, {counts['FindingsArchived']} archived, "
        f"{counts['FindingsFailed']} failed"
        + (f" (skipped: {skipped})" if skipped else "")
        + (f"; would write {len(summary.would_write)}" if summary.would_write else ""),
        f"Messages: {counts['MessagesSent']} sent"
        + (f" ({note.reason})" if note.reason else "")
        + (f"; would send {len(summary.would_send)}" if summary.would_send else ""),
    ]
    lines += [f"Warning: {w}" for w in summary.warnings]
    lines += [f"Error: {e}" for e in summary.errors]
    return "\n".join(lines).lstrip("\n")


CLI_EPILOG = """\
settings (environment variables, as in Lambda):
  EXPIRY_DAYS, SNS_TOPIC_ARN, SECURITY_HUB_REGION, SCAN_REGIONS,
  CERTIFICATE_SOURCES, INCLUDE_IAM_SERVER_CERTIFICATES, NOTIFY_DAYS, DRY_RUN,
  IGNORE_TAG, DIGEST_SCOPE, OWNER_TAG, HTTPS_FORMAT
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


def _cli_arguments(argv: Sequence[str] | None) -> Any:
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
    return parser.parse_args(argv)


def _cli_event(path: str | None) -> object:
    """The event in ``path``, or ``{}``: a scheduled scan."""
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except (OSError, ValueError) as error:
        raise LocalSetupError(f"Cannot read the event file {path}: {error}") from None


def _cli_region(region: str | None, environ: Mapping[str, str]) -> str:
    """The region to run in, once credentials are known to exist."""
    session = boto3.session.Session()
    if session.get_credentials() is None:
        raise LocalSetupError(
            "No AWS credentials found. Sign in first (aws sso login, or aws configure), or set "
            "AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
        )
    region = region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    region = region or session.region_name
    if not region:
        raise LocalSetupError(
            "No AWS region. Pass --region us-east-1, or set AWS_REGION=us-east-1, or give your "
            "profile one with: aws configure set region us-east-1"
        )
    return region


def main(argv: Sequence[str] | None = None) -> int:
    """``python handle_expiring_certificates.py``: run a scan (or an event) from a shell."""
    args = _cli_arguments(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    environ = dict(os.environ)
    if args.dry_run:
        environ["DRY_RUN"] = "true"
    try:
        event = _cli_event(args.event)
        environ["AWS_REGION"] = _cli_region(args.region, environ)
        Config.from_environ(environ)
        parse_event(event)
        summary = handle(event, None, environ=environ, emit=lambda line: None)
    except (ConfigurationError, UnsupportedEventError, LocalSetupError) as error:
        print(error, file=sys.stderr)
        return 2
    print(json.dumps(summary.as_dict(), indent=2, default=str) if args.json else _table(summary))
    return 1 if summary.errors else 0


if __name__ == "__main__":
    sys.exit(main())
