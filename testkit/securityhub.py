"""Security Hub as AWS answers where moto 5.2 does not, and reading findings back.

- In a region where the hub is not enabled, ``GetFindings`` and ``BatchImportFindings`` raise
  ``InvalidAccessException`` ("Account ... is not subscribed to AWS Security Hub"; moto:
  success).
- ``BatchImportFindings``: more than 100 findings raise ``InvalidInputException``; each finding
  is checked (``FailedFindings`` entry, code ``InvalidInput``, on failure) for: ``AwsAccountId``
  = caller (AWS: the default product takes only the caller's own findings, even one of another
  account the hub shows), ``ProductArn`` = the default product of this account in the hub
  region, ``Types`` namespaces, enum values (``Severity.Label``, ``Compliance.Status``,
  ``RecordState``, ``Workflow.Status``), ISO 8601 timestamps, lengths (``Id``/``GeneratorId``
  512, ``Title`` 256, ``Description`` 1024, ``Remediation.Recommendation.Text`` 512), 240 KB
  per finding. ``Resources`` (issue 17): at most 32, each checked against botocore's
  ``Resource`` shape (member types, no unknown member, ``Type`` and ``Id`` required, the
  ``Partition`` enumeration, non-blank strings; ``Type`` 1..256 and ``Region`` 1..16
  characters), so ``Details.AwsRdsDbInstance`` fields have the model's types (moto takes any
  JSON); the values the model documents for ``Details.AwsCertificateManagerCertificate``:
  ``KeyAlgorithm`` RSA_1024 | RSA_2048 | RSA_4096 | EC_prime256v1 | EC_secp384r1 |
  EC_secp521r1 (no RSA_3072), ``Status``, ``Type``, ``RenewalEligibility``; ISO 8601 in its
  timestamps and RDS's; ``Details.Other`` at most 50 string values, keys fewer than 128 and
  values fewer than 1,024 characters (the ASFF ``Other`` page). ``Type`` is free text (AWS
  lists types but takes any, ``Other`` included). Findings are keyed by ``(Id, ProductArn)``;
  an update replaces the stored finding (moto merges) unless its ``UpdatedAt`` is older than
  the stored one, in which case it is ignored but counted as a success; ``Workflow``,
  ``Note``, ``UserDefinedFields`` and ``VerificationState`` stay as stored; ``RecordState``
  defaults to ``ACTIVE``. ``Region``, ``ProductName``, ``CompanyName``, ``ProcessedAt`` are
  added as AWS adds them.
- Findings rejected one by one. AWS answers ``BatchImportFindings`` with a
  ``FailedFindings`` entry (``Id``, ``ErrorCode``, ``ErrorMessage``) for each finding it did
  not store (throttled, invalid ...) and stores the rest. ``reject_findings({finding_id:
  (code, message)}, times=None, region=...)`` (a test's fault, ``world.reject_findings``)
  rejects those findings on their first ``times`` imports, or always; what it gives back
  (``Rejections``) keeps the findings of every request since, as sent (``requests``).
- Workflow status belongs to the customer: ``Workflow.Status`` starts ``NEW`` and an import
  never changes it, except that AWS "resets the workflow status from NOTIFIED or RESOLVED to
  NEW" when ``RecordState`` turns from ``ARCHIVED`` to ``ACTIVE`` or ``Compliance.Status`` from
  ``PASSED`` to another value; ``SUPPRESSED`` stays. ``set_workflow(finding_id, status)`` is
  what a person does in the console (``BatchUpdateFindings``).
- ``GetFindings``: ``MaxResults`` 1..100 (default 100) with ``NextToken``; string ``Filters``
  honoured (``EQUALS``, ``NOT_EQUALS``, ``PREFIX``, ``PREFIX_NOT_EQUALS``, ``CONTAINS``,
  ``NOT_CONTAINS``; values of one field OR-ed for positive and AND-ed for negative comparisons)
  on ``Id``, ``GeneratorId``, ``ProductArn``, ``AwsAccountId``, ``AwsAccountName``,
  ``Region``, ``Title``, ``RecordState``, ``ComplianceStatus``, ``SeverityLabel``,
  ``WorkflowStatus``, ``WorkflowState``, ``ResourceId``, ``ResourceType``, ``ResourceRegion``,
  ``ResourcePartition``, ``Type``, ``ProductName``, ``CompanyName``; any other filter, or
  ``SortCriteria``, raises ``NotEmulated`` (moto ignores filters). The combinations
  ``StringFilter`` forbids on one field (``EQUALS`` with ``NOT_EQUALS`` or
  ``PREFIX_NOT_EQUALS``; ``CONTAINS`` or ``NOT_CONTAINS`` with anything but itself) raise
  ``InvalidInputException``. Throttling at AWS's rate: ``testkit.faults``.
- An administrator account's hub (issue 19). AWS aggregates its members' findings into the
  administrator's hub and ``GetFindings`` returns them, while ``BatchImportFindings`` still
  rejects them (above). ``ListMembers`` (moto: members from ``CreateMembers``, all
  ``ENABLED``, ``AdministratorId`` only with an organisation configuration): ``OnlyAssociated``
  (default true) keeps the members whose relationship is enabled (``Enabled``, or
  ``Associated`` as the CLI's example shows it), ``MaxResults`` 1..50 (default 50) with
  ``NextToken``; each member with ``AccountId``, ``AdministratorId``, ``MasterId``,
  ``MemberStatus``, ``InvitedAt``, ``UpdatedAt`` (and ``Email`` if known). ``AwsAccountName``:
  AWS documents the field (1..50 characters) but not when it is filled; Security Hub takes it
  from AWS Organizations, so the kit writes it only into findings of members ``add_member``
  named.

Helpers (boto3, so both the in-process and the server mode, unless said otherwise):

- ``enable_hub(region)``: ``EnableSecurityHub`` there.
- ``get_findings(region, filters=None)`` -> list: every finding, paginated.
- ``findings_by_arn(region, filters=None)`` -> {``Resources[0].Id``: finding};
  ``record_states(region)`` -> {``Resources[0].Id``: ``RecordState``};
  ``finding_of(arn, region)``: the one finding about a certificate;
  ``finding_by_id(finding_id, region)``: the one finding with that ``Id``.
- In the emulator's own state (no API call): ``add_member(account_id, status="Enabled", *,
  region, account_name=None, email=None, invited_at=None, updated_at=None)``: a member of the
  administrator's hub; ``add_member_finding(finding, region)``: a member's finding as the
  administrator's hub holds it, checked as the member's import was, with the fields Security
  Hub adds (``ProcessedAt`` and ``Workflow`` as given, else now and ``NEW``; ``UpdatedAt`` as
  written); ``set_workflow``, ``clear_findings(region)``, ``stored_findings(region)`` and
  ``restore_findings(region, findings)`` (the benchmark puts a hub back as it was);
  ``count_stored_findings(accept, region)``: how many it holds that ``accept`` takes, with no
  copy.
- What a member's own scan wrote (the handler's functions; no API call), for
  ``add_member_finding``: ``member_certificate(member, name, days_left, now, *, owner="",
  region)``, the finding about its DB instance ``name`` written a day before ``now``, built
  from ``member_db_certificate(...)`` (the ``Certificate`` as the handler reads it) by
  ``member_finding(assessment, region)``; ``member_monitor(member, reported, missing=(), *,
  by_severity=None, scanned=None, region)``, its monitor finding.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import botocore.session

from testkit import paging
from testkit.environment import ACCOUNT_ID, DEFAULT_REGION, client, partition
from testkit.errors import AwsError, NotEmulated
from testkit.handler import _handler
from testkit.moto_internals import HubRegion, Patcher, Request, kit_state

if TYPE_CHECKING:
    from handle_expiring_certificates import Assessment, Certificate

MAX_BATCH = 100
MAX_FINDING_BYTES = 240 * 1024
MAX_RESULTS = 100

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
MAX_RESOURCES = 32
OTHER_MAX_FIELDS = 50
OTHER_KEY_LIMIT = 128  # keys "fewer than 128 characters"
OTHER_VALUE_LIMIT = 1024  # values "fewer than 1,024 characters"
_RESOURCE_LENGTHS = {"Type": (1, 256), "Region": (1, 16)}
# "Valid values" the securityhub model documents for AwsCertificateManagerCertificateDetails
# (in its documentation: the shapes say only NonEmptyString). ACM knows RSA_3072 too;
# Security Hub does not take it.
_DETAIL_VALUES: dict[str, dict[str, frozenset[str]]] = {
    "AwsCertificateManagerCertificate": {
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
    },
}
# Details fields the model documents as timestamps ("see Timestamps"): ISO 8601.
_DETAIL_TIMESTAMPS: dict[str, tuple[str, ...]] = {
    "AwsCertificateManagerCertificate": (
        "CreatedAt",
        "ImportedAt",
        "IssuedAt",
        "NotAfter",
        "NotBefore",
    ),
    "AwsRdsDbInstance": ("InstanceCreateTime", "LatestRestorableTime"),
}
_KEPT_FROM_FIRST_IMPORT = ("Workflow", "Note", "UserDefinedFields", "VerificationState")
_FILTER_PATHS: dict[str, tuple[str, ...]] = {
    "Id": ("Id",),
    "GeneratorId": ("GeneratorId",),
    "ProductArn": ("ProductArn",),
    "AwsAccountId": ("AwsAccountId",),
    "AwsAccountName": ("AwsAccountName",),
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
# StringFilter: "You can't have both a CONTAINS filter and a NOT_CONTAINS filter on the same
# field. Similarly, you can't provide both an EQUALS filter and a NOT_EQUALS or
# PREFIX_NOT_EQUALS filter on the same field. [...] CONTAINS filters can only be used with other
# CONTAINS filters. NOT_CONTAINS filters can only be used with other NOT_CONTAINS filters."
_CONFLICTS = (
    ({"EQUALS"}, {"NOT_EQUALS", "PREFIX_NOT_EQUALS"}),
    ({"CONTAINS"}, {"EQUALS", "PREFIX", "NOT_EQUALS", "PREFIX_NOT_EQUALS", "NOT_CONTAINS"}),
    ({"NOT_CONTAINS"}, {"EQUALS", "PREFIX", "NOT_EQUALS", "PREFIX_NOT_EQUALS", "CONTAINS"}),
)
MAX_MEMBERS_RESULTS = 50
# Member.MemberStatus as the API reference lists them, and ASSOCIATED as AWS CLI's example of
# ListMembers shows it; OnlyAssociated (default true) keeps "member accounts whose relationship
# status with the administrator account is set to ENABLED".
MEMBER_STATUSES = (
    "Created",
    "Invited",
    "Enabled",
    "Associated",
    "Removed",
    "Resigned",
    "Deleted",
    "AccountSuspended",
)
_ASSOCIATED = {"ENABLED", "ASSOCIATED"}
_ACCOUNT_NAME = "_testkit_account_name"  # kept beside moto's member record, never answered


def install(patch: Patcher) -> None:
    """Security Hub's strictness, undone with the patcher's monkeypatch."""
    patch.answer("securityhub", "GetFindings", get_findings_answer)
    patch.answer("securityhub", "BatchImportFindings", batch_import_findings)
    patch.answer("securityhub", "ListMembers", list_members_answer)


def _invalid_input(message: str) -> AwsError:
    return AwsError("InvalidInputException", message)


def _require_hub(request: Request) -> HubRegion:
    hub = request.hub()
    if not hub.enabled:
        raise AwsError(
            "InvalidAccessException",
            f"Account {request.account} is not subscribed to AWS Security Hub",
        )
    return hub


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


# BatchImportFindings ############################################################################


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
    problem = _resources_problem(finding["Resources"])
    if problem is not None:
        return problem
    if len(json.dumps(finding).encode("utf-8")) > MAX_FINDING_BYTES:
        return "Finding size exceeds the maximum allowed size of 240 KB"
    return None


@functools.cache
def _model() -> Any:
    return botocore.session.get_session().get_service_model("securityhub")


def _shape_problem(value: Any, shape: Any, where: str) -> str | None:
    """What AWS's schema says of ``value`` against botocore's ``shape``: the member types, no
    unknown member, required members, enums, string patterns (JSON Schema: unanchored)."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return f"{where} should be object"
        for name in value:
            if name not in shape.members:
                return f"{where} should NOT have additional properties ({name})"
        for name in shape.required_members:
            if name not in value:
                return f"{where} should have required property '{name}'"
        for name, member in value.items():
            problem = _shape_problem(member, shape.members[name], f"{where}.{name}")
            if problem is not None:
                return problem
        return None
    if kind == "list":
        if not isinstance(value, list):
            return f"{where} should be array"
        for index, item in enumerate(value):
            problem = _shape_problem(item, shape.member, f"{where}[{index}]")
            if problem is not None:
                return problem
        return None
    if kind == "map":
        if not isinstance(value, dict):
            return f"{where} should be object"
        for key, item in value.items():
            problem = _shape_problem(item, shape.value, f"{where}.{key}")
            if problem is not None:
                return problem
        return None
    if kind == "string":
        if not isinstance(value, str):
            return f"{where} should be string"
        if shape.enum and value not in shape.enum:
            return f"{where} should be equal to one of the allowed values"
        pattern = shape.metadata.get("pattern")
        if pattern and not re.search(pattern, value, re.DOTALL):
            return f'{where} should match pattern "{pattern}"'
        return None
    if kind in ("integer", "long"):
        return (
            None
            if isinstance(value, int) and not isinstance(value, bool)
            else (f"{where} should be integer")
        )
    if kind in ("double", "float"):
        return (
            None
            if isinstance(value, (int, float)) and not isinstance(value, bool)
            else (f"{where} should be number")
        )
    if kind == "boolean":
        return None if isinstance(value, bool) else f"{where} should be boolean"
    return None


