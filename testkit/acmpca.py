"""AWS Private CA (``acm-pca``) as AWS answers where moto 5.2 does not; each piece names the AWS
behaviour it mirrors.

- ``ListCertificateAuthorities``: ``MaxResults`` 1..1000 (``ValidationException`` outside),
  yet at most 100 CAs a page ("Although the maximum value is 1000, the action only returns a
  maximum of 100 items"), ``NextToken`` pages (``InvalidNextTokenException`` for one the
  service did not give); ``ResourceOwner`` ``SELF`` (the default) or ``OTHER_ACCOUNTS`` (CAs
  shared through RAM: none here). moto pages by 100 by default and takes any ``MaxResults``.
- Each CA, listed or described (``DescribeCertificateAuthority``), in AWS's
  ``CertificateAuthority`` shape: ``Status`` ``EXPIRED`` once the CA certificate's ``NotAfter``
  has passed (moto: ``ACTIVE`` for ever); ``NotBefore``, ``NotAfter`` and ``Serial``
  (colon-separated hex) of the imported CA certificate (moto: no ``Serial``); ``UsageMode`` as
  created, ``GENERAL_PURPOSE`` by default (moto: ``SHORT_LIVED_CERTIFICATE`` whatever was
  asked); ``RestorableUntil`` of a ``DELETED`` CA; ``LastStateChangeAt``.
- ``CreateCertificateAuthority`` keeps ``UsageMode``. A CA starts ``PENDING_CERTIFICATE`` and
  becomes ``ACTIVE`` when its certificate is imported (AWS passes through ``CREATING`` for a
  few seconds first).
- ``IssueCertificate`` honours ``Validity`` (``DAYS``, ``MONTHS``, ``YEARS``, ``ABSOLUTE``,
  ``END_DATE``) and ``ValidityNotBefore`` (``ABSOLUTE``, ``END_DATE``; by default the issue
  time minus 60 minutes, as AWS backdates for clock skew). moto issues every certificate for
  365 days from now.
- ``ImportCertificateAuthorityCertificate`` refuses a certificate whose public key is not the
  CA's (``CertificateMismatchException``; moto imports anything that parses).
- ``DeleteCertificateAuthority``: only a CA that is ``PENDING_CERTIFICATE``, ``CREATING``,
  ``EXPIRED``, ``DISABLED`` or ``FAILED`` (an ``ACTIVE`` CA must be disabled first:
  ``InvalidStateException``); ``PermanentDeletionTimeInDays`` 7..30 (default 30) sets
  ``RestorableUntil``. moto deletes from any state.

moto generates an RSA key for every CA; the kit lets it reuse one (``fast_private_ca_keys``).

Helper (boto3, both fixtures): ``create_private_ca(region, *, common_name, not_after,
status="ACTIVE", ca_type="ROOT")`` -> ARN: a CA with an imported certificate valid until
``not_after``, reached through the API as AWS reaches each status (``PENDING_CERTIFICATE``: no
certificate imported; ``DISABLED``: ``UpdateCertificateAuthority``; ``DELETED``: disabled, then
``DeleteCertificateAuthority``; ``EXPIRED``: a ``not_after`` in the past, issued and imported
at a moment it was valid).
"""

from __future__ import annotations

import base64
import calendar
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from testkit import paging
from testkit.acm import aws_serial
from testkit.certificates import within_validity
from testkit.environment import DEFAULT_REGION, client
from testkit.errors import AwsError
from testkit.moto_internals import Patcher, PcaRegion, PrivateCa, Request

MAX_RESULTS = 1000
PAGE_LIMIT = 100
DELETABLE = ("PENDING_CERTIFICATE", "CREATING", "EXPIRED", "DISABLED", "FAILED")
ROOT_TEMPLATE = "arn:aws:acm-pca:::template/RootCACertificate/V1"
SUBORDINATE_TEMPLATE = "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1"
# AWS backdates a certificate's NotBefore by an hour unless told otherwise (clock skew).
BACKDATE = timedelta(minutes=60)


