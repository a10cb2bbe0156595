"""moto made as strict as AWS where the handler depends on it, and helpers for tests.

Fixtures (in ``testkit/fixtures.py``), each yielding a ``StrictAws`` (``region``, ``account_id``,
``endpoint_url`` (``None`` in-process), ``calls``):

- ``aws``: ``moto.mock_aws()`` in-process, with fake credentials and region ``us-east-1``
  (``AWS_DEFAULT_REGION`` and ``AWS_REGION``), no ``AWS_PROFILE`` / ``AWS_ENDPOINT_URL*``, no
  config files, and the strictness patches below. Everything is undone after the test.
- ``aws_server``: the same against a ``ThreadedMotoServer`` on 127.0.0.1 (one per session),
  reached through ``AWS_ENDPOINT_URL``; state is reset (``POST /moto-api/reset``) before each
  test. The server runs in this process, so the same patches and backend helpers apply.
- ``strict_moto()``: a context manager giving ``aws`` outside pytest (the demo).

``StrictAws.calls`` records every API call moto served, as ``ApiCall(service, operation,
region)`` (``service`` as boto3 names it), helpers' calls included: call ``calls.clear()``
before the code under test. ``StrictAws.operations(service)`` lists the operation names.

Strictness (AWS behaviour that moto 5.2 lacks):

- ACM ``DescribeCertificate``: ``KeyUsages`` ``[{"Name"}]`` and ``ExtendedKeyUsages``
  ``[{"Name", "OID"}]`` from the certificate (moto: missing / empty), ``Serial`` as
  colon-separated hex like AWS (moto: decimal).
- ACM ``ListCertificates``: without ``Includes.keyTypes`` only ``RSA_2048`` certificates;
  ``MaxItems`` (1..1000, default 1000) pages with ``NextToken``; the summary shape of AWS
  (``SubjectAlternativeNameSummaries`` (first 100), ``HasAdditionalSubjectAlternativeNames``,
  ``InUse``, ``KeyUsages``, ``ExtendedKeyUsages``, ``ExportOption``, timestamps; no
  ``InUseBy``, no ``SubjectAlternativeNames``). ``Includes`` filters other than ``keyTypes``
  and ``exportOption`` raise ``NotEmulated``.
  ``ImportCertificate`` over an existing ARN (renewal) keeps its tags and ``InUseBy``, as AWS
  does (moto drops both); tags may not be given with a re-import (``ValidationException``).
- Security Hub, in a region where the hub is not enabled, ``GetFindings`` and
  ``BatchImportFindings`` raise ``InvalidAccessException`` ("Account ... is not subscribed to
  AWS Security Hub").
  ``BatchImportFindings``: more than 100 findings raise ``InvalidInputException``; each finding
  is checked (``FailedFindings`` entry, code ``InvalidInput``, on failure) for: ``AwsAccountId``
  = caller, ``ProductArn`` = the default product of this account in the hub region, ``Types``
  namespaces, enum values (``Severity.Label``, ``Compliance.Status``, ``RecordState``,
  ``Workflow.Status``), ISO 8601 timestamps, lengths (``Id``/``GeneratorId`` 512, ``Title`` 256,
  ``Description`` 1024, ``Remediation.Recommendation.Text`` 512), 240 KB per finding.
  Findings are keyed by ``(Id, ProductArn)``; an update replaces the stored finding (moto
  merges) unless its ``UpdatedAt`` is older than the stored one, in which case it is ignored but
  counted as a success; ``Workflow``, ``Note``, ``UserDefinedFields`` and ``VerificationState``
  stay as stored; ``RecordState`` defaults to ``ACTIVE``; ``Workflow.Status`` starts ``NEW``,
  is never changed by an import, but ``NOTIFIED``/``RESOLVED`` turn ``NEW`` again when
  ``RecordState`` turns from ``ARCHIVED`` to ``ACTIVE`` or ``Compliance.Status`` from ``PASSED``
  to another value; ``SUPPRESSED`` stays. ``Region``, ``ProductName``,
  ``CompanyName``, ``ProcessedAt`` are added as AWS adds them.
  ``GetFindings``: ``MaxResults`` 1..100 (default 100) with ``NextToken``; string ``Filters``
  honoured (``EQUALS``, ``NOT_EQUALS``, ``PREFIX``, ``PREFIX_NOT_EQUALS``, ``CONTAINS``,
  ``NOT_CONTAINS``; values of one field OR-ed for positive and AND-ed for negative comparisons)
  on ``Id``, ``GeneratorId``, ``ProductArn``, ``AwsAccountId``, ``Region``, ``Title``,
  ``RecordState``, ``ComplianceStatus``, ``SeverityLabel``, ``WorkflowStatus``,
  ``WorkflowState``, ``ResourceId``, ``ResourceType``, ``ResourceRegion``, ``ResourcePartition``,
  ``Type``, ``ProductName``, ``CompanyName``; any other filter, or ``SortCriteria``, raises
  ``NotEmulated``.
- SNS ``Publish`` (and ``PublishBatch``): ``Subject`` 1..99 printable ASCII characters, no
  line breaks, starting with a letter, digit or punctuation; ``Message`` non-empty and at most
  262144 UTF-8 bytes; with ``MessageStructure='json'`` the message must be a JSON object of
  strings with a ``default`` key (moto checked only when a subscriber existed). Errors are
  ``InvalidParameter``.
- CloudWatch ``ListMetrics`` returns only metrics with a data point in the last 14 days (moto:
  all). It already pages at 500 with ``NextToken``.
- ``ListCertificates`` builds only the page it returns and ``ListMetrics`` de-duplicates with a
  set, so both stay linear for the benchmark's 10,000 certificates; the server no longer lists
  moto's package directory on every request.

Helpers (plain functions; they use boto3, so they work with both fixtures):

- ``client(service, region=DEFAULT_REGION)``: a boto3 client for the current mode (cached).
- ``enable_hub(region=DEFAULT_REGION)``: ``EnableSecurityHub`` there.
- ``create_topic_with_queue(region=DEFAULT_REGION, raw=False, *, name=...)`` ->
  ``(topic_arn, queue_url)``: an SNS topic with an SQS queue subscribed, raw delivery on/off.
- ``receive_messages(queue_url, region=None)`` -> list: what the subscriber got, in order, and
  deleted: the parsed SNS envelope (dict with ``Subject``, ``Message``, ...) for normal
  delivery, the body string for raw delivery.
- ``put_days_to_expiry_metric(region, arn, days, *, timestamp=None)``: a ``DaysToExpiry`` data
  point (namespace ``AWS/CertificateManager``, dimension ``CertificateArn``).
- ``get_findings(region=DEFAULT_REGION, filters=None)`` -> list: every finding, paginated.
- ``NotEmulated``: the error code strict moto raises for a request it cannot answer as AWS.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import moto.backends
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from moto.acm.exceptions import AWSValidationException
from moto.acm.models import AWSCertificateManagerBackend, CertBundle
from moto.acm.responses import AWSCertificateManagerResponse
from moto.cloudwatch.models import CloudWatchBackend, MetricDatumBase
from moto.core.exceptions import ServiceException
from moto.core.responses import BaseResponse
from moto.securityhub.exceptions import SecurityHubClientError
from moto.securityhub.models import Finding, SecurityHubBackend
from moto.securityhub.responses import SecurityHubResponse
from moto.sns.exceptions import InvalidParameterValue
from moto.sns.models import SNSBackend
from moto.utilities.paginator import Paginator

from testkit.aws_world import World, install_world

DEFAULT_REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
NOT_EMULATED = "NotEmulated"

SNS_MAX_MESSAGE_BYTES = 262_144
SECURITY_HUB_MAX_BATCH = 100
SECURITY_HUB_MAX_FINDING_BYTES = 240 * 1024
METRIC_RETENTION_FOR_LISTING = timedelta(days=14)


@dataclass(frozen=True)
class ApiCall:
    service: str
    operation: str
    region: str


@dataclass
class StrictAws:
    region: str = DEFAULT_REGION
    account_id: str = ACCOUNT_ID
    endpoint_url: str | None = None
    calls: list[ApiCall] = field(default_factory=list)
    world: World = field(default_factory=World)

    def operations(self, service: str | None = None) -> list[str]:
        """Operation names served, in order, optionally for one service."""
        return [c.operation for c in self.calls if service is None or c.service == service]


class NotEmulated(ServiceException):
    code = NOT_EMULATED


# Environment ########################################################################


def set_fake_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, endpoint_url: str | None = None
) -> None:
    """Fake credentials, us-east-1, no profile, config files or endpoint but ``endpoint_url``."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"}:
            monkeypatch.delenv(name)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_DEFAULT_REGION": DEFAULT_REGION,
        "AWS_REGION": DEFAULT_REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    if endpoint_url is not None:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint_url)


