"""IAM as AWS answers where moto 5.2 does not.

- ``ListServerCertificates`` (moto: a fixed 2012 ``Expiration`` and upload date, one id for
  all, never pages): ``Expiration`` read from the certificate body, the upload time, a distinct
  ``ServerCertificateId``, ``MaxItems`` 1..1000 (default 100) with ``Marker`` and
  ``IsTruncated``, ``PathPrefix``; sorted by name.
- ``UploadServerCertificate`` records when it happened (moto keeps no upload time).

Uploading one: ``testkit.certificates.upload_server_certificate``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from cryptography import x509

from testkit import paging
from testkit.errors import AwsError
from testkit.moto_internals import Patcher, Request, ServerCertificate

MAX_ITEMS = 1000
DEFAULT_ITEMS = 100


def install(patch: Patcher) -> None:
    """IAM's strictness, undone with the patcher's monkeypatch."""
    patch.answer("iam", "ListServerCertificates", list_server_certificates)
    patch.after_server_certificate_upload(_remember_upload_time)


def _remember_upload_time(certificate: ServerCertificate) -> None:
    certificate.uploaded = datetime.now(timezone.utc)


def _iam_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _metadata(certificate: ServerCertificate) -> dict[str, Any]:
    body = x509.load_pem_x509_certificate(certificate.body.encode())
    uploaded = certificate.uploaded or body.not_valid_before_utc
    digest = hashlib.sha256(certificate.arn.encode()).hexdigest()[:17].upper()
    return {
        "ServerCertificateName": certificate.name,
        "Path": certificate.path,
        "Arn": certificate.arn,
        "UploadDate": _iam_time(uploaded),
        "ServerCertificateId": f"ASCA{digest}",
        "Expiration": _iam_time(body.not_valid_after_utc),
    }


def _invalid(message: str) -> AwsError:
    return AwsError("ValidationError", message)


def list_server_certificates(request: Request) -> dict[str, Any]:
    max_items = request.param("MaxItems")
    if max_items is not None and not 1 <= int(max_items) <= MAX_ITEMS:
        raise _invalid(f"MaxItems must be between 1 and {MAX_ITEMS}")
    size = int(max_items or DEFAULT_ITEMS)
    prefix = request.param("PathPrefix") or "/"
    start = paging.offset(request.param("Marker"), lambda: _invalid("Invalid Marker"))
    listed = sorted(
        (c for c in request.server_certificates() if c.path.startswith(prefix)),
        key=lambda c: c.name,
    )
    page = listed[start : start + size]
    result: dict[str, Any] = {
        "ServerCertificateMetadataList": [_metadata(c) for c in page],
        "IsTruncated": start + size < len(listed),
    }
    if result["IsTruncated"]:
        result["Marker"] = paging.token(start + size)
    return result