def install(patch: Patcher) -> None:
    """Private CA's strictness, undone with the patcher's monkeypatch."""
    patch.fast_private_ca_keys()
    patch.answer("acm-pca", "ListCertificateAuthorities", list_certificate_authorities)
    patch.answer("acm-pca", "DescribeCertificateAuthority", describe_certificate_authority)
    patch.after("acm-pca", "CreateCertificateAuthority", _keep_usage_mode)
    patch.amend("acm-pca", "IssueCertificate", _issue_with_validity)
    patch.before("acm-pca", "ImportCertificateAuthorityCertificate", _check_public_key)
    patch.answer("acm-pca", "DeleteCertificateAuthority", delete_certificate_authority)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def status_of(ca: PrivateCa, now: datetime) -> str:
    """AWS's status: an active CA whose certificate has expired is ``EXPIRED``."""
    certificate = ca.certificate
    if ca.status == "ACTIVE" and certificate and certificate.not_valid_after_utc <= now:
        return "EXPIRED"
    return ca.status


def authority(ca: PrivateCa, now: datetime) -> dict[str, Any]:
    """A ``CertificateAuthority`` as AWS gives it."""
    described: dict[str, Any] = {
        "Arn": ca.arn,
        "OwnerAccount": ca.owner,
        "CreatedAt": ca.created_at,
        "Type": ca.type,
        "Status": status_of(ca, now),
        "CertificateAuthorityConfiguration": ca.configuration,
        "RevocationConfiguration": ca.revocation_configuration,
        "KeyStorageSecurityStandard": ca.key_storage_security_standard,
        "UsageMode": ca.usage_mode or "GENERAL_PURPOSE",
    }
    if ca.last_state_change_at is not None:
        described["LastStateChangeAt"] = ca.last_state_change_at
    certificate = ca.certificate
    if certificate is not None:
        described["Serial"] = aws_serial(certificate.serial_number)
        described["NotBefore"] = certificate.not_valid_before_utc
        described["NotAfter"] = certificate.not_valid_after_utc
    if described["Status"] == "DELETED" and ca.restorable_until is not None:
        described["RestorableUntil"] = ca.restorable_until
    return described