def install_strictness(monkeypatch: pytest.MonkeyPatch) -> tuple[list[ApiCall], World]:
    """Patch moto's classes (undone by ``monkeypatch``); return the list calls are logged to,
    and the knobs of the world beyond one moto account (``testkit.aws_world``)."""
    calls: list[ApiCall] = []
    # pytest restores the warning filters after each test.
    warnings.filterwarnings("ignore", message=r"Exception\(NotEmulated", category=UserWarning)
    warnings.filterwarnings("ignore", message=r"Exception\(AwsError\)", category=UserWarning)
    world = install_world(monkeypatch)
    original_call_action = BaseResponse.call_action

    def call_action(self: BaseResponse) -> Any:
        calls.append(ApiCall(self.boto3_service_name, self._get_action(), self.region))
        return original_call_action(self)

    monkeypatch.setattr(BaseResponse, "call_action", call_action)
    monkeypatch.setattr(AWSCertificateManagerResponse, "list_certificates", _acm_list_certificates)
    monkeypatch.setattr(
        AWSCertificateManagerResponse,
        "describe_certificate",
        _acm_describe_certificate(AWSCertificateManagerResponse.describe_certificate),
    )
    monkeypatch.setattr(
        AWSCertificateManagerBackend,
        "import_certificate",
        _reimport_keeps_tags(AWSCertificateManagerBackend.import_certificate),
    )
    monkeypatch.setattr(SecurityHubResponse, "get_findings", _hub_get_findings)
    monkeypatch.setattr(SecurityHubResponse, "batch_import_findings", _hub_batch_import_findings)
    monkeypatch.setattr(SNSBackend, "publish", _strict_publish(SNSBackend.publish))
    monkeypatch.setattr(CloudWatchBackend, "get_filtered_metrics", _recent_metrics)
    monkeypatch.setattr(CloudWatchBackend, "get_metric_data", _indexed_metric_data)
    # moto's server lists its package directory (about 170 stat calls) on every request.
    modules = tuple(moto.backends.list_of_moto_modules())
    monkeypatch.setattr(moto.backends, "list_of_moto_modules", lambda: modules)
    return calls, world


