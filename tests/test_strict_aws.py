"""The test infrastructure keeps its word: moto made strict where AWS is, and the helpers."""

# Expected values come first in assertions (docs/development.md), which SIM300 calls a Yoda
# condition.

from __future__ import annotations

import ast
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

from testkit import (
    ACCOUNT_ID,
    ApiCall,
    FakeContext,
    RealClockContext,
    StrictAws,
    client,
    create_directory,
    create_topic_with_queue,
    enable_hub,
    get_findings,
    invoke,
    load_event,
    put_days_to_expiry_metric,
    receive_messages,
)
from testkit.acm import delete_stored_certificate, export_certificate, request_certificate
from testkit.certificates import (
    TEST_CA_NAME,
    import_certificate,
    make_certificate,
    set_in_use_by,
    to_a_label,
    upload_server_certificate,
)
from testkit.moto_internals import MOTO_VERSION, Patcher, installed_version
from testkit.policies import enforce_as_aws, enforced
from testkit.strict import SERVICES

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


# ACM export (testkit.acm, issue 17) ####################################################

CA_ARN = (
    f"arn:aws:acm-pca:{REGION}:{ACCOUNT_ID}"
    ":certificate-authority/0f0e0d0c-1111-2222-3333-444455556666"
)


def export_fields(summary_or_metadata: dict[str, Any]) -> tuple[Any, Any]:
    return summary_or_metadata.get("ExportOption"), summary_or_metadata.get("Exported")


@pytest.fixture
def three_kinds(aws: StrictAws) -> dict[str, str]:
    """An imported, a public exportable and a private certificate, 10 days left each."""
    return {
        "imported": import_certificate(
            client("acm"), common_name="imported.example.com", days_left=10, now=NOW
        ),
        "exportable": request_certificate(
            common_name="public.example.com", days_left=10, now=NOW, export=True
        ),
        "private": request_certificate(
            common_name="private.example.com",
            days_left=10,
            now=NOW,
            certificate_authority_arn=CA_ARN,
        ),
    }


def listed_export(acm: Any) -> dict[str, tuple[Any, Any]]:
    summaries = acm.list_certificates(Includes={"keyTypes": ALL_KEY_TYPES})
    return {s["CertificateArn"]: export_fields(s) for s in summaries["CertificateSummaryList"]}


def searched_export(acm: Any) -> dict[str, tuple[Any, Any]]:
    return {
        r["CertificateArn"]: export_fields(r["CertificateMetadata"]["AcmCertificateMetadata"])
        for r in acm.search_certificates()["Results"]
    }


def test_listing_and_search_report_export_option_and_exported_as_aws_does(
    three_kinds: dict[str, str],
):
    """AWS: ExportOption in every summary and search result; Exported in summaries only of
    PRIVATE certificates, in search results of those that can be exported; true once
    ExportCertificate gave them out (moto: Exported = the export option, never recorded)."""
    acm = client("acm")
    imported, exportable, private = three_kinds.values()
    before = (listed_export(acm), searched_export(acm))

    export_certificate(REGION, private)
    export_certificate(REGION, exportable)

    assert (
        {
            imported: ("DISABLED", None),
            exportable: ("ENABLED", None),
            private: ("DISABLED", False),
        },
        {
            imported: ("DISABLED", None),
            exportable: ("ENABLED", False),
            private: ("DISABLED", False),
        },
    ) == before
    assert {
        imported: ("DISABLED", None),
        exportable: ("ENABLED", None),
        private: ("DISABLED", True),
    } == listed_export(acm)
    assert {
        imported: ("DISABLED", None),
        exportable: ("ENABLED", True),
        private: ("DISABLED", True),
    } == searched_export(acm)


def test_export_filters_pick_exportable_and_exported_certificates(three_kinds: dict[str, str]):
    """ListCertificates Includes.exportOption and the search's AcmCertificateMetadataFilter
    ExportOption and Exported."""
    acm = client("acm")
    export_certificate(REGION, three_kinds["private"])

    listed = acm.list_certificates(Includes={"keyTypes": ALL_KEY_TYPES, "exportOption": "ENABLED"})[
        "CertificateSummaryList"
    ]
    exported = search_arns(acm, {"Filter": {"AcmCertificateMetadataFilter": {"Exported": True}}})
    enabled = search_arns(
        acm, {"Filter": {"AcmCertificateMetadataFilter": {"ExportOption": "ENABLED"}}}
    )

    assert [three_kinds["exportable"]] == [s["CertificateArn"] for s in listed]
    assert [three_kinds["private"]] == exported
    assert [three_kinds["exportable"]] == enabled


