"""The pure core: settings, events, assessment, findings and messages, from plain values.

No AWS and no clock: every test passes fixed datetimes and hand-built certificates.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import botocore.session
import pytest
from botocore.validate import validate_parameters

from handle_expiring_certificates import (
    ACM_DETAIL_TYPES,
    FINDINGS_PER_IMPORT,
    GENERATOR_ID,
    IAM_TYPE,
    LISTED_IN_FINDING,
    MAX_IMPORT_BYTES,
    MAX_MESSAGE_BYTES,
    NOT_IN_USE_ACTION,
    SCHEDULED_DETAIL_TYPE,
    SEVERITY_ORDER,
    Assessment,
    AwsClients,
    Certificate,
    CertificateEvent,
    Config,
    ConfigurationError,
    ExistingFinding,
    IgnoreTag,
    MessageHeader,
    ScheduledScan,
    UnsupportedEventError,
    assess,
    build_finding,
    build_notifications,
    certificate_from_acm,
    certificate_from_iam,
    certificate_from_search,
    default_clients,
    existing_finding_from,
    finding_id,
    first_release_finding_id,
    import_batches,
    parse_event,
    plan_findings,
    severity_for,
    when_text,
    whole_days,
)
from testkit import load_event

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
ACCOUNT = "111122223333"
CERT_ID = "61f50cd4-45b9-4259-b049-d0a53682fa4b"
ARN = f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/{CERT_ID}"
LOAD_BALANCER = (
    f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:loadbalancer/app/web/50dc6c495c0c9188"
)
BASE_ENV = {"AWS_REGION": "us-east-1"}
DEFAULT_CONFIG = Config(
    function_region="us-east-1",
    security_hub_region="us-east-1",
    scan_regions=("us-east-1",),
    expiry_days=45,
    sns_topic_arn=None,
    notify_days=None,
    dry_run=False,
    ignore_tag=None,
)
# SNS: 1..99 printable ASCII characters, no line breaks, not starting with a space.
SNS_SUBJECT = re.compile(r"[!-~][ -~]{0,98}")


def certificate(**changes: Any) -> Certificate:
    """An imported certificate in eu-west-1, used by a load balancer; ``changes`` override."""
    values: dict[str, Any] = {
        "arn": ARN,
        "domain": "www.example.com",
        "partition": "aws",
        "region": "eu-west-1",
        "account": ACCOUNT,
        "type": "IMPORTED",
        "status": "ISSUED",
        "key_algorithm": "RSA_2048",
        "not_after": NOW + timedelta(days=3, hours=1),
        "not_before": datetime(2025, 11, 1, tzinfo=timezone.utc),
        "subject_alternative_names": ("www.example.com", "example.com"),
        "in_use": True,
        "in_use_by": (LOAD_BALANCER,),
        "renewal_eligibility": "INELIGIBLE",
        "issuer": "Example Issuing CA",
        "serial": "0a:1b:2c",
        "created_at": datetime(2025, 11, 2, 9, 30, tzinfo=timezone.utc),
        "imported_at": datetime(2025, 11, 2, 9, 30, tzinfo=timezone.utc),
        "kind": "acm",
        "read_by": "describe",
    }
    values.update(changes)
    return Certificate(**values)


def assessed(**changes: Any) -> Assessment:
    result = assess(certificate(**changes), NOW, 45)
    assert result is not None
    return result


# Configuration #####################################################################


def test_defaults_are_used_when_the_settings_are_missing():
    assert DEFAULT_CONFIG == Config.from_environ(BASE_ENV)


def test_an_empty_setting_counts_as_unset():
    names = ("EXPIRY_DAYS", "SNS_TOPIC_ARN", "SECURITY_HUB_REGION", "SCAN_REGIONS")
    names += ("NOTIFY_DAYS", "DRY_RUN", "IGNORE_TAG")
    environ = {**BASE_ENV, **dict.fromkeys(names, "")}

    assert DEFAULT_CONFIG == Config.from_environ(environ)


def test_the_function_region_falls_back_to_aws_default_region():
    assert DEFAULT_CONFIG == Config.from_environ({"AWS_DEFAULT_REGION": "us-east-1"})


def test_a_missing_function_region_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match=r"^AWS_REGION=''"):
        Config.from_environ({})


def test_every_setting_is_read_into_the_frozen_config():
    environ = {
        "AWS_REGION": "us-east-1",
        "EXPIRY_DAYS": "30",
        "SNS_TOPIC_ARN": f"arn:aws:sns:eu-west-1:{ACCOUNT}:cert-alerts",
        "SECURITY_HUB_REGION": "eu-central-1",
        "SCAN_REGIONS": "us-east-1, eu-west-1,us-east-1",
        "NOTIFY_DAYS": "30,14,7,3,1",
        "DRY_RUN": "TRUE",
        "IGNORE_TAG": "expiry-monitor=off",
    }

    config = Config.from_environ(environ)

    assert (
        Config(
            function_region="us-east-1",
            security_hub_region="eu-central-1",
            scan_regions=("us-east-1", "eu-west-1"),
            expiry_days=30,
            sns_topic_arn=f"arn:aws:sns:eu-west-1:{ACCOUNT}:cert-alerts",
            notify_days=frozenset({30, 14, 7, 3, 1}),
            dry_run=True,
            ignore_tag=IgnoreTag("expiry-monitor", "off"),
        )
        == config
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.expiry_days = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("EXPIRY_DAYS", "1", 1),
        ("EXPIRY_DAYS", "3650", 3650),
        ("SNS_TOPIC_ARN", "arn:aws-cn:sns:cn-north-1:123456789012:alerts", None),
        ("SNS_TOPIC_ARN", "arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts.fifo", None),
        ("DRY_RUN", "false", False),
        ("IGNORE_TAG", "keep-quiet", IgnoreTag("keep-quiet", None)),
    ],
)
def test_valid_values_at_the_edges_are_accepted(name: str, value: str, expected: Any):
    config = Config.from_environ({**BASE_ENV, name: value})

    attribute = name.lower()
    assert (value if expected is None else expected) == getattr(config, attribute)


BAD_SETTINGS = [
    ("EXPIRY_DAYS", "0"),
    ("EXPIRY_DAYS", "-1"),
    ("EXPIRY_DAYS", "abc"),
    ("EXPIRY_DAYS", "4.5"),
    ("EXPIRY_DAYS", "3651"),
    ("EXPIRY_DAYS", " "),
    ("SNS_TOPIC_ARN", "cert-alerts"),
    ("SNS_TOPIC_ARN", "arn:aws:sqs:us-east-1:123456789012:cert-alerts"),
    ("SNS_TOPIC_ARN", "arn:aws-mars:sns:us-east-1:123456789012:cert-alerts"),
    ("SNS_TOPIC_ARN", "arn:aws:sns:moon-base:123456789012:cert-alerts"),
    ("SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:12345:cert-alerts"),
    ("SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:cert-alerts:2bcfbf39-05c3"),
    ("SECURITY_HUB_REGION", "US-EAST-1"),
    ("SECURITY_HUB_REGION", "us_east_1"),
    ("SECURITY_HUB_REGION", "us-east"),
    ("SCAN_REGIONS", "us-east-1,atlantis"),
    ("SCAN_REGIONS", ","),
    ("SCAN_REGIONS", "us-east-1;eu-west-1"),
    ("NOTIFY_DAYS", "30,x"),
    ("NOTIFY_DAYS", "7.5"),
    ("NOTIFY_DAYS", "-1"),
    ("NOTIFY_DAYS", ","),
    ("DRY_RUN", "yes"),
    ("DRY_RUN", "1"),
    ("IGNORE_TAG", "=off"),
    ("IGNORE_TAG", "expiry-monitor="),
    ("IGNORE_TAG", "k" * 129),
]


@pytest.mark.parametrize(("name", "value"), BAD_SETTINGS)
def test_a_bad_setting_raises_an_error_naming_the_variable_and_the_value(name: str, value: str):
    with pytest.raises(ConfigurationError) as excinfo:
        Config.from_environ({**BASE_ENV, name: value})

    assert (name, value) == (excinfo.value.variable, excinfo.value.value)
    assert str(excinfo.value).startswith(f"{name}={value!r} is not valid: expected ")


# Events ############################################################################


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "acm-approaching-expiration",
            CertificateEvent(
                "ACM Certificate Approaching Expiration",
                "arn:aws:acm:us-east-1:123456789012:certificate/61f50cd4-45b9-4259-b049-d0a53682fa4b",
                "us-east-1",
                days_to_expiry=31,
            ),
        ),
        (
            "acm-certificate-expired",
            CertificateEvent(
                "ACM Certificate Expired",
                "arn:aws:acm:us-west-2:123456789012:certificate/2f1e9b3a-7c55-4d0c-9a61-0b8e3d2c1f77",
                "us-west-2",
            ),
        ),
        (
            "acm-renewal-action-required",
            CertificateEvent(
                "ACM Certificate Renewal Action Required",
                "arn:aws:acm:eu-west-1:123456789012:certificate/8a4c2e6f-1b3d-4f5a-9c7e-2d4f6a8b0c1e",
                "eu-west-1",
                days_to_expiry=32,
            ),
        ),
        ("scheduled-event", ScheduledScan()),
    ],
)
def test_the_sample_events_are_parsed(name: str, expected: object):
    assert expected == parse_event(load_event(name))


def test_the_region_comes_from_the_certificate_arn_not_the_event():
    arn = "arn:aws:acm:ap-southeast-2:123456789012:certificate/0b8e3d2c"
    event = load_event("acm-approaching-expiration", region="us-east-1", resources=[arn])

    assert CertificateEvent(ACM_DETAIL_TYPES[0], arn, "ap-southeast-2", 31) == parse_event(event)


@pytest.mark.parametrize(
    ("arn", "region"),
    [
        ("arn:aws-cn:acm:cn-north-1:123456789012:certificate/0b8e3d2c-1f77", "cn-north-1"),
        ("arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/0b8e3d2c", "us-gov-west-1"),
    ],
)
def test_a_certificate_arn_of_another_partition_is_accepted(arn: str, region: str):
    event = load_event("acm-certificate-expired", resources=[arn])

    assert CertificateEvent("ACM Certificate Expired", arn, region) == parse_event(event)


def _without_detail_type() -> dict[str, Any]:
    event = load_event("acm-approaching-expiration")
    del event["detail-type"]
    return event


MALFORMED_EVENTS = [
    pytest.param(load_event("console-default-test-event"), "detail-type is None", id="console"),
    pytest.param(["not", "an", "object"], "the event is a list", id="list"),
    pytest.param("Scheduled Event", "the event is a str", id="string"),
    pytest.param(None, "the event is a NoneType", id="none"),
    pytest.param(_without_detail_type(), "detail-type is None", id="no-detail-type"),
    pytest.param(
        load_event("acm-approaching-expiration", detail_type="ACM Certificate Imported"),
        "'ACM Certificate Imported'",
        id="other-detail-type",
    ),
    pytest.param(
        load_event("acm-approaching-expiration", source="my.application"),
        "must come from 'aws.acm'",
        id="acm-detail-type-wrong-source",
    ),
    pytest.param(
        load_event("scheduled-event", source="aws.acm"),
        "must come from 'aws.events'",
        id="schedule-wrong-source",
    ),
    pytest.param(
        load_event("acm-approaching-expiration", resources=[]),
        "resources[0] must be the certificate ARN",
        id="empty-resources",
    ),
    pytest.param(
        load_event("acm-approaching-expiration", resources="arn:aws:acm:us-east-1:1:certificate/a"),
        "resources[0] must be the certificate ARN",
        id="resources-not-a-list",
    ),
    pytest.param(
        load_event("acm-approaching-expiration", resources=[CERT_ID]),
        repr(CERT_ID),
        id="not-an-arn",
    ),
    pytest.param(
        load_event(
            "acm-approaching-expiration",
            resources=["arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/0b8e3d2c"],
        ),
        "arn:aws:acm-pca:",
        id="acm-pca-arn",
    ),
    pytest.param(
        load_event(
            "acm-approaching-expiration",
            resources=["arn:aws:iam::123456789012:server-certificate/www"],
        ),
        "arn:aws:iam::",
        id="iam-arn",
    ),
    pytest.param(
        load_event(
            "acm-approaching-expiration",
            resources=["arn:aws-mars:acm:us-east-1:123456789012:certificate/0b8e3d2c"],
        ),
        "arn:aws-mars:acm:",
        id="unknown-partition",
    ),
]


@pytest.mark.parametrize(("event", "problem"), MALFORMED_EVENTS)
def test_an_unsupported_event_names_the_accepted_ones_and_the_console_template(
    event: object, problem: str
):
    with pytest.raises(UnsupportedEventError) as excinfo:
        parse_event(event)

    message = str(excinfo.value)
    assert message.startswith("Unsupported event: ")
    assert problem in message
    for detail_type in (*ACM_DETAIL_TYPES, SCHEDULED_DETAIL_TYPE):
        assert repr(detail_type) in message
    assert "paste events/scheduled-event.json or {}" in message


# Assessment ########################################################################


@pytest.mark.parametrize(
    ("not_after", "expiry_days", "days_left", "expired", "in_window", "severity"),
    [
        pytest.param(NOW + timedelta(days=0, hours=1), 45, 0, False, True, "HIGH", id="0 days"),
        pytest.param(NOW + timedelta(seconds=1), 45, 0, False, True, "HIGH", id="1 second"),
        pytest.param(NOW + timedelta(days=7, hours=1), 45, 7, False, True, "HIGH", id="7 days"),
        pytest.param(NOW + timedelta(days=8) - timedelta(seconds=1), 45, 7, False, True, "HIGH"),
        pytest.param(NOW + timedelta(days=8), 45, 8, False, True, "MEDIUM", id="8 days exactly"),
        pytest.param(NOW + timedelta(days=8, hours=1), 45, 8, False, True, "MEDIUM", id="8 days"),
        pytest.param(NOW + timedelta(days=30, hours=1), 45, 30, False, True, "MEDIUM", id="30d"),
        pytest.param(NOW + timedelta(days=31, hours=1), 45, 31, False, True, "LOW", id="31 days"),
        pytest.param(NOW + timedelta(days=45), 45, 45, False, True, "LOW", id="window edge"),
        pytest.param(
            NOW + timedelta(days=45, seconds=1), 45, 45, False, False, "LOW", id="edge+1s"
        ),
        pytest.param(NOW + timedelta(days=1), 1, 1, False, True, "HIGH", id="1-day window edge"),
        pytest.param(NOW + timedelta(days=1, seconds=1), 1, 1, False, False, "HIGH", id="1d+1s"),
        pytest.param(NOW, 45, 0, True, True, "CRITICAL", id="expires now"),
        pytest.param(NOW - timedelta(seconds=1), 45, 0, True, True, "CRITICAL", id="-1 second"),
        pytest.param(NOW - timedelta(days=400), 45, -400, True, True, "CRITICAL", id="long ago"),
    ],
)
def test_assess_counts_whole_days_toward_zero_and_grades_by_days_left(
    not_after: datetime,
    expiry_days: int,
    days_left: int,
    expired: bool,
    in_window: bool,
    severity: str,
):
    cert = certificate(not_after=not_after)

    assert Assessment(cert, NOW, days_left, expired, in_window, severity) == assess(
        cert, NOW, expiry_days
    )


def test_a_certificate_without_an_expiry_date_is_not_assessed():
    assert None is assess(certificate(not_after=None, status="PENDING_VALIDATION"), NOW, 45)


@pytest.mark.parametrize(
    ("in_use", "cert_type", "more_names", "read_by", "needed"),
    [
        pytest.param(False, "IMPORTED", False, "list", False, id="imported, unused: listing does"),
        pytest.param(True, "IMPORTED", False, "list", True, id="in use: by what"),
        pytest.param(False, "AMAZON_ISSUED", False, "list", True, id="amazon-issued: renewal"),
        pytest.param(False, "PRIVATE", False, "list", True, id="private: renewal"),
        pytest.param(False, "IMPORTED", True, "list", True, id="more names than listed"),
        pytest.param(True, "AMAZON_ISSUED", True, "list", True, id="every reason"),
        pytest.param(True, "IMPORTED", False, "describe", False, id="in use, already described"),
        pytest.param(
            False, "AMAZON_ISSUED", False, "describe", False, id="amazon, already described"
        ),
        pytest.param(False, "PRIVATE", True, "describe", False, id="private, already described"),
    ],
)
def test_a_listed_certificate_needs_describing_only_for_what_the_listing_lacks(
    in_use: bool, cert_type: str, more_names: bool, read_by: str, needed: bool
):
    cert = certificate(
        in_use=in_use,
        in_use_by=None,
        type=cert_type,
        more_names=more_names,
        issuer=None,
        serial=None,
        read_by=read_by,
    )

    assert needed is cert.needs_description


@pytest.mark.parametrize(("more", "needed"), [(True, True), (False, False)])
def test_a_summary_with_more_names_than_it_lists_needs_describing(more: bool, needed: bool):
    summary = {
        "CertificateArn": ARN,
        "DomainName": "www.example.com",
        "SubjectAlternativeNameSummaries": ["www.example.com", "example.com"],
        "HasAdditionalSubjectAlternativeNames": more,
        "Type": "IMPORTED",
        "InUse": False,
        "NotAfter": NOW + timedelta(days=3),
    }

    assert needed is certificate_from_acm(summary, described=False).needs_description


# Findings ##########################################################################


def _console(region: str = "eu-west-1", cert_id: str = CERT_ID) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/acm/home?region={region}#/certificates/{cert_id}"
    )


FINDING_TYPE = "Software and Configuration Checks/AWS Security Best Practices/Certificate Expiry"


def test_a_finding_describes_the_certificate_in_full_asff():
    finding = build_finding(
        assessed(), hub_region="us-east-1", hub_partition="aws", expiry_days=45, existing=None
    )

    prose = {key: finding.pop(key) for key in ("Title", "Description", "Remediation")}
    assert {
        "SchemaVersion": "2018-10-08",
        "Id": f"{GENERATOR_ID}/{ARN}/20261202T130000Z",
        "ProductArn": f"arn:aws:securityhub:us-east-1:{ACCOUNT}:product/{ACCOUNT}/default",
        "GeneratorId": GENERATOR_ID,
        "AwsAccountId": ACCOUNT,
        "Types": [FINDING_TYPE],
        "CreatedAt": "2026-11-29T12:00:00.000Z",
        "UpdatedAt": "2026-11-29T12:00:00.000Z",
        "FirstObservedAt": "2026-11-29T12:00:00.000Z",
        "LastObservedAt": "2026-11-29T12:00:00.000Z",
        "Severity": {"Label": "HIGH", "Original": "3"},
        "FindingProviderFields": {
            "Severity": {"Label": "HIGH", "Original": "3"},
            "Types": [FINDING_TYPE],
        },
        "SourceUrl": _console(),
        "ProductFields": {
            "Source": "acm",
            "Name": "www.example.com",
            "DaysLeft": "3",
            "NotAfter": "2026-12-02T13:00:00.000Z",
            "ExpiryDays": "45",
            "CertificateType": "IMPORTED",
            "KeyAlgorithm": "RSA_2048",
            "InUse": "true",
            "Exported": "false",
            "InUseByCount": "1",
            "SubjectAlternativeNameCount": "2",
            "ConsoleUrl": _console(),
        },
        "Resources": [
            {
                "Type": "AwsCertificateManagerCertificate",
                "Id": ARN,
                "Partition": "aws",
                "Region": "eu-west-1",
                "Details": {
                    "AwsCertificateManagerCertificate": {
                        "DomainName": "www.example.com",
                        "SubjectAlternativeNames": ["www.example.com", "example.com"],
                        "Type": "IMPORTED",
                        "Status": "ISSUED",
                        "KeyAlgorithm": "RSA_2048",
                        "InUseBy": [LOAD_BALANCER],
                        "RenewalEligibility": "INELIGIBLE",
                        "Issuer": "Example Issuing CA",
                        "Serial": "0a:1b:2c",
                        "NotAfter": "2026-12-02T13:00:00.000Z",
                        "NotBefore": "2025-11-01T00:00:00.000Z",
                        "CreatedAt": "2025-11-02T09:30:00.000Z",
                        "ImportedAt": "2025-11-02T09:30:00.000Z",
                    }
                },
            }
        ],
        "Compliance": {"Status": "FAILED"},
        "RecordState": "ACTIVE",
    } == finding
    assert "ACM certificate www.example.com expires in 3 days" == prose["Title"]
    for fact in ("www.example.com", ARN, "eu-west-1", "2026-12-02 13:00 UTC", "3 days"):
        assert fact in prose["Description"]
    assert LOAD_BALANCER in prose["Description"]
    assert {
        "Text": prose["Remediation"]["Recommendation"]["Text"],
        "Url": "https://docs.aws.amazon.com/acm/latest/userguide/import-reimport.html",
    } == prose["Remediation"]["Recommendation"]


def test_the_finding_id_depends_on_the_certificate_arn_and_its_not_after_alone():
    """Same ARN and NotAfter: same Id, whatever the hub, window or day; another ARN or another
    version (a renewal's NotAfter): another Id."""
    first = build_finding(
        assessed(), hub_region="us-east-1", hub_partition="aws", expiry_days=45, existing=None
    )
    later_assessment = assess(certificate(), NOW + timedelta(days=1), 10)
    assert later_assessment is not None
    later = build_finding(
        later_assessment,
        hub_region="eu-central-1",
        hub_partition="aws",
        expiry_days=10,
        existing=None,
    )
    other_arn = ARN.replace(CERT_ID, "0b8e3d2c-1f77-4d0c-9a61-2d4f6a8b0c1e")
    other = build_finding(
        assessed(arn=other_arn),
        hub_region="us-east-1",
        hub_partition="aws",
        expiry_days=45,
        existing=None,
    )
    renewed = build_finding(
        assessed(not_after=datetime(2027, 1, 2, 13, 0, 5, tzinfo=timezone.utc)),
        hub_region="us-east-1",
        hub_partition="aws",
        expiry_days=45,
        existing=None,
    )

    assert first["Id"] == later["Id"] == f"{GENERATOR_ID}/{ARN}/20261202T130000Z"
    assert f"{GENERATOR_ID}/{other_arn}/20261202T130000Z" == other["Id"]
    assert f"{GENERATOR_ID}/{ARN}/20270102T130005Z" == renewed["Id"]
    assert GENERATOR_ID == first["GeneratorId"] == later["GeneratorId"] == other["GeneratorId"]


@pytest.mark.parametrize(
    ("partition", "region", "hub_region", "console"),
    [
        ("aws", "eu-west-1", "us-east-1", _console()),
        (
            "aws-cn",
            "cn-northwest-1",
            "cn-north-1",
            f"https://console.amazonaws.cn/acm/home?region=cn-northwest-1#/certificates/{CERT_ID}",
        ),
        (
            "aws-us-gov",
            "us-gov-east-1",
            "us-gov-west-1",
            "https://console.amazonaws-us-gov.com/acm/home?region=us-gov-east-1"
            f"#/certificates/{CERT_ID}",
        ),
    ],
)
def test_the_product_arn_is_in_the_hub_region_with_the_certificates_partition_and_account(
    partition: str, region: str, hub_region: str, console: str
):
    arn = f"arn:{partition}:acm:{region}:{ACCOUNT}:certificate/{CERT_ID}"
    cert = assessed(arn=arn, partition=partition, region=region)

    finding = build_finding(
        cert, hub_region=hub_region, hub_partition=partition, expiry_days=45, existing=None
    )

    assert (
        f"arn:{partition}:securityhub:{hub_region}:{ACCOUNT}:product/{ACCOUNT}/default",
        ("AwsCertificateManagerCertificate", arn, partition, region),
        console,
    ) == (
        finding["ProductArn"],
        tuple(finding["Resources"][0][key] for key in ("Type", "Id", "Partition", "Region")),
        finding["SourceUrl"],
    )


@pytest.mark.parametrize(
    ("days", "label"),
    [(-1, "CRITICAL"), (0, "HIGH"), (7, "HIGH"), (8, "MEDIUM"), (30, "MEDIUM"), (31, "LOW")],
)
def test_the_severity_tier_is_in_severity_and_finding_provider_fields(days: int, label: str):
    # An hour past the whole days, away from zero: days toward zero are then ``days``.
    cert = assessed(not_after=NOW + timedelta(days=days, hours=1 if days >= 0 else -1))

    finding = build_finding(
        cert, hub_region="us-east-1", hub_partition="aws", expiry_days=45, existing=None
    )

    expected = {"Label": label, "Original": str(days)}
    assert (expected, expected) == (
        finding["Severity"],
        finding["FindingProviderFields"]["Severity"],
    )


def _existing(updated_at: datetime) -> ExistingFinding:
    return ExistingFinding(
        id=f"{GENERATOR_ID}/{ARN}/20261202T130000Z",
        certificate_arn=ARN,
        kind="acm",
        region="eu-west-1",
        created_at="2026-11-01T00:05:00.000Z",
        updated_at=updated_at,
        raw={"FirstObservedAt": "2026-11-01T00:05:00.000Z"},
    )


def test_an_update_keeps_created_at_and_first_observed_at_and_sets_updated_at_to_now():
    existing = _existing(datetime(2026, 11, 22, 0, 5, tzinfo=timezone.utc))

    finding = build_finding(
        assessed(), hub_region="us-east-1", hub_partition="aws", expiry_days=45, existing=existing
    )

    assert (
        "2026-11-01T00:05:00.000Z",
        "2026-11-01T00:05:00.000Z",
        "2026-11-29T12:00:00.000Z",
        "2026-11-29T12:00:00.000Z",
    ) == (
        finding["CreatedAt"],
        finding["FirstObservedAt"],
        finding["UpdatedAt"],
        finding["LastObservedAt"],
    )


@pytest.mark.parametrize("ahead", [timedelta(0), timedelta(minutes=5)])
def test_updated_at_is_strictly_after_a_stored_updated_at_that_is_not_in_the_past(
    ahead: timedelta,
):
    # Security Hub ignores an update older than the stored finding (a skewed clock elsewhere).
    stored = NOW + ahead
    existing = _existing(stored)

    finding = build_finding(
        assessed(), hub_region="us-east-1", hub_partition="aws", expiry_days=45, existing=existing
    )

    updated = datetime.fromisoformat(finding["UpdatedAt"].replace("Z", "+00:00"))
    assert updated > stored
    assert updated - stored <= timedelta(seconds=1)
    assert "2026-11-01T00:05:00.000Z" == finding["CreatedAt"]


def test_an_imported_certificate_is_remedied_by_re_importing():
    finding = build_finding(
        assessed(), hub_region="us-east-1", hub_partition="aws", expiry_days=45, existing=None
    )

    text = finding["Remediation"]["Recommendation"]["Text"].lower()
    assert "re-import" in text
    assert "validation" not in text


def test_an_amazon_issued_certificate_is_remedied_by_fixing_validation():
    cert = assessed(type="AMAZON_ISSUED", renewal_eligibility="ELIGIBLE", imported_at=None)

    finding = build_finding(
        cert, hub_region="us-east-1", hub_partition="aws", expiry_days=45, existing=None
    )

    text = finding["Remediation"]["Recommendation"]["Text"].lower()
    assert "validation" in text
    assert "re-import" not in text
    assert (
        "https://docs.aws.amazon.com/acm/latest/userguide/troubleshooting-renewal.html",
        _console(),
    ) == (finding["Remediation"]["Recommendation"]["Url"], finding["SourceUrl"])


def test_an_expired_certificate_finding_says_so():
    cert = assessed(not_after=NOW - timedelta(days=2), status="EXPIRED")

    finding = build_finding(
        cert, hub_region="us-east-1", hub_partition="aws", expiry_days=45, existing=None
    )

    assert (
        "ACM certificate www.example.com EXPIRED 2 days ago",
        {"Label": "CRITICAL", "Original": "-2"},
        {"Status": "FAILED"},
    ) == (finding["Title"], finding["Severity"], finding["Compliance"])
    assert "expired on 2026-11-27 12:00 UTC" in finding["Description"]


# Notifications #####################################################################

SCAN = MessageHeader(SCHEDULED_DETAIL_TYPE, "scan of us-east-1", 45, NOW)
EVENT = MessageHeader(ACM_DETAIL_TYPES[0], f"certificate {ARN}", 45, NOW)


def _entries(text: str) -> list[str]:
    """The numbered certificate blocks of a message's text."""
    return re.findall(r"^\d+\. .*?(?=^\d+\. |^Sent by )", text, flags=re.M | re.S)


def test_nothing_in_the_window_means_no_message():
    assert [] == build_notifications(SCAN, [])


def test_option_1_sends_one_message_for_its_certificate():
    notifications = build_notifications(EVENT, [assessed()])

    assert 1 == len(notifications)
    only = notifications[0]
    assert (
        "ACM certificate www.example.com expires in 3 days",
        (ARN,),
        [ARN],
    ) == (
        only.subject,
        only.certificate_arns,
        [entry["arn"] for entry in only.document["certificates"]],
    )


def test_an_entry_names_everything_a_person_needs_to_act():
    notification = build_notifications(EVENT, [assessed()])[0]

    [entry] = _entries(notification.text)
    for fact in (
        "www.example.com",
        ARN,
        "eu-west-1",
        "expires in 3 days",
        "2026-12-02 13:00 UTC",
        "IMPORTED",
        LOAD_BALANCER,
    ):
        assert fact in entry
    assert {
        "arn": ARN,
        "kind": "acm",
        "domain": "www.example.com",
        "subject_alternative_names": ["www.example.com", "example.com"],
        "region": "eu-west-1",
        "account": ACCOUNT,
        "type": "IMPORTED",
        "status": "ISSUED",
        "key_algorithm": "RSA_2048",
        "not_after": "2026-12-02T13:00:00.000Z",
        "days_left": 3,
        "expired": False,
        "severity": "HIGH",
        "in_use": True,
        "in_use_by": [LOAD_BALANCER],
        "exported": False,
        "console_url": _console(),
        "finding_id": f"{GENERATOR_ID}/{ARN}/20261202T130000Z",
    } == notification.document["certificates"][0]


def test_a_certificate_nobody_uses_says_so():
    notification = build_notifications(EVENT, [assessed(in_use=False, in_use_by=())])[0]

    assert "Used by:  not in use" in notification.text


def _several() -> list[Assessment]:
    def one(name: str, days: float, **changes: Any) -> Assessment:
        arn = f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/{name}-0000"
        return assessed(
            arn=arn,
            domain=f"{name}.example.com",
            subject_alternative_names=(f"{name}.example.com",),
            not_after=NOW + timedelta(days=days),
            **changes,
        )

    return [
        one("twenty", 20.5),
        one("expired", -2, status="EXPIRED"),
        one("three", 3.5, type="AMAZON_ISSUED", key_algorithm="EC-prime256v1"),
        one("forty", 40.5, in_use=False, in_use_by=()),
    ]


def test_a_scan_sends_one_digest_most_urgent_first():
    notifications = build_notifications(SCAN, _several())

    assert 1 == len(notifications)
    digest = notifications[0]
    order = ["expired", "three", "twenty", "forty"]
    arns = [f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/{name}-0000" for name in order]
    assert "4 certificates expire within 45 days (1 expired)" == digest.subject
    assert tuple(arns) == digest.certificate_arns
    assert arns == [entry["arn"] for entry in digest.document["certificates"]]
    assert [-2, 3, 20, 40] == [entry["days_left"] for entry in digest.document["certificates"]]
    entries = _entries(digest.text)
    assert [f"{n}. {name}.example.com" for n, name in enumerate(order, 1)] == [
        entry.split(" - ")[0] for entry in entries
    ]
    expected_facts = [
        ("EXPIRED 2 days ago", "2026-11-27 12:00 UTC", "IMPORTED", LOAD_BALANCER),
        ("expires in 3 days", "2026-12-03 00:00 UTC", "AMAZON_ISSUED", LOAD_BALANCER),
        ("expires in 20 days", "2026-12-20 00:00 UTC", "IMPORTED", LOAD_BALANCER),
        ("expires in 40 days", "2027-01-09 00:00 UTC", "IMPORTED", "not in use"),
    ]
    for entry, arn, facts in zip(entries, arns, expected_facts, strict=True):
        for fact in (arn, "eu-west-1", *facts):
            assert fact in entry


def test_a_digest_of_one_certificate_speaks_of_it_in_the_singular():
    digest = build_notifications(SCAN, [assessed()])[0]

    assert "1 certificate expires within 45 days" == digest.subject
    assert digest.text.startswith("1 certificate in this message expires within 45 days")


def test_the_message_carries_the_text_for_email_and_the_document_for_machines():
    """``default`` (SQS, Lambda, HTTP/S, Firehose, email-json) is the document, once; ``email``
    the text; ``sms`` the subject."""
    digest = build_notifications(SCAN, _several())[0]

    envelope = json.loads(digest.message)
    assert ["default", "email", "sms"] == sorted(envelope)
    assert digest.document == json.loads(envelope["default"])
    assert (digest.text, digest.subject) == (envelope["email"], envelope["sms"])
    assert 1 == digest.message.count('\\"certificates\\":')
    assert len(digest.message.encode("utf-8")) <= MAX_MESSAGE_BYTES


def _urgency(assessment: Assessment) -> tuple[int, datetime, str]:
    """Most severe first, then soonest to expire, then by ARN."""
    cert = assessment.certificate
    assert cert.not_after is not None
    return (SEVERITY_ORDER.index(assessment.severity), cert.not_after, cert.arn)


def test_a_digest_too_big_for_one_message_is_split_in_order_leaving_nobody_out():
    assessments = [
        assessed(
            arn=f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/c-{i:03}",
            domain=f"host-{i:03}.example.com",
            not_after=NOW + timedelta(days=i % 40, hours=i),
        )
        for i in range(60)
    ]
    limit = 20_000

    notifications = build_notifications(SCAN, assessments, limit=limit)

    ordered = sorted(assessments, key=_urgency)
    parts = len(notifications)
    assert parts > 1
    assert [a.certificate.arn for a in ordered] == [
        arn for n in notifications for arn in n.certificate_arns
    ]
    for number, notification in enumerate(notifications, 1):
        assert len(notification.message.encode("utf-8")) <= limit
        assert notification.subject.endswith(f" (part {number} of {parts})")
        assert SNS_SUBJECT.fullmatch(notification.subject)


@pytest.mark.parametrize(
    "domain",
    [
        pytest.param("www.example.com", id="ascii"),
        pytest.param("bücher.example", id="idn-unicode"),
        pytest.param("*.bücher.example", id="idn-wildcard"),
        pytest.param("例え.テスト", id="idn-japanese"),
        pytest.param("xn--bcher-kva.example", id="a-label"),
        pytest.param(".".join(["a" * 63, "b" * 63, "c" * 63, "example"]), id="63-char-labels"),
        pytest.param("evil.example\r\nBcc: someone@example.com", id="line-break"),
    ],
)
def test_the_subject_is_one_line_of_printable_ascii_under_100_characters(domain: str):
    cert = assessed(domain=domain)

    subjects = [n.subject for header in (EVENT, SCAN) for n in build_notifications(header, [cert])]

    for subject in subjects:
        assert SNS_SUBJECT.fullmatch(subject), subject
    event_subject = subjects[0]
    assert event_subject.startswith("ACM certificate ")
    assert event_subject.endswith(" expires in 3 days")


def test_an_idn_domain_appears_in_the_subject_as_its_a_label():
    notification = build_notifications(EVENT, [assessed(domain="bücher.example")])[0]

    assert "ACM certificate xn--bcher-kva.example expires in 3 days" == notification.subject


def test_a_long_domain_is_shortened_in_the_subject_but_kept_whole_in_the_text():
    domain = ".".join(["a" * 63, "b" * 63, "c" * 63, "example"])

    notification = build_notifications(EVENT, [assessed(domain=domain)])[0]

    assert 99 >= len(notification.subject)
    assert notification.subject.startswith("ACM certificate " + "a" * 40)
    assert "..." in notification.subject
    assert domain in notification.text


def test_clients_are_made_once_per_service_and_region_and_kept_for_warm_invocations() -> None:
    """No AWS call: creating a client reads no network."""
    clients = AwsClients(botocore.session.get_session())
    first = clients.acm("eu-west-1")
    assert first is clients.acm("eu-west-1")
    assert first is not clients.acm("us-east-1")
    assert "eu-west-1" == first.meta.region_name
    assert default_clients() is default_clients()


# Whole days, words and severity by risk ############################################


@pytest.mark.parametrize(
    ("delta", "days"),
    [
        pytest.param(timedelta(days=9.5), 9, id="9.5 days ahead"),
        pytest.param(timedelta(days=-4.5), -4, id="4.5 days ago"),
        pytest.param(timedelta(0), 0, id="exactly 0"),
        pytest.param(timedelta(seconds=1), 0, id="+1 second"),
        pytest.param(timedelta(seconds=-1), 0, id="-1 second"),
        pytest.param(timedelta(days=1) - timedelta(microseconds=1), 0, id="just under +1 day"),
        pytest.param(timedelta(days=-1) + timedelta(microseconds=1), 0, id="just under -1 day"),
        pytest.param(timedelta(days=1), 1, id="+1 day"),
        pytest.param(timedelta(days=-1), -1, id="-1 day"),
    ],
)
def test_whole_days_counts_toward_zero(delta: timedelta, days: int):
    assert days == whole_days(delta)


@pytest.mark.parametrize(
    ("not_after", "days_left", "expired", "words"),
    [
        pytest.param(NOW + timedelta(days=9.5), 9, False, "expires in 9 days", id="9.5 days"),
        pytest.param(NOW + timedelta(days=1.5), 1, False, "expires in 1 day", id="1.5 days"),
        pytest.param(NOW + timedelta(hours=12), 0, False, "expires within 24 hours", id="12 h"),
        pytest.param(NOW + timedelta(seconds=1), 0, False, "expires within 24 hours", id="+1 s"),
        pytest.param(NOW, 0, True, "EXPIRED less than a day ago", id="NotAfter == now"),
        pytest.param(NOW - timedelta(hours=12), 0, True, "EXPIRED less than a day ago", id="-12h"),
        pytest.param(NOW - timedelta(days=1.5), -1, True, "EXPIRED 1 day ago", id="-1.5 days"),
        pytest.param(NOW - timedelta(days=4.5), -4, True, "EXPIRED 4 days ago", id="-4.5 days"),
    ],
)
def test_issue_10_problem_7_when_text_agrees_with_days_left(
    not_after: datetime, days_left: int, expired: bool, words: str
):
    """The number and the words are the same whole days, in the finding, text and document."""
    assessment = assessed(not_after=not_after)

    finding = build_finding(
        assessment, hub_region="us-east-1", hub_partition="aws", expiry_days=45, existing=None
    )
    notification = build_notifications(EVENT, [assessment])[0]

    assert (days_left, expired, words) == (
        assessment.days_left,
        assessment.expired,
        when_text(assessment),
    )
    assert (f"ACM certificate www.example.com {words}", str(days_left)) == (
        finding["Title"],
        finding["ProductFields"]["DaysLeft"],
    )
    assert f"1. www.example.com - {words} [" in notification.text
    assert (days_left, expired) == (
        notification.document["certificates"][0]["days_left"],
        notification.document["certificates"][0]["expired"],
    )


SEVERITY_BY_RISK = [
    # (days_left, expired, severity when in use or unknown)
    (-3, True, "CRITICAL"),
    (0, True, "CRITICAL"),
    (0, False, "HIGH"),
    (7, False, "HIGH"),
    (8, False, "MEDIUM"),
    (30, False, "MEDIUM"),
    (31, False, "LOW"),
]


@pytest.mark.parametrize("in_use", [True, None, False], ids=["in use", "unknown", "unused"])
@pytest.mark.parametrize(("days_left", "expired", "if_used"), SEVERITY_BY_RISK)
def test_severity_follows_the_days_left_unless_nothing_uses_the_certificate(
    days_left: int, expired: bool, if_used: str, in_use: bool | None
):
    """An unknown use (IAM) counts as in use; an unused certificate is LOW whatever its date."""
    expected = "LOW" if in_use is False else if_used

    assert expected == severity_for(days_left, expired, in_use)


def test_issue_10_problem_6_an_unused_expired_certificate_is_low_and_says_delete_or_lapse():
    assessment = assessed(
        not_after=NOW - timedelta(days=2), status="EXPIRED", in_use=False, in_use_by=()
    )

    finding = build_finding(
        assessment, hub_region="us-east-1", hub_partition="aws", expiry_days=45, existing=None
    )
    notification = build_notifications(EVENT, [assessment])[0]

    assert ("LOW", True) == (assessment.severity, assessment.expired)
    assert {"Label": "LOW", "Original": "-2"} == finding["Severity"]
    text = finding["Remediation"]["Recommendation"]["Text"]
    assert NOT_IN_USE_ACTION == text
    assert text.startswith("Not in use: delete it or let it lapse")
    assert f"   To do:    {NOT_IN_USE_ACTION}\n" in notification.text


# Finding Ids #######################################################################

STAMP = "20261202T130000Z"  # certificate()'s NotAfter


@pytest.mark.parametrize(
    "not_after",
    [
        pytest.param(datetime(2026, 12, 2, 13, 0, tzinfo=timezone.utc), id="utc"),
        pytest.param(datetime(2026, 12, 2, 13, 0, 0, 999_999, tzinfo=timezone.utc), id="micros"),
        pytest.param(datetime(2026, 12, 2, 14, 0, tzinfo=timezone(timedelta(hours=1))), id="utc+1"),
    ],
)
def test_a_finding_id_is_the_generator_the_arn_and_not_after_in_utc_seconds(not_after: datetime):
    assert f"handle-expiring-certificates/{ARN}/{STAMP}" == finding_id(ARN, not_after)


def _iam_arn(length: int) -> str:
    prefix = f"arn:aws:iam::{ACCOUNT}:server-certificate/"
    path = ("p" * 100 + "/") * 3
    arn = prefix + path + "n" * (length - len(prefix) - len(path))
    assert length == len(arn)
    return arn


def test_a_finding_id_of_512_characters_is_kept_and_a_longer_one_uses_the_arns_sha256():
    not_after = datetime(2026, 12, 2, 13, 0, tzinfo=timezone.utc)
    # 512 = len("handle-expiring-certificates/") + len(arn) + len("/20261202T130000Z")
    fits, too_long = _iam_arn(466), _iam_arn(467)
    digest = hashlib.sha256(too_long.encode()).hexdigest()

    assert (
        f"{GENERATOR_ID}/{fits}/{STAMP}",
        f"{GENERATOR_ID}/sha256:{digest}/{STAMP}",
    ) == (finding_id(fits, not_after), finding_id(too_long, not_after))
    assert 512 == len(finding_id(fits, not_after))


def test_the_first_release_finding_id_is_the_generator_and_the_arn():
    assert f"handle-expiring-certificates/{ARN}" == first_release_finding_id(ARN)


# Planning findings #################################################################

PRODUCT = f"arn:aws:securityhub:us-east-1:{ACCOUNT}:product/{ACCOUNT}/default"
OTHER_ACCOUNTS_PRODUCT = "arn:aws:securityhub:us-east-1:444455556666:product/444455556666/default"
STORED_AT = "2026-11-22T00:05:00.000Z"


def _stored(finding: str, arn: str = ARN, **changes: Any) -> dict[str, Any]:
    """One of our active findings as GetFindings returns it."""
    raw: dict[str, Any] = {
        "SchemaVersion": "2018-10-08",
        "Id": finding,
        "ProductArn": PRODUCT,
        "GeneratorId": GENERATOR_ID,
        "AwsAccountId": ACCOUNT,
        "Types": [FINDING_TYPE],
        "CreatedAt": "2026-11-01T00:05:00.000Z",
        "UpdatedAt": STORED_AT,
        "FirstObservedAt": "2026-11-01T00:05:00.000Z",
        "Title": "ACM certificate www.example.com expires in 10 days",
        "Resources": [
            {
                "Type": "AwsCertificateManagerCertificate",
                "Id": arn,
                "Partition": "aws",
                "Region": "eu-west-1",
            }
        ],
        "RecordState": "ACTIVE",
    }
    raw.update(changes)
    return raw


def _read_back(*raws: dict[str, Any]) -> list[ExistingFinding]:
    found = [existing_finding_from(raw, account=ACCOUNT, product=PRODUCT) for raw in raws]
    assert None not in found
    return [finding for finding in found if finding is not None]


def _plan(
    in_window: list[Assessment],
    existing: list[ExistingFinding],
    reasons: dict[str, str] | None = None,
) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    plan = plan_findings(
        in_window=in_window,
        reasons=reasons or {},
        existing=existing,
        hub_region="us-east-1",
        hub_partition="aws",
        expiry_days=45,
        now=NOW,
    )
    assert (plan.active, plan.archived) == (
        sum(f["RecordState"] == "ACTIVE" for f in plan.write),
        sum(f["RecordState"] == "ARCHIVED" for f in plan.write),
    )
    return [(f["Id"], f["RecordState"]) for f in plan.write], list(plan.write)


def test_a_renewed_version_s_finding_is_archived_and_the_new_version_gets_its_own():
    old_id = f"{GENERATOR_ID}/{ARN}/20261201T000000Z"
    new_id = f"{GENERATOR_ID}/{ARN}/{STAMP}"

    states, written = _plan([assessed()], _read_back(_stored(old_id)))

    assert [(new_id, "ACTIVE"), (old_id, "ARCHIVED")] == states
    archived = written[1]
    assert (
        "Resolved on 2026-11-29 12:00 UTC: the certificate was renewed or re-imported; its "
        f"current version has its own finding ({new_id}).",
        {"Status": "PASSED"},
        {"Label": "INFORMATIONAL"},
        "2026-11-29T12:00:00.000Z",
    ) == (
        archived["Description"],
        archived["Compliance"],
        archived["Severity"],
        archived["UpdatedAt"],
    )


def test_a_first_release_finding_is_archived_and_replaced_once_never_duplicated():
    old_id = first_release_finding_id(ARN)
    new_id = f"{GENERATOR_ID}/{ARN}/{STAMP}"

    first_states, first_written = _plan([assessed()], _read_back(_stored(old_id)))
    # The next run reads back only what the first left active.
    next_states, _ = _plan([assessed()], _read_back(_stored(new_id)))

    assert [(new_id, "ACTIVE"), (old_id, "ARCHIVED")] == first_states
    assert (
        "Resolved on 2026-11-29 12:00 UTC: replaced by a finding per certificate version "
        f"({new_id})."
    ) == first_written[1]["Description"]
    assert [(new_id, "ACTIVE")] == next_states


def test_a_finding_of_a_certificate_outside_the_window_without_a_reason_is_left_alone():
    other = ARN.replace(CERT_ID, "0b8e3d2c-1f77-4d0c-9a61-2d4f6a8b0c1e")
    stored = _read_back(_stored(f"{GENERATOR_ID}/{other}/{STAMP}", other))

    states, _ = _plan([assessed()], stored, reasons={})

    assert [(f"{GENERATOR_ID}/{ARN}/{STAMP}", "ACTIVE")] == states


def test_a_finding_of_a_certificate_outside_the_window_with_a_reason_is_archived_with_it():
    stored_id = f"{GENERATOR_ID}/{ARN}/{STAMP}"
    raw = _stored(stored_id)

    states, written = _plan(
        [], _read_back(raw), reasons={ARN: "the certificate no longer exists in ACM."}
    )

    assert [(stored_id, "ARCHIVED")] == states
    assert {
        "SchemaVersion": "2018-10-08",
        "Id": stored_id,
        "ProductArn": PRODUCT,
        "GeneratorId": GENERATOR_ID,
        "AwsAccountId": ACCOUNT,
        "Types": [FINDING_TYPE],
        "CreatedAt": "2026-11-01T00:05:00.000Z",
        "FirstObservedAt": "2026-11-01T00:05:00.000Z",
        "Resources": raw["Resources"],
        "UpdatedAt": "2026-11-29T12:00:00.000Z",
        "Severity": {"Label": "INFORMATIONAL"},
        "FindingProviderFields": {
            "Severity": {"Label": "INFORMATIONAL"},
            "Types": [FINDING_TYPE],
        },
        "Title": "Resolved: ACM certificate www.example.com expires in 10 days",
        "Description": "Resolved on 2026-11-29 12:00 UTC: the certificate no longer exists in ACM.",
        "Compliance": {"Status": "PASSED"},
        "RecordState": "ARCHIVED",
    } == written[0]


@pytest.mark.parametrize(
    ("stored_id", "created_at"),
    [
        pytest.param(f"{GENERATOR_ID}/{ARN}/{STAMP}", "2026-11-01T00:05:00.000Z", id="same"),
        pytest.param(f"{GENERATOR_ID}/{ARN}/20261201T000000Z", "2026-11-29T12:00:00.000Z"),
        pytest.param(first_release_finding_id(ARN), "2026-11-29T12:00:00.000Z", id="first"),
    ],
)
def test_created_at_is_kept_only_for_the_same_certificate_version(stored_id: str, created_at: str):
    _, written = _plan([assessed()], _read_back(_stored(stored_id)))

    active = written[0]
    assert (created_at, created_at, "ACTIVE") == (
        active["CreatedAt"],
        active["FirstObservedAt"],
        active["RecordState"],
    )


def test_an_own_active_finding_is_read_back():
    raw = _stored(f"{GENERATOR_ID}/{ARN}/{STAMP}")

    assert ExistingFinding(
        id=f"{GENERATOR_ID}/{ARN}/{STAMP}",
        certificate_arn=ARN,
        kind="acm",
        region="eu-west-1",
        created_at="2026-11-01T00:05:00.000Z",
        updated_at=datetime(2026, 11, 22, 0, 5, tzinfo=timezone.utc),
        raw=raw,
    ) == existing_finding_from(raw, account=ACCOUNT, product=PRODUCT)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"AwsAccountId": "444455556666"}, id="another account"),
        pytest.param({"ProductArn": OTHER_ACCOUNTS_PRODUCT}, id="another account's product"),
        pytest.param(
            {"ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub"},
            id="another product",
        ),
        pytest.param({"GeneratorId": "aws-foundational-security-best-practices"}, id="generator"),
        pytest.param({"RecordState": "ARCHIVED"}, id="archived"),
        pytest.param({"Id": f"someone-else/{ARN}/{STAMP}"}, id="another id"),
        pytest.param({"Resources": []}, id="no resource"),
    ],
)
def test_a_finding_that_is_not_our_own_active_one_is_not_read_back(changes: dict[str, Any]):
    """A member's finding in an administrator's hub must never be archived by this account."""
    raw = _stored(f"{GENERATOR_ID}/{ARN}/{STAMP}", **changes)

    assert None is existing_finding_from(raw, account=ACCOUNT, product=PRODUCT)