# ACM ################################################################################

_KEY_USAGE_NAMES = {
    "digital_signature": "DIGITAL_SIGNATURE",
    "content_commitment": "NON_REPUDIATION",
    "key_encipherment": "KEY_ENCIPHERMENT",
    "data_encipherment": "DATA_ENCIPHERMENT",
    "key_agreement": "KEY_AGREEMENT",
    "key_cert_sign": "CERTIFICATE_SIGNING",
    "crl_sign": "CRL_SIGNING",
}
_EXTENDED_KEY_USAGE_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "TLS_WEB_SERVER_AUTHENTICATION",
    ExtendedKeyUsageOID.CLIENT_AUTH: "TLS_WEB_CLIENT_AUTHENTICATION",
    ExtendedKeyUsageOID.CODE_SIGNING: "CODE_SIGNING",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "EMAIL_PROTECTION",
    ExtendedKeyUsageOID.TIME_STAMPING: "TIME_STAMPING",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSP_SIGNING",
}


def _key_usages(bundle: CertBundle) -> tuple[list[str], list[tuple[str, str]]]:
    """Key usage names and (extended key usage name, OID), as ACM names them."""
    extensions = bundle._cert.extensions
    try:
        usage = extensions.get_extension_for_class(x509.KeyUsage).value
        key_usages = [name for attr, name in _KEY_USAGE_NAMES.items() if getattr(usage, attr)]
    except x509.ExtensionNotFound:
        key_usages = []
    try:
        eku = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        extended = [
            (_EXTENDED_KEY_USAGE_NAMES.get(oid, "CUSTOM"), oid.dotted_string) for oid in eku
        ]
    except x509.ExtensionNotFound:
        extended = []
    return key_usages, extended


def _aws_serial(serial_number: int) -> str:
    digits = format(serial_number, "x")
    digits = digits.rjust(len(digits) + len(digits) % 2, "0")
    return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def _acm_describe_certificate(original: Callable[..., Any]) -> Callable[..., Any]:
    # moto leaves out KeyUsages, gives ExtendedKeyUsages as [] and the serial in decimal; AWS
    # gives [{"Name"}], [{"Name", "OID"}] and colon-separated hex.
    def describe_certificate(self: AWSCertificateManagerResponse) -> Any:
        body = original(self)
        if not isinstance(body, str):
            return body
        data = json.loads(body)
        certificate = data["Certificate"]
        bundle = self.acm_backend.get_certificate(certificate["CertificateArn"])
        key_usages, extended = _key_usages(bundle)
        certificate["KeyUsages"] = [{"Name": name} for name in key_usages]
        certificate["ExtendedKeyUsages"] = [{"Name": name, "OID": oid} for name, oid in extended]
        certificate["Serial"] = _aws_serial(bundle._cert.serial_number)
        return json.dumps(data)

    return describe_certificate


