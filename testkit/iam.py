"""IAM as AWS answers where moto 5.2 does not.

- ``ListServerCertificates`` (moto: a fixed 2012 ``Expiration`` and upload date, one id for
  all, never pages): ``Expiration`` read from the certificate body, the upload time, a distinct
  ``ServerCertificateId``, ``MaxItems`` 1..1000 (default 100) with ``Marker`` and
  ``IsTruncated``, ``PathPrefix``; sorted by name.
- ``UploadServerCertificate`` records when it happened (moto keeps no upload time).
- SAML providers (moto: a fixed 2032 ``ValidUntil``, no tags, any document):
  ``ListSAMLProviders`` (one page: the API has no paging) and ``GetSAMLProvider`` give
  ``ValidUntil`` as AWS derives it from the metadata: the ``validUntil`` attribute of its
  ``EntityDescriptor`` if present, else 100 years after ``CreateDate`` (AWS's own example shows
  ``CreateDate`` 2017-03-06T22:29:46 and ``ValidUntil`` 2117-03-06T22:29:46.433); ``CreateDate``;
  ``SAMLMetadataDocument`` as uploaded; ``Tags`` given to ``CreateSAMLProvider``, sorted by key;
  ``SAMLProviderUUID``. ``CreateSAMLProvider`` refuses a document that is not SAML 2.0 IdP
  metadata (``InvalidInput``), as AWS does. ``GetSAMLProvider`` of an unknown ARN:
  ``NoSuchEntity``.

Uploading a server certificate: ``testkit.certificates.upload_server_certificate``. A SAML
provider: ``create_saml_provider(name, *, signing_not_after, valid_until=None,
extra_certificates=())`` -> ARN, with real SAML 2.0 IdP metadata whose signing certificate
(``<ds:X509Certificate>``, base64 DER) expires at ``signing_not_after``; each of
``extra_certificates`` (a ``NotAfter``, or a PEM certificate) adds one more signing certificate,
as an IdP does while it rolls its key over.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from testkit import paging
from testkit.certificates import make_certificate
from testkit.environment import client
from testkit.errors import AwsError
from testkit.moto_internals import (
    Patcher,
    Request,
    SamlProvider,
    ServerCertificate,
    saml_providers,
)

MAX_ITEMS = 1000
DEFAULT_ITEMS = 100


def install(patch: Patcher) -> None:
    """IAM's strictness, undone with the patcher's monkeypatch."""
    patch.answer("iam", "ListServerCertificates", list_server_certificates)
    patch.after_server_certificate_upload(_remember_upload_time)
    patch.before("iam", "CreateSAMLProvider", _check_metadata)
    patch.after("iam", "CreateSAMLProvider", _keep_tags)
    patch.answer("iam", "ListSAMLProviders", list_saml_providers)
    patch.answer("iam", "GetSAMLProvider", get_saml_provider)


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


# SAML providers #################################################################################

SAML_METADATA = "urn:oasis:names:tc:SAML:2.0:metadata"
XMLDSIG = "http://www.w3.org/2000/09/xmldsig#"
# Without a validUntil in the metadata, AWS keeps a provider valid for 100 years.
DEFAULT_VALIDITY_YEARS = 100


def _entity(document: str) -> ElementTree.Element | None:
    """The ``EntityDescriptor`` of SAML 2.0 IdP metadata, or None if it is not that."""
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError:
        return None
    if root.tag != f"{{{SAML_METADATA}}}EntityDescriptor":
        return None
    if root.find(f"{{{SAML_METADATA}}}IDPSSODescriptor") is None:
        return None
    return root


def _xml_datetime(value: str) -> datetime:
    """An ``xs:dateTime`` (``2027-01-01T00:00:00Z``, fractions and offsets allowed)."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?", value)
    if match is None:
        raise ValueError(f"not an xs:dateTime: {value!r}")
    moment = datetime.fromisoformat(match.group(1))
    fraction = match.group(2)
    if fraction:
        moment += timedelta(microseconds=round(float(fraction) * 1_000_000))
    zone = match.group(3) or "Z"
    if zone == "Z":
        return moment.replace(tzinfo=timezone.utc)
    sign = 1 if zone[0] == "+" else -1
    hours, minutes = zone[1:].split(":")
    return moment.replace(tzinfo=timezone(sign * timedelta(hours=int(hours), minutes=int(minutes))))