# Certificates from what AWS answers ################################################


def _valid_output(service: str, operation: str, response: dict[str, Any]) -> dict[str, Any]:
    """``response`` as botocore's model of the operation's output allows it (the check
    botocore's Stubber makes), so the shapes below are AWS's, not guessed."""
    model = botocore.session.get_session().get_service_model(service)
    validate_parameters(response, model.operation_model(operation).output_shape)
    return response


def _search_result(**metadata: Any) -> dict[str, Any]:
    acm_metadata: dict[str, Any] = {
        "CreatedAt": datetime(2025, 11, 2, 9, 30, tzinfo=timezone.utc),
        "Exported": False,
        "ImportedAt": datetime(2025, 11, 2, 9, 30, tzinfo=timezone.utc),
        "InUse": True,
        "RenewalEligibility": "INELIGIBLE",
        "Status": "ISSUED",
        "Type": "IMPORTED",
        "ExportOption": "DISABLED",
    }
    acm_metadata.update(metadata)
    result = {
        "CertificateArn": ARN,
        "X509Attributes": {
            "Issuer": {"CommonName": "Example Issuing CA", "Organization": "Example PKI"},
            "Subject": {"CommonName": "www.example.com", "Country": "US"},
            "SubjectAlternativeNames": [
                {"DnsName": "www.example.com"},
                {"DnsName": "example.com"},
                {"IpAddress": "192.0.2.10"},
            ],
            "ExtendedKeyUsages": ["TLS_WEB_SERVER_AUTHENTICATION"],
            "KeyAlgorithm": "RSA_2048",
            "KeyUsages": ["DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"],
            "SerialNumber": "0a:1b:2c",
            "NotAfter": datetime(2026, 12, 2, 13, 0, tzinfo=timezone.utc),
            "NotBefore": datetime(2025, 11, 1, tzinfo=timezone.utc),
        },
        "CertificateMetadata": {"AcmCertificateMetadata": acm_metadata},
    }
    _valid_output("acm", "SearchCertificates", {"Results": [result]})
    return result


