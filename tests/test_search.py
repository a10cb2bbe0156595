"""How a scan finds certificates (issues 10 and 11): SearchCertificates, every page, the window's
end as the only bound; ListCertificates where search is unavailable; describes bounded by the
Lambda deadline even when ACM throttles every one of them.

Strict moto in-process with the kit's SearchCertificates (testkit.acm) and throttling
(testkit.faults). Requests are read back with a botocore ``before-parameter-build`` hook on the
handler's session (``testkit.Requests``); what moto served, with ``aws.operations``.
"""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import botocore.session
import pytest

from handle_expiring_certificates import ACM_KEY_TYPES
from testkit import (
    ACCOUNT_ID,
    FakeContext,
    RealClockContext,
    Requests,
    StrictAws,
    client,
    create_topic_with_queue,
    enable_hub,
    messaged_arns,
    scan_outcome,
)
from testkit.certificates import import_certificate, import_many, set_in_use_by

REGION = "us-east-1"
EXPIRY_DAYS = 45
LOAD_BALANCER = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:loadbalancer/app/web/1a2b3c"
DEADLINE_WARNING = (
    "The Lambda deadline was near: {count} certificate(s) were not described; their findings "
    "and messages use what the search or listing gave"
)
UNAVAILABLE = (
    "SearchCertificates in {region}{reason}; every certificate was listed instead "
    "(ListCertificates, all key types)"
)

# The kit's ThrottlingException is not in every service model; moto warns and sends it.
pytestmark = pytest.mark.filterwarnings(r"ignore:Exception\(AwsError\):UserWarning")


def import_in_use(count: int, now: datetime, days_left: int = 5) -> list[str]:
    acm = client("acm", REGION)
    arns = []
    for index in range(count):
        arn = import_certificate(
            acm, common_name=f"web{index}.example.com", days_left=days_left + index % 20, now=now
        )
        set_in_use_by(arn, REGION, [LOAD_BALANCER])
        arns.append(arn)
    return arns


# Issue 10, problem 3: throttling and the real deadline ##########################################


def test_every_describe_throttled_the_scan_ends_well_inside_a_30_second_budget(
    aws: StrictAws, now: datetime
) -> None:
    """24 certificates in use, every DescribeCertificate throttled, a 30 s Lambda deadline on
    the wall clock: the run ends with more than half its budget left, writes and sends all 24
    from the search data, and reports each throttled describe as a warning."""
    enable_hub(REGION)
    topic_arn, queue_url = create_topic_with_queue(REGION)
    arns = import_in_use(24, now)
    aws.world.throttle("acm", "DescribeCertificate")
    context = RealClockContext(30_000)

    summary, error = scan_outcome(now, context=context, SNS_TOPIC_ARN=topic_arn)

    elapsed_ms = context.elapsed_ms()
    print(f"\n24 throttled describes: the scan took {elapsed_ms} ms of a 30000 ms budget")
    assert elapsed_ms < 15_000
    assert context.get_remaining_time_in_millis() > 15_000
    assert (None, []) == (error, summary["errors"])
    assert (24, 0) == (summary["findings"]["written"], summary["not_examined"])
    # From the search: in use, by what is not known.
    assert {arn: None for arn in arns} == {e["arn"]: e["in_use_by"] for e in summary["in_window"]}
    assert [sorted(arns)] == [sorted(part) for part in messaged_arns(queue_url)]
    throttled = (
        "An error occurred (ThrottlingException) when calling the DescribeCertificate "
        "operation (reached max retries: 1): Rate exceeded"
    )
    assert sorted(
        f"DescribeCertificate {arn} failed (ThrottlingException): {throttled}" for arn in arns
    ) == sorted(summary["warnings"])
    # Two attempts each (DESCRIBE_CONFIG), no more.
    assert 48 == aws.world.throttled[("acm", "DescribeCertificate")]


def test_twelve_seconds_left_the_scan_describes_nothing_and_still_writes_and_sends(
    aws: StrictAws, now: datetime
) -> None:
    enable_hub(REGION)
    topic_arn, queue_url = create_topic_with_queue(REGION)
    arns = import_in_use(24, now)
    aws.calls.clear()

    summary, error = scan_outcome(
        now, context=FakeContext(remaining_ms=12_000), SNS_TOPIC_ARN=topic_arn
    )

    assert (None, [], [DEADLINE_WARNING.format(count=24)]) == (
        error,
        summary["errors"],
        summary["warnings"],
    )
    assert (24, 24) == (summary["certificates_examined"], summary["not_examined"])
    assert "DescribeCertificate" not in aws.operations("acm")
    assert 24 == summary["findings"]["written"]
    assert [sorted(arns)] == [sorted(part) for part in messaged_arns(queue_url)]


