"""The test infrastructure keeps its word: moto made strict where AWS is, and the helpers."""

# Expected values come first in assertions (STYLE.md), which SIM300 calls a Yoda condition.

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from testkit import (
    ACCOUNT_ID,
    ApiCall,
    FakeContext,
    StrictAws,
    client,
    create_topic_with_queue,
    enable_hub,
    get_findings,
    load_event,
    put_days_to_expiry_metric,
    receive_messages,
)
from testkit.certificates import (
    TEST_CA_NAME,
    import_certificate,
    make_certificate,
    set_in_use_by,
    to_a_label,
)

REGION = "us-east-1"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
ALL_KEY_TYPES = [
    "RSA_1024",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
]


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def listed_arns(acm: Any, **kwargs: Any) -> list[str]:
    pages = acm.get_paginator("list_certificates").paginate(**kwargs)
    return [c["CertificateArn"] for page in pages for c in page["CertificateSummaryList"]]


# Certificates ########################################################################


@pytest.mark.parametrize("days_left", [-2, 0, 3, 45])
def test_days_left_is_what_flooring_not_after_minus_now_gives(aws: StrictAws, days_left: int):
    acm = client("acm")
    arn = import_certificate(acm, common_name="a.example.com", days_left=days_left, now=NOW)

    not_after = acm.describe_certificate(CertificateArn=arn)["Certificate"]["NotAfter"]

    assert not_after == NOW + timedelta(days=days_left, hours=1)
    assert (not_after - NOW) // timedelta(days=1) == days_left


def test_expired_certificate_is_imported_and_reported_expired(aws: StrictAws):
    acm = client("acm")
    arn = import_certificate(acm, common_name="old.example.com", days_left=-2, now=NOW)

    certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]

    assert ("EXPIRED", TEST_CA_NAME) == (certificate["Status"], certificate["Issuer"])


def test_idn_names_are_written_as_a_labels(aws: StrictAws):
    acm = client("acm")
    arn = import_certificate(
        acm, common_name="bücher.example", days_left=10, now=NOW, sans=["*.bücher.example"]
    )

    certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]

    assert ["xn--bcher-kva.example", "*.xn--bcher-kva.example"] == certificate[
        "SubjectAlternativeNames"
    ]
    assert certificate["DomainName"] == "xn--bcher-kva.example"
    assert to_a_label("straße.de") == "xn--strae-oqa.de"


def test_unknown_key_type_is_refused():
    with pytest.raises(ValueError, match="unknown key type 'DSA_1024'"):
        make_certificate("a.example.com", key_type="DSA_1024", not_after=NOW + timedelta(1))


# ACM ListCertificates ###################################################################


def test_list_certificates_without_includes_returns_only_rsa_2048(aws: StrictAws):
    acm = client("acm")
    rsa = import_certificate(
        acm, common_name="rsa.example.com", days_left=5, now=NOW, key_type="RSA_2048"
    )
    ec = import_certificate(acm, common_name="ec.example.com", days_left=5, now=NOW)

    assert [rsa] == listed_arns(acm)
    assert [rsa, ec] == listed_arns(acm, Includes={"keyTypes": ALL_KEY_TYPES})


def test_list_certificates_pages_by_max_items(aws: StrictAws):
    acm = client("acm")
    arns = [
        import_certificate(acm, common_name=f"{i}.example.com", days_left=5, now=NOW)
        for i in range(3)
    ]
    includes = {"keyTypes": ALL_KEY_TYPES}

    first = acm.list_certificates(Includes=includes, MaxItems=1)
    second = acm.list_certificates(Includes=includes, MaxItems=1, NextToken=first["NextToken"])
    third = acm.list_certificates(Includes=includes, MaxItems=1, NextToken=second["NextToken"])

    pages = [first, second, third]
    assert [[a] for a in arns] == [
        [c["CertificateArn"] for c in page["CertificateSummaryList"]] for page in pages
    ]
    assert "NextToken" not in third