def _certificate_summary(bundle: CertBundle) -> dict[str, Any]:
    described = bundle.describe()["Certificate"]
    sans: list[str] = described.get("SubjectAlternativeNames", [])
    key_usages, extended_key_usages = _key_usages(bundle)
    summary: dict[str, Any] = {
        "CertificateArn": described["CertificateArn"],
        "DomainName": described["DomainName"],
        "SubjectAlternativeNameSummaries": sans[:100],
        "HasAdditionalSubjectAlternativeNames": len(sans) > 100,
        "Status": described["Status"],
        "Type": described["Type"],
        "KeyAlgorithm": described["KeyAlgorithm"],
        "KeyUsages": key_usages,
        "ExtendedKeyUsages": [name for name, _ in extended_key_usages],
        "ExportOption": bundle.cert_options.get("Export", "DISABLED"),
        "InUse": bool(described.get("InUseBy")),
        "RenewalEligibility": described["RenewalEligibility"],
    }
    for name in ("NotBefore", "NotAfter", "CreatedAt", "IssuedAt", "ImportedAt", "RevokedAt"):
        if described.get(name) is not None:
            summary[name] = described[name]
    if described["Type"] == "PRIVATE":
        summary["Exported"] = False
    return summary


def listed_summary(bundle: CertBundle) -> dict[str, Any]:
    """A ListCertificates summary; its static part (the key usages parse the certificate) is
    computed once per imported certificate, as AWS has it stored."""
    cached: tuple[Any, dict[str, Any]] | None = getattr(bundle, "_strict_summary", None)
    if cached is None or cached[0] is not bundle._cert:
        cached = (bundle._cert, _certificate_summary(bundle))
        bundle._strict_summary = cached  # type: ignore[attr-defined]
    bundle.check()
    return {**cached[1], "Status": bundle.status, "InUse": bool(bundle.in_use_by)}


def _acm_list_certificates(self: AWSCertificateManagerResponse) -> str:
    # Builds only the page it returns, so listing thousands of certificates stays linear.
    statuses = self._get_param("CertificateStatuses")
    includes = dict(self._get_param("Includes") or {})
    unsupported = sorted(set(includes) - {"keyTypes", "exportOption"})
    if unsupported:
        raise NotEmulated(f"strict_aws: Includes.{unsupported[0]} is not emulated")
    # AWS: "By default, the API returns RSA_2048 certificates" (moto returns every key type).
    key_types = includes.get("keyTypes") or ["RSA_2048"]
    export = includes.get("exportOption")
    max_items = self._get_param("MaxItems")
    if max_items is not None and not 1 <= int(max_items) <= 1000:
        raise AWSValidationException(
            f"1 validation error detected: Value '{max_items}' at 'maxItems' failed to satisfy"
            " constraint: Member must have value less than or equal to 1000"
        )
    size = int(max_items or 1000)

    def item_for(bundle: CertBundle) -> dict[str, Any] | None:
        item = listed_summary(bundle)
        if item["KeyAlgorithm"] not in key_types:
            return None
        if statuses and item["Status"] not in statuses:
            return None
        if export and item["ExportOption"] != export:
            return None
        return item

    return acm_page(self, size, item_for, "CertificateSummaryList")


def acm_page(
    response: AWSCertificateManagerResponse,
    size: int,
    item_for: Callable[[CertBundle], dict[str, Any] | None],
    result_key: str,
) -> str:
    """One page of certificates, built only as far as it goes (listing thousands of
    certificates stays linear), with a ``NextToken`` when more remain: ACM's list and search
    paging."""
    token = response._get_param("NextToken")
    try:
        start = int(json.loads(base64.b64decode(token))["offset"]) if token else 0
    except (ValueError, KeyError, TypeError) as error:
        raise AWSValidationException("Invalid NextToken") from error
    certificates = response.acm_backend._certificates
    arns = list(certificates)
    page: list[dict[str, Any]] = []
    index = start
    while index < len(arns) and len(page) < size:
        item = item_for(certificates[arns[index]])
        index += 1
        if item is not None:
            page.append(item)
    # A token only when another certificate would follow: a full last page ends the listing.
    more = index
    while more < len(arns) and item_for(certificates[arns[more]]) is None:
        more += 1
    result: dict[str, Any] = {result_key: page}
    if more < len(arns):
        result["NextToken"] = base64.b64encode(json.dumps({"offset": index}).encode()).decode()
    return json.dumps(result)


def _reimport_keeps_tags(original: Callable[..., str]) -> Callable[..., str]:
    def import_certificate(
        self: AWSCertificateManagerBackend,
        certificate: bytes,
        private_key: bytes,
        chain: bytes | None,
        arn: str | None,
        tags: list[dict[str, str]],
    ) -> str:
        previous = self._certificates.get(arn) if arn else None
        if previous is not None and tags:
            raise AWSValidationException("Tags cannot be applied while reimporting a certificate.")
        new_arn = original(self, certificate, private_key, chain, arn, tags)
        if previous is not None:
            bundle = self._certificates[new_arn]
            bundle.tags.update(previous.tags)
            bundle.in_use_by = list(previous.in_use_by)
        return new_arn

    return import_certificate