def test_a_search_result_becomes_a_certificate_with_its_x509_attributes_and_acm_metadata():
    assert Certificate(
        arn=ARN,
        domain="www.example.com",
        partition="aws",
        region="eu-west-1",
        account=ACCOUNT,
        type="IMPORTED",
        status="ISSUED",
        key_algorithm="RSA_2048",
        not_after=datetime(2026, 12, 2, 13, 0, tzinfo=timezone.utc),
        kind="acm",
        read_by="search",
        not_before=datetime(2025, 11, 1, tzinfo=timezone.utc),
        subject_alternative_names=("www.example.com", "example.com"),
        in_use=True,
        in_use_by=None,
        renewal_eligibility="INELIGIBLE",
        issuer="Example Issuing CA",
        serial="0a:1b:2c",
        created_at=datetime(2025, 11, 2, 9, 30, tzinfo=timezone.utc),
        imported_at=datetime(2025, 11, 2, 9, 30, tzinfo=timezone.utc),
    ) == certificate_from_search(_search_result())


@pytest.mark.parametrize(
    ("in_use", "users", "needed"),
    [
        pytest.param({"InUse": True}, None, True, id="in use: by what"),
        pytest.param({"InUse": False}, (), False, id="unused: nothing to read"),
    ],
)
def test_a_search_result_needs_describing_only_to_learn_what_uses_it(
    in_use: dict[str, bool], users: tuple[str, ...] | None, needed: bool
):
    cert = certificate_from_search(_search_result(**in_use))

    assert (in_use["InUse"], users, needed) == (cert.in_use, cert.in_use_by, cert.needs_description)