def test_describe_certificate_gives_both_options(three_kinds: dict[str, str]):
    """AWS: Options holds the logging preference and Export; moto gives only what was requested."""
    acm = client("acm")

    options = {
        kind: acm.describe_certificate(CertificateArn=arn)["Certificate"]["Options"]
        for kind, arn in three_kinds.items()
    }

    assert {
        "imported": {"CertificateTransparencyLoggingPreference": "ENABLED", "Export": "DISABLED"},
        "exportable": {"CertificateTransparencyLoggingPreference": "ENABLED", "Export": "ENABLED"},
        "private": {"CertificateTransparencyLoggingPreference": "ENABLED", "Export": "DISABLED"},
    } == options


def test_a_requested_certificate_is_issued_with_the_validity_the_test_chose(aws: StrictAws):
    arn = request_certificate(
        common_name="www.example.com", days_left=-2, now=NOW, export=True, key_type="RSA_2048"
    )

    certificate = client("acm").describe_certificate(CertificateArn=arn)["Certificate"]

    assert ("AMAZON_ISSUED", "EXPIRED", "RSA_2048", NOW + timedelta(days=-2, hours=1)) == (
        certificate["Type"],
        certificate["Status"],
        certificate["KeyAlgorithm"],
        certificate["NotAfter"],
    )


@pytest.mark.parametrize(
    ("kind", "passphrase", "code"),
    [
        ("imported", b"long enough", "ValidationException"),
        ("pending", b"long enough", "RequestInProgressException"),
        ("private", b"abc", "ValidationException"),
        ("private", b"x" * 129, "ValidationException"),
    ],
)
def test_export_certificate_refuses_what_aws_refuses(
    three_kinds: dict[str, str], kind: str, passphrase: bytes, code: str
):
    """Imported certificates are never exportable; a requested one is not until issued; the
    passphrase is 4 to 128 bytes."""
    arns = dict(three_kinds)
    arns["pending"] = client("acm").request_certificate(
        DomainName="pending.example.com", Options={"Export": "ENABLED"}
    )["CertificateArn"]

    with pytest.raises(ClientError) as excinfo:
        unvalidated("acm").export_certificate(CertificateArn=arns[kind], Passphrase=passphrase)

    assert code == error_of(excinfo)[0]
    assert [] == [s for s in listed_export(client("acm")).values() if s[1]]


def test_export_helpers_work_against_the_server(aws_server: StrictAws):
    arn = request_certificate(
        common_name="private.example.com", days_left=5, now=NOW, certificate_authority_arn=CA_ARN
    )

    exported = export_certificate(REGION, arn)

    assert exported["Certificate"].startswith("-----BEGIN CERTIFICATE-----")
    assert {arn: ("DISABLED", True)} == listed_export(client("acm"))


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


def test_archiving_leaves_the_workflow_status_to_the_customer_and_keeps_stored_fields(
    aws: StrictAws,
):
    """AWS: an import never sets Workflow.Status (BatchUpdateFindings does); archiving a NEW or
    NOTIFIED finding leaves the status as it was, and the stored Note stays."""
    enable_hub()
    hub = client("securityhub")
    note = {"Text": "ticket 42", "UpdatedBy": "alice", "UpdatedAt": "2026-01-01T00:00:00Z"}
    hub.batch_import_findings(
        Findings=[
            finding("new", Compliance={"Status": "FAILED"}),
            finding("notified", Compliance={"Status": "FAILED"}, Note=note),
        ]
    )
    aws.world.set_workflow("notified", "NOTIFIED")

    hub.batch_import_findings(
        Findings=[
            finding(
                finding_id,
                updated_at=NOW + timedelta(minutes=1),
                RecordState="ARCHIVED",
                Compliance={"Status": "PASSED"},
                Note={**note, "Text": "overwritten"},
            )
            for finding_id in ("new", "notified")
        ]
    )

    assert [
        ("new", "ARCHIVED", "NEW", REGION, None),
        ("notified", "ARCHIVED", "NOTIFIED", REGION, "ticket 42"),
    ] == [
        (
            f["Id"],
            f["RecordState"],
            f["Workflow"]["Status"],
            f["Region"],
            f.get("Note", {}).get("Text"),
        )
        for f in get_findings()
    ]


