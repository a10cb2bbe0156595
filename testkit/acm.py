"""ACM as AWS answers where moto 5.2 does not; each piece names the AWS behaviour it mirrors.

- ``DescribeCertificate``: ``KeyUsages`` ``[{"Name"}]`` and ``ExtendedKeyUsages``
  ``[{"Name", "OID"}]`` from the certificate (moto: missing / empty), ``Serial`` as
  colon-separated hex like AWS (moto: decimal); ``Options`` with both
  ``CertificateTransparencyLoggingPreference`` and ``Export`` (moto gives the request's
  ``Options`` instead of its defaults, so ``{"Export": "ENABLED"}`` alone).
- Export (issue 17). ``ExportCertificate`` serves a ``PRIVATE`` certificate, or an
  ``AMAZON_ISSUED`` one requested with ``Options.Export`` ``ENABLED`` (AWS's exportable public
  certificates); another is a ``ValidationException``, one not yet issued a
  ``RequestInProgressException``, a passphrase outside 4..128 bytes a ``ValidationException``
  (moto counts base64 characters). AWS then reports the certificate exported, which moto never
  does: ``Exported`` in ``ListCertificates`` summaries of ``PRIVATE`` certificates ("This value
  exists only when the certificate type is PRIVATE"; moto: ``Exported`` = the export option, for
  every certificate), and ``CertificateMetadata.AcmCertificateMetadata.Exported`` in search
  results of certificates that can be exported (private, or public and exportable).
  ``ExportOption`` (``ENABLED`` / ``DISABLED``) is in every summary and search result, as
  requested (``DISABLED`` for imported certificates and, unless requested, private ones).
- ``ListCertificates``: without ``Includes.keyTypes`` only ``RSA_2048`` certificates;
  ``MaxItems`` (1..1000, default 1000) pages with ``NextToken``; the summary shape of AWS
  (``SubjectAlternativeNameSummaries`` (first 100), ``HasAdditionalSubjectAlternativeNames``,
  ``InUse``, ``KeyUsages``, ``ExtendedKeyUsages``, ``ExportOption``, timestamps; no
  ``InUseBy``, no ``SubjectAlternativeNames``). ``Includes`` filters other than ``keyTypes``
  and ``exportOption`` raise ``NotEmulated``. It builds only the page it returns, so listing
  the benchmark's 10,000 certificates stays linear.
- ``ImportCertificate`` over an existing ARN (renewal) keeps its tags and ``InUseBy``, as AWS
  does (moto drops both); tags may not be given with a re-import (``ValidationException``).
- ``SearchCertificates`` (moto has none: in-process it raises ``NotImplementedError``): a
  ``FilterStatement`` of ``And`` / ``Or`` / ``Not`` / ``Filter`` (AWS: at most 15 statements a
  list); filters on ``CertificateArn``, ``X509AttributeFilter`` ``NotAfter`` / ``NotBefore``
  ranges (``Start`` and ``End`` inclusive, either optional), ``KeyAlgorithm``,
  ``Subject.CommonName`` and ``SubjectAlternativeName.DnsName`` (``EQUALS`` / ``CONTAINS``),
  and ``AcmCertificateMetadataFilter`` ``Type``, ``Status``, ``InUse``, ``ExportOption``; any
  other filter, or ``SortBy``, raises ``NotEmulated``. ``MaxResults`` 1..500 (default 100),
  ``NextToken`` pages. Each result has the AWS shape: ``X509Attributes`` (issuer and subject
  names, every DNS name, key usages, key algorithm, colon-separated serial, validity) and
  ``CertificateMetadata.AcmCertificateMetadata`` (type, status, ``InUse``, renewal
  eligibility, ``ExportOption``, ``Exported``, timestamps); ``AcmCertificateMetadataFilter``
  ``Exported`` too. An endpoint without it, or a role denied it: ``testkit.faults``.

Helpers (boto3, so both the in-process and the server mode):

- ``request_certificate(region, *, common_name, days_left, now, export=False,
  certificate_authority_arn=None, key_type=..., sans=(), offset=1 hour)`` -> ARN: a
  certificate ACM issued (``RequestCertificate``), public and exportable with
  ``export=True``, ``PRIVATE`` with a CA ARN, with the validity the test chose.
- ``export_certificate(region, arn, passphrase=...)`` -> the ``ExportCertificate`` answer;
  the certificate is ``Exported`` from then on.

In the emulator's own state (no API call): ``delete_stored_certificate(region, arn)``, a
certificate deleted by someone else while the function runs (``world.after``: between the
search and the describe), whatever uses it; ``stored_pem(region, arn)`` -> (certificate,
private key), the PEM texts ACM holds.

A certificate's listing summary and search result are computed once per imported certificate,
as AWS has them stored; ``store_summaries(region)`` computes them ahead (the benchmark, while
seeding). ``digest_entries(region, arns)`` reads what a digest must carry about certificates
(``testkit.calls``), from what the emulator holds.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from testkit import paging
from testkit.calls import DigestEntry
from testkit.certificates import DEFAULT_IMPORT_OFFSET, make_certificate
from testkit.environment import ACCOUNT_ID, DEFAULT_REGION, client
from testkit.errors import AwsError, NotEmulated
from testkit.moto_internals import AcmCertificate, AcmRegion, Patcher, Request

LIST_MAX_ITEMS = 1000
SEARCH_MAX_RESULTS = 500
SEARCH_DEFAULT_RESULTS = 100
SEARCH_MAX_STATEMENTS = 15

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


_DEFAULT_OPTIONS = {"CertificateTransparencyLoggingPreference": "ENABLED", "Export": "DISABLED"}
PASSPHRASE_BYTES = (4, 128)


def install(patch: Patcher) -> None:
    """ACM's strictness, undone with the patcher's monkeypatch."""
    patch.answer("acm", "ListCertificates", list_certificates)
    patch.amend("acm", "DescribeCertificate", _describe_as_aws)
    patch.around_acm_import(_reimport_keeps_tags)
    patch.answer("acm", "SearchCertificates", search_certificates)
    patch.answer("acm", "ExportCertificate", export_certificate_answer)


def _validation(message: str) -> AwsError:
    return AwsError("ValidationException", message)


# DescribeCertificate ############################################################################


def _key_usages(certificate: x509.Certificate) -> tuple[list[str], list[tuple[str, str]]]:
    """Key usage names and (extended key usage name, OID), as ACM names them."""
    extensions = certificate.extensions
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


def aws_serial(serial_number: int) -> str:
    """A serial number as ACM writes it: colon-separated hex pairs."""
    digits = format(serial_number, "x")
    digits = digits.rjust(len(digits) + len(digits) % 2, "0")
    return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def _describe_as_aws(request: Request, data: dict[str, Any]) -> None:
    # moto leaves out KeyUsages, gives ExtendedKeyUsages as [] and the serial in decimal; AWS
    # gives [{"Name"}], [{"Name", "OID"}] and colon-separated hex.
    described = data["Certificate"]
    stored = request.acm()[described["CertificateArn"]]
    key_usages, extended = _key_usages(stored.x509)
    described["KeyUsages"] = [{"Name": name} for name in key_usages]
    described["ExtendedKeyUsages"] = [{"Name": name, "OID": oid} for name, oid in extended]
    described["Serial"] = aws_serial(stored.x509.serial_number)
    # moto gives the Options a certificate was requested with in place of its defaults (a
    # request with Options {"Export": "ENABLED"} loses the logging preference); AWS gives both.
    described["Options"] = _DEFAULT_OPTIONS | stored.options


# ListCertificates ###############################################################################


def _certificate_summary(stored: AcmCertificate) -> dict[str, Any]:
    described = stored.described()
    sans: list[str] = described.get("SubjectAlternativeNames", [])
    key_usages, extended_key_usages = _key_usages(stored.x509)
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
        "ExportOption": stored.export_option,
        "InUse": bool(described.get("InUseBy")),
        "RenewalEligibility": described["RenewalEligibility"],
    }
    for name in ("NotBefore", "NotAfter", "CreatedAt", "IssuedAt", "ImportedAt", "RevokedAt"):
        if described.get(name) is not None:
            summary[name] = described[name]
    return summary


def listed_summary(stored: AcmCertificate) -> dict[str, Any]:
    """A ListCertificates summary; its static part (the key usages parse the certificate) is
    computed once per imported certificate, as AWS has it stored."""
    static: dict[str, Any] = stored.memo("summary", lambda: _certificate_summary(stored))
    summary = {**static, "Status": stored.status(), "InUse": bool(stored.in_use_by)}
    # AWS: Exported "exists only when the certificate type is PRIVATE" (moto: Export option).
    if static["Type"] == "PRIVATE":
        summary["Exported"] = stored.exported
    return summary


def list_certificates(request: Request) -> dict[str, Any]:
    statuses = request.param("CertificateStatuses")
    includes = dict(request.param("Includes") or {})
    unsupported = sorted(set(includes) - {"keyTypes", "exportOption"})
    if unsupported:
        raise NotEmulated(f"testkit.acm: Includes.{unsupported[0]} is not emulated")
    # AWS: "By default, the API returns RSA_2048 certificates" (moto returns every key type).
    key_types = includes.get("keyTypes") or ["RSA_2048"]
    export = includes.get("exportOption")
    max_items = request.param("MaxItems")
    if max_items is not None and not 1 <= int(max_items) <= LIST_MAX_ITEMS:
        raise _validation(
            f"1 validation error detected: Value '{max_items}' at 'maxItems' failed to satisfy"
            f" constraint: Member must have value less than or equal to {LIST_MAX_ITEMS}"
        )
    size = int(max_items or LIST_MAX_ITEMS)

    def item_for(stored: AcmCertificate) -> dict[str, Any] | None:
        item = listed_summary(stored)
        if item["KeyAlgorithm"] not in key_types:
            return None
        if statuses and item["Status"] not in statuses:
            return None
        if export and item["ExportOption"] != export:
            return None
        return item

    return acm_page(request, size, item_for, "CertificateSummaryList")


def acm_page(
    request: Request,
    size: int,
    item_for: Callable[[AcmCertificate], dict[str, Any] | None],
    result_key: str,
) -> dict[str, Any]:
    """One page of certificates, built only as far as it goes (listing thousands of
    certificates stays linear), with a ``NextToken`` when more remain: ACM's list and search
    paging."""
    start = paging.offset(request.param("NextToken"), lambda: _validation("Invalid NextToken"))
    region = request.acm()
    arns = region.arns()
    page: list[dict[str, Any]] = []
    index = start
    while index < len(arns) and len(page) < size:
        item = item_for(region[arns[index]])
        index += 1
        if item is not None:
            page.append(item)
    # A token only when another certificate would follow: a full last page ends the listing.
    more = index
    while more < len(arns) and item_for(region[arns[more]]) is None:
        more += 1
    result: dict[str, Any] = {result_key: page}
    if more < len(arns):
        result["NextToken"] = paging.token(index)
    return result


# ImportCertificate ##############################################################################


def _reimport_keeps_tags(
    region: AcmRegion, arn: str | None, tags: list[dict[str, str]], proceed: Callable[[], str]
) -> str:
    previous = region.get(arn)
    if previous is not None and tags:
        raise _validation("Tags cannot be applied while reimporting a certificate.")
    new_arn = proceed()
    if previous is not None:
        region[new_arn].inherit(previous)
    return new_arn


# ExportCertificate ##############################################################################


def export_certificate_answer(request: Request) -> dict[str, Any]:
    arn = str(request.param("CertificateArn") or "")
    region = request.acm()
    stored = region.get(arn)
    if stored is None:
        raise AwsError("ResourceNotFoundException", f"Could not find certificate {arn}.")
    # The passphrase is a blob: base64 on the wire, 4 to 128 bytes once decoded (moto counts
    # the base64 characters).
    passphrase = str(request.param("Passphrase") or "")
    try:
        size = len(base64.b64decode(passphrase, validate=True))
    except ValueError as error:
        raise _validation("Value at 'passphrase' failed to satisfy constraint") from error
    low, high = PASSPHRASE_BYTES
    if not low <= size <= high:
        raise _validation(
            f"1 validation error detected: Value at 'passphrase' failed to satisfy constraint:"
            f" Member must have length between {low} and {high}"
        )
    if not _exportable(stored):
        raise _validation(f"Certificate ARN: {arn} is not a private certificate")
    if stored.status() == "PENDING_VALIDATION":
        # AWS: "The certificate request is in process and the certificate in your account has
        # not yet been issued."
        raise AwsError("RequestInProgressException", f"Certificate {arn} has not been issued yet.")
    certificate, chain, private_key = region.export(arn, passphrase)
    stored.exported = True
    return {"Certificate": certificate, "CertificateChain": chain, "PrivateKey": private_key}


# SearchCertificates #############################################################################


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


def _search_static(stored: AcmCertificate) -> dict[str, Any]:
    cert = stored.x509
    summary = listed_summary(stored)
    return {
        "CertificateArn": summary["CertificateArn"],
        "X509Attributes": {
            "Issuer": _name_attributes(cert.issuer),
            "Subject": _name_attributes(cert.subject),
            "SubjectAlternativeNames": [{"DnsName": name} for name in _dns_names(cert)],
            "ExtendedKeyUsages": summary["ExtendedKeyUsages"],
            "KeyAlgorithm": summary["KeyAlgorithm"],
            "KeyUsages": summary["KeyUsages"],
            "SerialNumber": aws_serial(cert.serial_number),
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


def stored_search_result(stored: AcmCertificate) -> dict[str, Any]:
    """The parts of a search result that only change on re-import, computed once."""
    static: dict[str, Any] = stored.memo("search", lambda: _search_static(stored))
    return static


def _search_result(stored: AcmCertificate) -> dict[str, Any]:
    static = stored_search_result(stored)
    metadata = {
        **static["metadata"],
        "Status": stored.status(),
        "InUse": bool(stored.in_use_by),
    }
    if _exportable(stored):
        metadata["Exported"] = stored.exported
    return {
        "CertificateArn": static["CertificateArn"],
        "X509Attributes": static["X509Attributes"],
        "CertificateMetadata": {"AcmCertificateMetadata": metadata},
    }


def _exportable(stored: AcmCertificate) -> bool:
    """ExportCertificate serves private certificates and public ones requested with
    Options.Export ENABLED (since June 2025); never imported ones."""
    return stored.type == "PRIVATE" or (
        stored.type == "AMAZON_ISSUED" and stored.export_option == "ENABLED"
    )


def _in_range(value: float, bounds: Mapping[str, Any]) -> bool:
    start, end = bounds.get("Start"), bounds.get("End")
    return (start is None or value >= float(start)) and (end is None or value <= float(end))


def _compare(value: str, condition: Mapping[str, str]) -> bool:
    wanted = condition["Value"]
    if condition["ComparisonOperator"] == "EQUALS":
        return value == wanted
    return wanted in value


def _x509_matches(stored: AcmCertificate, attribute: str, wanted: Any) -> bool:
    cert = stored.x509
    if attribute == "NotAfter":
        return _in_range(_epoch(cert.not_valid_after_utc), wanted)
    if attribute == "NotBefore":
        return _in_range(_epoch(cert.not_valid_before_utc), wanted)
    attributes = stored_search_result(stored)["X509Attributes"]
    if attribute == "KeyAlgorithm":
        return bool(attributes["KeyAlgorithm"] == wanted)
    if attribute == "Subject":
        return _compare(attributes["Subject"].get("CommonName", ""), wanted["CommonName"])
    if attribute == "SubjectAlternativeName":
        return any(
            _compare(name["DnsName"], wanted["DnsName"])
            for name in attributes["SubjectAlternativeNames"]
        )
    raise NotEmulated(f"testkit.acm: X509AttributeFilter.{attribute} is not emulated")


def _filter_matches(stored: AcmCertificate, certificate_filter: Mapping[str, Any]) -> bool:
    if len(certificate_filter) != 1:
        raise _validation("A CertificateFilter must set exactly one member")
    ((kind, value),) = certificate_filter.items()
    if kind == "CertificateArn":
        return bool(stored.arn == value)
    if kind == "X509AttributeFilter":
        ((attribute, wanted),) = value.items()
        return _x509_matches(stored, attribute, wanted)
    if kind == "AcmCertificateMetadataFilter":
        ((attribute, wanted),) = value.items()
        metadata = _search_result(stored)["CertificateMetadata"]["AcmCertificateMetadata"]
        if attribute == "Exported":
            return bool(metadata.get("Exported", False) == wanted)
        if attribute in ("Type", "Status", "InUse", "ExportOption"):
            return bool(metadata.get(attribute) == wanted)
        raise NotEmulated(f"testkit.acm: AcmCertificateMetadataFilter.{attribute} is not emulated")
    raise _validation(f"Unknown CertificateFilter member {kind}")


def _statement_matches(stored: AcmCertificate, statement: Mapping[str, Any]) -> bool:
    if len(statement) != 1:
        raise _validation("A CertificateFilterStatement must set exactly one member")
    ((kind, value),) = statement.items()
    if kind in ("And", "Or"):
        if not 1 <= len(value) <= SEARCH_MAX_STATEMENTS:
            raise _validation(f"{kind} takes 1 to {SEARCH_MAX_STATEMENTS} statements")
        results = (_statement_matches(stored, inner) for inner in value)
        return all(results) if kind == "And" else any(results)
    if kind == "Not":
        return not _statement_matches(stored, value)
    if kind == "Filter":
        return _filter_matches(stored, value)
    raise _validation(f"Unknown CertificateFilterStatement member {kind}")


def search_certificates(request: Request) -> dict[str, Any]:
    if request.param("SortBy") or request.param("SortOrder"):
        raise NotEmulated("testkit.acm: SearchCertificates SortBy is not emulated")
    max_results = request.param("MaxResults")
    if max_results is not None and not 1 <= int(max_results) <= SEARCH_MAX_RESULTS:
        raise _validation(
            f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to "
            f"satisfy constraint: Member must have value less than or equal to "
            f"{SEARCH_MAX_RESULTS}"
        )
    size = int(max_results or SEARCH_DEFAULT_RESULTS)
    statement = request.param("FilterStatement")

    def item_for(stored: AcmCertificate) -> dict[str, Any] | None:
        if statement is None or _statement_matches(stored, statement):
            return _search_result(stored)
        return None

    return acm_page(request, size, item_for, "Results")


# Helpers ########################################################################################


def request_certificate(
    region: str = DEFAULT_REGION,
    *,
    common_name: str,
    days_left: float,
    now: datetime,
    export: bool = False,
    certificate_authority_arn: str | None = None,
    key_type: str = "EC_prime256v1",
    sans: Sequence[str] = (),
    offset: timedelta = DEFAULT_IMPORT_OFFSET,
    account: str = ACCOUNT_ID,
) -> str:
    """A certificate ACM issued, expiring at ``now + days_left days + offset``; its ARN.

    ``RequestCertificate`` through boto3: a public (``AMAZON_ISSUED``) certificate, exportable
    with ``export=True`` (``Options.Export`` ENABLED, which AWS allows only when requesting: an
    imported certificate is never exportable), or a ``PRIVATE`` one with
    ``certificate_authority_arn`` (moto does not check that the CA exists). moto then issues a
    certificate valid 365 days from the real clock, pending validation for a minute; the kit
    puts in its place what the CA issues once DNS validation succeeds, with the validity the
    test chose and status ``ISSUED`` (``EXPIRED`` once ``NotAfter`` has passed).
    """
    kwargs: dict[str, Any] = {
        "DomainName": common_name,
        "ValidationMethod": "DNS",
        "Options": {"Export": "ENABLED" if export else "DISABLED"},
        "KeyAlgorithm": key_type,
    }
    if sans:
        kwargs["SubjectAlternativeNames"] = [common_name, *sans]
    if certificate_authority_arn is not None:
        kwargs["CertificateAuthorityArn"] = certificate_authority_arn
    arn: str = client("acm", region).request_certificate(**kwargs)["CertificateArn"]
    not_after = (now + timedelta(days=days_left) + offset).replace(microsecond=0)
    certificate, key = make_certificate(
        common_name, sans=sans, key_type=key_type, not_after=not_after
    )
    AcmRegion.of(account, region)[arn].issue(certificate, key)
    return arn


def renew_certificate(
    region: str, arn: str, *, not_after: datetime, account: str = ACCOUNT_ID
) -> None:
    """What ACM's managed renewal does to a certificate it issued: the same ARN, a new
    certificate for the same names valid until ``not_after``; whether it was exported stays as
    ACM recorded it (the copies out there are the old certificate)."""
    stored = AcmRegion.of(account, region)[arn]
    described = stored.described()
    names = [str(name) for name in described.get("SubjectAlternativeNames", [])]
    common_name = str(described["DomainName"])
    certificate, key = make_certificate(
        common_name, sans=[n for n in names if n != common_name], not_after=not_after
    )
    stored.issue(certificate, key)


def export_certificate(
    region: str, arn: str, passphrase: bytes = b"correct horse battery"
) -> dict[str, Any]:
    """``ExportCertificate`` through boto3 (the certificate, its chain and the encrypted key);
    from then on ACM reports the certificate ``Exported``. AWS exports private certificates
    and public ones requested exportable (``request_certificate(..., export=True)``)."""
    exported: dict[str, Any] = client("acm", region).export_certificate(
        CertificateArn=arn, Passphrase=passphrase
    )
    return exported


# Reading the emulator ###########################################################################


def delete_stored_certificate(region: str, arn: str, account: str = ACCOUNT_ID) -> None:
    """The certificate is gone from ACM, deleted by someone else (no API call of the test's,
    so it may run while the emulator serves a call; whatever uses it)."""
    AcmRegion.of(account, region).delete(arn)


def stored_pem(region: str, arn: str, account: str = ACCOUNT_ID) -> tuple[str, str]:
    """(certificate, private key): the PEM texts ACM holds for the certificate."""
    stored = AcmRegion.of(account, region)[arn]
    return stored.pem, stored.private_key_pem


def store_summaries(region: str, account: str = ACCOUNT_ID) -> None:
    """Compute every certificate's listing summary and search result now, as AWS has them
    stored, so that the first listing or search does not pay for thousands at once."""
    certificates = AcmRegion.of(account, region)
    for arn in certificates.arns():
        stored_search_result(certificates[arn])


def digest_entries(
    region: str, arns: Sequence[str], account: str = ACCOUNT_ID
) -> list[DigestEntry]:
    """What a digest must carry about each certificate (``testkit.calls``), as the emulator
    holds it; no API call."""
    certificates = AcmRegion.of(account, region)
    entries = []
    for arn in arns:
        stored = certificates[arn]
        described = stored.described()
        entries.append(
            DigestEntry(
                arn=arn,
                domain=str(described["DomainName"]),
                names=tuple(described.get("SubjectAlternativeNames", [])),
                region=region,
                account=account,
                type=str(described["Type"]),
                status=stored.status(),
                key_algorithm=str(described["KeyAlgorithm"]),
                not_after=stored.x509.not_valid_after_utc,
                in_use_by=tuple(stored.in_use_by),
            )
        )
    return entries