@pytest.mark.parametrize(
    "subject",
    [
        pytest.param({}, id="empty subject"),
        pytest.param(
            {"Organization": "Example Ltd", "Country": "US"},
            id="organization only",
        ),
    ],
)
def test_a_search_result_without_a_subject_common_name_is_named_by_its_first_dns_name(
    subject: dict[str, str],
):
    result = _search_result()
    result["X509Attributes"]["Subject"] = subject
    result["X509Attributes"]["SubjectAlternativeNames"] = [{"DnsName": "api.example.com"}]

    assert "api.example.com" == certificate_from_search(result).domain


IAM_ARN = f"arn:aws:iam::{ACCOUNT}:server-certificate/cloudfront/legacy-www"
IAM_METADATA: dict[str, Any] = {
    "Path": "/cloudfront/",
    "ServerCertificateName": "legacy-www",
    "ServerCertificateId": "ASCACKCEVSQ6C2EXAMPLE",
    "Arn": IAM_ARN,
    "UploadDate": datetime(2024, 12, 1, 8, 0, tzinfo=timezone.utc),
    "Expiration": datetime(2026, 12, 4, 13, 0, tzinfo=timezone.utc),
}


def test_an_iam_server_certificate_is_global_named_by_its_name_and_of_unknown_use():
    _valid_output(
        "iam",
        "ListServerCertificates",
        {"ServerCertificateMetadataList": [IAM_METADATA], "IsTruncated": False},
    )

    assert Certificate(
        arn=IAM_ARN,
        domain="legacy-www",
        partition="aws",
        region="global",
        account=ACCOUNT,
        type=IAM_TYPE,
        status="UPLOADED",
        key_algorithm="UNKNOWN",
        not_after=datetime(2026, 12, 4, 13, 0, tzinfo=timezone.utc),
        kind="iam",
        read_by="listing",
        in_use=None,
        imported_at=datetime(2024, 12, 1, 8, 0, tzinfo=timezone.utc),
        details={
            "ServerCertificateName": "legacy-www",
            "Path": "/cloudfront/",
            "ServerCertificateId": "ASCACKCEVSQ6C2EXAMPLE",
            "UploadDate": "2024-12-01T08:00:00.000Z",
            "Expiration": "2026-12-04T13:00:00.000Z",
        },
    ) == certificate_from_iam(IAM_METADATA)