@pytest.mark.parametrize(
    ("status", "after"),
    [("NOTIFIED", "NEW"), ("RESOLVED", "NEW"), ("SUPPRESSED", "SUPPRESSED"), ("NEW", "NEW")],
)
def test_reactivating_an_archived_finding_resets_notified_or_resolved_to_new(
    aws: StrictAws, status: str, after: str
):
    """AWS: "Security Hub resets the workflow status from NOTIFIED or RESOLVED to NEW" when
    RecordState turns from ARCHIVED to ACTIVE; SUPPRESSED stays SUPPRESSED."""
    enable_hub()
    hub = client("securityhub")
    hub.batch_import_findings(Findings=[finding(RecordState="ARCHIVED")])
    aws.world.set_workflow("f-1", status)

    hub.batch_import_findings(
        Findings=[finding(updated_at=NOW + timedelta(minutes=1), RecordState="ACTIVE")]
    )

    assert [("ACTIVE", after)] == [
        (f["RecordState"], f["Workflow"]["Status"]) for f in get_findings()
    ]


@pytest.mark.parametrize(
    ("status", "after"),
    [("NOTIFIED", "NEW"), ("RESOLVED", "NEW"), ("SUPPRESSED", "SUPPRESSED")],
)
def test_compliance_failing_again_after_passed_resets_notified_or_resolved_to_new(
    aws: StrictAws, status: str, after: str
):
    """AWS resets NOTIFIED or RESOLVED to NEW when Compliance.Status turns from PASSED to
    another value; SUPPRESSED stays."""
    enable_hub()
    hub = client("securityhub")
    hub.batch_import_findings(Findings=[finding(Compliance={"Status": "PASSED"})])
    aws.world.set_workflow("f-1", status)

    hub.batch_import_findings(
        Findings=[finding(updated_at=NOW + timedelta(minutes=1), Compliance={"Status": "FAILED"})]
    )

    assert [after] == [f["Workflow"]["Status"] for f in get_findings()]


def test_an_update_of_an_active_finding_keeps_its_workflow_status(aws: StrictAws):
    """AWS: an import that changes neither RecordState nor a PASSED Compliance.Status never
    touches Workflow.Status, whatever the import says."""
    enable_hub()
    hub = client("securityhub")
    hub.batch_import_findings(Findings=[finding()])
    aws.world.set_workflow("f-1", "NOTIFIED")

    hub.batch_import_findings(
        Findings=[finding(updated_at=NOW + timedelta(minutes=1), Workflow={"Status": "NEW"})]
    )

    assert ["NOTIFIED"] == [f["Workflow"]["Status"] for f in get_findings()]


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


# ACM SearchCertificates (testkit.acm) #########################################################


def search_arns(acm: Any, statement: dict[str, Any] | None = None, **kwargs: Any) -> list[str]:
    if statement is not None:
        kwargs["FilterStatement"] = statement
    pages = acm.get_paginator("search_certificates").paginate(**kwargs)
    return [r["CertificateArn"] for page in pages for r in page["Results"]]


def not_after(start: datetime | None = None, end: datetime | None = None) -> dict[str, Any]:
    bounds = {k: v for k, v in (("Start", start), ("End", end)) if v is not None}
    return {"Filter": {"X509AttributeFilter": {"NotAfter": bounds}}}


def common_name(value: str, operator: str = "EQUALS") -> dict[str, Any]:
    condition = {"Value": value, "ComparisonOperator": operator}
    return {"Filter": {"X509AttributeFilter": {"Subject": {"CommonName": condition}}}}


def unvalidated(service: str, **config: Any) -> Any:
    """A client that sends what it is given (botocore's own checks off) and never retries, to
    see the service's answer itself."""
    settings = Config(
        parameter_validation=False, retries={"mode": "standard", "total_max_attempts": 1}
    )
    return boto3.session.Session().client(
        service, region_name=REGION, config=settings.merge(Config(**config))
    )


@pytest.fixture
def three_expiries(aws: StrictAws) -> list[str]:
    """a, b, c.example.com expiring exactly 5, 10 and 20 days from NOW (offset 0)."""
    acm = client("acm")
    return [
        import_certificate(
            acm, common_name=f"{name}.example.com", days_left=days, now=NOW, offset=timedelta(0)
        )
        for name, days in (("a", 5), ("b", 10), ("c", 20))
    ]


def test_search_not_after_range_is_inclusive_at_both_ends(three_expiries: list[str]):
    """AWS: a TimestampRange's Start and End are inclusive; either may be left out."""
    a, b, c = three_expiries
    acm = client("acm")
    day5, day10 = NOW + timedelta(days=5), NOW + timedelta(days=10)
    second = timedelta(seconds=1)

    assert [a, b] == search_arns(acm, not_after(day5, day10))
    assert [] == search_arns(acm, not_after(day5 + second, day10 - second))
    assert [a] == search_arns(acm, not_after(end=day5))
    assert [c] == search_arns(acm, not_after(start=day10 + second))
    assert [a, b, c] == search_arns(acm)