def test_get_findings_throttled_once_is_retried_by_the_sdk_and_the_run_succeeds(
    aws: StrictAws, now: datetime
) -> None:
    enable_hub(REGION)
    acm = client("acm", REGION)
    arns = [
        import_certificate(acm, common_name=f"app{i}.example.com", days_left=3 + i, now=now)
        for i in range(2)
    ]
    aws.world.throttle("securityhub", "GetFindings", times=1)
    aws.calls.clear()

    summary, error = scan_outcome(now)

    assert (None, [], []) == (error, summary["errors"], summary["warnings"])
    assert 1 == aws.world.throttled[("securityhub", "GetFindings")]
    assert ["GetFindings", "GetFindings", "BatchImportFindings"] == aws.operations("securityhub")
    assert (sorted(arns), 2) == (
        sorted(e["arn"] for e in summary["in_window"]),
        summary["findings"]["written"],
    )


# Issue 11: the search ###########################################################################


def test_the_emulated_search_refuses_more_than_500_results_a_page_as_acm_does(
    aws: StrictAws,
) -> None:
    with pytest.raises(client("acm").exceptions.ClientError) as raised:
        client("acm").search_certificates(MaxResults=501)

    assert "ValidationException" == raised.value.response["Error"]["Code"]
    assert "Member must have value less than or equal to 500" in str(raised.value)


def test_a_search_of_more_than_500_certificates_reads_every_page_and_describes_none_outside(
    aws: StrictAws, now: datetime
) -> None:
    """502 certificates in the window (two of them expired) over two pages of 500; 40 outside
    it, some in use, are never described."""
    enable_hub(REGION)
    inside = [arn for arn, _ in import_many(REGION, [float(i % 45) for i in range(500)], now)]
    acm = client("acm", REGION)
    expired = [
        import_certificate(acm, common_name=f"old{i}.example.com", days_left=-3 - i, now=now)
        for i in range(2)
    ]
    outside = [arn for arn, _ in import_many(REGION, [46.0 + i for i in range(40)], now)]
    for arn in outside[:5]:
        set_in_use_by(arn, REGION, [LOAD_BALANCER])
    requests = Requests()
    aws.calls.clear()

    summary, error = scan_outcome(now, clients=requests.clients())

    assert (None, [], []) == (error, summary["errors"], summary["warnings"])
    assert "SearchCertificates" == summary["source"]
    assert set(inside) | set(expired) == {e["arn"] for e in summary["in_window"]}
    assert {arn: True for arn in expired} == {
        e["arn"]: e["expired"] for e in summary["in_window"] if e["arn"] in expired
    }
    searches = requests.params("SearchCertificates")
    assert 2 == len(searches) == aws.operations("acm").count("SearchCertificates")
    assert [500, 500] == [p["MaxResults"] for p in searches]
    assert [False, True] == ["NextToken" in p for p in searches]
    # Only an end: expired certificates are in the window too.
    end = now + timedelta(days=EXPIRY_DAYS)
    assert [{"Filter": {"X509AttributeFilter": {"NotAfter": {"End": end}}}}] * 2 == [
        p["FilterStatement"] for p in searches
    ]
    assert "DescribeCertificate" not in aws.operations("acm")
    assert 502 == summary["findings"]["written"]


def test_certificates_outside_the_window_in_use_are_not_described_only_those_inside(
    aws: StrictAws, now: datetime
) -> None:
    acm = client("acm", REGION)
    inside = import_certificate(acm, common_name="in.example.com", days_left=10, now=now)
    outside = import_certificate(acm, common_name="out.example.com", days_left=90, now=now)
    for arn in (inside, outside):
        set_in_use_by(arn, REGION, [LOAD_BALANCER])
    requests = Requests()

    summary, error = scan_outcome(now, clients=requests.clients())

    assert (None, []) == (error, summary["errors"])
    assert [(inside, [LOAD_BALANCER])] == [(e["arn"], e["in_use_by"]) for e in summary["in_window"]]
    assert [inside] == [p["CertificateArn"] for p in requests.params("DescribeCertificate", "acm")]