def test_list_certificates_refuses_max_items_over_1000(aws: StrictAws):
    with pytest.raises(ClientError) as excinfo:
        client("acm").list_certificates(MaxItems=1001)

    assert error_of(excinfo)[0] == "ValidationException"


def test_list_certificates_returns_the_aws_summary_shape(aws: StrictAws):
    acm = client("acm")
    arn = import_certificate(
        acm, common_name="www.example.com", days_left=5, now=NOW, sans=["example.com"]
    )
    set_in_use_by(arn, REGION, [f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/E1"])

    (summary,) = acm.list_certificates(Includes={"keyTypes": ALL_KEY_TYPES})[
        "CertificateSummaryList"
    ]

    assert {
        "CertificateArn": arn,
        "DomainName": "www.example.com",
        "SubjectAlternativeNameSummaries": ["www.example.com", "example.com"],
        "HasAdditionalSubjectAlternativeNames": False,
        "Status": "ISSUED",
        "Type": "IMPORTED",
        "KeyAlgorithm": "EC_prime256v1",
        "KeyUsages": ["DIGITAL_SIGNATURE"],
        "ExtendedKeyUsages": ["TLS_WEB_SERVER_AUTHENTICATION", "TLS_WEB_CLIENT_AUTHENTICATION"],
        "ExportOption": "DISABLED",
        "InUse": True,
        "RenewalEligibility": "INELIGIBLE",
        "NotAfter": NOW + timedelta(days=5, hours=1),
    } == {k: v for k, v in summary.items() if k not in {"NotBefore", "ImportedAt"}}
    assert {"NotBefore", "ImportedAt"} <= set(summary)


def test_describe_certificate_gives_usages_and_serial_as_aws_does(aws: StrictAws):
    acm = client("acm")
    arn = import_certificate(
        acm, common_name="rsa.example.com", days_left=5, now=NOW, key_type="RSA_2048"
    )

    certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]

    assert [{"Name": "DIGITAL_SIGNATURE"}, {"Name": "KEY_ENCIPHERMENT"}] == certificate["KeyUsages"]
    assert [
        {"Name": "TLS_WEB_SERVER_AUTHENTICATION", "OID": "1.3.6.1.5.5.7.3.1"},
        {"Name": "TLS_WEB_CLIENT_AUTHENTICATION", "OID": "1.3.6.1.5.5.7.3.2"},
    ] == certificate["ExtendedKeyUsages"]
    assert re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2})*", certificate["Serial"])
    assert ("RSA_2048", "SHA256WITHRSA") == (
        certificate["KeyAlgorithm"],
        certificate["SignatureAlgorithm"],
    )


def test_reimport_keeps_tags_and_in_use_by(aws: StrictAws):
    acm = client("acm")
    arn = import_certificate(
        acm, common_name="a.example.com", days_left=5, now=NOW, tags={"team": "web"}
    )
    set_in_use_by(arn, REGION, ["arn:aws:elasticloadbalancing:us-east-1:123456789012:lb/x"])

    renewed = import_certificate(
        acm, common_name="a.example.com", days_left=300, now=NOW, certificate_arn=arn
    )

    certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert arn == renewed
    assert [{"Key": "team", "Value": "web"}] == acm.list_tags_for_certificate(CertificateArn=arn)[
        "Tags"
    ]
    assert ["arn:aws:elasticloadbalancing:us-east-1:123456789012:lb/x"] == certificate["InUseBy"]
    assert NOW + timedelta(days=300, hours=1) == certificate["NotAfter"]


# Security Hub ##########################################################################

PRODUCT_ARN = f"arn:aws:securityhub:{REGION}:{ACCOUNT_ID}:product/{ACCOUNT_ID}/default"


def finding(finding_id: str = "f-1", updated_at: datetime = NOW, **fields: Any) -> dict[str, Any]:
    stamp = updated_at.isoformat().replace("+00:00", "Z")
    return {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": PRODUCT_ARN,
        "GeneratorId": "handle-expiring-certificates",
        "AwsAccountId": ACCOUNT_ID,
        "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
        "CreatedAt": stamp,
        "UpdatedAt": stamp,
        "Severity": {"Label": "HIGH"},
        "Title": "Certificate expires in 3 days",
        "Description": "Renew it.",
        "Resources": [{"Type": "AwsCertificateManagerCertificate", "Id": "arn:cert"}],
        **fields,
    }


