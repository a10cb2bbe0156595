"""The parts of AWS that one moto account never shows: what a real organisation's world adds.

Installed with the rest of the strictness (``install_world``), and reached through
``StrictAws.world`` (a ``World``). Each piece names the AWS behaviour it mirrors.

- ACM ``SearchCertificates`` (moto has none: in-process it raises ``NotImplementedError``): a
  ``FilterStatement`` of ``And`` / ``Or`` / ``Not`` / ``Filter`` (AWS: at most 15 statements a
  list); filters on ``CertificateArn``, ``X509AttributeFilter`` ``NotAfter`` / ``NotBefore``
  ranges (``Start`` and ``End`` inclusive, either optional), ``KeyAlgorithm``,
  ``Subject.CommonName`` and ``SubjectAlternativeName.DnsName`` (``EQUALS`` / ``CONTAINS``),
  and ``AcmCertificateMetadataFilter`` ``Type``, ``Status``, ``InUse``, ``ExportOption``; any
  other filter, or ``SortBy``, raises ``NotEmulated``. ``MaxResults`` 1..500 (default 100),
  ``NextToken`` pages. Each result has the AWS shape: ``X509Attributes`` (issuer and subject
  names, every DNS name, key usages, key algorithm, colon-separated serial, validity) and
  ``CertificateMetadata.AcmCertificateMetadata`` (type, status, ``InUse``, renewal
  eligibility, timestamps). ``World.search`` = ``"unknown_operation"`` answers as an endpoint
  that predates it (``UnknownOperationException``, HTTP 400); ``"access_denied"`` as a role
  without ``acm:SearchCertificates`` (``AccessDeniedException``).
- IAM ``ListServerCertificates`` (moto: a fixed 2012 ``Expiration`` and upload date, one id for
  all, never pages): ``Expiration`` read from the certificate body, the upload time, a distinct
  ``ServerCertificateId``, ``MaxItems`` 1..1000 (default 100) with ``Marker`` and
  ``IsTruncated``.
- Throttling (moto never throttles; AWS throttles ``DescribeCertificate`` at about 10 a second
  and ``GetFindings`` at 3): ``World.throttle(service, operation, times=None)`` answers that
  operation with ``ThrottlingException`` (HTTP 400), ``times`` times or always;
  ``World.throttled`` counts the refusals.
- Security Hub as an administrator account sees it: ``World.add_member_finding(finding)``
  stores a member account's finding in the hub (AWS aggregates members' findings into the
  administrator's hub, and ``GetFindings`` returns them), while ``BatchImportFindings`` still
  rejects a finding of another account (the default product only takes the caller's).
- Workflow status belongs to the customer: an import never changes it, except that AWS "resets
  the workflow status from NOTIFIED or RESOLVED to NEW" when ``RecordState`` turns from
  ARCHIVED to ACTIVE or ``Compliance.Status`` from PASSED to another value; SUPPRESSED stays.
  ``World.set_workflow(finding_id, status)`` is what a person does in the console
  (``BatchUpdateFindings``).
- ``RealClockContext(budget_ms)``: a Lambda context whose remaining time runs out with the wall
  clock, as Lambda's does.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from moto.acm.exceptions import AWSValidationException
from moto.acm.models import CertBundle
from moto.acm.responses import AWSCertificateManagerResponse
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse
from moto.iam.models import Certificate as IamCertificate
from moto.iam.models import IAMBackend
from moto.iam.responses import IamResponse

SEARCH_MAX_RESULTS = 500
SEARCH_DEFAULT_RESULTS = 100
SEARCH_MAX_STATEMENTS = 15


class NotEmulatedHere(ServiceException):
    code = "NotEmulated"


class AwsError(ServiceException):
    """An error AWS answers with; serialised by moto with the service's error shape."""