def test_search_combines_statements_with_and_or_not(three_expiries: list[str]):
    """AWS: a CertificateFilterStatement is And, Or, Not or one Filter, nested freely."""
    a, b, c = three_expiries
    acm = client("acm")
    within_ten = not_after(end=NOW + timedelta(days=10))

    assert [b] == search_arns(acm, {"And": [within_ten, common_name("b.", "CONTAINS")]})
    assert [a, c] == search_arns(
        acm, {"Or": [common_name("a.example.com"), common_name("c.example.com")]}
    )
    assert [c] == search_arns(acm, {"Not": within_ten})
    assert [a] == search_arns(
        acm, {"And": [within_ten, {"Not": {"Or": [common_name("b.example.com")]}}]}
    )


@pytest.mark.parametrize("max_results", [0, 501])
def test_search_refuses_max_results_outside_1_to_500(aws: StrictAws, max_results: int):
    """AWS: MaxResults is 1..500, ValidationException otherwise (botocore's own check is off
    here, so the service answers)."""
    with pytest.raises(ClientError) as excinfo:
        unvalidated("acm").search_certificates(MaxResults=max_results)

    assert error_of(excinfo)[0] == "ValidationException"


@pytest.mark.parametrize("max_results", [1, 500])
def test_search_accepts_max_results_1_and_500(three_expiries: list[str], max_results: int):
    results = client("acm").search_certificates(MaxResults=max_results)["Results"]

    assert three_expiries[:max_results] == [r["CertificateArn"] for r in results]


def test_search_pages_with_next_token(three_expiries: list[str]):
    """AWS: a page holds at most MaxResults results, and NextToken leads to the next page."""
    acm = client("acm")

    first = acm.search_certificates(MaxResults=2)
    second = acm.search_certificates(MaxResults=2, NextToken=first["NextToken"])

    assert [three_expiries[:2], three_expiries[2:]] == [
        [r["CertificateArn"] for r in page["Results"]] for page in (first, second)
    ]
    assert "NextToken" not in second


def shape_problems(value: Any, shape: Any, where: str = "") -> list[str]:
    """What botocore's validator reports (types, required and unknown members, lengths,
    ranges), and the enum values and string patterns it does not check."""
    report = ParamValidator().validate(value, shape)
    problems = [report.generate_report()] if report.has_errors() else []
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                problems += shape_problems(value[name], member, f"{where}.{name}")
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            problems += shape_problems(item, shape.member, f"{where}[{index}]")
    elif shape.type_name == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            problems.append(f"{where}: {value!r} is not one of {shape.enum}")
        pattern = shape.metadata.get("pattern")
        if pattern and not re.fullmatch(pattern, value):
            problems.append(f"{where}: {value!r} does not match {pattern}")
    return problems


