"""Every certificate AWS keeps for you (issue 18): the certificate sources, one by one.

Core tests: each source's answer, in the shape botocore's model of the operation allows
(``valid_output``: the check botocore's Stubber makes), becomes the Certificate a finding and a
message are built from; the SAML metadata's certificates are read with the handler's own DER
reader; ``CERTIFICATE_SOURCES`` is validated before any AWS call. Fixed instants, no AWS.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from typing import Any

import botocore.session
import pytest
from botocore.validate import validate_parameters
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from handle_expiring_certificates import (
    SOURCE_NAMES,
    SOURCES,
    Assessment,
    Certificate,
    Config,
    ConfigurationError,
    assess,
    build_finding,
    certificate_from_api_gateway,
    certificate_from_directory,
    certificate_from_dms,
    certificate_from_iot,
    certificate_from_private_ca,
    certificate_from_rds,
    certificate_from_saml,
    certificate_from_sns_apns,
    certificate_from_transfer,
    certificate_text,
    common_name_of_der,
    not_after_of_der,
    saml_certificates,
)
from testkit.certificates import make_ca_certificate, make_certificate

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
SOON = datetime(2026, 12, 11, 12, 30, tzinfo=timezone.utc)  # 12 days from NOW
ACCOUNT = "111122223333"
REGION = "eu-west-1"


def valid_output(service: str, operation: str, response: dict[str, Any]) -> dict[str, Any]:
    """``response`` as botocore's model of the operation's output allows it."""
    model = botocore.session.get_session().get_service_model(service)
    validate_parameters(response, model.operation_model(operation).output_shape)
    return response


# One answer per source, as AWS gives it ##########################################################

PCA_ARN = (
    f"arn:aws:acm-pca:{REGION}:{ACCOUNT}:certificate-authority/11223344-5566-7788-9900-aabbccddeeff"
)
DB_ARN = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:orders-db"


def private_ca(status: str = "ACTIVE") -> dict[str, Any]:
    answer = valid_output(
        "acm-pca",
        "ListCertificateAuthorities",
        {
            "CertificateAuthorities": [
                {
                    "Arn": PCA_ARN,
                    "Type": "SUBORDINATE",
                    "Serial": "4c:2e",
                    "Status": status,
                    "NotBefore": NOW - timedelta(days=700),
                    "NotAfter": SOON,
                    "UsageMode": "GENERAL_PURPOSE",
                    "CertificateAuthorityConfiguration": {
                        "KeyAlgorithm": "EC_prime256v1",
                        "SigningAlgorithm": "SHA256WITHECDSA",
                        "Subject": {"CommonName": "Example Issuing CA G2"},
                    },
                }
            ]
        },
    )
    ca: dict[str, Any] = answer["CertificateAuthorities"][0]
    return ca


def db_instance(engine: str = "postgres", **changes: Any) -> dict[str, Any]:
    instance = {
        "DBInstanceIdentifier": "orders-db",
        "DBInstanceArn": DB_ARN,
        "Engine": engine,
        "DBInstanceStatus": "available",
        "CACertificateIdentifier": "rds-ca-2019",
        "CertificateDetails": {"CAIdentifier": "rds-ca-2019", "ValidTill": SOON},
        "TagList": [{"Key": "team", "Value": "payments"}],
        **changes,
    }
    answer = valid_output("rds", "DescribeDBInstances", {"DBInstances": [instance]})
    found: dict[str, Any] = answer["DBInstances"][0]
    return found


@pytest.mark.parametrize(
    ("status", "in_use"),
    [("ACTIVE", True), ("EXPIRED", True), ("DISABLED", False)],
)
def test_a_private_ca_is_its_own_ca_certificate_in_use_while_it_can_issue(
    status: str, in_use: bool
):
    certificate = certificate_from_private_ca(private_ca(status))

    assert certificate is not None
    assert (PCA_ARN, "Example Issuing CA G2", SOON, in_use, "subordinate Private CA") == (
        certificate.arn,
        certificate.domain,
        certificate.not_after,
        certificate.in_use,
        certificate.label,
    )


@pytest.mark.parametrize("status", ["DELETED", "PENDING_CERTIFICATE", "CREATING", "FAILED"])
def test_a_private_ca_without_a_live_certificate_is_skipped(status: str):
    assert None is certificate_from_private_ca(private_ca(status))


@pytest.mark.parametrize(
    ("engine", "label"),
    [
        ("postgres", "RDS DB instance"),
        ("aurora-mysql", "Aurora DB instance"),
        ("docdb", "DocumentDB instance"),
        ("neptune", "Neptune instance"),
    ],
)
def test_every_engine_s_db_instance_presents_a_server_certificate(engine: str, label: str):
    certificate = certificate_from_rds(db_instance(engine))

    assert certificate is not None
    assert (DB_ARN, "orders-db", SOON, True, label, {"team": "payments"}) == (
        certificate.arn,
        certificate.domain,
        certificate.not_after,
        certificate.in_use,
        certificate.label,
        certificate.tags,
    )
    assert {
        "DBInstanceIdentifier": "orders-db",
        "Engine": engine,
        "CACertificateIdentifier": "rds-ca-2019",
    } == certificate.details


def test_a_db_instance_without_certificate_details_is_skipped():
    instance = db_instance()
    del instance["CertificateDetails"]

    assert None is certificate_from_rds(instance)


def test_an_api_gateway_client_certificate_is_named_by_its_description_and_of_unknown_use():
    answer = valid_output(
        "apigateway",
        "GetClientCertificates",
        {
            "items": [
                {
                    "clientCertificateId": "a1b2c3",
                    "description": "payments backend",
                    "pemEncodedCertificate": "-----BEGIN CERTIFICATE-----...",
                    "createdDate": NOW - timedelta(days=353),
                    "expirationDate": SOON,
                    "tags": {"team": "payments"},
                }
            ]
        },
    )

    certificate = certificate_from_api_gateway(answer["items"][0], REGION, "aws", ACCOUNT)

    assert (
        f"arn:aws:apigateway:{REGION}::/clientcertificates/a1b2c3",
        "payments backend",
        ACCOUNT,
        None,
        {"team": "payments"},
    ) == (
        certificate.arn,
        certificate.domain,
        certificate.account,
        certificate.in_use,
        certificate.tags,
    )


@pytest.mark.parametrize(("status", "in_use"), [("ACTIVE", True), ("INACTIVE", False)])
def test_an_iot_ca_certificate_is_in_use_while_active(status: str, in_use: bool):
    identifier = "0a1b2c3d" * 8  # IoT certificate ids are 64 hex digits
    arn = f"arn:aws:iot:{REGION}:{ACCOUNT}:cacert/{identifier}"
    answer = valid_output(
        "iot",
        "DescribeCACertificate",
        {
            "certificateDescription": {
                "certificateArn": arn,
                "certificateId": identifier,
                "status": status,
                "certificateMode": "DEFAULT",
                "validity": {"notBefore": NOW - timedelta(days=300), "notAfter": SOON},
            }
        },
    )

    certificate = certificate_from_iot(answer["certificateDescription"])

    assert (arn, SOON, in_use) == (certificate.arn, certificate.not_after, certificate.in_use)


@pytest.mark.parametrize(
    ("status", "in_use"),
    [("ACTIVE", True), ("PENDING_ROTATION", True), ("INACTIVE", False)],
)
def test_a_transfer_certificate_is_in_use_unless_inactive(status: str, in_use: bool):
    arn = f"arn:aws:transfer:{REGION}:{ACCOUNT}:certificate/cert-0123456789abcdef0"
    answer = valid_output(
        "transfer",
        "DescribeCertificate",
        {
            "Certificate": {
                "Arn": arn,
                "CertificateId": "cert-0123456789abcdef0",
                "Usage": "SIGNING",
                "Status": status,
                "NotAfterDate": SOON,
                "Description": "partner AS2 signing",
                "Tags": [{"Key": "team", "Value": "edi"}],
            }
        },
    )

    certificate = certificate_from_transfer(answer["Certificate"])

    assert (arn, "partner AS2 signing", SOON, in_use, "Transfer Family signing certificate") == (
        certificate.arn,
        certificate.domain,
        certificate.not_after,
        certificate.in_use,
        certificate.label,
    )


def test_a_directory_certificate_gets_a_stable_id_from_its_directory():
    directory = valid_output(
        "ds",
        "DescribeDirectories",
        {"DirectoryDescriptions": [{"DirectoryId": "d-1234567890", "Name": "corp.example.com"}]},
    )["DirectoryDescriptions"][0]
    info = valid_output(
        "ds",
        "ListCertificates",
        {
            "CertificatesInfo": [
                {
                    "CertificateId": "c-0123456789",
                    "CommonName": "ldaps.corp.example.com",
                    "State": "Registered",
                    "ExpiryDateTime": SOON,
                    "Type": "ClientLDAPS",
                }
            ]
        },
    )["CertificatesInfo"][0]

    certificate = certificate_from_directory(info, directory, REGION, "aws", ACCOUNT)

    assert (
        f"arn:aws:ds:{REGION}:{ACCOUNT}:directory/d-1234567890/certificate/c-0123456789",
        "ldaps.corp.example.com (corp.example.com)",
        None,
    ) == (certificate.arn, certificate.domain, certificate.in_use)


@pytest.mark.parametrize(
    ("state", "in_use"),
    [
        ("Registering", None),
        ("Registered", None),
        ("Deregistering", None),
        ("DeregisterFailed", None),  # still registered: still serving
        ("Deregistered", False),
        ("RegisterFailed", False),
    ],
)
def test_a_directory_certificate_may_serve_until_deregistered(state: str, in_use: bool | None):
    """Every CertificateState of the ds model: use is unknown (counted as in use) while the
    certificate is, or may still be, registered with the directory."""
    info = {"CertificateId": "c-0123456789", "State": state, "ExpiryDateTime": SOON}

    certificate = certificate_from_directory(
        info, {"DirectoryId": "d-1234567890"}, REGION, "aws", ACCOUNT
    )

    assert in_use is certificate.in_use


def test_a_dms_certificate_expires_on_its_valid_to_date():
    arn = f"arn:aws:dms:{REGION}:{ACCOUNT}:cert:ABCDEFGHIJKLMNOP"
    answer = valid_output(
        "dms",
        "DescribeCertificates",
        {
            "Certificates": [
                {
                    "CertificateIdentifier": "oracle-source-ca",
                    "CertificateArn": arn,
                    "ValidToDate": SOON,
                    "KeyLength": 2048,
                }
            ]
        },
    )

    certificate = certificate_from_dms(answer["Certificates"][0])

    assert (arn, "oracle-source-ca", SOON) == (
        certificate.arn,
        certificate.domain,
        certificate.not_after,
    )


@pytest.mark.parametrize(("enabled", "in_use"), [("true", True), ("false", False)])
def test_an_apns_application_with_a_certificate_is_reported(enabled: str, in_use: bool):
    arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:app/APNS/shop-ios"
    answer = valid_output(
        "sns",
        "ListPlatformApplications",
        {
            "PlatformApplications": [
                {
                    "PlatformApplicationArn": arn,
                    "Attributes": {
                        "Enabled": enabled,
                        "AppleCertificateExpiryDate": "2026-12-11T12:30:00Z",
                    },
                }
            ]
        },
    )

    certificate = certificate_from_sns_apns(answer["PlatformApplications"][0])

    assert certificate is not None
    assert (arn, "shop-ios", SOON, in_use) == (
        certificate.arn,
        certificate.domain,
        certificate.not_after,
        certificate.in_use,
    )


def test_a_token_based_apns_application_has_no_certificate_to_report():
    application = {
        "PlatformApplicationArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:app/APNS/shop-ios",
        "Attributes": {"Enabled": "true", "ApplePlatformTeamID": "ABCDE12345"},
    }

    assert None is certificate_from_sns_apns(application)


# SAML metadata: the standard library alone reads the signing certificates #######################


def der_of(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize(
    "not_after",
    [
        pytest.param(datetime(2026, 12, 11, 12, 30, tzinfo=timezone.utc), id="UTCTime"),
        pytest.param(datetime(2051, 3, 1, 0, 0, tzinfo=timezone.utc), id="GeneralizedTime"),
        pytest.param(datetime(1999, 12, 31, 23, 59, 59, tzinfo=timezone.utc), id="19xx"),
    ],
)
def test_the_der_reader_gives_the_not_after_cryptography_reads(not_after: datetime):
    """X.509 writes dates until 2049 as UTCTime and later ones as GeneralizedTime (RFC 5280)."""
    pem, _ = make_certificate(
        "idp.example.com", not_before=not_after - timedelta(days=400), not_after=not_after
    )

    assert not_after == not_after_of_der(der_of(pem))


def test_the_der_reader_answers_none_for_what_is_not_a_certificate():
    assert [None, None] == [not_after_of_der(b""), not_after_of_der(b"\x30\x82\xff\xff\x02")]
    assert [None, None] == [common_name_of_der(b""), common_name_of_der(b"\x30\x03\x30\x01")]


def test_the_der_reader_gives_the_subject_common_name_cryptography_reads():
    pem, _ = make_ca_certificate("Devices CA Ünïcode", not_after=SOON)
    der = der_of(pem)
    [expected] = x509.load_der_x509_certificate(der).subject.get_attributes_for_oid(
        x509.NameOID.COMMON_NAME
    )

    assert expected.value == common_name_of_der(der)


@pytest.mark.parametrize("with_pem", [True, False], ids=["with its PEM", "without"])
def test_an_iot_ca_certificate_is_named_by_its_subject_common_name(with_pem: bool):
    """DescribeCACertificate gives the CA certificate's PEM: a person knows the CA by its
    subject, not by its 64-digit id, which names it only when no common name can be read."""
    identifier = "0a1b2c3d" * 8
    pem = make_ca_certificate("Fleet Devices CA", not_after=SOON)[0].decode()
    answer = valid_output(
        "iot",
        "DescribeCACertificate",
        {
            "certificateDescription": {
                "certificateArn": f"arn:aws:iot:{REGION}:{ACCOUNT}:cacert/{identifier}",
                "certificateId": identifier,
                "status": "ACTIVE",
                **({"certificatePem": pem} if with_pem else {}),
                "validity": {"notAfter": SOON},
            }
        },
    )

    certificate = certificate_from_iot(answer["certificateDescription"])

    assert ("Fleet Devices CA" if with_pem else identifier) == certificate.domain


def saml_metadata(*pems: bytes, valid_until: str | None = None) -> str:
    keys = "".join(
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\n'
        + base64.encodebytes(der_of(pem)).decode()
        + "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        for pem in pems
    )
    until = f' validUntil="{valid_until}"' if valid_until else ""
    return (
        '<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:'
        'metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.'
        f'example.com"{until}><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:'
        f'tc:SAML:2.0:protocol">{keys}</md:IDPSSODescriptor></md:EntityDescriptor>'
    )


def test_a_saml_provider_expires_with_the_first_of_its_certificates_and_its_valid_until():
    first = make_certificate(
        "idp.example.com", not_before=NOW - timedelta(days=300), not_after=SOON
    )[0]
    later = make_certificate(
        "idp.example.com", not_before=NOW, not_after=SOON + timedelta(days=365)
    )[0]
    arn = f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta"
    provider = valid_output(
        "iam",
        "GetSAMLProvider",
        {"SAMLMetadataDocument": "x" * 1000, "ValidUntil": NOW + timedelta(days=3000)},
    )

    certificate = certificate_from_saml({"Arn": arn, **provider}, saml_metadata(later, first))

    assert (arn, "Okta", SOON, "global", None) == (
        certificate.arn,
        certificate.domain,
        certificate.not_after,
        certificate.region,
        certificate.in_use,
    )
    assert 2 == len(saml_certificates(saml_metadata(later, first)))


def test_a_saml_provider_s_valid_until_counts_when_it_comes_first():
    pem = make_certificate("idp.example.com", not_before=NOW, not_after=NOW + timedelta(days=900))[
        0
    ]
    provider = {"Arn": f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta", "ValidUntil": SOON}

    assert SOON == certificate_from_saml(provider, saml_metadata(pem)).not_after


def test_metadata_entities_are_never_expanded():
    """A pattern, not an XML parser: a document with an entity bomb is read for its base64
    certificate text only, in no time and no memory."""
    bomb = (
        '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<x>&b;&b;&b;</x>"
    )
    assert [] == saml_certificates(bomb)


# What a person reads and what Security Hub gets #################################################


def assessed(certificate: Certificate | None) -> Assessment:
    assert certificate is not None
    assessment = assess(certificate, NOW, 45)
    assert assessment is not None
    return assessment


def finding_of(certificate: Certificate | None) -> dict[str, Any]:
    return build_finding(
        assessed(certificate), hub_region=REGION, hub_partition="aws", expiry_days=45, existing=None
    )


def test_the_text_names_the_service_in_words():
    assessment = assessed(certificate_from_rds(db_instance()))

    assert certificate_text(1, assessment).startswith(
        "1. RDS DB instance orders-db: server certificate expires in 12 days [MEDIUM]\n"
    )


def test_an_rds_finding_is_about_the_db_instance():
    finding = finding_of(certificate_from_rds(db_instance()))

    assert {
        "Type": "AwsRdsDbInstance",
        "Id": DB_ARN,
        "Partition": "aws",
        "Region": REGION,
        "Details": {
            "AwsRdsDbInstance": {
                "DBInstanceIdentifier": "orders-db",
                "Engine": "postgres",
                "CACertificateIdentifier": "rds-ca-2019",
            }
        },
    } == finding["Resources"][0]
    assert f"handle-expiring-certificates/{DB_ARN}/20261211T123000Z" == finding["Id"]
    assert "RDS DB instance orders-db: server certificate expires in 12 days" == finding["Title"]
    assert "rds-ca-rsa2048-g1" in finding["Remediation"]["Recommendation"]["Text"]
    assert "rds" == finding["ProductFields"]["Source"]


def test_other_sources_findings_are_of_type_other_with_their_details():
    finding = finding_of(certificate_from_private_ca(private_ca()))

    assert {
        "Type": "Other",
        "Id": PCA_ARN,
        "Partition": "aws",
        "Region": REGION,
        "Details": {
            "Other": {
                "Type": "SUBORDINATE",
                "Status": "ACTIVE",
                "Serial": "4c:2e",
                "UsageMode": "GENERAL_PURPOSE",
                "KeyAlgorithm": "EC_prime256v1",
                "NotAfter": "2026-12-11T12:30:00.000Z",
            }
        },
    } == finding["Resources"][0]


# CERTIFICATE_SOURCES ############################################################################

ENVIRON = {"AWS_REGION": "us-east-1"}


@pytest.mark.parametrize(
    ("value", "sources"),
    [
        (None, SOURCE_NAMES),
        ("all", SOURCE_NAMES),
        ("ALL", SOURCE_NAMES),
        ("rds, acm", ("acm", "rds")),
        ("saml", ("saml",)),
    ],
)
def test_certificate_sources_picks_the_sources_in_the_table_s_order(
    value: str | None, sources: tuple[str, ...]
):
    environ = ENVIRON if value is None else {**ENVIRON, "CERTIFICATE_SOURCES": value}

    assert sources == Config.from_environ(environ).sources


@pytest.mark.parametrize("value", ["rds,ec2", ",", "all,rds", "RDS;ACM"])
def test_a_bad_source_name_is_refused_listing_the_valid_ones(value: str):
    with pytest.raises(ConfigurationError) as raised:
        Config.from_environ({**ENVIRON, "CERTIFICATE_SOURCES": value})

    assert str(raised.value) == (
        f"CERTIFICATE_SOURCES={value!r} is not valid: expected 'all' or comma-separated names "
        f"of {', '.join(SOURCE_NAMES)}."
    )


def test_include_iam_server_certificates_false_still_removes_iam():
    config = Config.from_environ({**ENVIRON, "INCLUDE_IAM_SERVER_CERTIFICATES": "false"})

    assert tuple(name for name in SOURCE_NAMES if name != "iam") == config.sources


def test_the_source_table_has_a_row_for_every_name():
    assert list(SOURCE_NAMES) == list(SOURCES)
