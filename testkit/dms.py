"""AWS DMS certificates, which moto 5.2 lacks, as AWS answers them; each piece names the AWS
behaviour it mirrors.

- ``ImportCertificate`` (``CertificateIdentifier``, ``CertificatePem`` or
  ``CertificateWallet``, ``Tags``) reads the certificate into AWS's ``Certificate`` shape:
  ``CertificateArn`` (``arn:aws:dms:<region>:<account>:cert:`` and 26 upper-case letters and
  digits), ``CertificateCreationDate``, ``CertificateOwner`` (the account), ``ValidFromDate``
  and ``ValidToDate`` (the certificate's validity), ``SigningAlgorithm`` as DMS names it
  (``SHA256withRSA``, ``SHA256withECDSA``), ``KeyLength`` (bits). An identifier that exists:
  ``ResourceAlreadyExistsFault``; an identifier that does not begin with a letter or holds
  other than letters, digits and single hyphens: ``InvalidParameterValueException``; bad PEM:
  ``InvalidCertificateFault``.
- ``DescribeCertificates``: ``MaxRecords`` 20..100 when given (``InvalidParameterValueException``
  outside, as DMS's describe operations constrain it), 10 a page when not ("Default: 10" for
  this operation), ``Marker`` pages; ``Filters`` ``certificate-arn`` and ``certificate-id``.
- ``DeleteCertificate`` (``CertificateArn``) answers with the certificate it deleted; an
  unknown ARN: ``ResourceNotFoundFault``.

Helper (boto3, both fixtures): ``import_dms_certificate(region, identifier, *, not_after)`` ->
the certificate's ARN (a real CA certificate, as DMS endpoints import the CA they trust).
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from testkit import paging
from testkit.certificates import make_ca_certificate
from testkit.environment import DEFAULT_REGION, client, partition
from testkit.errors import AwsError
from testkit.moto_internals import Patcher, Request, kit_state

MIN_RECORDS = 20
MAX_RECORDS = 100
DEFAULT_RECORDS = 10
FILTERS = {"certificate-arn": "CertificateArn", "certificate-id": "CertificateIdentifier"}
IDENTIFIER = re.compile(r"[A-Za-z](?:-?[A-Za-z0-9])*")


@dataclass(frozen=True)
class DmsCertificate:
    identifier: str
    arn: str
    owner: str
    created: datetime
    pem: str | None
    wallet: str | None  # base64, as the JSON protocol carries a blob

    def shape(self) -> dict[str, Any]:
        """The ``Certificate`` shape, read from the certificate."""
        described: dict[str, Any] = {
            "CertificateIdentifier": self.identifier,
            "CertificateCreationDate": self.created,
            "CertificateArn": self.arn,
            "CertificateOwner": self.owner,
        }
        if self.wallet is not None:
            described["CertificateWallet"] = self.wallet
        if self.pem is None:
            return described
        certificate = x509.load_pem_x509_certificate(self.pem.encode())
        key = certificate.public_key()
        algorithm = "ECDSA" if isinstance(key, ec.EllipticCurvePublicKey) else "RSA"
        digest = certificate.signature_hash_algorithm
        return {
            **described,
            "CertificatePem": self.pem,
            "ValidFromDate": certificate.not_valid_before_utc,
            "ValidToDate": certificate.not_valid_after_utc,
            "SigningAlgorithm": f"{(digest.name if digest else '').upper()}with{algorithm}",
            "KeyLength": int(getattr(key, "key_size", 0)),
        }


def install(patch: Patcher) -> None:
    """DMS's certificates, undone with the patcher's monkeypatch."""
    patch.answer("dms", "ImportCertificate", import_certificate)
    patch.answer("dms", "DescribeCertificates", describe_certificates)
    patch.answer("dms", "DeleteCertificate", delete_certificate)


def certificates(account: str, region: str) -> dict[str, DmsCertificate]:
    """The imported certificates of one account and region, by ARN, in import order."""
    store: dict[str, DmsCertificate] = kit_state("dms", account, region).setdefault(
        "certificates", {}
    )
    return store


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterValueException", message)


def import_certificate(request: Request) -> dict[str, Any]:
    identifier = str(request.param("CertificateIdentifier") or "")
    if not IDENTIFIER.fullmatch(identifier) or len(identifier) > 255:
        raise _invalid(
            "The parameter CertificateIdentifier must begin with a letter and contain only "
            "ASCII letters, digits, and hyphens; it must not end with a hyphen or contain two "
            "consecutive hyphens."
        )
    store = certificates(request.account, request.region)
    if any(c.identifier.lower() == identifier.lower() for c in store.values()):
        raise AwsError(
            "ResourceAlreadyExistsFault", f"Certificate with identifier {identifier} already exists"
        )
    pem = request.param("CertificatePem")
    wallet = request.param("CertificateWallet")
    if pem:
        try:
            x509.load_pem_x509_certificate(str(pem).encode())
        except ValueError as error:
            raise AwsError("InvalidCertificateFault", "The certificate is not valid.") from error
    suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(26))
    arn = f"arn:{partition(request.region)}:dms:{request.region}:{request.account}:cert:{suffix}"
    imported = DmsCertificate(
        identifier=identifier,
        arn=arn,
        owner=request.account,
        created=datetime.now(timezone.utc),
        pem=str(pem) if pem else None,
        wallet=wallet or None,
    )
    store[arn] = imported
    return {"Certificate": imported.shape()}


def describe_certificates(request: Request) -> dict[str, Any]:
    max_records = request.param("MaxRecords")
    if max_records is not None and not MIN_RECORDS <= int(max_records) <= MAX_RECORDS:
        raise _invalid(f"MaxRecords must be between {MIN_RECORDS} and {MAX_RECORDS}")
    size = int(max_records or DEFAULT_RECORDS)
    start = paging.offset(request.param("Marker"), lambda: _invalid("Invalid Marker"))
    listed = [c.shape() for c in certificates(request.account, request.region).values()]
    for name_filter in request.param("Filters") or []:
        if name_filter["Name"] not in FILTERS:
            raise _invalid(f"Invalid filter name: {name_filter['Name']}")
        member = FILTERS[name_filter["Name"]]
        listed = [c for c in listed if c[member] in name_filter["Values"]]
    result: dict[str, Any] = {"Certificates": listed[start : start + size]}
    if start + size < len(listed):
        result["Marker"] = paging.token(start + size)
    return result


def delete_certificate(request: Request) -> dict[str, Any]:
    store = certificates(request.account, request.region)
    arn = request.param("CertificateArn")
    if arn not in store:
        raise AwsError("ResourceNotFoundFault", f"Certificate {arn} not found")
    return {"Certificate": store.pop(arn).shape()}


# Helpers ########################################################################################


def import_dms_certificate(
    region: str = DEFAULT_REGION, identifier: str = "database-ca", *, not_after: datetime
) -> str:
    """A CA certificate valid until ``not_after``, imported into DMS as ``identifier``; its
    ARN."""
    pem, _ = make_ca_certificate(f"{identifier} CA", not_after=not_after)
    arn: str = client("dms", region).import_certificate(
        CertificateIdentifier=identifier, CertificatePem=pem.decode()
    )["Certificate"]["CertificateArn"]
    return arn
