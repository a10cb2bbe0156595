"""The fewest AWS calls a scheduled scan of one region can make, from the scenario alone.

The one formula the benchmark (``bench/scan_bench.py``) and ``tests/test_scale.py`` compare the
handler's calls with. It is computed from the scenario and the page sizes AWS documents, never
from what the handler did or says (its summary, its constants).

The scenario (``Scenario``):

- N: ACM certificates in the region; M: those inside the window (``NotAfter <= now +
  EXPIRY_DAYS``); D: those of the M that something uses;
- K: ``DaysToExpiry`` metrics ``ListMetrics`` returns (ACM keeps one for every certificate);
  U: those of certificates the search did not return (K - M by default: every certificate in
  the window has its metric);
- F: active findings of this account's generator in the hub before the scan (its monitor
  finding included, once a scan wrote it); S: those of them whose certificate the search does
  not return (renewed out of the window, or deleted);
- P: the messages the digest of the M + H certificates needs (``digest_parts``; an
  organisation's: ``organization_digest_parts``);
- the path: ``search`` (``SearchCertificates``) or ``listing`` (the endpoint lacks it);
- IAM server certificates: I, listed once per scan when the scan includes them;
- ``held``: what the other sources hold (``Held``, below), H: certificates of IAM and of the
  other sources inside the window (each is a finding);
- ``organization``: what an organisation digest reads beyond its own scan (``Organization``).

The page sizes AWS documents: ``SearchCertificates`` MaxResults 500, ``ListCertificates``
MaxItems 1000, ``ListMetrics`` 500 metrics a page, ``GetMetricData`` 500 queries,
``GetFindings`` MaxResults 100, ``BatchImportFindings`` 100 findings, ``ListServerCertificates``
MaxItems 1000. The fewest calls, per operation:

    search path:   ⌈M/500⌉ SearchCertificates (at least 1)
                   + ⌈U/500⌉ GetMetricData   (the latest value of each metric the search did
                                              not return: is its certificate in the window?)
                   + D + S DescribeCertificate (InUseBy is only in a describe; a finding's
                                              certificate the search did not return: renewed,
                                              or deleted?)
    listing path:  1 SearchCertificates (answered: unknown operation; only asking tells)
                   + ⌈N/1000⌉ ListCertificates (at least 1)
                   + D DescribeCertificate       (the listing shows every NotAfter: renewed
                                                 and deleted certificates need no question)
    both paths:    + ⌈K/500⌉ ListMetrics (at least 1)
                   + ⌈F/100⌉ GetFindings (at least 1: whether there is anything to close)
                   + ⌈(M+S+1)/100⌉ BatchImportFindings (M written, S archived, the monitor)
                   + P Publish
                   + ⌈I/1000⌉ ListServerCertificates (at least 1, when IAM is scanned)

The other certificate sources (issue 18), with the page sizes AWS documents and the emulator
applies (each ``testkit/<service>.py`` says which), for the items each holds (``Held``):

    private-ca:        ⌈cas/100⌉ ListCertificateAuthorities (MaxResults up to 1000, yet at most
                                                            100 a page)
    rds:               ⌈instances/100⌉ DescribeDBInstances (MaxRecords 100)
    api-gateway:       ⌈certificates/500⌉ GetClientCertificates (limit 500)
    iot:               ⌈cas/250⌉ ListCACertificates (pageSize 250) + one DescribeCACertificate
                       per CA (validity is only in a describe)
    saml (global):     1 ListSAMLProviders (no paging) + one GetSAMLProvider per provider (the
                       signing certificates are only in its metadata)
    transfer:          ⌈certificates/1000⌉ ListCertificates (MaxResults 1000) + one
                       DescribeCertificate per certificate (NotAfterDate is only in a describe)
    directory-service: ⌈directories/100⌉ DescribeDirectories (AWS documents no page size; the
                       emulator's, moto's, is 100) + ⌈certificates/50⌉ ListCertificates (Limit
                       50) per Managed Microsoft AD directory (the only kind with certificates)
    dms:               ⌈certificates/100⌉ DescribeCertificates (MaxRecords 100)
    sns-apns:          ⌈applications/100⌉ ListPlatformApplications (100 a page, every platform)

each at least 1: one listing per region for a regional source, once for a global one, when it
holds nothing (``OTHER_SOURCES_OF_A_REGION``, ``OTHER_SOURCES_OF_AN_ACCOUNT``;
``other_sources=False`` for a scan of ACM and IAM alone). H: certificates of those sources and
of IAM inside the window; each is a finding, so with the scan's own monitor finding (issue 19)

    ⌈(M + H + S + 1)/100⌉ BatchImportFindings

An organisation digest (issue 19, ``Organization``): after its own scan, the administrator reads
every ACTIVE finding of the generator that no person suppressed, every account's (F_org, the
members' monitor findings included) and the associated members:

    + ⌈F_org/100⌉ GetFindings (at least 1) + ⌈members/50⌉ ListMembers (MaxResults 50, at least 1)

and sends the organisation's digest (P: its parts, ``organization_digest_parts``) instead of
its own.

Not in it: STS (the function's ARN names the account), ``ListTagsForCertificate`` (no
``IGNORE_TAG`` nor ``OWNER_TAG``), retries (nothing throttles).

P is a lower bound of its own (``digest_parts``): SNS takes at most 262,144 bytes a message,
the whole ``MessageStructure=json`` envelope counted in UTF-8. Each certificate must appear
in the ``default`` JSON document with every field ``docs/messages.md`` lists (written without
spaces, and escaped once more as a JSON string inside the envelope), and in the ``email`` text
with at least the values the README's e-mail shows for it that are not fixed words: its name,
the other names it covers, its ARN, what uses it and its console link, one separator apart.
Fields whose value the handler derives (severity, days left, expired) are counted at their
shortest (``LOW``, one digit, ``true``), labels, dates and the to-do text of the e-mail not at
all, so P ≤ the parts any handler keeping the contract sends. A certificate of another source
(``held_entry``) has no console link, and what the seed does not fix (its type, status, key
algorithm, users) is counted empty. An organisation digest gives at most 100 certificates in
detail, then a row per account: ``organization_digest_parts`` counts the 100 smallest entries
and each account's id (and each silent account's) in the document and the text.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

SEARCH_MAX_RESULTS = 500
LIST_MAX_ITEMS = 1000
LIST_METRICS_PAGE = 500
METRIC_DATA_QUERIES = 500
GET_FINDINGS_MAX_RESULTS = 100
IMPORT_MAX_FINDINGS = 100
SERVER_CERTIFICATES_MAX_ITEMS = 1000
LIST_MEMBERS_MAX_RESULTS = 50
# The other sources' pages (the module docstring).
PRIVATE_CA_PAGE = 100
DB_INSTANCES_PAGE = 100
CLIENT_CERTIFICATES_PAGE = 500
IOT_CA_PAGE = 250
TRANSFER_PAGE = 1000
DIRECTORIES_PAGE = 100
DIRECTORY_CERTIFICATES_PAGE = 50
DMS_PAGE = 100
PLATFORM_APPLICATIONS_PAGE = 100
SNS_MAX_MESSAGE_BYTES = 262_144
GENERATOR_ID = "handle-expiring-certificates"  # docs/findings.md: the finding Id's prefix
PATHS = ("search", "listing")


def _pages(items: int, size: int) -> int:
    """Pages of a listing: at least one, even of nothing (only asking tells)."""
    return max(1, math.ceil(items / size))


@dataclass(frozen=True)
class Held:
    """What the sources beyond ACM and IAM hold in one region (SAML providers: in the
    account), item by item, whether inside the window or not: their listings page over all."""

    private_cas: int = 0  # every status: the listing returns them all
    db_instances: int = 0  # RDS, Aurora, DocumentDB, Neptune
    client_certificates: int = 0  # API Gateway
    iot_cas: int = 0
    saml_providers: int = 0
    transfer_certificates: int = 0
    # The certificates of each Managed Microsoft AD directory, one number per directory; other
    # directories (Simple AD, AD Connector) are listed and not asked about.
    managed_directories: tuple[int, ...] = ()
    other_directories: int = 0
    dms_certificates: int = 0
    platform_applications: int = 0  # every platform, token-based APNs included


def held_calls(held: Held) -> Counter[str]:
    """The fewest calls the sources beyond ACM and IAM make for what they hold (the module
    docstring): regional sources for one region, the global one (SAML) once."""
    h = held
    directories = len(h.managed_directories) + h.other_directories
    return Counter(
        {
            "acm-pca:ListCertificateAuthorities": _pages(h.private_cas, PRIVATE_CA_PAGE),
            "rds:DescribeDBInstances": _pages(h.db_instances, DB_INSTANCES_PAGE),
            "apigateway:GetClientCertificates": _pages(
                h.client_certificates, CLIENT_CERTIFICATES_PAGE
            ),
            "iot:ListCACertificates": _pages(h.iot_cas, IOT_CA_PAGE),
            "iot:DescribeCACertificate": h.iot_cas,
            "iam:ListSAMLProviders": 1,
            "iam:GetSAMLProvider": h.saml_providers,
            "transfer:ListCertificates": _pages(h.transfer_certificates, TRANSFER_PAGE),
            "transfer:DescribeCertificate": h.transfer_certificates,
            "ds:DescribeDirectories": _pages(directories, DIRECTORIES_PAGE),
            "ds:ListCertificates": sum(
                _pages(count, DIRECTORY_CERTIFICATES_PAGE) for count in h.managed_directories
            ),
            "dms:DescribeCertificates": _pages(h.dms_certificates, DMS_PAGE),
            "sns:ListPlatformApplications": _pages(
                h.platform_applications, PLATFORM_APPLICATIONS_PAGE
            ),
        }
    )


_GLOBAL_OPERATIONS = ("iam:ListSAMLProviders", "iam:GetSAMLProvider")
# The one call each other certificate source takes when it holds nothing: per region...
OTHER_SOURCES_OF_A_REGION: Counter[str] = Counter(
    {op: n for op, n in held_calls(Held()).items() if n and op not in _GLOBAL_OPERATIONS}
)
# ... and once per scan for the global ones.
OTHER_SOURCES_OF_AN_ACCOUNT: Counter[str] = Counter(
    {op: n for op, n in held_calls(Held()).items() if n and op in _GLOBAL_OPERATIONS}
)


def as_pairs(calls: Counter[str]) -> Counter[tuple[str, str]]:
    """``service:Operation`` counts as ``(service, Operation)``, as ``StrictAws.calls`` has them."""
    return Counter({tuple(name.split(":", 1)): count for name, count in calls.items()})  # type: ignore[misc]


@dataclass(frozen=True)
class Organization:
    """What an organisation digest reads beyond its own scan (issue 19)."""

    findings: int  # F_org: ACTIVE, unsuppressed findings of the generator, every account's
    members: int  # associated members ListMembers returns


def organization_calls(organization: Organization) -> Counter[str]:
    """⌈F_org/100⌉ GetFindings and ⌈members/50⌉ ListMembers, each at least 1."""
    return Counter(
        {
            "securityhub:GetFindings": _pages(organization.findings, GET_FINDINGS_MAX_RESULTS),
            "securityhub:ListMembers": _pages(organization.members, LIST_MEMBERS_MAX_RESULTS),
        }
    )


@dataclass(frozen=True)
class Scenario:
    """One region's scan, as the module docstring defines its letters."""

    n: int
    m: int
    f: int = 0
    s: int = 0
    k: int = 0
    d: int = 0
    parts: int = 1
    path: str = "search"
    iam: int | None = 0  # IAM server certificates; None: the scan leaves IAM out
    u: int | None = None  # metrics of certificates the search did not return; None: K - M
    other_sources: bool = True  # the other sources are read
    monitor: bool = True  # the scan writes its monitor finding
    held: Held = Held()  # what the other sources hold (nothing by default)
    h: int = 0  # H: certificates of IAM and the other sources inside the window
    organization: Organization | None = None  # an organisation digest (issue 19)

    def __post_init__(self) -> None:
        if self.path not in PATHS:
            raise ValueError(f"path is one of {PATHS}, not {self.path!r}")
        if not 0 <= self.m <= self.n or not 0 <= self.s <= self.f or not 0 <= self.d <= self.m:
            raise ValueError(f"impossible scenario: {self}")
        if self.h < 0 or (not self.other_sources and self.held != Held()):
            raise ValueError(f"impossible scenario: {self}")