@pytest.mark.parametrize(
    ("read_by", "in_use", "cert_type", "more_names", "needed"),
    [
        pytest.param("search", True, "IMPORTED", False, True, id="search, in use"),
        pytest.param("search", False, "AMAZON_ISSUED", True, False, id="search, unused"),
        pytest.param("search", None, "IMPORTED", False, False, id="search, use unknown"),
        pytest.param("list", False, "IMPORTED", False, False, id="list, imported, unused"),
        pytest.param("list", True, "IMPORTED", False, True, id="list, in use"),
        pytest.param("list", False, "PRIVATE", False, True, id="list, private"),
        pytest.param("list", False, "IMPORTED", True, True, id="list, more names"),
        pytest.param("describe", True, "AMAZON_ISSUED", True, False, id="described"),
        pytest.param("listing", None, IAM_TYPE, False, False, id="iam: nothing to describe"),
    ],
)
def test_a_certificate_needs_describing_only_for_what_its_source_lacks(
    read_by: str, in_use: bool | None, cert_type: str, more_names: bool, needed: bool
):
    cert = certificate(
        read_by=read_by, in_use=in_use, in_use_by=None, type=cert_type, more_names=more_names
    )

    assert needed is cert.needs_description


# Findings of IAM server certificates; Details caps #################################