def _resources_problem(resources: Any) -> str | None:
    if not isinstance(resources, list):
        return "data.Resources should be array"
    if len(resources) > MAX_RESOURCES:
        return f"data.Resources should NOT have more than {MAX_RESOURCES} items"
    resource_shape = _model().shape_for("Resource")
    for index, resource in enumerate(resources):
        where = f"data.Resources[{index}]"
        problem = _shape_problem(resource, resource_shape, where)
        if problem is not None:
            return problem
        for name, (low, high) in _RESOURCE_LENGTHS.items():
            if name in resource and not low <= len(resource[name]) <= high:
                return f"{where}.{name} should have {low} to {high} characters"
        details = resource.get("Details") or {}
        problem = _details_problem(details, f"{where}.Details")
        if problem is not None:
            return problem
    return None


def _details_problem(details: Mapping[str, Any], where: str) -> str | None:
    """The documented rules botocore's shapes do not carry: ACM's enumerations (in the model's
    documentation only), timestamps, and the limits of ``Other``."""
    for kind, fields in _DETAIL_VALUES.items():
        for name, allowed in fields.items():
            value = (details.get(kind) or {}).get(name)
            if value is not None and value not in allowed:
                return f"{where}.{kind}.{name} should be equal to one of the allowed values"
    for kind, names in _DETAIL_TIMESTAMPS.items():
        for name in names:
            value = (details.get(kind) or {}).get(name)
            if value is None:
                continue
            try:
                _parse_timestamp(value)
            except ValueError:
                return f"{where}.{kind}.{name} should match format 'date-time'"
    other = details.get("Other")
    if other is not None:
        if len(other) > OTHER_MAX_FIELDS:
            return f"{where}.Other should NOT have more than {OTHER_MAX_FIELDS} properties"
        for key, value in other.items():
            # AWS: "The key must contain fewer than 128 characters. The value must contain
            # fewer than 1,024 characters."
            if len(key) >= OTHER_KEY_LIMIT:
                return f"{where}.Other key {key[:20]!r}... should be fewer than 128 characters"
            if len(value) >= OTHER_VALUE_LIMIT:
                return f"{where}.Other.{key} should be fewer than 1024 characters"
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