def test_hub_not_enabled_refuses_get_findings_and_imports(aws: StrictAws):
    hub = client("securityhub")
    expected = (
        "InvalidAccessException",
        f"Account {ACCOUNT_ID} is not subscribed to AWS Security Hub",
    )

    with pytest.raises(ClientError) as get_error:
        hub.get_findings()
    with pytest.raises(ClientError) as import_error:
        hub.batch_import_findings(Findings=[finding()])

    assert expected == error_of(get_error)
    assert expected == error_of(import_error)


def test_hub_is_enabled_per_region(aws: StrictAws):
    enable_hub("eu-west-1")

    with pytest.raises(ClientError) as excinfo:
        get_findings(REGION)

    assert [] == get_findings("eu-west-1")
    assert error_of(excinfo)[0] == "InvalidAccessException"


def test_batch_import_refuses_more_than_100_findings(aws: StrictAws):
    enable_hub()
    hub = client("securityhub")

    with pytest.raises(ClientError) as excinfo:
        hub.batch_import_findings(Findings=[finding(f"f-{i}") for i in range(101)])
    accepted = hub.batch_import_findings(Findings=[finding(f"f-{i}") for i in range(100)])

    assert error_of(excinfo)[0] == "InvalidInputException"
    assert (0, 100) == (accepted["FailedCount"], accepted["SuccessCount"])


def test_older_updated_at_is_ignored_and_newer_replaces(aws: StrictAws):
    enable_hub()
    hub = client("securityhub")
    hub.batch_import_findings(Findings=[finding(Title="current")])

    older = hub.batch_import_findings(
        Findings=[finding(updated_at=NOW - timedelta(hours=1), Title="older")]
    )
    after_older = [f["Title"] for f in get_findings()]
    hub.batch_import_findings(Findings=[finding(updated_at=NOW + timedelta(hours=1), Title="new")])

    assert (0, 1) == (older["FailedCount"], older["SuccessCount"])
    assert ["current"] == after_older
    assert ["new"] == [f["Title"] for f in get_findings()]


def test_invalid_findings_are_reported_failed(aws: StrictAws):
    enable_hub()
    wrong_region = PRODUCT_ARN.replace(REGION, "eu-west-1")

    result = client("securityhub").batch_import_findings(
        Findings=[
            finding("long-title", Title="x" * 257),
            finding("wrong-product", ProductArn=wrong_region),
            finding("bad-type", Types=["Certificates/Expiry"]),
            finding("bad-label", Severity={"Label": "URGENT"}),
            finding("good"),
        ]
    )

    assert (4, 1) == (result["FailedCount"], result["SuccessCount"])
    assert [
        ("long-title", "InvalidInput"),
        ("wrong-product", "InvalidInput"),
        ("bad-type", "InvalidInput"),
        ("bad-label", "InvalidInput"),
    ] == [(f["Id"], f["ErrorCode"]) for f in result["FailedFindings"]]
    assert ["good"] == [f["Id"] for f in get_findings()]


def test_archiving_resolves_the_workflow_and_keeps_stored_fields(aws: StrictAws):
    enable_hub()
    hub = client("securityhub")
    hub.batch_import_findings(Findings=[finding(Compliance={"Status": "FAILED"})])

    hub.batch_import_findings(
        Findings=[
            finding(
                updated_at=NOW + timedelta(minutes=1),
                RecordState="ARCHIVED",
                Compliance={"Status": "PASSED"},
            )
        ]
    )

    (stored,) = get_findings()
    assert ("ARCHIVED", "RESOLVED", REGION) == (
        stored["RecordState"],
        stored["Workflow"]["Status"],
        stored["Region"],
    )