@dataclass
class World:
    """Knobs a test turns; see the module docstring."""

    search: str = "available"  # "available", "unknown_operation" or "access_denied"
    throttles: dict[tuple[str, str], int | None] = field(default_factory=dict)
    throttled: Counter[tuple[str, str]] = field(default_factory=Counter)
    member_findings: list[dict[str, Any]] = field(default_factory=list)

    def throttle(self, service: str, operation: str, times: int | None = None) -> None:
        """Answer ``operation`` of ``service`` (boto3's name, e.g. "acm", "DescribeCertificate")
        with ThrottlingException ``times`` times, or always when None."""
        self.throttles[(service, operation)] = times

    def _refuse(self, service: str, operation: str) -> bool:
        key = (service, operation)
        if key not in self.throttles:
            return False
        left = self.throttles[key]
        if left is not None:
            if left <= 0:
                return False
            self.throttles[key] = left - 1
        self.throttled[key] += 1
        return True

    def add_member_finding(self, finding: Mapping[str, Any], region: str = "us-east-1") -> None:
        """A member account's finding, as the administrator's aggregated hub holds it."""
        from moto.securityhub.models import Finding, securityhub_backends

        from testkit.strict_aws import ACCOUNT_ID

        data = copy.deepcopy(dict(finding))
        data.setdefault("RecordState", "ACTIVE")
        data.setdefault("Workflow", {"Status": "NEW"})
        data["Region"] = region
        securityhub_backends[ACCOUNT_ID][region].findings.append(Finding(data["Id"], data))

    def set_workflow(self, finding_id: str, status: str, region: str = "us-east-1") -> None:
        """What BatchUpdateFindings (a person in the console) does to Workflow.Status."""
        from moto.securityhub.models import securityhub_backends

        from testkit.strict_aws import ACCOUNT_ID

        for finding in securityhub_backends[ACCOUNT_ID][region].findings:
            if finding.data["Id"] == finding_id:
                finding.data["Workflow"] = {"Status": status}
                return
        raise KeyError(finding_id)


class RealClockContext:
    """A Lambda context whose remaining time runs out with the wall clock."""

    function_name = "handle-expiring-certificates"
    invoked_function_arn = (
        "arn:aws:lambda:us-east-1:123456789012:function:handle-expiring-certificates"
    )
    aws_request_id = "00000000-0000-4000-8000-000000000000"

    def __init__(self, budget_ms: int) -> None:
        self.budget_ms = budget_ms
        self.started = time.monotonic()

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.budget_ms - int((time.monotonic() - self.started) * 1000))

    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)


def install_world(monkeypatch: pytest.MonkeyPatch) -> World:
    """Patch moto (undone by ``monkeypatch``) and return the knobs."""
    world = World()
    original_call_action = BaseResponse.call_action

    def call_action(self: BaseResponse) -> Any:
        if world._refuse(self.boto3_service_name, self._get_action()):
            error = AwsError("ThrottlingException", "Rate exceeded")
            status, headers, body = self.serialized(ActionResult(error))
            headers["status"] = status
            return status, headers, body
        return original_call_action(self)

    monkeypatch.setattr(BaseResponse, "call_action", call_action)
    monkeypatch.setattr(
        AWSCertificateManagerResponse,
        "search_certificates",
        _search_certificates(world),
        raising=False,
    )
    monkeypatch.setattr(IamResponse, "list_server_certificates", _list_server_certificates)
    monkeypatch.setattr(
        IAMBackend,
        "upload_server_certificate",
        _upload_keeps_time(IAMBackend.upload_server_certificate),
    )
    return world


# ACM SearchCertificates #########################################################################


def _epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=moment.tzinfo or timezone.utc).timestamp()


def _dns_names(certificate: x509.Certificate) -> list[str]:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [str(name) for name in extension.value.get_values_for_type(x509.DNSName)]


def _name_attributes(name: x509.Name) -> dict[str, str]:
    result = {}
    for oid, key in (
        (NameOID.COMMON_NAME, "CommonName"),
        (NameOID.ORGANIZATION_NAME, "Organization"),
    ):
        values = name.get_attributes_for_oid(oid)
        if values:
            result[key] = str(values[0].value)
    return result