def _iam_assessment(**changes: Any) -> Assessment:
    cert = dataclasses.replace(certificate_from_iam(IAM_METADATA), **changes)
    result = assess(cert, NOW, 45)
    assert result is not None
    return result


def test_an_iam_server_certificate_finding_is_an_other_resource_without_source_url():
    finding = build_finding(
        _iam_assessment(),
        hub_region="us-east-1",
        hub_partition="aws",
        expiry_days=45,
        existing=None,
    )

    assert {
        "Type": "Other",
        "Id": IAM_ARN,
        "Partition": "aws",
        "Details": {
            "Other": {
                "ServerCertificateName": "legacy-www",
                "Path": "/cloudfront/",
                "ServerCertificateId": "ASCACKCEVSQ6C2EXAMPLE",
                "UploadDate": "2024-12-01T08:00:00.000Z",
                "Expiration": "2026-12-04T13:00:00.000Z",
            }
        },
    } == finding["Resources"][0]
    assert "SourceUrl" not in finding
    assert "ConsoleUrl" not in finding["ProductFields"]
    assert (
        "IAM server certificate legacy-www expires in 5 days",
        {"Label": "HIGH", "Original": "5"},
        "unknown",
        PRODUCT,
        ACCOUNT,
    ) == (
        finding["Title"],
        finding["Severity"],
        finding["ProductFields"]["InUse"],
        finding["ProductArn"],
        finding["AwsAccountId"],
    )
    remediation = finding["Remediation"]["Recommendation"]
    assert (
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_server-certs.html"
        == (remediation["Url"])
    )
    assert "Upload a renewed certificate" in remediation["Text"]
    assert "import it into ACM" in remediation["Text"]