def _validation(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def list_certificate_authorities(request: Request) -> dict[str, Any]:
    max_results = request.param("MaxResults")
    if max_results is not None and not 1 <= int(max_results) <= MAX_RESULTS:
        raise _validation(
            f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to "
            f"satisfy constraint: Member must have value less than or equal to {MAX_RESULTS}"
        )
    size = min(int(max_results or PAGE_LIMIT), PAGE_LIMIT)
    start = paging.offset(
        request.param("NextToken"),
        lambda: AwsError("InvalidNextTokenException", "The token is not valid."),
    )
    owner = request.param("ResourceOwner") or "SELF"
    cas = PcaRegion.of(request.account, request.region).authorities() if owner == "SELF" else []
    now = _now()
    result: dict[str, Any] = {
        "CertificateAuthorities": [authority(ca, now) for ca in cas[start : start + size]]
    }
    if start + size < len(cas):
        result["NextToken"] = paging.token(start + size)
    return result


def _found(request: Request) -> PrivateCa:
    arn = request.param("CertificateAuthorityArn")
    ca = PcaRegion.of(request.account, request.region).get(arn)
    if ca is None:
        raise AwsError("ResourceNotFoundException", f"Resource {arn} not found.")
    return ca


def describe_certificate_authority(request: Request) -> dict[str, Any]:
    return {"CertificateAuthority": authority(_found(request), _now())}


def _keep_usage_mode(request: Request) -> None:
    # The newest CA of the account is the one just created.
    newest = PcaRegion.of(request.account, request.region).authorities()[-1]
    newest.usage_mode = request.param("UsageMode") or "GENERAL_PURPOSE"


def _moment(validity: dict[str, Any], now: datetime) -> datetime:
    kind, value = validity["Type"], int(validity["Value"])
    if kind == "ABSOLUTE":
        return datetime.fromtimestamp(value, timezone.utc)
    if kind == "END_DATE":
        return datetime.strptime(str(value), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    if kind == "DAYS":
        return now + timedelta(days=value)
    if kind in ("MONTHS", "YEARS"):
        months = now.month - 1 + value * (12 if kind == "YEARS" else 1)
        year, month = now.year + months // 12, months % 12 + 1
        day = min(now.day, calendar.monthrange(year, month)[1])
        return now.replace(year=year, month=month, day=day)
    raise _validation(f"Validity type {kind} is not valid")


def _issue_with_validity(request: Request, data: dict[str, Any]) -> None:
    now = _now().replace(microsecond=0)
    validity = request.param("Validity")
    not_before_asked = request.param("ValidityNotBefore")
    not_before = _moment(not_before_asked, now) if not_before_asked else now - BACKDATE
    not_after = _moment(validity, now)
    if not_after <= not_before:
        raise _validation("The validity period must end after it begins.")
    _found(request).set_validity(data["CertificateArn"], not_before, not_after)


def _check_public_key(request: Request) -> None:
    pem = base64.b64decode(request.param("Certificate"))
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError as error:
        raise AwsError(
            "MalformedCertificateException", "The certificate is not a valid PEM certificate."
        ) from error
    public_key = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if public_key != _found(request).public_key_der():
        raise AwsError(
            "CertificateMismatchException",
            "The certificate authority certificate you are importing does not comply with "
            "conditions specified in the certificate that signed it.",
        )


def delete_certificate_authority(request: Request) -> dict[str, Any]:
    ca = _found(request)
    now = _now()
    status = status_of(ca, now)
    if status not in DELETABLE:
        raise AwsError(
            "InvalidStateException",
            f"The certificate authority is in the {status} state. Disable it before deleting.",
        )
    days = int(request.param("PermanentDeletionTimeInDays") or 30)
    if not 7 <= days <= 30:
        raise _validation("PermanentDeletionTimeInDays must be between 7 and 30.")
    ca.change_status("DELETED", now)
    ca.restorable_until = now + timedelta(days=days)
    return {}


# Helpers ########################################################################################


def create_private_ca(
    region: str = DEFAULT_REGION,
    *,
    common_name: str,
    not_after: datetime,
    status: str = "ACTIVE",
    ca_type: str = "ROOT",
    key_algorithm: str = "EC_prime256v1",
) -> str:
    """A private CA whose certificate is valid until ``not_after``, in ``status``; its ARN."""
    if status not in ("ACTIVE", "EXPIRED", "DISABLED", "DELETED", "PENDING_CERTIFICATE"):
        raise ValueError(f"status {status!r} cannot be reached through the API")
    pca = client("acm-pca", region)
    not_after = not_after.astimezone(timezone.utc).replace(microsecond=0)
    not_before = min(not_after - timedelta(days=3650), _now() - timedelta(days=1))
    signing = "SHA256WITHECDSA" if key_algorithm.startswith("EC_") else "SHA256WITHRSA"
    with within_validity(not_before, not_after):
        arn: str = pca.create_certificate_authority(
            CertificateAuthorityConfiguration={
                "KeyAlgorithm": key_algorithm,
                "SigningAlgorithm": signing,
                "Subject": {"CommonName": common_name, "Organization": "Example Test PKI"},
            },
            CertificateAuthorityType=ca_type,
        )["CertificateAuthorityArn"]
        if status == "PENDING_CERTIFICATE":
            return arn
        parent = arn
        chain: dict[str, Any] = {}
        template = ROOT_TEMPLATE
        if ca_type == "SUBORDINATE":
            parent = create_private_ca(
                region,
                common_name=f"{common_name} Root",
                not_after=not_after + timedelta(days=365),
                key_algorithm=key_algorithm,
            )
            chain = {"CertificateChain": _certificate_of(pca, parent)}
            template = SUBORDINATE_TEMPLATE
        certificate_arn = pca.issue_certificate(
            CertificateAuthorityArn=parent,
            Csr=pca.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"].encode(),
            SigningAlgorithm=signing,
            TemplateArn=template,
            Validity={"Type": "ABSOLUTE", "Value": int(not_after.timestamp())},
            ValidityNotBefore={"Type": "ABSOLUTE", "Value": int(not_before.timestamp())},
        )["CertificateArn"]
        certificate = pca.get_certificate(
            CertificateAuthorityArn=parent, CertificateArn=certificate_arn
        )["Certificate"]
        pca.import_certificate_authority_certificate(
            CertificateAuthorityArn=arn, Certificate=certificate.encode(), **chain
        )
    if status in ("DISABLED", "DELETED"):
        pca.update_certificate_authority(CertificateAuthorityArn=arn, Status="DISABLED")
    if status == "DELETED":
        pca.delete_certificate_authority(CertificateAuthorityArn=arn, PermanentDeletionTimeInDays=7)
    return arn


def _certificate_of(pca: Any, arn: str) -> bytes:
    certificate: str = pca.get_certificate_authority_certificate(CertificateAuthorityArn=arn)[
        "Certificate"
    ]
    return certificate.encode()