# Security Hub #######################################################################

_TYPE_NAMESPACES = {
    "Software and Configuration Checks",
    "TTPs",
    "Effects",
    "Unusual Behaviors",
    "Sensitive Data Identifications",
}
_ENUMS: dict[tuple[str, ...], set[str]] = {
    ("Severity", "Label"): {"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"},
    ("Compliance", "Status"): {"PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"},
    ("RecordState",): {"ACTIVE", "ARCHIVED"},
    ("Workflow", "Status"): {"NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"},
}
_MAX_LENGTHS: dict[tuple[str, ...], int] = {
    ("Id",): 512,
    ("GeneratorId",): 512,
    ("Title",): 256,
    ("Description",): 1024,
    ("Remediation", "Recommendation", "Text"): 512,
}
_TIMESTAMPS = ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt")
_KEPT_FROM_FIRST_IMPORT = ("Workflow", "Note", "UserDefinedFields", "VerificationState")
_FILTER_PATHS: dict[str, tuple[str, ...]] = {
    "Id": ("Id",),
    "GeneratorId": ("GeneratorId",),
    "ProductArn": ("ProductArn",),
    "AwsAccountId": ("AwsAccountId",),
    "Region": ("Region",),
    "Title": ("Title",),
    "RecordState": ("RecordState",),
    "ComplianceStatus": ("Compliance", "Status"),
    "SeverityLabel": ("Severity", "Label"),
    "WorkflowStatus": ("Workflow", "Status"),
    "WorkflowState": ("WorkflowState",),
    "ResourceId": ("Resources", "*", "Id"),
    "ResourceType": ("Resources", "*", "Type"),
    "ResourceRegion": ("Resources", "*", "Region"),
    "ResourcePartition": ("Resources", "*", "Partition"),
    "Type": ("Types", "*"),
    "ProductName": ("ProductName",),
    "CompanyName": ("CompanyName",),
}
_COMPARISONS: dict[str, Callable[[str, str], bool]] = {
    "EQUALS": lambda value, wanted: value == wanted,
    "PREFIX": lambda value, wanted: value.startswith(wanted),
    "CONTAINS": lambda value, wanted: wanted in value,
}
_NEGATIONS = {"NOT_EQUALS": "EQUALS", "PREFIX_NOT_EQUALS": "PREFIX", "NOT_CONTAINS": "CONTAINS"}


def _hub_error(code: str, message: str) -> SecurityHubClientError:
    return SecurityHubClientError(code, message)


def _require_hub(response: SecurityHubResponse) -> SecurityHubBackend:
    backend = response.securityhub_backend
    if not backend.enabled:
        raise _hub_error(
            "InvalidAccessException",
            f"Account {response.current_account} is not subscribed to AWS Security Hub",
        )
    return backend


def _values_at(data: Any, path: tuple[str, ...]) -> list[Any]:
    if not path:
        return [data]
    head, rest = path[0], path[1:]
    if head == "*":
        items = data if isinstance(data, list) else []
        return [v for item in items for v in _values_at(item, rest)]
    if not isinstance(data, dict) or head not in data:
        return []
    return _values_at(data[head], rest)


def _parse_timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _finding_problem(finding: dict[str, Any], account_id: str, region: str) -> str | None:
    if finding.get("AwsAccountId") != account_id:
        return f"data.AwsAccountId should be the calling account {account_id}"
    product_arn = str(finding.get("ProductArn", ""))
    match = re.fullmatch(
        r"arn:([\w-]+):securityhub:([\w-]+):(\d{12}):product/(\d{12})/default", product_arn
    )
    if not match or match.group(2) != region or {match.group(3), match.group(4)} != {account_id}:
        return (
            f"data.ProductArn should be arn:<partition>:securityhub:{region}:{account_id}"
            f":product/{account_id}/default, got {product_arn!r}"
        )
    for path, limit in _MAX_LENGTHS.items():
        for value in _values_at(finding, path):
            if len(str(value)) > limit:
                return f"data.{'.'.join(path)} should NOT be longer than {limit} characters"
    for path, allowed in _ENUMS.items():
        for value in _values_at(finding, path):
            if value not in allowed:
                return f"data.{'.'.join(path)} should be equal to one of the allowed values"
    severity = finding.get("Severity") or {}
    if "Label" not in severity and "Normalized" not in severity:
        return "data.Severity should have required property 'Label'"
    for finding_type in finding.get("Types", []):
        parts = str(finding_type).split("/")
        if not 1 <= len(parts) <= 3 or parts[0] not in _TYPE_NAMESPACES:
            return f"data.Types has an invalid namespace: {finding_type!r}"
    for name in _TIMESTAMPS:
        if name in finding:
            try:
                _parse_timestamp(finding[name])
            except ValueError:
                return f"data.{name} should match format 'date-time'"
    if not finding.get("Resources"):
        return "data.Resources should NOT have fewer than 1 items"
    for resource in finding["Resources"]:
        if not resource.get("Type") or not resource.get("Id"):
            return "data.Resources[] should have required properties 'Type' and 'Id'"
    if len(json.dumps(finding).encode("utf-8")) > SECURITY_HUB_MAX_FINDING_BYTES:
        return "Finding size exceeds the maximum allowed size of 240 KB"
    return None