def minimum_calls(scenario: Scenario) -> Counter[str]:
    """The fewest calls per ``service:Operation`` (the module docstring's formula); operations
    with none are left out."""
    sc = scenario
    calls: Counter[str] = Counter()
    if sc.path == "search":
        unlisted = max(0, sc.k - sc.m) if sc.u is None else sc.u
        calls["acm:SearchCertificates"] = max(1, math.ceil(sc.m / SEARCH_MAX_RESULTS))
        calls["cloudwatch:GetMetricData"] = math.ceil(unlisted / METRIC_DATA_QUERIES)
        calls["acm:DescribeCertificate"] = sc.d + sc.s
    else:
        calls["acm:SearchCertificates"] = 1
        calls["acm:ListCertificates"] = max(1, math.ceil(sc.n / LIST_MAX_ITEMS))
        calls["acm:DescribeCertificate"] = sc.d
    calls["cloudwatch:ListMetrics"] = max(1, math.ceil(sc.k / LIST_METRICS_PAGE))
    calls["securityhub:GetFindings"] = max(1, math.ceil(sc.f / GET_FINDINGS_MAX_RESULTS))
    written = sc.m + sc.h + sc.s + int(sc.monitor)
    calls["securityhub:BatchImportFindings"] = math.ceil(written / IMPORT_MAX_FINDINGS)
    anything = sc.m + sc.h > 0 or sc.organization is not None
    calls["sns:Publish"] = sc.parts if anything else 0
    if sc.iam is not None:
        calls["iam:ListServerCertificates"] = max(
            1, math.ceil(sc.iam / SERVER_CERTIFICATES_MAX_ITEMS)
        )
    if sc.other_sources:
        calls += held_calls(sc.held)
    if sc.organization is not None:
        calls += organization_calls(sc.organization)
    return +calls