@pytest.mark.parametrize(
    ("not_after", "label"),
    [
        (NOW - timedelta(days=1), "CRITICAL"),
        (NOW + timedelta(days=7, hours=1), "HIGH"),
        (NOW + timedelta(days=8, hours=1), "MEDIUM"),
        (NOW + timedelta(days=31, hours=1), "LOW"),
    ],
)
def test_an_iam_server_certificate_of_unknown_use_is_graded_as_if_in_use(
    not_after: datetime, label: str
):
    assert label == _iam_assessment(not_after=not_after).severity


def _crowded(names: int, users: int, length: int) -> Assessment:
    return assessed(
        subject_alternative_names=tuple(
            f"{i:05}-" + "n" * (length - 18) + ".example.com" for i in range(names)
        ),
        in_use_by=tuple(
            f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:loadbalancer/app/{i:05}-"
            + "u" * (length - 80)
            for i in range(users)
        ),
    )


def test_a_finding_lists_at_most_50_names_and_users_and_counts_them_all():
    assessment = _crowded(names=120, users=75, length=60)
    cert = assessment.certificate

    finding = build_finding(
        assessment, hub_region="us-east-1", hub_partition="aws", expiry_days=45, existing=None
    )

    details = finding["Resources"][0]["Details"]["AwsCertificateManagerCertificate"]
    assert 50 == LISTED_IN_FINDING
    assert (
        list(cert.subject_alternative_names[:50]),
        list(cert.in_use_by[:50] if cert.in_use_by else ()),
    ) == (details["SubjectAlternativeNames"], details["InUseBy"])
    assert ("120", "75", "true") == (
        finding["ProductFields"]["SubjectAlternativeNameCount"],
        finding["ProductFields"]["InUseByCount"],
        finding["ProductFields"]["InUse"],
    )