def _workflow_status(stored: dict[str, Any] | None, new: dict[str, Any]) -> str:
    # AWS: the workflow status belongs to the customer (BatchUpdateFindings); an import never
    # sets it, but "Security Hub resets the workflow status from NOTIFIED or RESOLVED to NEW"
    # when RecordState changes from ARCHIVED to ACTIVE or Compliance.Status from PASSED to
    # another value. SUPPRESSED stays SUPPRESSED.
    if stored is None:
        return "NEW"
    status = str((stored.get("Workflow") or {}).get("Status", "NEW"))
    reactivated = stored.get("RecordState") == "ARCHIVED" and new.get("RecordState") != "ARCHIVED"
    failing_again = (stored.get("Compliance") or {}).get("Status") == "PASSED" and (
        "Compliance" in new and new["Compliance"].get("Status") != "PASSED"
    )
    if status in ("NOTIFIED", "RESOLVED") and (reactivated or failing_again):
        return "NEW"
    return status


def _stored_finding(
    new: dict[str, Any], stored: dict[str, Any] | None, region: str
) -> dict[str, Any]:
    finding = copy.deepcopy(new)
    finding.setdefault("RecordState", "ACTIVE")
    if stored is not None:
        for name in _KEPT_FROM_FIRST_IMPORT:
            finding.pop(name, None)
            if name in stored:
                finding[name] = copy.deepcopy(stored[name])
    workflow = dict(finding.get("Workflow") or {})
    workflow["Status"] = _workflow_status(stored, new)
    finding["Workflow"] = workflow
    finding["WorkflowState"] = {"RESOLVED": "RESOLVED", "SUPPRESSED": "DEFERRED"}.get(
        workflow["Status"], "NEW"
    )
    finding["Region"] = region
    finding["ProductName"] = "Default"
    finding["CompanyName"] = "Personal"
    finding["ProcessedAt"] = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    product_fields = dict(finding.get("ProductFields") or {})
    product_fields.update(
        {
            "aws/securityhub/FindingId": f"{finding['ProductArn']}/{finding['Id']}",
            "aws/securityhub/ProductName": "Default",
            "aws/securityhub/CompanyName": "Personal",
        }
    )
    finding["ProductFields"] = product_fields
    return finding


def _hub_batch_import_findings(self: SecurityHubResponse) -> str:
    backend = _require_hub(self)
    body = self.body.decode("utf-8") if isinstance(self.body, bytes) else self.body
    findings: list[dict[str, Any]] = json.loads(body or "{}").get("Findings", [])
    if len(findings) > SECURITY_HUB_MAX_BATCH:
        raise _hub_error(
            "InvalidInputException",
            f"Findings: at most {SECURITY_HUB_MAX_BATCH} findings per request, got {len(findings)}",
        )
    failed: list[dict[str, str]] = []
    for new in findings:
        problem = _finding_problem(new, self.current_account, backend.region_name)
        if problem is not None:
            failed.append(
                {
                    "Id": str(new.get("Id", "")),
                    "ErrorCode": "InvalidInput",
                    "ErrorMessage": f"Finding does not adhere to Amazon Finding Format. {problem}",
                }
            )
            continue
        key = (new["Id"], new["ProductArn"])
        existing = next(
            (f for f in backend.findings if (f.data["Id"], f.data["ProductArn"]) == key), None
        )
        if existing is None:
            backend.findings.append(
                Finding(new["Id"], _stored_finding(new, None, backend.region_name))
            )
        elif _parse_timestamp(new["UpdatedAt"]) >= _parse_timestamp(existing.data["UpdatedAt"]):
            existing.data = _stored_finding(new, existing.data, backend.region_name)
        # else: AWS keeps the newer stored finding and still counts the import as a success.
    return json.dumps(
        {
            "FailedCount": len(failed),
            "SuccessCount": len(findings) - len(failed),
            "FailedFindings": failed,
        }
    )


def _matches(finding: dict[str, Any], filters: Mapping[str, list[dict[str, str]]]) -> bool:
    for name, conditions in filters.items():
        values = [str(v) for v in _values_at(finding, _FILTER_PATHS[name])]
        positive = [c for c in conditions if c["Comparison"] in _COMPARISONS]
        negative = [c for c in conditions if c["Comparison"] in _NEGATIONS]
        if positive and not any(
            _COMPARISONS[c["Comparison"]](v, c["Value"]) for c in positive for v in values
        ):
            return False
        for c in negative:
            if any(_COMPARISONS[_NEGATIONS[c["Comparison"]]](v, c["Value"]) for v in values):
                return False
    return True


