"""AWS IoT Core CA certificates as AWS answers where moto 5.2 does not; each piece names the AWS
behaviour it mirrors.

- ``ListCACertificates`` (moto has none): ``pageSize`` 1..250, default 25 ("paginated with a
  default page size of 25"; ``InvalidRequestException`` outside), ``marker`` / ``nextMarker``;
  newest first unless ``ascendingOrder`` (by creation date); ``templateName`` keeps the CAs
  whose registration config names that provisioning template. Items: ``certificateArn``,
  ``certificateId``, ``status`` (``ACTIVE`` / ``INACTIVE``), ``creationDate``. (Query
  parameters are read by their names on the wire: ``isAscendingOrder``.)
- ``RegisterCACertificate``: the CA certificate's ARN is ``...:cacert/<id>`` (moto:
  ``...:cert/<id>``, a device certificate's); its id is the SHA-256 of its DER encoding (moto:
  of its PEM text); ``validity`` (``notBefore``, ``notAfter``) is the certificate's own (moto:
  a day either side of the registration). In ``DEFAULT`` mode AWS requires a verification
  certificate signed by the CA's key (proof of possession; ``InvalidRequestException`` without,
  ``CertificateValidationException`` if the CA did not sign it); ``SNI_ONLY`` takes none.
- ``DescribeCACertificate``: the description in AWS's shape, with ``certificateMode``,
  ``autoRegistrationStatus`` (``DISABLE`` unless asked), ``customerVersion``,
  ``generationId``.

Helper (boto3, both fixtures): ``register_iot_ca(region, *, common_name, not_after,
status="ACTIVE")`` -> ``(certificate ARN, certificate id)``: a real CA certificate (EC key),
registered as AWS asks, with a verification certificate whose subject is the account's
registration code.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography import x509

from testkit import paging
from testkit.certificates import make_ca_certificate, make_certificate, within_validity
from testkit.environment import DEFAULT_REGION, client
from testkit.errors import AwsError
from testkit.moto_internals import (
    IotCaCertificate,
    Patcher,
    Request,
    iot_ca_certificates,
)

MAX_PAGE_SIZE = 250
DEFAULT_PAGE_SIZE = 25


def install(patch: Patcher) -> None:
    """IoT's strictness, undone with the patcher's monkeypatch."""
    patch.iot_certificate_ids_from_der()
    patch.before("iot", "RegisterCACertificate", _check_verification)
    patch.after_iot_ca_registration(_as_aws_registers)
    patch.after("iot", "RegisterCACertificate", _keep_modes)
    patch.answer("iot", "ListCACertificates", list_ca_certificates)
    patch.amend("iot", "DescribeCACertificate", _describe_as_aws)


def _flag(value: Any) -> bool:
    """A boolean of the query string (``"true"``), as REST sends it."""
    return str(value).lower() == "true"


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidRequestException", message)


def _check_verification(request: Request) -> None:
    mode = request.param("certificateMode") or "DEFAULT"
    verification = request.param("verificationCertificate")
    if mode == "SNI_ONLY":
        if verification:
            raise _invalid("verificationCertificate must be empty in SNI_ONLY mode")
        return
    if not verification:
        raise _invalid("verificationCertificate is required in DEFAULT mode")
    try:
        ca = x509.load_pem_x509_certificate(str(request.param("caCertificate")).encode())
        x509.load_pem_x509_certificate(str(verification).encode()).verify_directly_issued_by(ca)
    except (ValueError, TypeError, x509.InvalidSignature) as error:
        raise AwsError(
            "CertificateValidationException",
            "The verification certificate is not signed by the CA certificate.",
        ) from error


def _as_aws_registers(certificate: IotCaCertificate) -> None:
    certificate.arn = certificate.arn.replace(":cert/", ":cacert/")
    parsed = x509.load_pem_x509_certificate(certificate.pem.encode())
    certificate.set_validity(
        parsed.not_valid_before_utc.replace(tzinfo=None),
        parsed.not_valid_after_utc.replace(tzinfo=None),
    )


def _keep_modes(request: Request) -> None:
    newest = iot_ca_certificates(request.account, request.region)[-1]
    newest.keep(
        certificate_mode=request.param("certificateMode") or "DEFAULT",
        auto_registration="ENABLE" if _flag(request.param("allowAutoRegistration")) else "DISABLE",
    )


def list_ca_certificates(request: Request) -> dict[str, Any]:
    page_size = request.param("pageSize")
    if page_size is not None and not 1 <= int(page_size) <= MAX_PAGE_SIZE:
        raise _invalid(f"pageSize must be between 1 and {MAX_PAGE_SIZE}")
    size = int(page_size or DEFAULT_PAGE_SIZE)
    start = paging.offset(request.param("marker"), lambda: _invalid("Invalid marker"))
    ascending = _flag(request.param("isAscendingOrder"))
    certificates = iot_ca_certificates(request.account, request.region)
    template = request.param("templateName")
    if template:
        certificates = [
            c for c in certificates if c.registration_config.get("templateName") == template
        ]
    certificates.sort(key=lambda c: c.created)
    if not ascending:
        certificates.reverse()
    result: dict[str, Any] = {
        "certificates": [
            {
                "certificateArn": c.arn,
                "certificateId": c.id,
                "status": c.status,
                "creationDate": c.created,
            }
            for c in certificates[start : start + size]
        ]
    }
    if start + size < len(certificates):
        result["nextMarker"] = paging.token(start + size)
    return result


def _describe_as_aws(request: Request, data: dict[str, Any]) -> None:
    described = data["certificateDescription"]
    stored = next(
        c
        for c in iot_ca_certificates(request.account, request.region)
        if c.id == described["certificateId"]
    )
    described["certificateMode"] = stored.kept("certificate_mode") or "DEFAULT"
    described["autoRegistrationStatus"] = stored.kept("auto_registration") or "DISABLE"
    described["customerVersion"] = 1
    described["generationId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, stored.arn))
    if not data.get("registrationConfig"):
        data.pop("registrationConfig", None)


# Helpers ########################################################################################


def register_iot_ca(
    region: str = DEFAULT_REGION,
    *,
    common_name: str,
    not_after: datetime,
    status: str = "ACTIVE",
) -> tuple[str, str]:
    """A CA certificate for ``common_name`` valid until ``not_after``, registered in IoT with
    ``status`` (``ACTIVE`` or ``INACTIVE``); its ARN and id."""
    iot = client("iot", region)
    not_after = not_after.astimezone(timezone.utc).replace(microsecond=0)
    not_before = min(
        not_after - timedelta(days=3650), datetime.now(timezone.utc) - timedelta(days=1)
    )
    ca = make_ca_certificate(common_name, not_after=not_after, not_before=not_before)
    with within_validity(not_before, not_after):
        code = iot.get_registration_code()["registrationCode"]
        verification, _ = make_certificate(
            code, not_after=not_after, not_before=not_before, issuer=ca
        )
        registered = iot.register_ca_certificate(
            caCertificate=ca[0].decode(),
            verificationCertificate=verification.decode(),
            setAsActive=status == "ACTIVE",
            allowAutoRegistration=False,
        )
    return registered["certificateArn"], registered["certificateId"]
