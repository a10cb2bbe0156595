"""The pure core: settings, events, assessment, findings and messages, from plain values.

No AWS and no clock: every test passes fixed datetimes and hand-built certificates.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import botocore.session
import pytest

from handle_expiring_certificates import (
    ACM_DETAIL_TYPES,
    GENERATOR_ID,
    MAX_MESSAGE_BYTES,
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
    default_clients,
    parse_event,
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
        "key_algorithm": "RSA-2048",
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
        "source": "describe",
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

    assert CertificateEvent(ACM_DETAIL_TYPES[0], arn, "ap-southeast-2") == parse_event(event)


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
    ("in_use", "cert_type", "more_names", "source", "needed"),
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
    in_use: bool, cert_type: str, more_names: bool, source: str, needed: bool
):
    cert = certificate(
        in_use=in_use,
        in_use_by=None,
        type=cert_type,
        more_names=more_names,
        issuer=None,
        serial=None,
        source=source,
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
            "DaysLeft": "3",
            "NotAfter": "2026-12-02T13:00:00.000Z",
            "ExpiryDays": "45",
            "CertificateType": "IMPORTED",
            "InUse": "true",
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
                        "KeyAlgorithm": "RSA-2048",
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
        id=f"{GENERATOR_ID}/{ARN}",
        certificate_arn=ARN,
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
        "key_algorithm": "RSA-2048",
        "not_after": "2026-12-02T13:00:00.000Z",
        "days_left": 3,
        "expired": False,
        "severity": "HIGH",
        "in_use": True,
        "in_use_by": [LOAD_BALANCER],
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