def _hub_get_findings(self: SecurityHubResponse) -> str:
    backend = _require_hub(self)
    filters: dict[str, list[dict[str, str]]] = self._get_param("Filters") or {}
    for name, conditions in filters.items():
        if name not in _FILTER_PATHS:
            raise NotEmulated(f"strict_aws: GetFindings filter {name} is not emulated")
        for condition in conditions:
            if condition.get("Comparison") not in (*_COMPARISONS, *_NEGATIONS):
                raise NotEmulated(f"strict_aws: filter comparison {condition} is not emulated")
    if self._get_param("SortCriteria"):
        raise NotEmulated("strict_aws: GetFindings SortCriteria is not emulated")
    max_results = self._get_param("MaxResults")
    if max_results is not None and not 1 <= int(max_results) <= 100:
        raise _hub_error("InvalidInputException", "MaxResults must be a number between 1 and 100")
    matching = [copy.deepcopy(f.data) for f in backend.findings if _matches(f.data, filters)]
    paginator = Paginator(
        max_results=int(max_results) if max_results else None,
        max_results_default=100,
        starting_token=self._get_param("NextToken"),
        unique_attribute=["Id", "ProductArn"],
        param_values_to_check={"filters": filters},
    )
    page, next_token = paginator.paginate(matching)
    result: dict[str, Any] = {"Findings": page}
    if next_token:
        result["NextToken"] = next_token
    return json.dumps(result)


# SNS ################################################################################