def test_get_findings_honours_string_filters(aws: StrictAws):
    enable_hub()
    client("securityhub").batch_import_findings(
        Findings=[
            finding("mine-active"),
            finding("mine-archived", RecordState="ARCHIVED"),
            finding("other", GeneratorId="someone-else"),
        ]
    )
    ours_active = {
        "GeneratorId": [{"Value": "handle-expiring-certificates", "Comparison": "EQUALS"}],
        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
    }

    assert ["mine-active"] == [f["Id"] for f in get_findings(filters=ours_active)]
    not_archived = {"Id": [{"Value": "mine-archived", "Comparison": "NOT_EQUALS"}]}
    assert ["mine-active", "other"] == [f["Id"] for f in get_findings(filters=not_archived)]


def test_get_findings_refuses_filters_it_does_not_emulate(aws: StrictAws):
    enable_hub()

    with pytest.raises(ClientError) as excinfo:
        get_findings(filters={"Criticality": [{"Gte": 1}]})

    assert error_of(excinfo)[0] == "NotEmulated"


def test_get_findings_pages_by_max_results(aws: StrictAws):
    enable_hub()
    hub = client("securityhub")
    hub.batch_import_findings(Findings=[finding(f"f-{i}") for i in range(5)])

    pages = hub.get_paginator("get_findings").paginate(PaginationConfig={"PageSize": 2})

    assert [["f-0", "f-1"], ["f-2", "f-3"], ["f-4"]] == [
        [f["Id"] for f in page["Findings"]] for page in pages
    ]


# SNS ###################################################################################


@pytest.mark.parametrize(
    "subject",
    ["line\nbreak", "carriage\rreturn", "café", "x" * 100, "", " leading space", "tab\there"],
)
def test_publish_refuses_subjects_aws_refuses(aws: StrictAws, subject: str):
    topic_arn = client("sns").create_topic(Name="t")["TopicArn"]

    with pytest.raises(ClientError) as excinfo:
        client("sns").publish(TopicArn=topic_arn, Subject=subject, Message="m")

    assert ("InvalidParameter", "Invalid parameter: Subject") == error_of(excinfo)


def test_publish_accepts_a_99_character_ascii_subject(aws: StrictAws):
    topic_arn = client("sns").create_topic(Name="t")["TopicArn"]

    response = client("sns").publish(TopicArn=topic_arn, Subject="[x] " + "y" * 95, Message="m")

    assert "MessageId" in response


def test_publish_counts_message_size_in_utf8_bytes(aws: StrictAws):
    sns = client("sns")
    topic_arn = sns.create_topic(Name="t")["TopicArn"]

    with pytest.raises(ClientError) as excinfo:
        sns.publish(TopicArn=topic_arn, Message="é" * 131_073)
    at_limit = sns.publish(TopicArn=topic_arn, Message="é" * 131_072)

    assert ("InvalidParameter", "Invalid parameter: Message too long") == error_of(excinfo)
    assert "MessageId" in at_limit


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ('{"email": "only email"}', "No default entry in JSON message body"),
        ("not json", "JSON message body failed to parse"),
    ],
)
def test_publish_json_structure_needs_a_default_key(aws: StrictAws, message: str, reason: str):
    topic_arn = client("sns").create_topic(Name="t")["TopicArn"]

    with pytest.raises(ClientError) as excinfo:
        client("sns").publish(TopicArn=topic_arn, Message=message, MessageStructure="json")

    assert ("InvalidParameter", f"Invalid parameter: Message Structure - {reason}") == error_of(
        excinfo
    )


def test_sqs_subscriber_gets_its_protocol_key_in_an_envelope(aws: StrictAws):
    topic_arn, queue_url = create_topic_with_queue(REGION, raw=False)
    message = json.dumps({"default": "plain text", "sqs": '{"certificates": 1}'})

    client("sns").publish(
        TopicArn=topic_arn, Subject="Certificates", Message=message, MessageStructure="json"
    )

    (envelope,) = receive_messages(queue_url)
    assert ("Notification", "Certificates", '{"certificates": 1}') == (
        envelope["Type"],
        envelope["Subject"],
        envelope["Message"],
    )


