"""Scale (issue 5): scans across regions, hubs shared by deployments, paging, fewest calls.

Functional, not timed (``bench/scan_bench.py`` measures time). Strict moto in-process; calls
are counted with a botocore ``before-parameter-build`` hook on the session of the handler's
clients (``testkit.Requests``), and compared with the fewest a scan can make
(``testkit.calls``, the formula the benchmark uses too).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from bench.held import KINDS, plan_held, seed_held
from handle_expiring_certificates import GENERATOR_ID
from testkit import (
    ACCOUNT_ID,
    OTHER_SOURCES_OF_A_REGION,
    OTHER_SOURCES_OF_AN_ACCOUNT,
    Requests,
    Scenario,
    StrictAws,
    client,
    create_topic_with_queue,
    digest_parts,
    enable_hub,
    findings_by_arn,
    minimum_calls,
    put_days_to_expiry_metric,
    put_days_to_expiry_metrics,
    receive_messages,
    scan,
)
from testkit.acm import digest_entries
from testkit.calls import (
    SNS_MAX_MESSAGE_BYTES,
    Held,
    Organization,
    entry_bytes,
    held_calls,
    held_entry,
    organization_calls,
    organization_digest_parts,
)
from testkit.certificates import import_certificate, import_fleet, import_many, set_in_use_by

HUB = "us-east-1"
SCANNED = ("us-east-1", "eu-west-1", "ap-southeast-2")
UNLISTED = "us-west-2"
OUR_FINDINGS = {
    "GeneratorId": [{"Value": GENERATOR_ID, "Comparison": "EQUALS"}],
}


@pytest.fixture
def counter(aws: StrictAws) -> Requests:
    return Requests()


def certificate(region: str, name: str, days_left: float, now: datetime) -> str:
    """An imported EC certificate in ``region`` with its DaysToExpiry metric; its ARN."""
    arn = import_certificate(client("acm", region), common_name=name, days_left=days_left, now=now)
    put_days_to_expiry_metric(region, arn, days_left)
    return arn


# Several regions ################################################################################


def test_a_scan_covers_every_listed_region_and_leaves_an_unlisted_one_alone(
    aws: StrictAws, now: datetime
) -> None:
    enable_hub(HUB)
    topic_arn, queue_url = create_topic_with_queue(HUB)
    expiring = {
        region: certificate(region, f"app.{region}.example.com", days, now)
        for region, days in zip(SCANNED, (20, 3, 35), strict=True)
    }
    for region in SCANNED:
        certificate(region, f"fine.{region}.example.com", 200, now)
    left_alone = certificate(UNLISTED, "app.us-west-2.example.com", 1, now)
    aws.calls.clear()

    summary = scan(now, SCAN_REGIONS=",".join(SCANNED), SNS_TOPIC_ARN=topic_arn)

    assert list(SCANNED) == summary["regions"]
    assert 6 == summary["certificates_examined"]
    assert [
        (expiring["eu-west-1"], "eu-west-1"),
        (expiring["us-east-1"], "us-east-1"),
        (expiring["ap-southeast-2"], "ap-southeast-2"),
    ] == [(entry["arn"], entry["region"]) for entry in summary["in_window"]]
    findings = findings_by_arn(HUB, OUR_FINDINGS)
    assert {arn: region for region, arn in expiring.items()} == {
        arn: finding["Resources"][0]["Region"] for arn, finding in findings.items()
    }
    assert {f"arn:aws:securityhub:{HUB}:{ACCOUNT_ID}:product/{ACCOUNT_ID}/default"} == {
        finding["ProductArn"] for finding in findings.values()
    }
    messages = receive_messages(queue_url)
    assert 1 == len(messages), "one digest covers every region"
    digest = json.loads(messages[0]["Message"])
    assert [expiring["eu-west-1"], expiring["us-east-1"], expiring["ap-southeast-2"]] == [
        entry["arn"] for entry in digest["certificates"]
    ]
    assert left_alone not in messages[0]["Message"]
    assert left_alone not in findings
    assert set() == {call for call in aws.calls if call.region == UNLISTED}
    assert set(SCANNED) == {call.region for call in aws.calls if call.service == "acm"}
    assert set(SCANNED) == {call.region for call in aws.calls if call.service == "cloudwatch"}


def test_two_deployments_sharing_a_hub_never_archive_each_others_findings(
    aws: StrictAws, now: datetime
) -> None:
    enable_hub(HUB)
    ours = certificate("us-east-1", "app.example.com", 10, now)
    theirs = certificate("eu-west-1", "app.example.eu", 12, now)
    deployment_a = {"AWS_REGION": "us-east-1", "SCAN_REGIONS": "us-east-1"}
    deployment_b = {
        "AWS_REGION": "eu-west-1",
        "SCAN_REGIONS": "eu-west-1",
        "SECURITY_HUB_REGION": HUB,
    }
    scan(now, **deployment_a)
    scan(now, **deployment_b)
    assert {ours: "ACTIVE", theirs: "ACTIVE"} == {
        arn: f["RecordState"] for arn, f in findings_by_arn(HUB, OUR_FINDINGS).items()
    }

    client("acm", "us-east-1").delete_certificate(CertificateArn=ours)
    summary_b = scan(now + timedelta(minutes=1), **deployment_b)

    assert 0 == summary_b["findings"]["archived"]
    assert {ours: "ACTIVE", theirs: "ACTIVE"} == {
        arn: f["RecordState"] for arn, f in findings_by_arn(HUB, OUR_FINDINGS).items()
    }, "a scan of eu-west-1 leaves the us-east-1 finding alone"

    summary_a = scan(now + timedelta(minutes=2), **deployment_a)

    assert 1 == summary_a["findings"]["archived"]
    assert {ours: "ARCHIVED", theirs: "ACTIVE"} == {
        arn: f["RecordState"] for arn, f in findings_by_arn(HUB, OUR_FINDINGS).items()
    }, "the deployment that scans us-east-1 archives its own finding, and only that"


# Paging #########################################################################################


def test_every_list_call_is_paged_to_the_end(
    aws: StrictAws, now: datetime, counter: Requests
) -> None:
    """The listing path (where SearchCertificates is denied) reads every page of
    ListCertificates, ListMetrics and GetFindings; test_search covers the search's pages."""
    enable_hub(HUB)
    topic_arn, queue_url = create_topic_with_queue(HUB)
    aws.world.search = "access_denied"
    # 1,001 certificates: two ListCertificates pages; every ninth one (112) and the very last
    # (on page two) in the window, so that more than 100 findings need two GetFindings pages.
    days = [30.0 if i % 9 == 0 or i == 1000 else 100.0 + i % 200 for i in range(1001)]
    certificates = list(import_many(HUB, days, now, domain="paging.example.com"))
    gone = certificate(HUB, "deleted.paging.example.com", 5, now)
    client("acm", HUB).delete_certificate(CertificateArn=gone)
    put_days_to_expiry_metrics(HUB, dict(certificates))
    # The deleted certificate's metric comes 1,002nd: on the third ListMetrics page.
    in_window = {arn for arn, left in certificates if left < 45}
    last_arn = certificates[-1][0]

    summary = scan(now, clients=counter.clients(), SNS_TOPIC_ARN=topic_arn)

    assert "ListCertificates" == summary["source"]
    assert 113 == len(in_window)
    assert 1001 == summary["certificates_examined"]
    assert in_window == {entry["arn"] for entry in summary["in_window"]}
    assert last_arn in in_window, "seen on the second ListCertificates page"
    assert [gone] == [entry["arn"] for entry in summary["skipped"]], "third ListMetrics page"
    assert [1000, 1000] == [p.get("MaxItems") for p in counter.params("ListCertificates", "acm")]
    assert counter.params("ListCertificates", "acm")[1].get("NextToken")
    assert 3 == counter.counts()["ListMetrics"]
    assert 113 == summary["findings"]["written"]
    parts = [json.loads(message["Message"]) for message in receive_messages(queue_url)]
    assert summary["notification"]["parts"] == len(parts) == counter.counts()["Publish"]
    assert in_window == {entry["arn"] for part in parts for entry in part["certificates"]}

    # Delete a certificate whose finding comes back on the second GetFindings page: only
    # reading that page lets the next scan archive it.
    pages = client("securityhub", HUB).get_paginator("get_findings")
    second_page = list(pages.paginate(Filters=OUR_FINDINGS, PaginationConfig={"PageSize": 100}))[1][
        "Findings"
    ]
    renewed_elsewhere = second_page[0]["Resources"][0]["Id"]
    client("acm", HUB).delete_certificate(CertificateArn=renewed_elsewhere)
    counter.clear()

    summary = scan(now + timedelta(minutes=1), clients=counter.clients(), SNS_TOPIC_ARN=topic_arn)

    assert 2 == counter.counts()["GetFindings"]
    assert all(p.get("MaxResults") == 100 for p in counter.params("GetFindings"))
    assert 1 == summary["findings"]["archived"]
    assert "ARCHIVED" == findings_by_arn(HUB, OUR_FINDINGS)[renewed_elsewhere]["RecordState"]
    assert 112 == sum(
        f["RecordState"] == "ACTIVE" for f in findings_by_arn(HUB, OUR_FINDINGS).values()
    )


