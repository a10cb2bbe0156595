"""Real X.509 certificates for tests, and importing them into moto's ACM.

- ``make_certificate(common_name, *, sans=(), key_type="EC_prime256v1", not_before=None,
  not_after)`` returns ``(certificate_pem, private_key_pem)``: a leaf certificate signed by a
  small test CA (``TEST_CA_NAME``), so ``Issuer`` differs from the subject as in real life.
  The common name is always the first SAN. Internationalised names may be given in Unicode:
  they are written as IDNA 2008 A-labels (``xn--...``), in the SAN DNSName and in the CN, like
  real certificates (``unicode_common_name=True`` keeps the CN in Unicode instead, as some
  private CAs do).
- ``import_many(region, days_left, now)``: many EC certificates straight into moto's backend,
  for paging and scale tests; yields (ARN, days left). ``import_fleet(...)`` does the same and
  yields what it made (``Imported``: ARN, names, ``NotAfter``, users), with more names per
  certificate and users if asked: the benchmark's seeding.
- ``make_ca_certificate(common_name, *, not_after, not_before=None, key_type=...)`` returns
  ``(certificate_pem, private_key_pem)``: a self-signed CA certificate (``BasicConstraints``
  CA, key usages ``keyCertSign`` and ``cRLSign``), as a private PKI's root. ``make_certificate``
  with ``issuer=(ca_certificate_pem, ca_key_pem)`` signs with that CA instead of the test CA.
- ``import_certificate(acm_client, *, common_name, days_left, now, ...)`` imports one into ACM
  and returns its ARN. ``NotAfter = now + days_left days + offset`` with ``offset`` one hour by
  default, so an integer ``days_left`` is exactly what ``floor((NotAfter - now) / 1 day)``
  gives: ``days_left=3`` means ``NotAfter = now + 3 days + 1 hour``; ``days_left=-2`` means
  ``now - 2 days + 1 hour`` (expired). Pass ``offset=timedelta(0)`` for exact boundaries, and
  then a ``now`` without microseconds (X.509 times have whole seconds).
  moto refuses a certificate that is expired or not yet valid at import time, so when the real
  clock is outside the validity period the import runs under ``freezegun.freeze_time`` at a
  moment inside it (``ImportedAt`` is then that moment). moto computes ``Status`` (``EXPIRED``)
  from the clock at the time of each call, not from the ``now`` the test chose.
- ``within_validity(not_before, not_after)``: a context in which the clock reads a moment the
  certificate is valid (the real one when it is; else ``freezegun.freeze_time``), for services
  that, like AWS, refuse to issue or import a certificate outside its validity.
- ``set_in_use_by(arn, region, arns, account_id=...)`` sets what moto reports in ``InUseBy``;
  ``set_domain_name(arn, region, name)`` what it reports as ``DomainName``.
- ``upload_server_certificate(iam_client, *, name, days_left, now, ...)`` uploads one to IAM
  (``NotAfter`` as for ``import_certificate``) and returns its ARN.
- ``KEY_TYPES`` lists the key types (ACM's names); private keys are generated once per key type
  per process (RSA-4096 takes a second or so).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import freezegun
import idna
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from testkit.environment import ACCOUNT_ID
from testkit.moto_internals import AcmRegion, acm_clock

DEFAULT_ACCOUNT_ID = ACCOUNT_ID
TEST_CA_NAME = "Test Issuing CA"
DEFAULT_IMPORT_OFFSET = timedelta(hours=1)

_EC_CURVES: dict[str, ec.EllipticCurve] = {
    "EC_prime256v1": ec.SECP256R1(),
    "EC_secp384r1": ec.SECP384R1(),
    "EC_secp521r1": ec.SECP521R1(),
}
_RSA_SIZES = {"RSA_1024": 1024, "RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
KEY_TYPES: tuple[str, ...] = (*_RSA_SIZES, *_EC_CURVES)

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@functools.cache
def private_key(key_type: str) -> PrivateKey:
    """One private key per key type per process: generating RSA keys is slow."""
    if key_type in _RSA_SIZES:
        return rsa.generate_private_key(public_exponent=65537, key_size=_RSA_SIZES[key_type])
    if key_type in _EC_CURVES:
        return ec.generate_private_key(_EC_CURVES[key_type])
    raise ValueError(f"unknown key type {key_type!r}; expected one of {', '.join(KEY_TYPES)}")


@functools.cache
def _private_key_pem(key_type: str) -> bytes:
    return private_key(key_type).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@functools.cache
def _test_ca() -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    # An RSA CA gives the SHA256WITHRSA signature algorithm most real certificates show.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, TEST_CA_NAME),
        ]
    )
    # Valid for a century, so that certificates made for any frozen test time chain to it.
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2000, 1, 1, tzinfo=timezone.utc))
        .not_valid_after(datetime(2099, 12, 31, tzinfo=timezone.utc))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def _loaded(issuer: tuple[bytes, bytes]) -> tuple[x509.Certificate, Any]:
    certificate = x509.load_pem_x509_certificate(issuer[0])
    return certificate, serialization.load_pem_private_key(issuer[1], password=None)


def make_ca_certificate(
    common_name: str,
    *,
    not_after: datetime,
    not_before: datetime | None = None,
    key_type: str = "EC_prime256v1",
) -> tuple[bytes, bytes]:
    """A self-signed CA certificate for ``common_name`` and its key, both PEM.

    ``not_before`` defaults to five years before ``not_after``, and never later than yesterday.
    EC keys by default: an RSA key costs a second to generate (once per process and type).
    """
    not_after = _aware(not_after)
    if not_before is None:
        not_before = min(
            not_after - timedelta(days=5 * 365), datetime.now(timezone.utc) - timedelta(days=1)
        )
    not_before = _aware(not_before)
    if not_before >= not_after:
        raise ValueError(f"not_before {not_before} must be before not_after {not_after}")
    key = private_key(key_type)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM), _private_key_pem(key_type)


def ca_certificate_pem() -> bytes:
    """The PEM of the CA that signs every certificate from ``make_certificate``."""
    return _test_ca()[0].public_bytes(serialization.Encoding.PEM)


def to_a_label(name: str) -> str:
    """``name`` with each non-ASCII label as an IDNA 2008 A-label (``*`` kept), as in certs."""
    labels = []
    for label in name.split("."):
        if label.isascii():
            labels.append(label)
        else:
            labels.append(idna.encode(label, uts46=True).decode("ascii"))
    return ".".join(labels)


def make_certificate(
    common_name: str,
    *,
    sans: Iterable[str] = (),
    key_type: str = "EC_prime256v1",
    not_before: datetime | None = None,
    not_after: datetime,
    unicode_common_name: bool = False,
    issuer: tuple[bytes, bytes] | None = None,
) -> tuple[bytes, bytes]:
    """A certificate for ``common_name`` (+ ``sans``) and its key, both PEM.

    ``not_before`` defaults to 397 days before ``not_after`` (the longest lifetime public CAs
    issue), and never later than yesterday, so the certificate is already in effect.
    ``issuer`` (a CA's certificate and key, PEM) signs it instead of the test CA.
    """
    not_after = _aware(not_after)
    if not_before is None:
        not_before = min(
            not_after - timedelta(days=397),
            datetime.now(timezone.utc) - timedelta(days=1),
        )
    not_before = _aware(not_before)
    if not_before >= not_after:
        raise ValueError(f"not_before {not_before} must be before not_after {not_after}")

    dns_names: list[str] = []
    for name in (common_name, *sans):
        a_label = to_a_label(name)
        if a_label not in dns_names:
            dns_names.append(a_label)
    cn = common_name if unicode_common_name else to_a_label(common_name)

    ca_certificate, ca_key = _test_ca() if issuer is None else _loaded(issuer)
    key = private_key(key_type)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=isinstance(key, rsa.RSAPrivateKey),
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM), _private_key_pem(key_type)


def import_certificate(
    acm_client: Any,
    *,
    common_name: str,
    days_left: float,
    now: datetime,
    key_type: str = "EC_prime256v1",
    sans: Sequence[str] = (),
    tags: Mapping[str, str] | None = None,
    offset: timedelta = DEFAULT_IMPORT_OFFSET,
    certificate_arn: str | None = None,
    unicode_common_name: bool = False,
) -> str:
    """Import a certificate expiring at ``now + days_left days + offset``; return its ARN.

    ``certificate_arn`` re-imports over an existing certificate (a renewal). ``tags`` is a
    ``{key: value}`` mapping.
    """
    now = _aware(now)
    not_after = now + timedelta(days=days_left) + offset
    # X.509 keeps whole seconds; compute the import moment from what the certificate will hold.
    not_after = not_after.replace(microsecond=0)
    not_before = min(not_after - timedelta(days=397), now - timedelta(days=1))
    certificate, key = make_certificate(
        common_name,
        sans=sans,
        key_type=key_type,
        not_before=not_before,
        not_after=not_after,
        unicode_common_name=unicode_common_name,
    )
    kwargs: dict[str, Any] = {
        "Certificate": certificate,
        "PrivateKey": key,
        "CertificateChain": ca_certificate_pem(),
    }
    if certificate_arn is not None:
        kwargs["CertificateArn"] = certificate_arn
    if tags:
        kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]

    real_now = datetime.now(timezone.utc)
    if not_before <= real_now < not_after:
        response = acm_client.import_certificate(**kwargs)
    else:
        # moto rejects certificates that are not valid at import time (AWS does too).
        import_at = min(max(now, not_before), not_after - timedelta(minutes=1))
        with freezegun.freeze_time(import_at):
            response = acm_client.import_certificate(**kwargs)
    arn: str = response["CertificateArn"]
    return arn


@dataclass(frozen=True)
class Imported:
    """A certificate ``import_fleet`` made."""

    arn: str
    days_left: float
    names: tuple[str, ...]  # its DNS names, the common name first
    not_after: datetime
    in_use_by: tuple[str, ...] = ()


def import_many(
    region: str,
    days_left: Sequence[float],
    now: datetime,
    *,
    account_id: str = DEFAULT_ACCOUNT_ID,
    domain: str = "many.example.com",
) -> Iterator[tuple[str, float]]:
    """Many certificates quickly: one EC key, straight into moto's ACM backend (the API costs a
    few milliseconds each); NotAfter = now + days + 1 hour. Yields (ARN, days left) in import
    order."""
    for made in import_fleet(region, days_left, now, account_id=account_id, domain=domain):
        yield made.arn, made.days_left


def import_fleet(
    region: str,
    days_left: Sequence[float],
    now: datetime,
    *,
    account_id: str = DEFAULT_ACCOUNT_ID,
    domain: str = "many.example.com",
    prefixes: Sequence[str] = (),
    users: Callable[[int], Sequence[str]] | None = None,
    digits: int = 4,
) -> Iterator[Imported]:
    """``import_many``, yielding what it made. Certificate ``i`` is ``host<i>.<domain>`` (``i``
    written with ``digits`` digits at least), also named ``<prefix>.host<i>.<domain>`` for each
    of ``prefixes``, used by ``users(i)``; one that is already expired is imported at a moment
    it was valid (ACM, like AWS, refuses an expired import)."""
    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Many Certificates Test CA")])
    acm = AcmRegion.of(account_id, region)
    for index, days in enumerate(days_left):
        name = f"host{index:0{digits}d}.{domain}"
        names = (name, *(f"{prefix}.{name}" for prefix in prefixes))
        not_after = now + timedelta(days=days, hours=1)
        pem = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(index + 1)
            .not_valid_before(min(now - timedelta(days=30), not_after - timedelta(days=2)))
            .not_valid_after(not_after)
            .add_extension(
                x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
            )
            .sign(key, hashes.SHA256())
            .public_bytes(serialization.Encoding.PEM)
        )
        if not_after > datetime.now(timezone.utc):
            arn = acm.import_pem(pem, key_pem)
        else:
            with acm_clock((not_after - timedelta(days=1)).replace(tzinfo=None)):
                arn = acm.import_pem(pem, key_pem)
        used_by = tuple(users(index)) if users else ()
        if used_by:
            acm[arn].in_use_by = used_by
        yield Imported(arn, days, names, not_after.replace(microsecond=0), used_by)


def set_in_use_by(
    arn: str, region: str, arns: Iterable[str], *, account_id: str = DEFAULT_ACCOUNT_ID
) -> None:
    """Make moto report ``arns`` as the resources using the certificate (``InUseBy``)."""
    AcmRegion.of(account_id, region)[arn].in_use_by = list(arns)


def set_domain_name(
    arn: str, region: str, domain_name: str, *, account_id: str = DEFAULT_ACCOUNT_ID
) -> None:
    """Make ACM report ``domain_name`` as the certificate's ``DomainName``.

    ACM reports the requested DomainName (up to 253 characters) of a certificate it issues,
    while a certificate's CN holds at most 64; moto reports the CN, so set it directly.
    """
    AcmRegion.of(account_id, region)[arn].set_common_name(domain_name)


def upload_server_certificate(
    iam_client: Any,
    *,
    name: str,
    days_left: float,
    now: datetime,
    path: str = "/",
    offset: timedelta = DEFAULT_IMPORT_OFFSET,
    common_name: str | None = None,
) -> str:
    """Upload an IAM server certificate for ``common_name`` (``<name>.example.com``) expiring
    at ``now + days_left days + offset``; its ARN. Uploading again under a name that was
    deleted gives the same ARN."""
    body, key = make_certificate(
        common_name or f"{name}.example.com",
        not_after=_aware(now) + timedelta(days=days_left) + offset,
    )
    arn: str = iam_client.upload_server_certificate(
        ServerCertificateName=name,
        CertificateBody=body.decode(),
        PrivateKey=key.decode(),
        Path=path,
    )["ServerCertificateMetadata"]["Arn"]
    return arn


@contextlib.contextmanager
def within_validity(not_before: datetime, not_after: datetime) -> Iterator[None]:
    """The clock reads a moment between ``not_before`` and ``not_after`` meanwhile: the real
    one if it is, else the moment nearest to it (``freezegun``, which the server mode sees too:
    it runs in this process)."""
    now = datetime.now(timezone.utc)
    if _aware(not_before) <= now < _aware(not_after):
        yield
        return
    moment = min(max(now, _aware(not_before)), _aware(not_after) - timedelta(minutes=1))
    with freezegun.freeze_time(moment):
        yield


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} must be timezone-aware")
    return moment.astimezone(timezone.utc)