# The digest's parts #############################################################################


@dataclass(frozen=True)
class DigestEntry:
    """What the emulator holds about a certificate that a digest must carry."""

    arn: str
    domain: str
    names: tuple[str, ...]  # every name it covers, the domain included
    region: str
    account: str
    type: str
    status: str
    key_algorithm: str
    not_after: datetime
    in_use_by: tuple[str, ...]
    kind: str = "acm"  # the source: only ACM's entries have a console link


def held_entry(
    kind: str, arn: str, name: str, region: str, account: str, not_after: datetime
) -> DigestEntry:
    """A certificate of IAM or another source as a digest must carry it, from what was seeded:
    its resource (ARN or the id the handler builds), the name a person reads (a part of it is
    enough for a lower bound), its region (``global`` for IAM and SAML) and ``NotAfter``;
    type, status and key algorithm counted empty, what uses it as nothing."""
    return DigestEntry(arn, name, (), region, account, "", "", "", not_after, (), kind)


def _escaped(text: str) -> int:
    """Bytes ``text`` takes as the inside of a JSON string (UTF-8)."""
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8")) - 2


def console_url(entry: DigestEntry) -> str | None:
    """docs/messages.md: the certificate in the ACM console; None for other sources."""
    if entry.kind != "acm":
        return None
    return (
        f"https://{entry.region}.console.aws.amazon.com/acm/home?region={entry.region}"
        f"#/certificates/{entry.arn.rsplit('/', 1)[1]}"
    )