# Fewest calls ###################################################################################


def described_arns(counter: Requests) -> set[str]:
    return {str(p["CertificateArn"]) for p in counter.params("DescribeCertificate", "acm")}


def test_a_scan_makes_exactly_the_calls_of_the_formula(
    aws: StrictAws, now: datetime, counter: Requests
) -> None:
    """Search pages + metric pages + one describe per certificate in use (and per finding whose
    certificate left the search) + finding pages + import batches + message parts, and no more.

    Only the certificates in the window have a DaysToExpiry metric here, so none is metric-only
    (see the test below for an account where ACM publishes one for every certificate)."""
    enable_hub(HUB)
    topic_arn, _ = create_topic_with_queue(HUB)
    m, outside, in_use = 120, 60, 7
    days = [float(i % 45) for i in range(m)] + [46.0 + i for i in range(outside)]
    certificates = list(import_many(HUB, days, now, domain="paging.example.com"))
    in_window = [arn for arn, left in certificates if left < 45]
    users = {
        arn: [f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/E{i}"]
        for i, arn in enumerate(in_window[:in_use])
    }
    for arn, used_by in users.items():
        set_in_use_by(arn, HUB, used_by)
    put_days_to_expiry_metrics(HUB, {arn: left for arn, left in certificates if left < 45})

    first = scan(now, clients=counter.clients(), SNS_TOPIC_ARN=topic_arn)

    assert (m, m, 0) == (len(first["in_window"]), first["findings"]["written"], len(in_window) - m)
    assert (
        minimum_calls(
            Scenario(
                n=m + outside,
                m=m,
                k=m,
                d=in_use,
                parts=digest_parts(digest_entries(HUB, in_window)),
            )
        )
        == counter.service_counts()
    )
    assert set(users) == described_arns(counter)
    assert [500] == [p["MaxResults"] for p in counter.params("SearchCertificates")]

    # Renew three certificates out of the window and delete two (none in use): the second scan
    # asks ACM about each of their five findings, and archives them.
    acm = client("acm", HUB)
    renewed = in_window[-3:]
    deleted = in_window[-5:-3]
    for arn in renewed:
        import_certificate(
            acm, common_name="renewed.example.com", days_left=300, now=now, certificate_arn=arn
        )
    for arn in deleted:
        acm.delete_certificate(CertificateArn=arn)
    counter.clear()

    second = scan(now + timedelta(minutes=1), clients=counter.clients(), SNS_TOPIC_ARN=topic_arn)

    m2, s2 = m - 5, 5
    assert (m2, m2, s2) == (
        len(second["in_window"]),
        second["findings"]["written"],
        second["findings"]["archived"],
    )
    still_in = in_window[:-5]
    assert (
        minimum_calls(
            Scenario(
                n=m + outside - 2,
                m=m2,
                k=m,
                d=in_use,
                f=m,
                s=s2,
                parts=digest_parts(digest_entries(HUB, still_in)),
            )
        )
        == counter.service_counts()
    )
    assert set(users) | set(renewed) | set(deleted) == described_arns(counter)


def test_a_small_scan_makes_the_fewest_calls_of_the_formula(
    aws: StrictAws, now: datetime, counter: Requests
) -> None:
    """Every certificate has its DaysToExpiry metric, as ACM publishes it: still no describe
    for a certificate outside the window."""
    enable_hub(HUB)
    topic_arn, _ = create_topic_with_queue(HUB)
    n, m = 12, 4
    # Outside by more than a day: a DaysToExpiry value may be a day old, so one of 46 in a
    # 45-day window is asked about (it may be 45 by now).
    arns = [
        certificate(HUB, f"host{index}.example.com", days, now)
        for index, days in enumerate([-2, 0, 9, 44] + [47 + 30 * i for i in range(n - m)])
    ]
    parts = digest_parts(digest_entries(HUB, arns[:m]))

    first = scan(now, clients=counter.clients(), SNS_TOPIC_ARN=topic_arn)
    first_counts = counter.service_counts()
    counter.clear()
    second = scan(now + timedelta(minutes=1), clients=counter.clients(), SNS_TOPIC_ARN=topic_arn)
    second_counts = counter.service_counts()

    assert (m, m) == (len(first["in_window"]), first["findings"]["written"])
    assert (m, m) == (len(second["in_window"]), second["findings"]["written"])
    for counts, f in ((first_counts, 0), (second_counts, m)):
        # None is in use: no describe at all.
        assert minimum_calls(Scenario(n=n, m=m, k=n, f=f, parts=parts)) == counts


def test_the_fewest_calls_of_each_path_follow_the_documented_page_sizes() -> None:
    """testkit.calls, on plain values: the search path searches, reads the latest values of
    the metrics it did not return and asks about the findings it did not return; the listing
    path asks once for the search, then lists every certificate, and needs neither."""
    # ACM and IAM alone (the other sources' calls are added below).
    scenario = {"n": 2500, "m": 500, "f": 520, "s": 20, "k": 2500, "d": 166, "parts": 3}
    scenario["other_sources"] = False

    assert {
        "acm:SearchCertificates": 1,
        "cloudwatch:GetMetricData": 4,
        "acm:DescribeCertificate": 186,
        "cloudwatch:ListMetrics": 5,
        "securityhub:GetFindings": 6,
        "securityhub:BatchImportFindings": 6,
        "sns:Publish": 3,
        "iam:ListServerCertificates": 1,
    } == minimum_calls(Scenario(**scenario))
    assert {
        "acm:SearchCertificates": 1,
        "acm:ListCertificates": 3,
        "acm:DescribeCertificate": 166,
        "cloudwatch:ListMetrics": 5,
        "securityhub:GetFindings": 6,
        "securityhub:BatchImportFindings": 6,
        "sns:Publish": 3,
        "iam:ListServerCertificates": 1,
    } == minimum_calls(Scenario(**scenario, path="listing"))
    # An empty account, IAM left out: a page of each listing, the scan's monitor finding, and
    # nothing to send; every other source asked once (issue 18).
    assert {
        "acm:SearchCertificates": 1,
        "cloudwatch:ListMetrics": 1,
        "securityhub:GetFindings": 1,
        "securityhub:BatchImportFindings": 1,
        **OTHER_SOURCES_OF_A_REGION,
        **OTHER_SOURCES_OF_AN_ACCOUNT,
    } == minimum_calls(Scenario(n=0, m=0, iam=None))


def test_the_digest_takes_at_least_the_messages_the_kit_computes(
    aws: StrictAws, now: datetime
) -> None:
    """testkit.calls.digest_parts is a lower bound computed from what each certificate's entry
    must carry: the handler never sends the digest in fewer messages."""
    enable_hub(HUB)
    topic_arn, _ = create_topic_with_queue(HUB)
    made = list(
        import_fleet(
            HUB,
            [float(i % 45) for i in range(200)],
            now,
            domain="parts.example.com",
            prefixes=tuple(f"alias{j:02d}" for j in range(12)),
        )
    )

    summary = scan(now, SNS_TOPIC_ARN=topic_arn)

    fewest = digest_parts(digest_entries(HUB, [c.arn for c in made]))
    assert 200 == len(summary["in_window"])
    assert 2 <= fewest <= len(summary["notification"]["message_ids"])


# Every source (issue 18) ########################################################################


def test_the_other_sources_pages_follow_the_documented_page_sizes() -> None:
    """testkit.calls, on plain values: each source's listing pages at its documented size,
    plus one describe per item where only a describe has the expiry (IoT, Transfer, SAML)
    and one certificate listing per Managed Microsoft AD directory."""
    held = Held(
        private_cas=101,
        db_instances=500,
        client_certificates=501,
        iot_cas=251,
        saml_providers=50,
        transfer_certificates=1001,
        managed_directories=(1, 50, 51),
        other_directories=98,
        dms_certificates=100,
        platform_applications=201,
    )

    assert {
        "acm-pca:ListCertificateAuthorities": 2,
        "rds:DescribeDBInstances": 5,
        "apigateway:GetClientCertificates": 2,
        "iot:ListCACertificates": 2,
        "iot:DescribeCACertificate": 251,
        "iam:ListSAMLProviders": 1,
        "iam:GetSAMLProvider": 50,
        "transfer:ListCertificates": 2,
        "transfer:DescribeCertificate": 1001,
        "ds:DescribeDirectories": 2,
        "ds:ListCertificates": 1 + 1 + 2,
        "dms:DescribeCertificates": 1,
        "sns:ListPlatformApplications": 3,
    } == held_calls(held)
    assert OTHER_SOURCES_OF_A_REGION + OTHER_SOURCES_OF_AN_ACCOUNT == +held_calls(Held())
    # Their certificates in the window are findings too, with the monitor: 100 + 1 = 101.
    empty_acm = {"n": 0, "m": 0, "iam": 0}
    calls = minimum_calls(Scenario(**empty_acm, h=100, held=Held(db_instances=400), parts=1))
    assert (2, 1) == (calls["securityhub:BatchImportFindings"], calls["sns:Publish"])
    assert 0 == minimum_calls(Scenario(**empty_acm))["sns:Publish"]
    with pytest.raises(ValueError):
        Scenario(**empty_acm, other_sources=False, held=Held(iot_cas=1))


def test_an_organisation_digest_reads_every_page_of_findings_and_members() -> None:
    """⌈F_org/100⌉ GetFindings and ⌈members/50⌉ ListMembers beyond the own scan, which reads
    its own findings (F) too; the digest's parts are the organisation's."""
    own = {"n": 0, "m": 0, "f": 1, "parts": 2}
    organization = Organization(findings=10_950, members=1000)

    calls = minimum_calls(Scenario(**own, organization=organization))

    assert {"GetFindings": 1 + 110, "ListMembers": 20} == {
        op.split(":")[1]: n
        for op, n in calls.items()
        if op.startswith("securityhub:") and "Import" not in op
    }
    assert 2 == calls["sns:Publish"]
    assert {"securityhub:GetFindings": 1, "securityhub:ListMembers": 1} == organization_calls(
        Organization(0, 0)
    )


def test_an_organisation_digest_takes_at_least_its_detail_and_its_accounts(now: datetime) -> None:
    """The 100 smallest entries (the detail) and each account's id, twice (document, text)."""
    entry = held_entry(
        "rds", "arn:aws:rds:us-east-1:111122223333:db:x", "x", "us-east-1", "111122223333", now
    )
    one = entry_bytes(entry)

    assert 1 == organization_digest_parts([entry] * 100, accounts=0, silent=0)
    assert 1 == organization_digest_parts([entry] * 10_000, accounts=1, silent=0)
    budget = SNS_MAX_MESSAGE_BYTES - 100 * one
    accounts = budget // 26 + 1
    assert 2 == organization_digest_parts([entry] * 100, accounts=accounts, silent=0)
    acm = replace(entry, kind="acm", arn="arn:aws:acm:us-east-1:111122223333:certificate/x")
    assert entry_bytes(replace(acm, kind="rds")) < entry_bytes(acm), "no console link"


def test_a_small_scan_of_every_source_makes_the_fewest_calls_of_the_formula(
    aws: StrictAws, now: datetime, counter: Requests
) -> None:
    """Two of every kind beyond ACM (one inside the window), ACM and IAM too: the calls of a
    first scan and of a second one (its findings active) are the formula's, and the findings
    are the seed's."""
    enable_hub(HUB)
    topic_arn, _ = create_topic_with_queue(HUB)
    seeded = seed_held(HUB, now, plan_held({kind: 2 for kind in KINDS}, in_window_share=2))
    acm = [certificate(HUB, f"host{i}.example.com", days, now) for i, days in enumerate([3, 90])]
    entries = digest_entries(HUB, acm[:1]) + seeded.expected
    h = len(seeded.expected)
    scenario = {
        "n": 2,
        "m": 1,
        "k": 2,
        "iam": seeded.iam,
        "held": seeded.held,
        "h": h,
        "parts": digest_parts(entries),
    }

    first = scan(now, clients=counter.clients(), SNS_TOPIC_ARN=topic_arn)
    first_counts = counter.service_counts()
    counter.clear()
    second = scan(now + timedelta(minutes=1), clients=counter.clients(), SNS_TOPIC_ARN=topic_arn)

    assert len(KINDS) == h, "one of each kind inside the window"
    assert seeded.in_window() | {acm[0]} == {e["arn"] for e in first["in_window"]}
    assert (h + 1, h + 1) == (first["findings"]["written"], second["findings"]["written"])
    assert minimum_calls(Scenario(**scenario)) == first_counts
    assert minimum_calls(Scenario(**scenario, f=h + 1 + 1)) == counter.service_counts()