@pytest.mark.parametrize(
    ("names", "users", "length"),
    [
        pytest.param(5000, 5000, 253, id="thousands of long names and users"),
        pytest.param(200, 200, 2048, id="names and users of 2048 characters"),
        pytest.param(60, 60, 4000, id="longer than ASFF allows"),
    ],
)
def test_issue_10_problem_8_a_finding_stays_under_240_kb_however_many_names_and_users(
    names: int, users: int, length: int
):
    assessment = _crowded(names=names, users=users, length=length)

    finding = build_finding(
        assessment, hub_region="us-east-1", hub_partition="aws", expiry_days=45, existing=None
    )

    details = finding["Resources"][0]["Details"]["AwsCertificateManagerCertificate"]
    assert len(json.dumps(finding, ensure_ascii=False).encode("utf-8")) < 240 * 1024
    for key, values in (
        ("SubjectAlternativeNames", assessment.certificate.subject_alternative_names),
        ("InUseBy", assessment.certificate.in_use_by or ()),
    ):
        kept = details[key]
        assert 1 <= len(kept) <= LISTED_IN_FINDING
        assert [value[:2048] for value in values[: len(kept)]] == kept
    assert (str(names), str(users)) == (
        finding["ProductFields"]["SubjectAlternativeNameCount"],
        finding["ProductFields"]["InUseByCount"],
    )


# Import batches ####################################################################


def _padded(number: int, size: int) -> dict[str, Any]:
    """A finding stand-in whose JSON is exactly ``size`` bytes."""
    finding = {"Id": f"f-{number:05}", "Padding": ""}
    finding["Padding"] = "x" * (size - len(json.dumps(finding)))
    assert size == len(json.dumps(finding).encode("utf-8"))
    return finding


def test_findings_are_imported_100_at_a_time_in_order():
    findings = [_padded(i, 500) for i in range(250)]

    batches = import_batches(findings)

    assert [100, 100, 50] == [len(batch) for batch in batches]
    assert FINDINGS_PER_IMPORT == 100
    assert findings == [finding for batch in batches for finding in batch]


def test_an_import_batch_holds_at_most_max_import_bytes_in_order():
    # Five of these are exactly MAX_IMPORT_BYTES: they share a batch, the sixth starts the next.
    findings = [_padded(i, MAX_IMPORT_BYTES // 5) for i in range(12)]

    batches = import_batches(findings)

    assert [5, 5, 2] == [len(batch) for batch in batches]
    assert findings == [finding for batch in batches for finding in batch]
    for batch in batches:
        assert MAX_IMPORT_BYTES >= sum(len(json.dumps(f).encode("utf-8")) for f in batch)


def test_nothing_to_import_is_no_batch():
    assert [] == import_batches([])


# Messages: one document each, size, ordering #######################################


def _fleet(count: int, domain: str = "service-{i:03}.eu-west-1.example.com") -> list[Assessment]:
    """A weekly scan's window: three names each, one in three in use by two load balancers,
    from 5 days expired to 44 days left."""
    fleet = []
    for i in range(count):
        name = domain.format(i=i)
        users = tuple(
            f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:loadbalancer/app/web-{i:03}-{u}/"
            "50dc6c495c0c9188"
            for u in range(2)
        )
        fleet.append(
            assessed(
                arn=f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/{i:08}-45b9-4259-b049-d0a53682fa4b",
                domain=name,
                subject_alternative_names=(name, f"www.{name}", f"api.{name}"),
                not_after=NOW + timedelta(days=i % 50 - 5, hours=i % 24, minutes=1),
                in_use=i % 3 == 0,
                in_use_by=users if i % 3 == 0 else (),
            )
        )
    return fleet


def test_every_message_carries_its_own_document_once_beside_its_text_and_subject():
    notifications = build_notifications(SCAN, _fleet(300))

    parts = len(notifications)
    assert parts >= 2
    for number, notification in enumerate(notifications, 1):
        envelope = json.loads(notification.message)
        assert ["default", "email", "sms"] == sorted(envelope)
        document = json.loads(envelope["default"])
        assert notification.document == document
        assert (notification.text, notification.subject) == (envelope["email"], envelope["sms"])
        assert (2, number, parts) == (document["version"], document["part"], document["parts"])
        assert list(notification.certificate_arns) == [c["arn"] for c in document["certificates"]]
    assert sorted(a.certificate.arn for a in _fleet(300)) == sorted(
        arn for n in notifications for arn in n.certificate_arns
    )


def test_issue_11_a_digest_of_500_certificates_fits_in_at_most_4_messages():
    notifications = build_notifications(SCAN, _fleet(500))

    assert 1 <= len(notifications) <= 4
    assert 500 == sum(len(n.certificate_arns) for n in notifications)


@pytest.mark.parametrize(
    "domain",
    [
        pytest.param("service-{i:03}.eu-west-1.example.com", id="ascii"),
        pytest.param("bücher-{i:03}.straße.example", id="latin"),
        pytest.param("サービス{i:03}.例え.テスト", id="japanese"),
        pytest.param("😀{i:03}.example", id="four-byte"),
    ],
)
def test_every_part_fits_in_262144_bytes_of_utf_8_of_the_whole_publish_message(domain: str):
    notifications = build_notifications(SCAN, _fleet(700, domain))

    assert len(notifications) >= 2
    for notification in notifications:
        assert len(notification.message.encode("utf-8")) <= MAX_MESSAGE_BYTES == 262_144
    assert 700 == sum(len(n.certificate_arns) for n in notifications)


def _tight(pad: int) -> list[Assessment]:
    """In use and expiring (HIGH) first, then as many unused expired (LOW); ``pad`` lengthens
    a name of the first unused one, past the three names the text shows, so only its JSON
    entry grows: one byte a step."""
    fleet = []
    for i in range(400):
        expired = i % 2 == 1
        name = f"service-{i:03}.example.com"
        names: tuple[str, ...] = (name,)
        if i == 1:
            names += ("a.example.com", "b.example.com", "c.example.com", "x" * pad + ".example")
        fleet.append(
            assessed(
                arn=f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/{i:08}-45b9-4259-b049-d0a53682fa4b",
                domain=name,
                subject_alternative_names=names,
                not_after=NOW + timedelta(days=-3 if expired else 3, minutes=i),
                status="EXPIRED" if expired else "ISSUED",
                in_use=not expired,
                in_use_by=() if expired else (LOAD_BALANCER,),
            )
        )
    return fleet


def test_every_part_fits_even_when_packed_to_the_last_byte():
    """The second part holds the unused expired certificates; a one-byte knob in it walks its
    size across the limit, so one of these digests is packed to the last byte."""
    second = build_notifications(SCAN, _tight(0))[1]
    start = MAX_MESSAGE_BYTES - len(second.message.encode("utf-8"))

    for pad in range(max(start - 30, 0), start + 30):
        for notification in build_notifications(SCAN, _tight(pad)):
            size = len(notification.message.encode("utf-8"))
            assert size <= MAX_MESSAGE_BYTES, (pad, notification.subject, size)


def test_a_digest_is_ordered_by_severity_then_expiry_then_arn():
    def one(name: str, days: float, **changes: Any) -> Assessment:
        return assessed(
            arn=f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/{name}-0000",
            domain=f"{name}.example.com",
            subject_alternative_names=(f"{name}.example.com",),
            not_after=NOW + timedelta(days=days),
            **changes,
        )

    unused = {"in_use": False, "in_use_by": ()}
    iam = _iam_assessment(not_after=NOW + timedelta(days=20.5))
    digest = build_notifications(
        SCAN,
        [
            one("soon-unused", 1.5, **unused),
            one("later", 40.5),
            one("expired-unused", -3, status="EXPIRED", **unused),
            one("month", 20.5),
            one("b-twin", 5.5),
            iam,
            one("expired", -1, status="EXPIRED"),
            one("a-twin", 5.5),
        ],
    )[0]

    expected = [
        ("expired", "CRITICAL"),
        ("a-twin", "HIGH"),
        ("b-twin", "HIGH"),
        ("month", "MEDIUM"),
        ("legacy-www", "MEDIUM"),
        ("expired-unused", "LOW"),
        ("soon-unused", "LOW"),
        ("later", "LOW"),
    ]
    domains = [
        entry["domain"].removesuffix(".example.com") for entry in digest.document["certificates"]
    ]
    severities = [entry["severity"] for entry in digest.document["certificates"]]
    assert expected == list(zip(domains, severities, strict=True))
    assert [
        f"{n}. {entry['domain']}" for n, entry in enumerate(digest.document["certificates"], 1)
    ] == [entry.split(" - ")[0] for entry in _entries(digest.text)]
    assert tuple(e["arn"] for e in digest.document["certificates"]) == digest.certificate_arns