# Fallback to ListCertificates ###################################################################


def mixed_certificates(now: datetime) -> set[str]:
    """Certificates of three key types, in use or not, expired, inside and outside the window;
    the ARNs inside it."""
    acm = client("acm", REGION)
    inside = set()
    for index, (key_type, days, used) in enumerate(
        [
            ("EC_prime256v1", -4, False),
            ("EC_prime256v1", 0, True),
            ("RSA_2048", 12, False),
            ("EC_secp384r1", 44, True),
            ("EC_prime256v1", 46, True),
            ("RSA_2048", 200, False),
        ]
    ):
        arn = import_certificate(
            acm, common_name=f"mixed{index}.example.com", days_left=days, now=now, key_type=key_type
        )
        if used:
            set_in_use_by(arn, REGION, [LOAD_BALANCER])
        if days < EXPIRY_DAYS:
            inside.add(arn)
    return inside


@pytest.mark.parametrize(
    ("search", "reason"),
    [
        (
            "unknown_operation",
            " failed (UnknownOperationException): An error occurred (UnknownOperationException) "
            "when calling the SearchCertificates operation: Unknown operation SearchCertificates",
        ),
        (
            "access_denied",
            " failed (AccessDeniedException): An error occurred (AccessDeniedException) when "
            "calling the "
            f"SearchCertificates operation: User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/fn is "
            "not authorized to perform: acm:SearchCertificates",
        ),
    ],
)
def test_search_unavailable_the_scan_lists_every_key_type_and_finds_the_same_window(
    aws: StrictAws, now: datetime, search: str, reason: str
) -> None:
    inside = mixed_certificates(now)
    searched, _ = scan_outcome(now, DRY_RUN="true")
    aws.world.search = search
    requests = Requests()

    listed, error = scan_outcome(now, clients=requests.clients(), DRY_RUN="true")

    assert (None, []) == (error, listed["errors"])
    assert ("SearchCertificates", "ListCertificates") == (searched["source"], listed["source"])
    assert [UNAVAILABLE.format(region=REGION, reason=reason)] == listed["warnings"]
    assert inside == {e["arn"] for e in searched["in_window"]}
    assert searched["in_window"] == listed["in_window"]
    assert [list(ACM_KEY_TYPES)] == [
        p["Includes"]["keyTypes"] for p in requests.params("ListCertificates", "acm")
    ]
    assert 7 == len(ACM_KEY_TYPES)


def session_without_search(tmp_path: Path) -> botocore.session.Session:
    """A botocore session whose ACM model predates SearchCertificates, as the botocore bundled
    with an older Lambda runtime has it."""
    shipped = Path(botocore.__file__).parent / "data" / "acm" / "2015-12-08"
    model_dir = tmp_path / "acm" / "2015-12-08"
    model_dir.mkdir(parents=True)
    model = json.loads(gzip.decompress((shipped / "service-2.json.gz").read_bytes()))
    del model["operations"]["SearchCertificates"]
    (model_dir / "service-2.json").write_text(json.dumps(model))
    paginators = json.loads((shipped / "paginators-1.json").read_text())
    del paginators["pagination"]["SearchCertificates"]
    (model_dir / "paginators-1.json").write_text(json.dumps(paginators))
    shutil.copy(shipped / "waiters-2.json", model_dir / "waiters-2.json")
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(tmp_path))
    return session


def test_an_sdk_without_search_certificates_lists_instead_and_says_so(
    aws: StrictAws, now: datetime, tmp_path: Path
) -> None:
    inside = mixed_certificates(now)
    session = session_without_search(tmp_path)
    assert not hasattr(session.create_client("acm", region_name=REGION), "search_certificates")
    requests = Requests()
    aws.calls.clear()

    summary, error = scan_outcome(now, clients=requests.clients(session), DRY_RUN="true")

    assert (None, []) == (error, summary["errors"])
    assert "ListCertificates" == summary["source"]
    reason = ": this SDK's ACM client has no SearchCertificates"
    assert [UNAVAILABLE.format(region=REGION, reason=reason)] == summary["warnings"]
    assert inside == {e["arn"] for e in summary["in_window"]}
    assert "SearchCertificates" not in aws.operations("acm")
    assert [list(ACM_KEY_TYPES)] == [
        p["Includes"]["keyTypes"] for p in requests.params("ListCertificates", "acm")
    ]
