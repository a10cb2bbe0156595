"""AWS Transfer Family certificates (AS2 signing and encryption, TLS), which moto 5.2 lacks, as
AWS answers them; each piece names the AWS behaviour it mirrors.

- ``ImportCertificate`` (``Usage`` ``SIGNING`` / ``ENCRYPTION`` / ``TLS``, ``Certificate``
  and ``PrivateKey`` as PEM text, ``CertificateChain``, ``ActiveDate``, ``InactiveDate``,
  ``Description``, ``Tags``) reads the certificate: an id ``cert-`` and 17 hex digits, ``Type``
  ``CERTIFICATE_WITH_PRIVATE_KEY`` when a key is given (it must match the certificate) and
  ``CERTIFICATE`` otherwise. ``ActiveDate`` defaults to the certificate's ``NotBefore`` and
  ``InactiveDate`` to its ``NotAfter`` ("If you do not specify a value, ActiveDate takes the
  same value as NotBeforeDate"). Bad PEM: ``InvalidRequestException``.
- ``Status`` as AWS derives it from those dates: ``PENDING_ROTATION`` before ``ActiveDate`` (the
  certificate "will replace the current certificate when it expires"), ``ACTIVE`` until
  ``InactiveDate``, ``INACTIVE`` from then on.
- ``ListCertificates``: ``MaxResults`` 1..1000 (``ValidationException`` above), ``NextToken``;
  items in the ``ListedCertificate`` shape (``Arn``, ``CertificateId``, ``Usage``, ``Status``,
  ``ActiveDate``, ``InactiveDate``, ``Type``, ``Description``).
- ``DescribeCertificate``: the ``DescribedCertificate`` shape, with ``Certificate``,
  ``CertificateChain``, ``Serial`` (colon-separated hex), ``NotBeforeDate``, ``NotAfterDate``,
  ``Tags``; ``DeleteCertificate``. An unknown id: ``ResourceNotFoundException``.

Helper (boto3, both fixtures): ``import_transfer_certificate(region, *, common_name, not_after,
usage="SIGNING", active=True)`` -> certificate id: a real certificate with its key; not
``active``: its ``InactiveDate`` has passed (``INACTIVE``). ``add_transfer_certificates(region,
count, *, not_after)`` puts many straight into the emulator (one certificate, no API call), for
paging tests. ``certificate_arn(region, account, id)``: a certificate's ARN.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from testkit import paging
from testkit.acm import aws_serial
from testkit.certificates import make_certificate
from testkit.environment import ACCOUNT_ID, DEFAULT_REGION, client, partition
from testkit.errors import AwsError
from testkit.moto_internals import Patcher, Request, kit_state

MAX_RESULTS = 1000
USAGES = ("SIGNING", "ENCRYPTION", "TLS")


@dataclass(frozen=True)
class TransferCertificate:
    arn: str
    id: str
    usage: str
    pem: str
    chain: str | None
    has_key: bool
    active_date: datetime
    inactive_date: datetime
    description: str | None
    tags: tuple[tuple[str, str], ...]

    @property
    def x509(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.pem.encode())

    def status(self, now: datetime) -> str:
        if now < self.active_date:
            return "PENDING_ROTATION"
        return "ACTIVE" if now < self.inactive_date else "INACTIVE"

    def listed(self, now: datetime) -> dict[str, Any]:
        """The ``ListedCertificate`` shape."""
        item: dict[str, Any] = {
            "Arn": self.arn,
            "CertificateId": self.id,
            "Usage": self.usage,
            "Status": self.status(now),
            "ActiveDate": self.active_date,
            "InactiveDate": self.inactive_date,
            "Type": "CERTIFICATE_WITH_PRIVATE_KEY" if self.has_key else "CERTIFICATE",
        }
        if self.description:
            item["Description"] = self.description
        return item

    def described(self, now: datetime) -> dict[str, Any]:
        """The ``DescribedCertificate`` shape."""
        certificate = self.x509
        described = {
            **self.listed(now),
            "Certificate": self.pem,
            "Serial": aws_serial(certificate.serial_number),
            "NotBeforeDate": certificate.not_valid_before_utc,
            "NotAfterDate": certificate.not_valid_after_utc,
        }
        if self.chain:
            described["CertificateChain"] = self.chain
        if self.tags:
            described["Tags"] = [{"Key": k, "Value": v} for k, v in self.tags]
        return described


def install(patch: Patcher) -> None:
    """Transfer Family's certificates, undone with the patcher's monkeypatch."""
    patch.answer("transfer", "ImportCertificate", import_certificate)
    patch.answer("transfer", "ListCertificates", list_certificates)
    patch.answer("transfer", "DescribeCertificate", describe_certificate)
    patch.answer("transfer", "DeleteCertificate", delete_certificate)


def certificates(account: str, region: str) -> dict[str, TransferCertificate]:
    """The imported certificates of one account and region, by id, in import order."""
    store: dict[str, TransferCertificate] = kit_state("transfer", account, region).setdefault(
        "certificates", {}
    )
    return store


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidRequestException", message)


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc)
    return datetime.fromtimestamp(float(value), timezone.utc)


def _new_id() -> str:
    return f"cert-{secrets.token_hex(9)[:17]}"


def certificate_arn(region: str, account: str, identifier: str) -> str:
    """A Transfer certificate's ARN, as Transfer makes it."""
    return f"arn:{partition(region)}:transfer:{region}:{account}:certificate/{identifier}"