def _search_static(bundle: CertBundle) -> dict[str, Any]:
    """The parts of a result that only change on re-import, computed once per certificate."""
    from testkit.strict_aws import _aws_serial, listed_summary

    cached: tuple[Any, dict[str, Any]] | None = getattr(bundle, "_strict_search", None)
    if cached is None or cached[0] is not bundle._cert:
        cert = bundle._cert
        summary = listed_summary(bundle)
        static = {
            "CertificateArn": summary["CertificateArn"],
            "X509Attributes": {
                "Issuer": _name_attributes(cert.issuer),
                "Subject": _name_attributes(cert.subject),
                "SubjectAlternativeNames": [{"DnsName": name} for name in _dns_names(cert)],
                "ExtendedKeyUsages": summary["ExtendedKeyUsages"],
                "KeyAlgorithm": summary["KeyAlgorithm"],
                "KeyUsages": summary["KeyUsages"],
                "SerialNumber": _aws_serial(cert.serial_number),
                "NotAfter": summary["NotAfter"],
                "NotBefore": summary["NotBefore"],
            },
            "metadata": {
                key: summary[key]
                for key in ("CreatedAt", "ImportedAt", "IssuedAt", "RenewalEligibility", "Type")
                if key in summary
            }
            | {"ExportOption": summary["ExportOption"]},
        }
        cached = (cert, static)
        bundle._strict_search = cached  # type: ignore[attr-defined]
    return cached[1]


def _search_result(bundle: CertBundle) -> dict[str, Any]:
    static = _search_static(bundle)
    bundle.check()
    metadata = {**static["metadata"], "Status": bundle.status, "InUse": bool(bundle.in_use_by)}
    return {
        "CertificateArn": static["CertificateArn"],
        "X509Attributes": static["X509Attributes"],
        "CertificateMetadata": {"AcmCertificateMetadata": metadata},
    }


def _in_range(value: float, bounds: Mapping[str, Any]) -> bool:
    start, end = bounds.get("Start"), bounds.get("End")
    return (start is None or value >= float(start)) and (end is None or value <= float(end))


def _compare(value: str, condition: Mapping[str, str]) -> bool:
    wanted = condition["Value"]
    if condition["ComparisonOperator"] == "EQUALS":
        return value == wanted
    return wanted in value


def _filter_matches(bundle: CertBundle, certificate_filter: Mapping[str, Any]) -> bool:
    if len(certificate_filter) != 1:
        raise AWSValidationException("A CertificateFilter must set exactly one member")
    ((kind, value),) = certificate_filter.items()
    if kind == "CertificateArn":
        return bool(bundle.arn == value)
    if kind == "X509AttributeFilter":
        ((attribute, wanted),) = value.items()
        cert = bundle._cert
        if attribute == "NotAfter":
            return _in_range(_epoch(cert.not_valid_after_utc), wanted)
        if attribute == "NotBefore":
            return _in_range(_epoch(cert.not_valid_before_utc), wanted)
        attributes = _search_static(bundle)["X509Attributes"]
        if attribute == "KeyAlgorithm":
            return bool(attributes["KeyAlgorithm"] == wanted)
        if attribute == "Subject":
            return _compare(attributes["Subject"].get("CommonName", ""), wanted["CommonName"])
        if attribute == "SubjectAlternativeName":
            return any(
                _compare(name["DnsName"], wanted["DnsName"])
                for name in attributes["SubjectAlternativeNames"]
            )
        raise NotEmulatedHere(f"aws_world: X509AttributeFilter.{attribute} is not emulated")
    if kind == "AcmCertificateMetadataFilter":
        ((attribute, wanted),) = value.items()
        metadata = _search_result(bundle)["CertificateMetadata"]["AcmCertificateMetadata"]
        if attribute in ("Type", "Status", "InUse", "ExportOption"):
            return bool(metadata.get(attribute) == wanted)
        raise NotEmulatedHere(
            f"aws_world: AcmCertificateMetadataFilter.{attribute} is not emulated"
        )
    raise AWSValidationException(f"Unknown CertificateFilter member {kind}")