@dataclass
class Rejections:
    """Findings ``BatchImportFindings`` rejects (``reject_findings``): ``rejected`` by finding
    ``Id``, ``(ErrorCode, ErrorMessage)``, on their first ``times`` imports (None: always);
    ``requests`` the findings of every ``BatchImportFindings`` request since, as sent."""

    rejected: dict[str, tuple[str, str]]
    times: int | None = None
    requests: list[list[dict[str, Any]]] = field(default_factory=list)
    imports: Counter[str] = field(default_factory=Counter)

    def take(self, findings: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
        """The findings of this request that are rejected, by Id (the request is noted)."""
        self.requests.append(copy.deepcopy(findings))
        ids = [str(f.get("Id")) for f in findings if f.get("Id") in self.rejected]
        ids = list(dict.fromkeys(ids))
        self.imports.update(ids)
        return {
            finding_id: self.rejected[finding_id]
            for finding_id in ids
            if self.times is None or self.imports[finding_id] <= self.times
        }


def reject_findings(
    rejected: Mapping[str, tuple[str, str]],
    times: int | None = None,
    *,
    region: str = DEFAULT_REGION,
    account: str = ACCOUNT_ID,
) -> Rejections:
    """``BatchImportFindings`` in ``region`` answers each finding of ``rejected`` (by its
    ``Id``) with a ``FailedFindings`` entry of that ``(ErrorCode, ErrorMessage)`` and does not
    store it, on its first ``times`` imports (or always); the other findings are imported."""
    rejections = Rejections(dict(rejected), times)
    kit_state("securityhub", account, region).setdefault("rejections", []).append(rejections)
    return rejections


def _rejected(request: Request, findings: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """The findings of this request a test's ``reject_findings`` rejects, by Id."""
    rejected: dict[str, tuple[str, str]] = {}
    for rejections in kit_state("securityhub", request.account, request.region).get(
        "rejections", []
    ):
        for finding_id, answer in rejections.take(findings).items():
            rejected.setdefault(finding_id, answer)
    return rejected


def batch_import_findings(request: Request) -> dict[str, Any]:
    findings: list[dict[str, Any]] = request.body().get("Findings", [])
    rejected = _rejected(request, findings)
    hub = _require_hub(request)
    if len(findings) > MAX_BATCH:
        raise _invalid_input(
            f"Findings: at most {MAX_BATCH} findings per request, got {len(findings)}"
        )
    failed: list[dict[str, str]] = []
    for new in findings:
        if new.get("Id") in rejected:
            continue
        problem = _finding_problem(new, request.account, hub.region)
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
        existing = next((f for f in hub.findings() if (f["Id"], f["ProductArn"]) == key), None)
        if existing is None:
            hub.add(_stored_finding(new, None, hub.region))
        elif _parse_timestamp(new["UpdatedAt"]) >= _parse_timestamp(existing["UpdatedAt"]):
            hub.replace(existing, _stored_finding(new, existing, hub.region))
        # else: AWS keeps the newer stored finding and still counts the import as a success.
    failed += [
        {"Id": finding_id, "ErrorCode": code, "ErrorMessage": message}
        for finding_id, (code, message) in rejected.items()
    ]
    return {
        "FailedCount": len(failed),
        "SuccessCount": len(findings) - len(failed),
        "FailedFindings": failed,
    }


# GetFindings ####################################################################################


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


def get_findings_answer(request: Request) -> dict[str, Any]:
    hub = _require_hub(request)
    filters: dict[str, list[dict[str, str]]] = request.param("Filters") or {}
    for name, conditions in filters.items():
        if name not in _FILTER_PATHS:
            raise NotEmulated(f"testkit.securityhub: GetFindings filter {name} is not emulated")
        for condition in conditions:
            if condition.get("Comparison") not in (*_COMPARISONS, *_NEGATIONS):
                raise NotEmulated(
                    f"testkit.securityhub: filter comparison {condition} is not emulated"
                )
        comparisons = {condition["Comparison"] for condition in conditions}
        for these, those in _CONFLICTS:
            if comparisons & these and comparisons & those:
                raise _invalid_input(
                    f"Invalid filter combination on {name}: {sorted(comparisons)} may not be "
                    "combined on one field"
                )
    if request.param("SortCriteria"):
        raise NotEmulated("testkit.securityhub: GetFindings SortCriteria is not emulated")
    max_results = request.param("MaxResults")
    if max_results is not None and not 1 <= int(max_results) <= MAX_RESULTS:
        raise _invalid_input(f"MaxResults must be a number between 1 and {MAX_RESULTS}")
    size = int(max_results or MAX_RESULTS)
    start = paging.offset(request.param("NextToken"), lambda: _invalid_input("Invalid NextToken"))
    matching = [f for f in hub.findings() if _matches(f, filters)]
    result: dict[str, Any] = {"Findings": copy.deepcopy(matching[start : start + size])}
    if start + size < len(matching):
        result["NextToken"] = paging.token(start + size)
    return result


# ListMembers ####################################################################################


def _only_associated(value: Any) -> bool:
    # A query-string parameter: "false" on the wire; true by default.
    return not (value is False or str(value).lower() == "false")


def list_members_answer(request: Request) -> dict[str, Any]:
    hub = _require_hub(request)
    max_results = request.param("MaxResults")
    if max_results is not None and not 1 <= int(max_results) <= MAX_MEMBERS_RESULTS:
        raise _invalid_input(f"MaxResults must be a number between 1 and {MAX_MEMBERS_RESULTS}")
    size = int(max_results or MAX_MEMBERS_RESULTS)
    start = paging.offset(request.param("NextToken"), lambda: _invalid_input("Invalid NextToken"))
    only_associated = _only_associated(request.param("OnlyAssociated"))
    members = [
        {key: value for key, value in member.items() if key != _ACCOUNT_NAME}
        for member in hub.members().values()
        if not only_associated or str(member.get("MemberStatus", "")).upper() in _ASSOCIATED
    ]
    result: dict[str, Any] = {"Members": copy.deepcopy(members[start : start + size])}
    if start + size < len(members):
        result["NextToken"] = paging.token(start + size)
    return result


# Helpers ########################################################################################


def enable_hub(region: str = DEFAULT_REGION) -> None:
    client("securityhub", region).enable_security_hub(EnableDefaultStandards=False)


MONITOR_PREFIX = "handle-expiring-certificates/monitor/"


def get_findings(
    region: str = DEFAULT_REGION,
    filters: Mapping[str, Any] | None = None,
    *,
    monitor: bool = False,
) -> list[dict[str, Any]]:
    """Every finding about a certificate in the hub of ``region`` (optionally filtered),
    through GetFindings; with ``monitor``, the monitor findings scans write about themselves
    too (``monitor_finding`` reads one)."""
    paginator = client("securityhub", region).get_paginator("get_findings")
    pages = paginator.paginate(Filters=dict(filters or {}), PaginationConfig={"PageSize": 100})
    found = [finding for page in pages for finding in page["Findings"]]
    return [f for f in found if monitor or not str(f["Id"]).startswith(MONITOR_PREFIX)]


def monitor_finding(account: str = ACCOUNT_ID, region: str = DEFAULT_REGION) -> dict[str, Any]:
    """The finding the scans of ``account`` write about themselves."""
    [finding] = [
        f for f in get_findings(region, monitor=True) if f["Id"] == f"{MONITOR_PREFIX}{account}"
    ]
    return finding


def findings_by_arn(
    region: str = DEFAULT_REGION, filters: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """Every finding by the resource it is about (``Resources[0].Id``: the certificate ARN);
    the last one read wins where several are about one certificate."""
    return {f["Resources"][0]["Id"]: f for f in get_findings(region, filters)}


def record_states(region: str = DEFAULT_REGION) -> dict[str, str]:
    """``RecordState`` by the resource each finding is about."""
    return {arn: f["RecordState"] for arn, f in findings_by_arn(region).items()}


def finding_of(arn: str, region: str = DEFAULT_REGION) -> dict[str, Any]:
    """The one finding about the certificate ``arn`` (fails if there are several or none).
    Picked here, not by a filter, so that it holds where a test makes the hub ignore filters."""
    (finding,) = [f for f in get_findings(region) if f["Resources"][0]["Id"] == arn]
    return finding


def finding_by_id(finding_id: str, region: str = DEFAULT_REGION) -> dict[str, Any]:
    """The one finding whose ``Id`` is ``finding_id``."""
    (finding,) = [f for f in get_findings(region) if f["Id"] == finding_id]
    return finding


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def add_member(
    account_id: str,
    status: str = "Enabled",
    *,
    region: str = DEFAULT_REGION,
    account_name: str | None = None,
    email: str | None = None,
    invited_at: datetime | None = None,
    updated_at: datetime | None = None,
    administrator: str = ACCOUNT_ID,
) -> None:
    """``account_id`` is a member of the administrator's hub in ``region``, with ``status``
    (``MEMBER_STATUSES``; ``Enabled`` and ``Associated`` are associated), as ``ListMembers``
    then gives it. ``account_name`` is its name in AWS Organizations: Security Hub writes it
    into the member's findings as ``AwsAccountName`` (``add_member_finding``); a member
    invited by hand, outside an organisation, has none."""
    if status not in MEMBER_STATUSES and status.upper() not in _ASSOCIATED:
        raise ValueError(f"MemberStatus is one of {MEMBER_STATUSES}, not {status!r}")
    if account_name is not None and not 1 <= len(account_name) <= 50:
        raise ValueError("AwsAccountName has 1 to 50 characters")
    now = datetime.now(timezone.utc)
    member: dict[str, Any] = {
        "AccountId": account_id,
        "AdministratorId": administrator,
        "MasterId": administrator,
        "MemberStatus": status,
        "InvitedAt": _iso(invited_at or now),
        "UpdatedAt": _iso(updated_at or now),
    }
    if email is not None:
        member["Email"] = email
    if account_name is not None:
        member[_ACCOUNT_NAME] = account_name
    HubRegion.of(administrator, region).members()[account_id] = member


def add_member_finding(
    finding: Mapping[str, Any], region: str = DEFAULT_REGION, account: str = ACCOUNT_ID
) -> None:
    """A member account's finding, as the administrator's aggregated hub holds it: checked as
    the member's own ``BatchImportFindings`` checked it (``ValueError`` otherwise), with what
    Security Hub adds (``Region``, ``ProductName``, ``CompanyName``, ``WorkflowState``,
    ``ProductFields``, ``RecordState`` ``ACTIVE`` and ``Workflow`` ``NEW`` unless given,
    ``ProcessedAt`` now unless given, ``AwsAccountName`` for a member ``add_member`` named);
    ``UpdatedAt`` and the rest as written."""
    given = copy.deepcopy(dict(finding))
    member_account = str(given.get("AwsAccountId", ""))
    problem = _finding_problem(given, member_account, region)
    if problem is not None:
        raise ValueError(f"not a finding the member could have imported: {problem}")
    data = _stored_finding(given, None, region)
    if "Workflow" in given:
        data["Workflow"] = given["Workflow"]
        data["WorkflowState"] = {"RESOLVED": "RESOLVED", "SUPPRESSED": "DEFERRED"}.get(
            given["Workflow"].get("Status", "NEW"), "NEW"
        )
    if "ProcessedAt" in given:
        data["ProcessedAt"] = given["ProcessedAt"]
    hub = HubRegion.of(account, region)
    name = (hub.members().get(member_account) or {}).get(_ACCOUNT_NAME)
    if name is not None:
        data["AwsAccountName"] = name
    hub.add(data)


# What a member's own scan wrote, for add_member_finding (the handler's functions, looked up when
# called, as testkit.handler looks them up: the benchmark may load another copy).

MEMBER_EXPIRY_DAYS = 45  # the window of the members' scans: the handler's default


def member_db_certificate(
    member: str,
    name: str,
    days_left: float,
    now: datetime,
    *,
    owner: str = "",
    region: str = DEFAULT_REGION,
) -> Certificate:
    """Member ``member``'s DB instance ``name``, whose server certificate has ``days_left``
    days left at ``now``, as the handler reads it, with ``owner`` (what OWNER_TAG gave it)."""
    instance = {
        "DBInstanceIdentifier": name,
        "DBInstanceArn": f"arn:{partition(region)}:rds:{region}:{member}:db:{name}",
        "Engine": "postgres",
        "CertificateDetails": {
            "CAIdentifier": "rds-ca-2019",
            "ValidTill": now + timedelta(days=days_left),
        },
    }
    certificate: Certificate | None = _handler().certificate_from_rds(instance)
    assert certificate is not None
    return replace(certificate, owner=owner)


def member_finding(assessment: Assessment, region: str = DEFAULT_REGION) -> dict[str, Any]:
    """The finding a member's own scan writes about ``assessment`` (its first, in a 45-day
    window)."""
    finding: dict[str, Any] = _handler().build_finding(
        assessment,
        hub_region=region,
        hub_partition=partition(region),
        expiry_days=MEMBER_EXPIRY_DAYS,
        existing=None,
    )
    return finding


def member_certificate(
    member: str,
    name: str,
    days_left: float,
    now: datetime,
    *,
    owner: str = "",
    region: str = DEFAULT_REGION,
) -> dict[str, Any]:
    """The finding a member's own scan wrote a day before ``now`` about its DB instance
    ``name`` (``member_db_certificate``; with ``owner``, as a member with OWNER_TAG writes
    it)."""
    certificate = member_db_certificate(member, name, days_left, now, owner=owner, region=region)
    assessment = _handler().assess(certificate, now - timedelta(days=1), MEMBER_EXPIRY_DAYS)
    assert assessment is not None
    return member_finding(assessment, region)


def member_monitor(
    member: str,
    reported: datetime,
    missing: Sequence[str] = (),
    *,
    by_severity: Mapping[str, int] | None = None,
    scanned: str | None = None,
    region: str = DEFAULT_REGION,
) -> dict[str, Any]:
    """The monitor finding a member's scan wrote at ``reported``: a scan of ``scanned`` (by
    default ``region``), incomplete if it ``missing`` something, with ``by_severity``'s counts
    of the certificates it found (none by default)."""
    handler = _handler()
    finding: dict[str, Any] = handler.build_monitor_finding(
        member,
        partition=partition(region),
        hub_region=region,
        now=reported,
        scanned=scanned or region,
        by_severity={s: (by_severity or {}).get(s, 0) for s in handler.SEVERITY_ORDER},
        missing=missing,
        existing=None,
    )
    return finding


def set_workflow(
    finding_id: str, status: str, region: str = DEFAULT_REGION, account: str = ACCOUNT_ID
) -> None:
    """What BatchUpdateFindings (a person in the console) does to Workflow.Status."""
    for finding in HubRegion.of(account, region).findings():
        if finding["Id"] == finding_id:
            finding["Workflow"] = {"Status": status}
            return
    raise KeyError(finding_id)


def clear_findings(region: str = DEFAULT_REGION, account: str = ACCOUNT_ID) -> None:
    HubRegion.of(account, region).clear()


def stored_findings(
    region: str = DEFAULT_REGION, account: str = ACCOUNT_ID
) -> list[dict[str, Any]]:
    """A copy of every finding the hub holds, as it holds them."""
    return copy.deepcopy(HubRegion.of(account, region).findings())


def count_stored_findings(
    accept: Callable[[Mapping[str, Any]], bool],
    region: str = DEFAULT_REGION,
    account: str = ACCOUNT_ID,
) -> int:
    """How many of the findings the hub holds ``accept`` takes, read where they are held (no
    copy, unlike ``stored_findings``: ``accept`` must not change them)."""
    return sum(1 for finding in HubRegion.of(account, region).findings() if accept(finding))


def restore_findings(
    region: str, findings: Sequence[Mapping[str, Any]], account: str = ACCOUNT_ID
) -> None:
    """The hub holds ``findings`` (from ``stored_findings``) and nothing else."""
    hub = HubRegion.of(account, region)
    hub.clear()
    for finding in findings:
        hub.add(copy.deepcopy(dict(finding)))