def test_search_results_have_the_shape_of_botocores_model(aws: StrictAws):
    """AWS answers SearchCertificates with SearchCertificatesResponse: every member the model
    knows, of its type, none it does not; botocore parses the body into the expected fields."""
    acm = client("acm")
    arn = import_certificate(
        acm, common_name="www.example.com", days_left=5, now=NOW, sans=["example.com"]
    )
    set_in_use_by(arn, REGION, [f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/E1"])
    bodies: list[bytes] = []
    acm.meta.events.register(
        "before-parse.acm.SearchCertificates",
        lambda response_dict, **_: bodies.append(response_dict["body"]),
    )

    (result,) = acm.search_certificates()["Results"]

    output = acm.meta.service_model.operation_model("SearchCertificates").output_shape
    assert [] == shape_problems(json.loads(bodies[-1]), output)
    x509 = result["X509Attributes"]
    assert {
        "Issuer": {"CommonName": TEST_CA_NAME, "Organization": "Example Test PKI"},
        "Subject": {"CommonName": "www.example.com"},
        "SubjectAlternativeNames": [{"DnsName": "www.example.com"}, {"DnsName": "example.com"}],
        "ExtendedKeyUsages": ["TLS_WEB_SERVER_AUTHENTICATION", "TLS_WEB_CLIENT_AUTHENTICATION"],
        "KeyAlgorithm": "EC_prime256v1",
        "KeyUsages": ["DIGITAL_SIGNATURE"],
        "NotAfter": NOW + timedelta(days=5, hours=1),
    } == {k: v for k, v in x509.items() if k not in ("SerialNumber", "NotBefore")}
    assert {"SerialNumber", "NotBefore"} <= set(x509)
    metadata = result["CertificateMetadata"]["AcmCertificateMetadata"]
    assert ("IMPORTED", "ISSUED", True, "INELIGIBLE", "DISABLED") == (
        metadata["Type"],
        metadata["Status"],
        metadata["InUse"],
        metadata["RenewalEligibility"],
        metadata["ExportOption"],
    )
    assert arn == result["CertificateArn"]


@pytest.mark.parametrize(
    ("knob", "code"),
    [
        ("unknown_operation", "UnknownOperationException"),
        ("access_denied", "AccessDeniedException"),
    ],
)
def test_search_answers_as_an_older_endpoint_or_a_role_without_it(
    aws: StrictAws, knob: str, code: str
):
    """world.search: an endpoint that predates SearchCertificates answers
    UnknownOperationException; a role without acm:SearchCertificates AccessDeniedException."""
    aws.world.search = knob

    with pytest.raises(ClientError) as excinfo:
        client("acm").search_certificates()

    assert code == error_of(excinfo)[0]
    assert 400 == excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    if knob == "access_denied":
        assert "not authorized to perform: acm:SearchCertificates" in error_of(excinfo)[1]


# IAM ListServerCertificates (testkit.iam) #####################################################


def test_list_server_certificates_reads_expiration_from_the_body_and_pages_by_marker(
    aws: StrictAws,
):
    """AWS: Expiration is the certificate's NotAfter (moto: a fixed 2012 date), each has its own
    ServerCertificateId and UploadDate, and MaxItems pages with Marker and IsTruncated."""
    expiries = {}
    for name, days in (("one", 3), ("two", 40), ("three", -2)):
        upload_server_certificate(
            client("iam"),
            name=name,
            days_left=days,
            now=NOW,
            offset=timedelta(0),
            path="/cloudfront/",
        )
        expiries[name] = NOW + timedelta(days=days)
    iam = client("iam")

    first = iam.list_server_certificates(MaxItems=2)
    second = iam.list_server_certificates(MaxItems=2, Marker=first["Marker"])

    assert ([2, 1], [True, False]) == (
        [len(p["ServerCertificateMetadataList"]) for p in (first, second)],
        [first["IsTruncated"], second["IsTruncated"]],
    )
    assert "Marker" not in second
    listed = first["ServerCertificateMetadataList"] + second["ServerCertificateMetadataList"]
    assert {name: expiry for name, expiry in expiries.items()} == {
        m["ServerCertificateName"]: m["Expiration"] for m in listed
    }
    assert [f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/cloudfront/{m['ServerCertificateName']}"
            for m in listed] == [m["Arn"] for m in listed]  # fmt: skip
    assert 3 == len({m["ServerCertificateId"] for m in listed})
    assert all(
        abs(m["UploadDate"] - datetime.now(timezone.utc)) < timedelta(minutes=5) for m in listed
    )
    assert {"/cloudfront/"} == {m["Path"] for m in listed}


@pytest.mark.parametrize("max_items", [0, 1001])
def test_list_server_certificates_refuses_max_items_outside_1_to_1000(
    aws: StrictAws, max_items: int
):
    with pytest.raises(ClientError) as excinfo:
        unvalidated("iam").list_server_certificates(MaxItems=max_items)

    assert error_of(excinfo)[0] == "ValidationError"


# Throttling (testkit.faults) ######################################################################


def test_throttle_refuses_an_operation_a_number_of_times_then_serves_it(aws: StrictAws):
    """AWS throttles DescribeCertificate and GetFindings under load: botocore sees
    ThrottlingException, and world.throttled counts each refusal."""
    aws.world.throttle("acm", "ListCertificates", times=2)
    acm = unvalidated("acm")

    codes = []
    for _ in range(3):
        try:
            acm.list_certificates()
            codes.append("ok")
        except ClientError as error:
            codes.append(error.response["Error"]["Code"])

    assert ["ThrottlingException", "ThrottlingException", "ok"] == codes
    assert {("acm", "ListCertificates"): 2} == dict(aws.world.throttled)


def test_throttle_always_outlasts_botocores_retries(aws: StrictAws):
    """A throttled operation is retried by botocore's standard mode (a throttling error), then
    raised; the other operations of the service are served. Security Hub answers with its own
    throttling error, TooManyRequestsException (HTTP 429)."""
    aws.world.throttle("securityhub", "GetFindings")
    enable_hub()
    hub = unvalidated("securityhub", retries={"mode": "standard", "total_max_attempts": 3})

    with pytest.raises(ClientError) as excinfo:
        hub.get_findings()
    imported = hub.batch_import_findings(Findings=[finding()])

    assert ("TooManyRequestsException", 429, 2) == (
        error_of(excinfo)[0],
        excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"],
        excinfo.value.response["ResponseMetadata"]["RetryAttempts"],
    )
    assert {("securityhub", "GetFindings"): 3} == dict(aws.world.throttled)
    assert 1 == imported["SuccessCount"]


# Any error answer, and what happens meanwhile (testkit.faults) ################################


def answer_to(call: Any, arn: str) -> str:
    """ "ok", or the error code and message the call got."""
    try:
        call(CertificateArn=arn)
    except ClientError as error:
        return f"{error.response['Error']['Code']}: {error.response['Error']['Message']}"
    return "ok"


@pytest.mark.parametrize("mode", ["aws", "aws_server"])
def test_fail_answers_an_error_in_the_services_shape_where_and_as_often_as_told(
    request: pytest.FixtureRequest, mode: str
):
    """world.fail answers an operation with AWS's error code and message (botocore raises a
    ClientError with both), ``times`` times, in one region and for the requests whose
    parameters match; world.failed counts the answers."""
    strict: StrictAws = request.getfixturevalue(mode)
    here = import_certificate(client("acm"), common_name="here.example.com", days_left=9, now=NOW)
    there = import_certificate(
        client("acm", "eu-west-1"), common_name="there.example.eu", days_left=9, now=NOW
    )
    strict.world.fail(
        "acm", "DescribeCertificate", "AccessDeniedException", "denied", times=2, region=REGION
    )
    strict.world.fail(
        "acm",
        "ListTagsForCertificate",
        "ResourceNotFoundException",
        "gone",
        params={"CertificateArn": here},
    )
    acm, eu = unvalidated("acm"), client("acm", "eu-west-1")

    assert ["AccessDeniedException: denied", "ok", "AccessDeniedException: denied", "ok"] == [
        answer_to(acm.describe_certificate, here),
        answer_to(eu.describe_certificate, there),
        answer_to(acm.describe_certificate, here),
        answer_to(acm.describe_certificate, here),
    ]
    assert ["ResourceNotFoundException: gone", "ok"] == [
        answer_to(acm.list_tags_for_certificate, here),
        answer_to(eu.list_tags_for_certificate, there),
    ]
    assert {
        ("acm", "DescribeCertificate"): 2,
        ("acm", "ListTagsForCertificate"): 1,
    } == dict(strict.world.failed)


def test_after_runs_once_moto_answered_before_the_caller_reads_the_answer(aws: StrictAws):
    """world.after: what happens in the account between two calls (a certificate deleted once
    the listing gave it), or what a test notes of each call moto answered, an error included;
    a call a fault answered is not one of them."""
    arn = import_certificate(
        client("acm"), common_name="gone.example.com", days_left=9, now=NOW, key_type="RSA_2048"
    )
    noted: list[str] = []
    aws.world.after(
        "acm", "DescribeCertificate", lambda call: noted.append(call.param("CertificateArn"))
    )
    aws.world.after("acm", "ListCertificates", lambda _: delete_stored_certificate(REGION, arn))
    aws.world.throttle("acm", "DescribeCertificate", times=1)
    acm = unvalidated("acm")

    with pytest.raises(ClientError) as throttled:
        acm.describe_certificate(CertificateArn=arn)
    listed = listed_arns(acm)
    with pytest.raises(ClientError) as gone:
        acm.describe_certificate(CertificateArn=arn)

    assert ("ThrottlingException", [arn]) == (error_of(throttled)[0], listed)
    assert ("ResourceNotFoundException", [arn]) == (error_of(gone)[0], noted)


def test_findings_rejected_one_by_one_are_not_stored_the_others_are(aws: StrictAws):
    """world.reject_findings: BatchImportFindings answers a FailedFindings entry for the
    finding, on its first ``times`` imports, and stores the rest; the requests are noted."""
    enable_hub()
    rejections = aws.world.reject_findings({"f-2": ("ThrottlingException", "slow down")}, times=1)
    hub = unvalidated("securityhub")

    first = hub.batch_import_findings(Findings=[finding("f-1"), finding("f-2")])
    second = hub.batch_import_findings(Findings=[finding("f-2")])

    assert (
        1,
        1,
        [{"Id": "f-2", "ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"}],
    ) == (
        first["SuccessCount"],
        first["FailedCount"],
        first["FailedFindings"],
    )
    assert (1, 0) == (second["SuccessCount"], second["FailedCount"])
    assert [["f-1", "f-2"], ["f-2"]] == [[f["Id"] for f in r] for r in rejections.requests]
    assert ["f-1", "f-2"] == sorted(f["Id"] for f in get_findings())


# IAM policies enforced as AWS enforces them (testkit.policies) ###############################


@pytest.mark.parametrize(
    ("service", "operation", "action", "answer"),
    [
        ("acm", "list_certificates", "acm:ListCertificates", ("AccessDeniedException", 400)),
        ("securityhub", "get_findings", "securityhub:GetFindings", ("AccessDeniedException", 403)),
        ("sns", "list_topics", "sns:ListTopics", ("AuthorizationError", 403)),
        ("rds", "describe_db_instances", "rds:DescribeDBInstances", ("AccessDenied", 403)),
    ],
)
def test_a_call_the_policy_does_not_allow_is_denied_as_the_service_answers(
    aws: StrictAws,
    monkeypatch: pytest.MonkeyPatch,
    service: str,
    operation: str,
    action: str,
    answer: tuple[str, int],
):
    """With testkit.policies' enforcement, a denied call gets the service's own code and HTTP
    status (ACM speaks awsJson, Security Hub restJson1; RDS's query protocol answers as moto
    does), and the message names IAM's action; sts:GetCallerIdentity needs no permission."""
    enforce_as_aws(monkeypatch)
    iam = client("iam")
    iam.create_user(UserName="nobody")
    only_sqs = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"}],
    }
    iam.put_user_policy(UserName="nobody", PolicyName="p", PolicyDocument=json.dumps(only_sqs))
    key = iam.create_access_key(UserName="nobody")["AccessKey"]
    session = boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        aws_session_token=None,
        region_name=REGION,
    )
    denied = session.client(service, config=Config(retries={"total_max_attempts": 1}))

    with enforced():
        caller = session.client("sts").get_caller_identity()["Arn"]
        with pytest.raises(ClientError) as excinfo:
            getattr(denied, operation)()

    code, message = error_of(excinfo)
    assert answer == (code, excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"])
    assert f"{caller} is not authorized to perform: {action}" in message


# Security Hub as an administrator sees it (testkit.securityhub) ##############################

MEMBER = "111122223333"


def member_finding(finding_id: str = "member-1") -> dict[str, Any]:
    product = f"arn:aws:securityhub:{REGION}:{MEMBER}:product/{MEMBER}/default"
    return finding(finding_id, AwsAccountId=MEMBER, ProductArn=product)


def test_members_findings_are_visible_through_get_findings(aws: StrictAws):
    """AWS aggregates a member account's findings into the administrator's hub."""
    enable_hub()
    client("securityhub").batch_import_findings(Findings=[finding("own")])

    aws.world.add_member_finding(member_finding())

    assert [("own", ACCOUNT_ID, "NEW"), ("member-1", MEMBER, "NEW")] == [
        (f["Id"], f["AwsAccountId"], f["Workflow"]["Status"]) for f in get_findings()
    ]
    assert ["member-1"] == [
        f["Id"]
        for f in get_findings(filters={"AwsAccountId": [{"Value": MEMBER, "Comparison": "EQUALS"}]})
    ]


def test_importing_another_accounts_finding_is_rejected(aws: StrictAws):
    """AWS: the default product takes only the caller's own findings; another account's, even
    one the hub shows, fails with InvalidInput and is left as it was."""
    enable_hub()
    aws.world.add_member_finding(member_finding())

    result = client("securityhub").batch_import_findings(
        Findings=[
            member_finding() | {"RecordState": "ARCHIVED", "UpdatedAt": "2099-01-01T00:00:00Z"}
        ]
    )

    assert (1, 0) == (result["FailedCount"], result["SuccessCount"])
    assert [("member-1", "InvalidInput")] == [
        (f["Id"], f["ErrorCode"]) for f in result["FailedFindings"]
    ]
    assert ["ACTIVE"] == [f["RecordState"] for f in get_findings()]


# A Lambda context on the real clock (testkit.clock) #########################################


def test_real_clock_context_runs_out_and_stays_at_zero():
    """Lambda's remaining time falls with the wall clock and never goes below 0."""
    context = RealClockContext(budget_ms=5)
    first = context.get_remaining_time_in_millis()

    while context.get_remaining_time_in_millis() > 0:
        pass

    assert 0 <= first <= 5
    assert context.elapsed_ms() >= 5
    assert 0 == context.get_remaining_time_in_millis()


def test_a_real_clock_budget_too_short_for_a_describe_leaves_it_to_the_search(
    aws: StrictAws, now: datetime
):
    """The handler's deadline: with less than DESCRIBE_WORST_MS + WRITE_RESERVE_MS left, an
    in-use certificate is not described; the search's data stands and not_examined counts it."""
    from handle_expiring_certificates import DESCRIBE_WORST_MS, WRITE_RESERVE_MS

    arn = import_certificate(client("acm"), common_name="www.example.com", days_left=3, now=now)
    set_in_use_by(arn, REGION, [f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/E1"])
    aws.calls.clear()

    summary = invoke(
        load_event("scheduled-event"),
        now=now,
        context=RealClockContext(DESCRIBE_WORST_MS + WRITE_RESERVE_MS - 1),
        INCLUDE_IAM_SERVER_CERTIFICATES="false",
    )

    assert (1, [arn], [True]) == (
        summary["not_examined"],
        [entry["arn"] for entry in summary["in_window"]],
        [entry["in_use"] for entry in summary["in_window"]],
    )
    assert "DescribeCertificate" not in aws.operations("acm")


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


# The kit's own shape ###################################################################

ROOT = Path(__file__).resolve().parents[1]
KIT = ROOT / "testkit"


def imported_modules(path: Path) -> set[str]:
    """The modules a file imports, anywhere in it (even in a function), by their full name;
    ``from testkit import x`` counts as ``testkit.x`` too."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module == "testkit":
                names |= {f"testkit.{alias.name}" for alias in node.names}
    return names


def kit_imports() -> dict[str, set[str]]:
    """For each module of the kit, the modules it imports (anywhere in it, even in a function):
    kit modules by their short name, others by their top-level package."""
    return {
        path.stem: {
            name.split(".")[1] if name.startswith("testkit.") else name.split(".")[0]
            for name in imported_modules(path)
            if name != "testkit"
        }
        for path in sorted(KIT.glob("*.py"))
    }


def test_only_moto_internals_imports_moto():
    """Every access to moto's internals is in one module, written against one moto version."""
    assert ["moto_internals"] == [name for name, found in kit_imports().items() if "moto" in found]
    assert MOTO_VERSION == installed_version()


def test_the_tests_the_benchmark_and_the_demo_reach_moto_only_through_the_kit():
    """Not even moto's public ``mock_aws`` or ``ThreadedMotoServer``: the kit's fixtures and
    ``testkit.moto_internals`` give both, so an upgrade of moto is read in one module."""
    users = sorted([*ROOT.glob("tests/**/*.py"), *ROOT.glob("bench/**/*.py"), ROOT / "demo.py"])
    moto_imports = {
        str(path.relative_to(ROOT)): sorted(
            name for name in imported_modules(path) if name.split(".")[0] == "moto"
        )
        for path in users
    }

    assert {"tests/test_strict_aws.py", "bench/scan_bench.py", "demo.py"} <= set(moto_imports)
    assert {} == {path: names for path, names in moto_imports.items() if names}


def test_moto_refuses_managed_microsoft_ads_beyond_the_quota_the_kit_raises(
    aws: StrictAws, monkeypatch: pytest.MonkeyPatch
):
    """moto hard-codes AWS's default quota of Managed Microsoft AD directories a region
    (``Patcher.raise_managed_microsoft_ad_quota``, which the benchmark needs for 50)."""
    ds = client("ds")
    for _ in range(21):  # moto counts the directories before it adds one: 21 pass
        create_directory()
    with pytest.raises(ClientError) as refused:
        create_directory()
    assert "DirectoryLimitExceededException" == error_of(refused)[0]

    Patcher(monkeypatch).raise_managed_microsoft_ad_quota(22)

    create_directory()
    assert 22 == len(ds.describe_directories()["DirectoryDescriptions"])
    assert 22 == ds.get_directory_limits()["DirectoryLimits"]["CloudOnlyMicrosoftADLimit"]


def test_the_kits_modules_import_no_cycle():
    """Each module imports only modules below it: none needs another to dodge a cycle."""
    imports = kit_imports()
    modules = {name for name in imports if name != "__init__"}
    graph = {name: imports[name] & modules for name in modules}
    ordered: list[str] = []
    while graph:
        ready = sorted(name for name, needs in graph.items() if needs <= set(ordered))
        assert ready, f"an import cycle among {sorted(graph)}"
        ordered += ready
        for name in ready:
            del graph[name]
    assert "moto_internals" in ordered


def test_every_service_module_registers_its_patches_through_one_install_function():
    assert [
        "acm",
        "acmpca",
        "apigateway",
        "cloudwatch",
        "dms",
        "ds",
        "iam",
        "iot",
        "rds",
        "securityhub",
        "sns",
        "transfer",
    ] == [
        f"{install.__module__}.{install.__name__}".removeprefix("testkit.").removesuffix(".install")
        for install in SERVICES
    ]