def _statement_matches(bundle: CertBundle, statement: Mapping[str, Any]) -> bool:
    if len(statement) != 1:
        raise AWSValidationException("A CertificateFilterStatement must set exactly one member")
    ((kind, value),) = statement.items()
    if kind in ("And", "Or"):
        if not 1 <= len(value) <= SEARCH_MAX_STATEMENTS:
            raise AWSValidationException(f"{kind} takes 1 to {SEARCH_MAX_STATEMENTS} statements")
        results = (_statement_matches(bundle, inner) for inner in value)
        return all(results) if kind == "And" else any(results)
    if kind == "Not":
        return not _statement_matches(bundle, value)
    if kind == "Filter":
        return _filter_matches(bundle, value)
    raise AWSValidationException(f"Unknown CertificateFilterStatement member {kind}")


def _search_certificates(world: World) -> Callable[[AWSCertificateManagerResponse], str]:
    def search_certificates(self: AWSCertificateManagerResponse) -> str:
        if world.search == "unknown_operation":
            raise AwsError("UnknownOperationException", "Unknown operation SearchCertificates")
        if world.search == "access_denied":
            raise AwsError(
                "AccessDeniedException",
                f"User: arn:aws:sts::{self.current_account}:assumed-role/fn is not authorized "
                "to perform: acm:SearchCertificates",
            )
        if self._get_param("SortBy") or self._get_param("SortOrder"):
            raise NotEmulatedHere("aws_world: SearchCertificates SortBy is not emulated")
        max_results = self._get_param("MaxResults")
        if max_results is not None and not 1 <= int(max_results) <= SEARCH_MAX_RESULTS:
            raise AWSValidationException(
                f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to "
                f"satisfy constraint: Member must have value less than or equal to "
                f"{SEARCH_MAX_RESULTS}"
            )
        size = int(max_results or SEARCH_DEFAULT_RESULTS)
        statement = self._get_param("FilterStatement")

        def item_for(bundle: CertBundle) -> dict[str, Any] | None:
            if statement is None or _statement_matches(bundle, statement):
                return _search_result(bundle)
            return None

        from testkit.strict_aws import acm_page

        return acm_page(self, size, item_for, "Results")

    return search_certificates


# IAM ListServerCertificates #####################################################################


def _upload_keeps_time(original: Callable[..., IamCertificate]) -> Callable[..., IamCertificate]:
    def upload_server_certificate(self: IAMBackend, *args: Any, **kwargs: Any) -> IamCertificate:
        certificate = original(self, *args, **kwargs)
        certificate.upload_date = datetime.now(timezone.utc)  # type: ignore[attr-defined]
        return certificate

    return upload_server_certificate


def _iam_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _server_certificate_metadata(certificate: IamCertificate) -> dict[str, Any]:
    body = x509.load_pem_x509_certificate(certificate.cert_body.encode())
    uploaded = getattr(certificate, "upload_date", body.not_valid_before_utc)
    digest = hashlib.sha256(certificate.arn.encode()).hexdigest()[:17].upper()
    return {
        "ServerCertificateName": certificate.cert_name,
        "Path": certificate.path,
        "Arn": certificate.arn,
        "UploadDate": _iam_time(uploaded),
        "ServerCertificateId": f"ASCA{digest}",
        "Expiration": _iam_time(body.not_valid_after_utc),
    }


def _list_server_certificates(self: IamResponse) -> ActionResult:
    max_items = self._get_param("MaxItems")
    if max_items is not None and not 1 <= int(max_items) <= 1000:
        raise AwsError("ValidationError", "MaxItems must be between 1 and 1000")
    size = int(max_items or 100)
    prefix = self._get_param("PathPrefix") or "/"
    marker = self._get_param("Marker")
    listed = sorted(
        (c for c in self.backend.list_server_certificates() if c.path.startswith(prefix)),
        key=lambda c: c.cert_name,
    )
    start = int(base64.b64decode(marker).decode()) if marker else 0
    page = listed[start : start + size]
    result: dict[str, Any] = {
        "ServerCertificateMetadataList": [_server_certificate_metadata(c) for c in page],
        "IsTruncated": start + size < len(listed),
    }
    if result["IsTruncated"]:
        result["Marker"] = base64.b64encode(str(start + size).encode()).decode()
    return ActionResult(result)
