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
- F: active findings of this generator in the hub before the scan; S: those of them whose
  certificate the search does not return (renewed out of the window, or deleted);
- P: the messages the digest of the M certificates needs (``digest_parts``);
- the path: ``search`` (``SearchCertificates``) or ``listing`` (the endpoint lacks it);
- IAM server certificates: I, listed once per scan when the scan includes them.

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
                   + ⌈(M+S)/100⌉ BatchImportFindings (M written, S archived)
                   + P Publish
                   + ⌈I/1000⌉ ListServerCertificates (at least 1, when IAM is scanned)

The other certificate sources (issue 18), read in an account that holds none of their
certificates: one listing each, per region for a regional source, once for a global one
(``OTHER_SOURCES_OF_A_REGION``, ``OTHER_SOURCES_OF_AN_ACCOUNT``; ``other_sources=False`` for a
scan of ACM and IAM alone). The scan's own monitor finding (issue 19) goes with the certificate
findings: ⌈(M+S+1)/100⌉ BatchImportFindings.

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
all, so P ≤ the parts any handler keeping the contract sends.
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
SNS_MAX_MESSAGE_BYTES = 262_144
GENERATOR_ID = "handle-expiring-certificates"  # docs/findings.md: the finding Id's prefix
PATHS = ("search", "listing")
# The one call each other certificate source takes when it holds nothing: per region...
OTHER_SOURCES_OF_A_REGION: Counter[str] = Counter(
    {
        "acm-pca:ListCertificateAuthorities": 1,
        "rds:DescribeDBInstances": 1,
        "apigateway:GetClientCertificates": 1,
        "iot:ListCACertificates": 1,
        "transfer:ListCertificates": 1,
        "ds:DescribeDirectories": 1,
        "dms:DescribeCertificates": 1,
        "sns:ListPlatformApplications": 1,
    }
)
# ... and once per scan for the global ones.
OTHER_SOURCES_OF_AN_ACCOUNT: Counter[str] = Counter({"iam:ListSAMLProviders": 1})


def as_pairs(calls: Counter[str]) -> Counter[tuple[str, str]]:
    """``service:Operation`` counts as ``(service, Operation)``, as ``StrictAws.calls`` has them."""
    return Counter({tuple(name.split(":", 1)): count for name, count in calls.items()})  # type: ignore[misc]


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
    other_sources: bool = True  # the other sources are read (and hold nothing)
    monitor: bool = True  # the scan writes its monitor finding

    def __post_init__(self) -> None:
        if self.path not in PATHS:
            raise ValueError(f"path is one of {PATHS}, not {self.path!r}")
        if not 0 <= self.m <= self.n or not 0 <= self.s <= self.f or not 0 <= self.d <= self.m:
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
    written = sc.m + sc.s + int(sc.monitor)
    calls["securityhub:BatchImportFindings"] = math.ceil(written / IMPORT_MAX_FINDINGS)
    calls["sns:Publish"] = sc.parts if sc.m else 0
    if sc.iam is not None:
        calls["iam:ListServerCertificates"] = max(
            1, math.ceil(sc.iam / SERVER_CERTIFICATES_MAX_ITEMS)
        )
    if sc.other_sources:
        calls += OTHER_SOURCES_OF_A_REGION + OTHER_SOURCES_OF_AN_ACCOUNT
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


def _escaped(text: str) -> int:
    """Bytes ``text`` takes as the inside of a JSON string (UTF-8)."""
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8")) - 2


def console_url(entry: DigestEntry) -> str:
    """docs/messages.md: the certificate in the ACM console."""
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
        "kind": "acm",
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
    values = [entry.domain, *others, entry.arn, *entry.in_use_by, console_url(entry)]
    text = sum(_escaped(value) for value in values) + len(values)
    return _escaped(document) + 1 + text  # a comma between entries of the document's list


def digest_parts(entries: Iterable[DigestEntry], limit: int = SNS_MAX_MESSAGE_BYTES) -> int:
    """The fewest messages that can carry a digest of ``entries``: 0 for none."""
    total = sum(entry_bytes(entry) for entry in entries)
    return math.ceil(total / limit)