def finding_id(entry: DigestEntry) -> str:
    """docs/findings.md: ``<generator>/<certificate ARN>/<NotAfter as YYYYMMDDTHHMMSSZ>``."""
    return f"{GENERATOR_ID}/{entry.arn}/{entry.not_after.strftime('%Y%m%dT%H%M%SZ')}"


def document_entry(entry: DigestEntry) -> dict[str, object]:
    """The entry docs/messages.md lists, with the derived values at their shortest."""
    return {
        "arn": entry.arn,
        "kind": entry.kind,
        "domain": entry.domain,
        "subject_alternative_names": list(entry.names),
        "region": entry.region,
        "account": entry.account,
        "type": entry.type,
        "status": entry.status,
        "key_algorithm": entry.key_algorithm,
        "not_after": entry.not_after.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "days_left": 0,
        "expired": True,
        "severity": "LOW",
        "in_use": bool(entry.in_use_by),
        "in_use_by": list(entry.in_use_by),
        "console_url": console_url(entry),
        "finding_id": finding_id(entry),
    }


def entry_bytes(entry: DigestEntry) -> int:
    """The fewest bytes a certificate adds to a published message (module docstring)."""
    document = json.dumps(document_entry(entry), ensure_ascii=False, separators=(",", ":"))
    others = [name for name in entry.names if name != entry.domain]
    url = console_url(entry)
    values = [entry.domain, *others, entry.arn, *entry.in_use_by, *([url] if url else [])]
    text = sum(_escaped(value) for value in values) + len(values)
    return _escaped(document) + 1 + text  # a comma between entries of the document's list


def digest_parts(entries: Iterable[DigestEntry], limit: int = SNS_MAX_MESSAGE_BYTES) -> int:
    """The fewest messages that can carry a digest of ``entries``: 0 for none."""
    total = sum(entry_bytes(entry) for entry in entries)
    return math.ceil(total / limit)


ORGANIZATION_DETAILS = 100  # issue 19: at most 100 certificates in detail
ACCOUNT_ID_BYTES = 12


def organization_digest_parts(
    entries: Iterable[DigestEntry],
    accounts: int,
    silent: int,
    limit: int = SNS_MAX_MESSAGE_BYTES,
) -> int:
    """The fewest messages an organisation digest can take (issue 19): at most 100 certificates
    in detail (counted here: the 100 smallest entries, whichever the digest picks), and each of
    the ``accounts`` with a certificate and each ``silent`` account named by its 12-digit id in
    the document and in the text. At least 1."""
    sizes = sorted(entry_bytes(entry) for entry in entries)[:ORGANIZATION_DETAILS]
    named = (accounts + silent) * 2 * (ACCOUNT_ID_BYTES + 1)
    return max(1, math.ceil((sum(sizes) + named) / limit))