def import_certificate(request: Request) -> dict[str, Any]:
    usage = request.param("Usage")
    if usage not in USAGES:
        raise AwsError("ValidationException", f"Usage must be one of {', '.join(USAGES)}")
    pem = str(request.param("Certificate") or "")
    try:
        certificate = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as error:
        raise _invalid("Certificate is not a valid PEM-encoded X.509 certificate") from error
    key_pem = request.param("PrivateKey")
    if key_pem:
        try:
            key = serialization.load_pem_private_key(str(key_pem).encode(), password=None)
        except (ValueError, TypeError) as error:
            raise _invalid("PrivateKey is not a valid PEM-encoded private key") from error
        public = serialization.PublicFormat.SubjectPublicKeyInfo
        if key.public_key().public_bytes(serialization.Encoding.DER, public) != (
            certificate.public_key().public_bytes(serialization.Encoding.DER, public)
        ):
            raise _invalid("The private key does not match the certificate")
    identifier = _new_id()
    imported = TransferCertificate(
        arn=certificate_arn(request.region, request.account, identifier),
        id=identifier,
        usage=usage,
        pem=pem,
        chain=request.param("CertificateChain"),
        has_key=bool(key_pem),
        active_date=_moment(request.param("ActiveDate")) or certificate.not_valid_before_utc,
        inactive_date=_moment(request.param("InactiveDate")) or certificate.not_valid_after_utc,
        description=request.param("Description"),
        tags=tuple((t["Key"], t["Value"]) for t in request.param("Tags") or []),
    )
    certificates(request.account, request.region)[identifier] = imported
    return {"CertificateId": identifier}


def list_certificates(request: Request) -> dict[str, Any]:
    max_results = request.param("MaxResults")
    if max_results is not None and not 1 <= int(max_results) <= MAX_RESULTS:
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to "
            f"satisfy constraint: Member must have value less than or equal to {MAX_RESULTS}",
        )
    size = int(max_results or MAX_RESULTS)
    start = paging.offset(
        request.param("NextToken"),
        lambda: AwsError("InvalidNextTokenException", "Invalid NextToken"),
    )
    listed = list(certificates(request.account, request.region).values())
    now = _now()
    result: dict[str, Any] = {"Certificates": [c.listed(now) for c in listed[start : start + size]]}
    if start + size < len(listed):
        result["NextToken"] = paging.token(start + size)
    return result


def _found(request: Request) -> tuple[dict[str, TransferCertificate], str]:
    store = certificates(request.account, request.region)
    identifier = request.param("CertificateId")
    if identifier not in store:
        raise AwsError("ResourceNotFoundException", f"Unknown certificate: {identifier}")
    return store, identifier


def describe_certificate(request: Request) -> dict[str, Any]:
    store, identifier = _found(request)
    return {"Certificate": store[identifier].described(_now())}


def delete_certificate(request: Request) -> dict[str, Any]:
    store, identifier = _found(request)
    del store[identifier]
    return {}


# Helpers ########################################################################################


def import_transfer_certificate(
    region: str = DEFAULT_REGION,
    *,
    common_name: str,
    not_after: datetime,
    usage: str = "SIGNING",
    active: bool = True,
    description: str | None = None,
) -> str:
    """A certificate and its key for ``common_name``, valid until ``not_after``, imported for
    ``usage``; its id. Not ``active``: its ``InactiveDate`` was yesterday."""
    certificate, key = make_certificate(common_name, not_after=not_after)
    kwargs: dict[str, Any] = {
        "Usage": usage,
        "Certificate": certificate.decode(),
        "PrivateKey": key.decode(),
    }
    if not active:
        kwargs["InactiveDate"] = _now() - timedelta(days=1)
    if description:
        kwargs["Description"] = description
    identifier: str = client("transfer", region).import_certificate(**kwargs)["CertificateId"]
    return identifier


def add_transfer_certificates(
    region: str = DEFAULT_REGION,
    count: int = 1,
    *,
    not_after: datetime,
    account_id: str = ACCOUNT_ID,
) -> list[str]:
    """``count`` imports of one certificate (and key) valid until ``not_after``, straight into
    the emulator; their ids, in import order."""
    pem = make_certificate("bulk.example.com", not_after=not_after)[0].decode()
    certificate = x509.load_pem_x509_certificate(pem.encode())
    store = certificates(account_id, region)
    made = []
    for _ in range(count):
        identifier = _new_id()
        store[identifier] = TransferCertificate(
            arn=certificate_arn(region, account_id, identifier),
            id=identifier,
            usage="SIGNING",
            pem=pem,
            chain=None,
            has_key=True,
            active_date=certificate.not_valid_before_utc,
            inactive_date=certificate.not_valid_after_utc,
            description=None,
            tags=(),
        )
        made.append(identifier)
    return made