def valid_until(provider: SamlProvider) -> datetime:
    """AWS's ``ValidUntil``: the metadata's ``validUntil``, else ``CreateDate`` + 100 years."""
    entity = _entity(provider.document)
    stated = entity.get("validUntil") if entity is not None else None
    if stated:
        return _xml_datetime(stated).astimezone(timezone.utc)
    created = provider.created
    try:
        return created.replace(year=created.year + DEFAULT_VALIDITY_YEARS)
    except ValueError:  # 29 February, in a year that has none
        return created.replace(year=created.year + DEFAULT_VALIDITY_YEARS, day=28)


def _check_metadata(request: Request) -> None:
    if _entity(request.param("SAMLMetadataDocument") or "") is None:
        raise AwsError("InvalidInput", "Could not parse metadata")


def _keep_tags(request: Request) -> None:
    name = request.param("Name")
    tags = request.param("Tags") or []
    for provider in saml_providers(request):
        if provider.arn.endswith(f":saml-provider/{name}"):
            provider.tags = [{"Key": t["Key"], "Value": t["Value"]} for t in tags]


def list_saml_providers(request: Request) -> dict[str, Any]:
    return {
        "SAMLProviderList": [
            {"Arn": p.arn, "ValidUntil": valid_until(p), "CreateDate": p.created}
            for p in saml_providers(request)
        ]
    }


def get_saml_provider(request: Request) -> dict[str, Any]:
    arn = request.param("SAMLProviderArn")
    for provider in saml_providers(request):
        if provider.arn == arn:
            result: dict[str, Any] = {
                "SAMLProviderUUID": str(uuid.uuid5(uuid.NAMESPACE_URL, arn)),
                "SAMLMetadataDocument": provider.document,
                "CreateDate": provider.created,
                "ValidUntil": valid_until(provider),
            }
            if provider.tags:
                result["Tags"] = sorted(provider.tags, key=lambda tag: tag["Key"])
            return result
    raise AwsError("NoSuchEntity", f"SAMLProvider {arn} not found")


def saml_metadata(
    entity_id: str,
    certificates: Iterable[bytes],
    *,
    valid_until: datetime | None = None,
) -> str:
    """SAML 2.0 IdP metadata with each PEM certificate as a signing ``KeyDescriptor``."""
    keys = []
    for pem in certificates:
        der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
        keys.append(
            '    <md:KeyDescriptor use="signing">\n'
            "      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>"
            f"{base64.b64encode(der).decode()}"
            "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\n"
            "    </md:KeyDescriptor>\n"
        )
    until = ""
    if valid_until is not None:
        stamp = valid_until.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        until = f' validUntil="{stamp}"'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<md:EntityDescriptor xmlns:md="{SAML_METADATA}" xmlns:ds="{XMLDSIG}" '
        f'entityID="{entity_id}"{until}>\n'
        '  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n'
        + "".join(keys)
        + "    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
        "</md:NameIDFormat>\n"
        '    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        f'Location="{entity_id}/sso/saml"/>\n'
        '    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        f'Location="{entity_id}/sso/saml"/>\n'
        "  </md:IDPSSODescriptor>\n"
        "</md:EntityDescriptor>\n"
    )


def create_saml_provider(
    name: str,
    *,
    signing_not_after: datetime,
    valid_until: datetime | None = None,
    extra_certificates: Iterable[datetime | bytes] = (),
    tags: dict[str, str] | None = None,
) -> str:
    """An IAM SAML provider for an IdP whose signing certificate expires at
    ``signing_not_after``; its ARN (see the module docstring)."""
    host = f"idp.{name.lower()}.example.com"
    certificates = [make_certificate(host, not_after=signing_not_after)[0]]
    for extra in extra_certificates:
        if isinstance(extra, datetime):
            certificates.append(make_certificate(host, not_after=extra)[0])
        else:
            certificates.append(extra)
    document = saml_metadata(f"https://{host}", certificates, valid_until=valid_until)
    kwargs: dict[str, Any] = {"Name": name, "SAMLMetadataDocument": document}
    if tags:
        kwargs["Tags"] = [{"Key": key, "Value": value} for key, value in tags.items()]
    arn: str = client("iam").create_saml_provider(**kwargs)["SAMLProviderArn"]
    return arn