def test_raw_sqs_subscriber_gets_the_bare_message(aws: StrictAws):
    topic_arn, queue_url = create_topic_with_queue(REGION, raw=True)

    client("sns").publish(TopicArn=topic_arn, Subject="Certificates", Message="plain text")

    assert ["plain text"] == receive_messages(queue_url)
    assert [] == receive_messages(queue_url)


# CloudWatch ############################################################################


def test_list_metrics_pages_at_500(aws: StrictAws):
    cloudwatch = client("cloudwatch")
    arns = [f"arn:aws:acm:{REGION}:{ACCOUNT_ID}:certificate/{i:04}" for i in range(501)]
    cloudwatch.put_metric_data(
        Namespace="AWS/CertificateManager",
        MetricData=[
            {"MetricName": "DaysToExpiry", "Dimensions": [{"Name": "CertificateArn", "Value": a}]}
            | {"Value": 10.0}
            for a in arns
        ],
    )

    pages = list(
        cloudwatch.get_paginator("list_metrics").paginate(
            Namespace="AWS/CertificateManager",
            MetricName="DaysToExpiry",
            Dimensions=[{"Name": "CertificateArn"}],
        )
    )

    assert [500, 1] == [len(page["Metrics"]) for page in pages]
    assert sorted(arns) == sorted(
        m["Dimensions"][0]["Value"] for page in pages for m in page["Metrics"]
    )


def test_list_metrics_omits_metrics_silent_for_two_weeks(aws: StrictAws):
    put_days_to_expiry_metric(REGION, "arn:recent", 3)
    put_days_to_expiry_metric(
        REGION, "arn:stale", 3, timestamp=datetime.now(timezone.utc) - timedelta(days=15)
    )

    metrics = client("cloudwatch").list_metrics(Namespace="AWS/CertificateManager")["Metrics"]

    assert ["arn:recent"] == [m["Dimensions"][0]["Value"] for m in metrics]


# Fixtures and helpers ##################################################################


def test_calls_are_recorded_with_service_operation_and_region(aws: StrictAws):
    enable_hub("eu-west-1")
    aws.calls.clear()

    client("acm", "eu-west-1").list_certificates()
    get_findings("eu-west-1")

    assert [
        ApiCall("acm", "ListCertificates", "eu-west-1"),
        ApiCall("securityhub", "GetFindings", "eu-west-1"),
    ] == aws.calls


def test_server_mode_is_strict_too(aws_server: StrictAws):
    acm = client("acm")
    rsa = import_certificate(
        acm, common_name="rsa.example.com", days_left=-1, now=NOW, key_type="RSA_2048"
    )
    import_certificate(acm, common_name="ec.example.com", days_left=5, now=NOW)
    set_in_use_by(rsa, REGION, ["arn:aws:cloudfront::123456789012:distribution/E1"])

    (summary,) = acm.list_certificates()["CertificateSummaryList"]

    assert aws_server.endpoint_url is not None
    assert (rsa, "EXPIRED", True) == (
        summary["CertificateArn"],
        summary["Status"],
        summary["InUse"],
    )
    assert ["ImportCertificate", "ImportCertificate", "ListCertificates"] == aws_server.operations()


def test_server_state_is_reset_between_tests(aws_server: StrictAws):
    assert [] == client("acm").list_certificates()["CertificateSummaryList"]


def test_load_event_applies_overrides():
    arn = f"arn:aws:acm:eu-west-1:{ACCOUNT_ID}:certificate/x"

    event = load_event("acm-approaching-expiration", resources=[arn], detail={"DaysToExpiry": 3})

    assert {"DaysToExpiry": 3, "CommonName": "www.example.com"} == event["detail"]
    assert [arn] == event["resources"]
    assert "Scheduled Event" == load_event("scheduled-event.json")["detail-type"]
    assert "Custom" == load_event("scheduled-event", detail_type="Custom")["detail-type"]


def test_fake_context_time_can_run_down():
    context = FakeContext.decreasing(1_000, 400)

    assert [1_000, 600, 200, 0] == [context.get_remaining_time_in_millis() for _ in range(4)]
    assert 300_000 == FakeContext().get_remaining_time_in_millis()