def _invalid(reason: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Invalid parameter: {reason}")


def _strict_publish(original: Callable[..., str]) -> Callable[..., str]:
    def publish(self: SNSBackend, message: str, arn: str | None, *args: Any, **kwargs: Any) -> str:
        subject = kwargs.get("subject")
        if subject is not None and not re.fullmatch(r"[!-~][ -~]{0,98}", subject):
            raise _invalid("Subject")
        if not message:
            raise _invalid("Empty message")
        if len(message.encode("utf-8")) > SNS_MAX_MESSAGE_BYTES:
            raise _invalid("Message too long")
        if kwargs.get("message_structure") == "json":
            try:
                structure = json.loads(message)
            except ValueError as error:
                raise _invalid("Message Structure - JSON message body failed to parse") from error
            if not isinstance(structure, dict) or "default" not in structure:
                raise _invalid("Message Structure - No default entry in JSON message body")
            if not all(isinstance(v, str) for v in structure.values()):
                raise _invalid("Message Structure - values must be strings")
        return original(self, message, arn, *args, **kwargs)

    return publish


# CloudWatch #########################################################################


def _recent_metrics(
    self: CloudWatchBackend,
    metric_name: str,
    namespace: str,
    dimensions: list[dict[str, str]],
) -> list[MetricDatumBase]:
    # AWS: ListMetrics omits metrics without data points in the past two weeks. moto's own
    # de-duplication is quadratic (10,000 metrics would take minutes); a set keeps it linear.
    cutoff = datetime.now(timezone.utc) - METRIC_RETENTION_FOR_LISTING
    seen: set[tuple[str, str, frozenset[tuple[str, str]]]] = set()
    listed: list[MetricDatumBase] = []
    for datum in self.get_all_metrics():
        if (namespace and datum.namespace != namespace) or (
            metric_name and datum.name != metric_name
        ):
            continue
        if _parse_timestamp(datum.timestamp) < cutoff:
            continue
        if not datum.filter(namespace=namespace, name=metric_name, dimensions=dimensions):
            continue
        key = (datum.namespace, datum.name, frozenset((d.name, d.value) for d in datum.dimensions))
        if datum.dimensions and key in seen:
            continue
        seen.add(key)
        listed.append(datum)
    return listed


MAX_METRIC_DATA_QUERIES = 500  # AWS: at most 500 MetricDataQueries per GetMetricData


def _indexed_metric_data(
    self: CloudWatchBackend,
    queries: list[dict[str, Any]],
    start_time: datetime,
    end_time: datetime,
    scan_by: str = "TimestampAscending",
) -> list[dict[str, Any]]:
    # AWS: at most 500 queries a request. moto scans every data point for every query and
    # period (10,000 certificates: minutes); an index by metric keeps it linear. Metric math
    # and Metric Insights are not emulated here.
    if len(queries) > MAX_METRIC_DATA_QUERIES:
        raise NotEmulated(f"GetMetricData takes at most {MAX_METRIC_DATA_QUERIES} queries")
    if any("MetricStat" not in query for query in queries):
        raise NotEmulated("strict_aws: GetMetricData expressions are not emulated")
    start_time, end_time = start_time.replace(microsecond=0), end_time.replace(microsecond=0)
    if start_time >= end_time:
        raise AWSValidationException("The parameter EndTime must be greater than StartTime.")
    index: dict[tuple[str, str, frozenset[tuple[str, str]]], list[Any]] = {}
    for datum in self.get_all_metrics():
        if start_time <= datum.timestamp < end_time:
            key = (
                datum.namespace,
                datum.name,
                frozenset((d.name, d.value) for d in datum.dimensions),
            )
            index.setdefault(key, []).append(datum)
    results = []
    for query in queries:
        stat = query["MetricStat"]
        metric = stat["Metric"]
        dimensions = frozenset((d["Name"], d["Value"]) for d in metric.get("Dimensions", []))
        data = index.get((metric["Namespace"], metric["MetricName"], dimensions), [])
        period = timedelta(seconds=int(stat["Period"]))
        values: list[float] = []
        timestamps: list[datetime] = []
        moment = start_time
        while moment < end_time:
            in_period = [d.value for d in data if moment <= d.timestamp < moment + period]
            if in_period:
                statistics = {
                    "Minimum": min(in_period),
                    "Maximum": max(in_period),
                    "Sum": sum(in_period),
                    "Average": sum(in_period) / len(in_period),
                    "SampleCount": float(len(in_period)),
                }
                values.append(statistics[stat["Stat"]])
                timestamps.append(moment)
            moment += period
        if scan_by == "TimestampDescending":
            values.reverse()
            timestamps.reverse()
        if query.get("ReturnData", True):
            results.append(
                {
                    "id": query["Id"],
                    "label": query.get("Label") or f"{metric['MetricName']} {stat['Stat']}",
                    "values": values,
                    "timestamps": timestamps,
                    "status_code": "Complete",
                }
            )
    return results


# Helpers ############################################################################

_clients: dict[tuple[str, str, str | None], Any] = {}


def client(service: str, region: str = DEFAULT_REGION) -> Any:
    """A boto3 client for ``service`` in ``region``, pointed wherever the fixture points."""
    key = (service, region, os.environ.get("AWS_ENDPOINT_URL"))
    if key not in _clients:
        session: Any = boto3.session.Session()  # Any: the stubs type clients per service literal
        _clients[key] = session.client(service, region_name=region)
    return _clients[key]


def enable_hub(region: str = DEFAULT_REGION) -> None:
    client("securityhub", region).enable_security_hub(EnableDefaultStandards=False)


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


_queue_regions: dict[str, str] = {}


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


def put_days_to_expiry_metric(
    region: str, arn: str, days: float, *, timestamp: datetime | None = None
) -> None:
    """A ``DaysToExpiry`` data point for ``arn``, as ACM publishes daily."""
    datum: dict[str, Any] = {
        "MetricName": "DaysToExpiry",
        "Dimensions": [{"Name": "CertificateArn", "Value": arn}],
        "Value": days,
        "Unit": "None",
    }
    if timestamp is not None:
        datum["Timestamp"] = timestamp
    client("cloudwatch", region).put_metric_data(
        Namespace="AWS/CertificateManager", MetricData=[datum]
    )


def get_findings(
    region: str = DEFAULT_REGION, filters: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every finding in the hub of ``region`` (optionally filtered), through GetFindings."""
    paginator = client("securityhub", region).get_paginator("get_findings")
    pages = paginator.paginate(Filters=dict(filters or {}), PaginationConfig={"PageSize": 100})
    return [finding for page in pages for finding in page["Findings"]]


# Fixture bodies (testkit/fixtures.py wires them) ############################################


def strict_mock_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[StrictAws]:
    from moto import mock_aws

    set_fake_environment(monkeypatch, tmp_path)
    with mock_aws():
        calls, world = install_strictness(monkeypatch)
        yield StrictAws(calls=calls, world=world)


@contextlib.contextmanager
def strict_moto() -> Iterator[StrictAws]:
    """``aws`` outside pytest (the demo): strict moto in-process, undone on leaving."""
    with pytest.MonkeyPatch.context() as monkeypatch, tempfile.TemporaryDirectory() as folder:
        yield from strict_mock_aws(monkeypatch, Path(folder))


def reset_server(endpoint_url: str) -> None:
    import urllib.request

    request = urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def strict_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, endpoint_url: str
) -> Iterator[StrictAws]:
    reset_server(endpoint_url)
    set_fake_environment(monkeypatch, tmp_path, endpoint_url)
    calls, world = install_strictness(monkeypatch)
    yield StrictAws(endpoint_url=endpoint_url, calls=calls, world=world)


def start_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
