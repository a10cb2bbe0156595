"""The emulator answers the certificate sources' operations as AWS does (issue 18, item 6): in
botocore's shapes, with AWS's paging limits, in the states a scan skips or reports, with the
faults a scan must survive, in-process and against the server."""

# Expected values come first in assertions (docs/development.md), which SIM300 calls a Yoda
# condition.

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.validate import validate_parameters
from cryptography import x509

from testkit import (
    ACCOUNT_ID,
    StrictAws,
    add_client_certificates,
    add_transfer_certificates,
    client,
    create_apns_application,
    create_client_certificate,
    create_db_instance,
    create_directory,
    create_directory_with_certificate,
    create_private_ca,
    create_saml_provider,
    import_dms_certificate,
    import_transfer_certificate,
    make_ca_certificate,
    make_certificate,
    register_iot_ca,
)

NOW = datetime.now(timezone.utc).replace(microsecond=0)
SOON = NOW + timedelta(days=10)
REGION = "us-east-1"
ROLE = (
    f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/handle-expiring-certificates"
    "/handle-expiring-certificates"
)


def valid(service: str, operation: str, response: dict[str, Any]) -> dict[str, Any]:
    """``response`` as botocore's model of the operation's output allows it (what botocore's
    Stubber checks), less the response metadata."""
    response = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    model = botocore.session.get_session().get_service_model(service)
    validate_parameters(response, model.operation_model(operation).output_shape)
    return response


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def pages(service: str, operation: str, key: str, **kwargs: Any) -> list[list[Any]]:
    """Each page's items, every page validated against botocore's output shape."""
    api = client(service)
    name = api.meta.method_to_api_mapping[operation]
    return [
        valid(service, name, page)[key] for page in api.get_paginator(operation).paginate(**kwargs)
    ]


@pytest.fixture(params=["aws", "aws_server"])
def either(request: pytest.FixtureRequest) -> Iterator[StrictAws]:
    """Both modes: moto in-process and the moto server on 127.0.0.1."""
    yield request.getfixturevalue(request.param)


# AWS Private CA #################################################################################


def test_private_cas_list_in_aws_shape_with_every_status_a_scan_meets(aws: StrictAws):
    arns = {
        status: create_private_ca(common_name=f"{status} CA", not_after=SOON, status=status)
        for status in ("ACTIVE", "DISABLED", "DELETED", "PENDING_CERTIFICATE")
    }
    arns["EXPIRED"] = create_private_ca(common_name="EXPIRED CA", not_after=NOW - timedelta(2))

    listed = pages("acm-pca", "list_certificate_authorities", "CertificateAuthorities")[0]

    by_arn = {ca["Arn"]: ca for ca in listed}
    assert {arn: status for status, arn in arns.items()} == {
        arn: ca["Status"] for arn, ca in by_arn.items()
    }
    active = by_arn[arns["ACTIVE"]]
    assert (SOON, "ROOT", "ACTIVE CA", "EC_prime256v1", "GENERAL_PURPOSE") == (
        active["NotAfter"],
        active["Type"],
        active["CertificateAuthorityConfiguration"]["Subject"]["CommonName"],
        active["CertificateAuthorityConfiguration"]["KeyAlgorithm"],
        active["UsageMode"],
    )
    assert active["NotBefore"] < NOW and ":" in active["Serial"]
    assert NOW - timedelta(2) == by_arn[arns["EXPIRED"]]["NotAfter"]
    assert "NotAfter" not in by_arn[arns["PENDING_CERTIFICATE"]]
    assert by_arn[arns["DELETED"]]["RestorableUntil"] > NOW + timedelta(days=6)


def test_private_cas_page_by_at_most_100_though_max_results_goes_to_1000(aws: StrictAws):
    for i in range(101):
        create_private_ca(common_name=f"CA {i}", not_after=SOON, status="PENDING_CERTIFICATE")

    assert [100, 1] == [
        len(page)
        for page in pages(
            "acm-pca",
            "list_certificate_authorities",
            "CertificateAuthorities",
            PaginationConfig={"PageSize": 1000},
        )
    ]
    with pytest.raises(ClientError) as excinfo:
        client("acm-pca").list_certificate_authorities(MaxResults=1001)
    assert "ValidationException" == error_of(excinfo)[0]


def test_a_subordinate_ca_lists_its_own_validity(aws: StrictAws):
    arn = create_private_ca(common_name="Issuing CA", not_after=SOON, ca_type="SUBORDINATE")

    described = valid(
        "acm-pca",
        "DescribeCertificateAuthority",
        client("acm-pca").describe_certificate_authority(CertificateAuthorityArn=arn),
    )["CertificateAuthority"]

    assert ("SUBORDINATE", "ACTIVE", SOON) == (
        described["Type"],
        described["Status"],
        described["NotAfter"],
    )


def test_an_active_ca_is_deleted_only_once_disabled(aws: StrictAws):
    arn = create_private_ca(common_name="Busy CA", not_after=SOON)

    with pytest.raises(ClientError) as excinfo:
        client("acm-pca").delete_certificate_authority(CertificateAuthorityArn=arn)

    assert "InvalidStateException" == error_of(excinfo)[0]


def test_a_ca_certificate_of_another_key_is_not_imported(aws: StrictAws):
    pca = client("acm-pca")
    arn = create_private_ca(common_name="Empty CA", not_after=SOON, status="PENDING_CERTIFICATE")
    foreign, _ = make_ca_certificate("Someone else", not_after=SOON)

    with pytest.raises(ClientError) as excinfo:
        pca.import_certificate_authority_certificate(
            CertificateAuthorityArn=arn, Certificate=foreign
        )

    assert "CertificateMismatchException" == error_of(excinfo)[0]


# RDS ############################################################################################


def test_db_instances_of_every_engine_list_with_their_server_certificate(aws: StrictAws):
    engines = ("postgres", "mysql", "aurora-postgresql", "docdb", "neptune")
    arns = {
        engine: create_db_instance(
            identifier=f"{engine}-db",
            engine=engine,
            valid_till=SOON,
            ca="rds-ca-2019",
            tags={"owner": "team-data"},
        )
        for engine in engines
    }

    listed = pages("rds", "describe_db_instances", "DBInstances")[0]

    assert [
        (
            arns[engine],
            engine,
            "rds-ca-2019",
            {"CAIdentifier": "rds-ca-2019", "ValidTill": SOON},
            [{"Key": "owner", "Value": "team-data"}],
        )
        for engine in engines
    ] == [
        (
            i["DBInstanceArn"],
            i["Engine"],
            i["CACertificateIdentifier"],
            i["CertificateDetails"],
            i["TagList"],
        )
        for i in listed
    ]


def test_a_db_instance_gets_the_default_ca_and_a_new_certificate_with_a_new_ca(aws: StrictAws):
    rds = client("rds")
    rds.create_db_instance(
        DBInstanceIdentifier="plain",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword="x" * 16,
    )
    created = rds.describe_db_instances(DBInstanceIdentifier="plain")["DBInstances"][0]

    rds.modify_db_instance(
        DBInstanceIdentifier="plain",
        CACertificateIdentifier="rds-ca-ecc384-g1",
        ApplyImmediately=True,
    )
    modified = rds.describe_db_instances(DBInstanceIdentifier="plain")["DBInstances"][0]

    assert "rds-ca-rsa2048-g1" == created["CACertificateIdentifier"]
    assert created["CertificateDetails"]["ValidTill"] - created["InstanceCreateTime"] < timedelta(
        days=366
    )
    assert "rds-ca-ecc384-g1" == modified["CertificateDetails"]["CAIdentifier"]


def test_db_instances_page_by_max_records_20_to_100(aws: StrictAws):
    rds = client("rds")
    for i in range(101):
        rds.create_db_instance(
            DBInstanceIdentifier=f"db{i}",
            Engine="postgres",
            DBInstanceClass="db.t3.micro",
            AllocatedStorage=20,
            MasterUsername="admin",
            MasterUserPassword="x" * 16,
        )

    assert [100, 1] == [len(p) for p in pages("rds", "describe_db_instances", "DBInstances")]
    for refused in (19, 101):
        with pytest.raises(ClientError) as excinfo:
            rds.describe_db_instances(MaxRecords=refused)
        assert (
            "InvalidParameterValue",
            f"Invalid value {refused} for MaxRecords. Must be between 20 and 100",
        ) == error_of(excinfo)


# API Gateway ####################################################################################


def test_a_generated_client_certificate_is_valid_for_365_days(aws: StrictAws):
    generated = valid(
        "apigateway",
        "GenerateClientCertificate",
        client("apigateway").generate_client_certificate(description="backend", tags={"a": "b"}),
    )

    certificate = x509.load_pem_x509_certificate(generated["pemEncodedCertificate"].encode())
    assert (timedelta(days=365), "backend", {"a": "b"}) == (
        generated["expirationDate"] - generated["createdDate"],
        generated["description"],
        generated["tags"],
    )
    assert generated["expirationDate"] == certificate.not_valid_after_utc


def test_client_certificates_page_by_25_and_up_to_500(aws: StrictAws):
    identifier = create_client_certificate(expiration=SOON, description="orders", tags={"o": "x"})
    add_client_certificates(count=500, expiration=SOON + timedelta(days=30))

    assert [500, 1] == [
        len(p)
        for p in pages(
            "apigateway",
            "get_client_certificates",
            "items",
            PaginationConfig={"PageSize": 500},
        )
    ]
    assert 25 == len(client("apigateway").get_client_certificates()["items"])
    first = client("apigateway").get_client_certificates(limit=1)["items"][0]
    assert (identifier, SOON, "orders", {"o": "x"}) == (
        first["clientCertificateId"],
        first["expirationDate"],
        first["description"],
        first["tags"],
    )
    with pytest.raises(ClientError) as excinfo:
        client("apigateway").get_client_certificates(limit=501)
    assert "BadRequestException" == error_of(excinfo)[0]


def test_a_deleted_client_certificate_is_not_found(aws: StrictAws):
    gateway = client("apigateway")
    identifier = create_client_certificate(expiration=SOON)
    gateway.delete_client_certificate(clientCertificateId=identifier)

    with pytest.raises(ClientError) as excinfo:
        gateway.get_client_certificate(clientCertificateId=identifier)

    assert ("NotFoundException", "Invalid Client Certificate identifier specified") == error_of(
        excinfo
    )


# IoT ############################################################################################


def test_iot_ca_certificates_list_and_describe_their_own_validity(aws: StrictAws):
    active = register_iot_ca(common_name="Fleet CA", not_after=SOON)
    inactive = register_iot_ca(common_name="Old CA", not_after=SOON, status="INACTIVE")
    iot = client("iot")

    listed = pages("iot", "list_ca_certificates", "certificates", ascendingOrder=True)[0]
    described = valid(
        "iot", "DescribeCACertificate", iot.describe_ca_certificate(certificateId=active[1])
    )

    assert [(*active, "ACTIVE"), (*inactive, "INACTIVE")] == [
        (c["certificateArn"], c["certificateId"], c["status"]) for c in listed
    ]
    assert f"arn:aws:iot:{REGION}:{ACCOUNT_ID}:cacert/{active[1]}" == active[0]
    assert SOON == described["certificateDescription"]["validity"]["notAfter"]
    assert "DEFAULT" == described["certificateDescription"]["certificateMode"]


def test_iot_ca_certificates_page_by_25_and_up_to_250(aws: StrictAws):
    iot = client("iot")
    for i in range(251):
        certificate, _ = make_ca_certificate(f"CA {i}", not_after=SOON)
        iot.register_ca_certificate(
            caCertificate=certificate.decode(), certificateMode="SNI_ONLY", setAsActive=True
        )

    assert [250, 1] == [
        len(p)
        for p in pages(
            "iot", "list_ca_certificates", "certificates", PaginationConfig={"PageSize": 250}
        )
    ]
    assert 25 == len(iot.list_ca_certificates()["certificates"])
    with pytest.raises(ClientError) as excinfo:
        iot.list_ca_certificates(pageSize=251)
    assert "InvalidRequestException" == error_of(excinfo)[0]


def test_an_iot_ca_needs_a_verification_certificate_in_default_mode(aws: StrictAws):
    certificate, _ = make_ca_certificate("Unproven CA", not_after=SOON)

    with pytest.raises(ClientError) as excinfo:
        client("iot").register_ca_certificate(caCertificate=certificate.decode())

    assert "InvalidRequestException" == error_of(excinfo)[0]


# IAM SAML providers #############################################################################


def test_saml_providers_are_valid_until_their_metadata_says_or_100_years(aws: StrictAws):
    stated = create_saml_provider("Stated", signing_not_after=SOON, valid_until=NOW + timedelta(9))
    unstated = create_saml_provider(
        "Unstated",
        signing_not_after=SOON,
        extra_certificates=[NOW + timedelta(days=400)],
        tags={"owner": "identity", "cost": "it"},
    )
    iam = client("iam")

    listed = valid("iam", "ListSAMLProviders", iam.list_saml_providers())["SAMLProviderList"]
    got = valid("iam", "GetSAMLProvider", iam.get_saml_provider(SAMLProviderArn=unstated))

    by_arn = {p["Arn"]: p for p in listed}
    assert NOW + timedelta(9) == by_arn[stated]["ValidUntil"]
    created = by_arn[unstated]["CreateDate"]
    assert created.replace(year=created.year + 100) == by_arn[unstated]["ValidUntil"]
    assert [{"Key": "cost", "Value": "it"}, {"Key": "owner", "Value": "identity"}] == got["Tags"]
    certificates = [
        x509.load_der_x509_certificate(base64.b64decode(text)).not_valid_after_utc
        for text in got["SAMLMetadataDocument"].split("<ds:X509Certificate>")[1:]
        for text in [text.split("</ds:X509Certificate>")[0]]
    ]
    assert [SOON, NOW + timedelta(days=400)] == certificates


def test_metadata_that_is_not_saml_is_refused(aws: StrictAws):
    with pytest.raises(ClientError) as excinfo:
        client("iam").create_saml_provider(Name="Bad", SAMLMetadataDocument="<x/>" * 300)

    assert ("InvalidInput", "Could not parse metadata") == error_of(excinfo)


# Transfer Family ################################################################################


def test_transfer_certificates_have_the_status_aws_derives_from_their_dates(aws: StrictAws):
    active = import_transfer_certificate(common_name="as2.example.com", not_after=SOON)
    inactive = import_transfer_certificate(
        common_name="old.example.com", not_after=SOON, usage="ENCRYPTION", active=False
    )
    transfer = client("transfer")
    certificate, _ = make_certificate("next.example.com", not_after=SOON + timedelta(365))
    pending = transfer.import_certificate(
        Usage="TLS",
        Certificate=certificate.decode(),
        ActiveDate=SOON,
        Description="next",
    )["CertificateId"]

    listed = pages("transfer", "list_certificates", "Certificates")[0]
    described = valid(
        "transfer", "DescribeCertificate", transfer.describe_certificate(CertificateId=active)
    )["Certificate"]

    assert [
        (active, "SIGNING", "ACTIVE", "CERTIFICATE_WITH_PRIVATE_KEY"),
        (inactive, "ENCRYPTION", "INACTIVE", "CERTIFICATE_WITH_PRIVATE_KEY"),
        (pending, "TLS", "PENDING_ROTATION", "CERTIFICATE"),
    ] == [(c["CertificateId"], c["Usage"], c["Status"], c["Type"]) for c in listed]
    assert (SOON, SOON) == (described["NotAfterDate"], described["InactiveDate"])
    assert described["Certificate"].startswith("-----BEGIN CERTIFICATE-----")


def test_transfer_certificates_page_by_up_to_1000(aws: StrictAws):
    add_transfer_certificates(count=1001, not_after=SOON)

    assert [1000, 1] == [len(p) for p in pages("transfer", "list_certificates", "Certificates")]
    with pytest.raises(ClientError) as excinfo:
        client("transfer").list_certificates(MaxResults=1001)
    assert "ValidationException" == error_of(excinfo)[0]


# Directory Service ##############################################################################


def test_directory_certificates_list_with_their_expiry_and_state(aws: StrictAws):
    registered = create_directory_with_certificate(
        common_name="ldaps.corp.example.com", not_after=SOON
    )
    failing = create_directory_with_certificate(
        common_name="ldaps2.corp.example.com", not_after=SOON, state="RegisterFailed"
    )
    ds = client("ds")

    directories = pages("ds", "describe_directories", "DirectoryDescriptions", Limit=1)
    listed = [
        pages("ds", "list_certificates", "CertificatesInfo", DirectoryId=directory)[0]
        for directory, _ in (registered, failing)
    ]

    assert [[registered[0]], [failing[0]]] == [[d["DirectoryId"] for d in p] for p in directories]
    assert [
        [(registered[1], "ldaps.corp.example.com", "Registered", SOON, "ClientLDAPS")],
        [(failing[1], "ldaps2.corp.example.com", "RegisterFailed", SOON, "ClientLDAPS")],
    ] == [
        [
            (c["CertificateId"], c["CommonName"], c["State"], c["ExpiryDateTime"], c["Type"])
            for c in p
        ]
        for p in listed
    ]
    valid(
        "ds",
        "DescribeCertificate",
        ds.describe_certificate(DirectoryId=registered[0], CertificateId=registered[1]),
    )


def test_directory_certificates_page_by_up_to_50(aws: StrictAws):
    directory = create_directory()
    ds = client("ds")
    for i in range(51):
        certificate, _ = make_certificate(f"dc{i}.corp.example.com", not_after=SOON)
        ds.register_certificate(DirectoryId=directory, CertificateData=certificate.decode())

    assert [50, 1] == [
        len(p) for p in pages("ds", "list_certificates", "CertificatesInfo", DirectoryId=directory)
    ]
    with pytest.raises(ClientError) as excinfo:
        ds.list_certificates(DirectoryId=directory, Limit=51)
    assert "InvalidParameterException" == error_of(excinfo)[0]


def test_a_simple_ad_has_no_ldaps_certificates(aws: StrictAws):
    directory = create_directory(microsoft_ad=False)

    with pytest.raises(ClientError) as excinfo:
        client("ds").list_certificates(DirectoryId=directory)

    assert (
        "UnsupportedOperationException",
        "LDAPS operations are not supported for this Directory Type.",
    ) == error_of(excinfo)


# DMS ############################################################################################


def test_dms_certificates_are_read_from_the_pem(aws: StrictAws):
    arn = import_dms_certificate(identifier="orders-ca", not_after=SOON)

    listed = pages("dms", "describe_certificates", "Certificates")[0]

    certificate = x509.load_pem_x509_certificate(listed[0]["CertificatePem"].encode())
    assert [(arn, "orders-ca", ACCOUNT_ID, SOON, "SHA256withECDSA", 256)] == [
        (
            c["CertificateArn"],
            c["CertificateIdentifier"],
            c["CertificateOwner"],
            c["ValidToDate"],
            c["SigningAlgorithm"],
            c["KeyLength"],
        )
        for c in listed
    ]
    assert certificate.not_valid_before_utc == listed[0]["ValidFromDate"]


def test_dms_certificates_page_by_10_and_up_to_100(aws: StrictAws):
    for i in range(101):
        import_dms_certificate(identifier=f"ca-{i}", not_after=SOON)
    dms = client("dms")

    assert [100, 1] == [
        len(p)
        for p in pages(
            "dms", "describe_certificates", "Certificates", PaginationConfig={"PageSize": 100}
        )
    ]
    assert 10 == len(dms.describe_certificates()["Certificates"])
    with pytest.raises(ClientError) as excinfo:
        dms.describe_certificates(MaxRecords=19)
    assert "InvalidParameterValueException" == error_of(excinfo)[0]


# SNS platform applications ######################################################################


def test_apns_applications_show_their_certificate_expiry_as_aws_writes_it(aws: StrictAws):
    certificate = create_apns_application(name="Orders", not_after=SOON)
    sandbox = create_apns_application(name="Beta", not_after=SOON, sandbox=True, enabled=False)
    token = create_apns_application(name="Token")

    listed = pages("sns", "list_platform_applications", "PlatformApplications")[0]

    stamp = SOON.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert {
        certificate: {
            "Enabled": "true",
            "AuthenticationMethod": "Certificate",
            "AppleCertificateExpiryDate": stamp,
        },
        sandbox: {
            "Enabled": "false",
            "AuthenticationMethod": "Certificate",
            "AppleCertificateExpiryDate": stamp,
        },
        token: {
            "Enabled": "true",
            "AuthenticationMethod": "Token",
            "ApplePlatformTeamID": "DEF123GHIJ",
            "ApplePlatformBundleID": "com.example.token",
        },
    } == {app["PlatformApplicationArn"]: app["Attributes"] for app in listed}


def test_platform_applications_page_by_100(aws: StrictAws):
    for i in range(101):
        create_apns_application(name=f"app{i}")

    assert [100, 1] == [
        len(p) for p in pages("sns", "list_platform_applications", "PlatformApplications")
    ]


def test_an_apns_certificate_with_another_key_is_refused(aws: StrictAws):
    certificate, _ = make_certificate("com.example.app", not_after=SOON)
    _, other_key = make_certificate("other", not_after=SOON, key_type="EC_secp384r1")

    with pytest.raises(ClientError) as excinfo:
        client("sns").create_platform_application(
            Name="app",
            Platform="APNS",
            Attributes={
                "PlatformPrincipal": certificate.decode(),
                "PlatformCredential": other_key.decode(),
            },
        )

    assert "InvalidParameter" == error_of(excinfo)[0]


# Both modes #####################################################################################

# One seeding helper and one read per source: (seed, read the expiry back from what it made).
SOURCES: dict[str, tuple[Callable[[], Any], Callable[[Any], Any]]] = {
    "private-ca": (
        lambda: create_private_ca(common_name="Root", not_after=SOON),
        lambda _: [
            ca["NotAfter"]
            for ca in client("acm-pca").list_certificate_authorities()["CertificateAuthorities"]
        ],
    ),
    "rds": (
        lambda: create_db_instance(identifier="orders", valid_till=SOON),
        lambda _: [
            i["CertificateDetails"]["ValidTill"]
            for i in client("rds").describe_db_instances()["DBInstances"]
        ],
    ),
    "api-gateway": (
        lambda: create_client_certificate(expiration=SOON),
        lambda _: [
            c["expirationDate"] for c in client("apigateway").get_client_certificates()["items"]
        ],
    ),
    "iot": (
        lambda: register_iot_ca(common_name="Fleet", not_after=SOON),
        lambda ca: [
            client("iot").describe_ca_certificate(certificateId=ca[1])["certificateDescription"][
                "validity"
            ]["notAfter"]
        ],
    ),
    "saml": (
        lambda: create_saml_provider("Idp", signing_not_after=SOON, valid_until=SOON),
        lambda _: [
            p["ValidUntil"] for p in client("iam").list_saml_providers()["SAMLProviderList"]
        ],
    ),
    "transfer": (
        lambda: import_transfer_certificate(common_name="as2.example.com", not_after=SOON),
        lambda identifier: [
            client("transfer").describe_certificate(CertificateId=identifier)["Certificate"][
                "NotAfterDate"
            ]
        ],
    ),
    "directory-service": (
        lambda: create_directory_with_certificate(common_name="ldaps.example.com", not_after=SOON),
        lambda made: [
            c["ExpiryDateTime"]
            for c in client("ds").list_certificates(DirectoryId=made[0])["CertificatesInfo"]
        ],
    ),
    "dms": (
        lambda: import_dms_certificate(identifier="ca", not_after=SOON),
        lambda _: [c["ValidToDate"] for c in client("dms").describe_certificates()["Certificates"]],
    ),
    "sns-apns": (
        lambda: create_apns_application(name="Orders", not_after=SOON),
        lambda _: [
            datetime.strptime(
                app["Attributes"]["AppleCertificateExpiryDate"], "%Y-%m-%dT%H:%M:%SZ"
            ).replace(tzinfo=timezone.utc)
            for app in client("sns").list_platform_applications()["PlatformApplications"]
        ],
    ),
}


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_each_source_reads_back_its_expiry(aws: StrictAws, source: str):
    seed, read = SOURCES[source]

    assert [SOON] == read(seed())


def test_every_source_reads_back_its_expiry_from_the_server(aws_server: StrictAws):
    """The server runs in this process: the same patches and the same kit state apply."""
    made = {source: seed() for source, (seed, _) in SOURCES.items()}

    assert {source: [SOON] for source in SOURCES} == {
        source: read(made[source]) for source, (_, read) in SOURCES.items()
    }


# Faults #########################################################################################


@pytest.mark.parametrize(("service", "region"), [("ds", "ap-east-2"), ("iot", "af-south-1")])
def test_a_service_not_offered_in_a_region_cannot_be_connected_to(
    either: StrictAws, service: str, region: str
):
    """botocore's own endpoint data lists neither there, and AWS has no endpoint for them."""
    assert region not in boto3.session.Session().get_available_regions(service)
    either.world.not_offered(service, region)
    unreachable = boto3.session.Session().client(
        service, region_name=region, config=Config(retries={"total_max_attempts": 1})
    )
    operation = {"ds": "describe_directories", "iot": "list_ca_certificates"}[service]

    with pytest.raises(EndpointConnectionError) as excinfo:
        getattr(unreachable, operation)()

    assert (
        f'Could not connect to the endpoint URL: "https://{service}.{region}.amazonaws.com/"'
        == str(excinfo.value)
    )
    assert [] == either.operations(service)  # nothing reached the emulator
    getattr(client(service), operation)()  # offered in the default region: answered


DENIALS = [
    (
        "acm-pca",
        "ListCertificateAuthorities",
        "AccessDeniedException",
        "acm-pca:ListCertificateAuthorities",
        f"arn:aws:acm-pca:{REGION}:{ACCOUNT_ID}:certificate-authority/*",
    ),
    (
        "rds",
        "DescribeDBInstances",
        "AccessDenied",
        "rds:DescribeDBInstances",
        f"arn:aws:rds:{REGION}:{ACCOUNT_ID}:db:*",
    ),
    (
        "apigateway",
        "GetClientCertificates",
        "AccessDeniedException",
        "apigateway:GET",
        f"arn:aws:apigateway:{REGION}::/clientcertificates",
    ),
    (
        "iot",
        "ListCACertificates",
        "AccessDeniedException",
        "iot:ListCACertificates",
        f"arn:aws:iot:{REGION}:{ACCOUNT_ID}:cacert/*",
    ),
    (
        "iam",
        "ListSAMLProviders",
        "AccessDenied",
        "iam:ListSAMLProviders",
        f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/*",
    ),
    (
        "transfer",
        "ListCertificates",
        "AccessDeniedException",
        "transfer:ListCertificates",
        f"arn:aws:transfer:{REGION}:{ACCOUNT_ID}:certificate/*",
    ),
    (
        "ds",
        "DescribeDirectories",
        "AccessDeniedException",
        "ds:DescribeDirectories",
        f"arn:aws:ds:{REGION}:{ACCOUNT_ID}:directory/*",
    ),
    (
        "dms",
        "DescribeCertificates",
        "AccessDeniedException",
        "dms:DescribeCertificates",
        f"arn:aws:dms:{REGION}:{ACCOUNT_ID}:cert:*",
    ),
    (
        "sns",
        "ListPlatformApplications",
        "AuthorizationError",
        "sns:ListPlatformApplications",
        f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:*",
    ),
]


@pytest.mark.parametrize(("service", "operation", "code", "action", "resource"), DENIALS)
def test_a_denied_operation_answers_as_aws_denies_the_role(
    aws: StrictAws, service: str, operation: str, code: str, action: str, resource: str
):
    aws.world.deny(service, operation)

    with pytest.raises(ClientError) as excinfo:
        getattr(client(service), botocore.xform_name(operation))()

    assert (
        code,
        f"User: {ROLE} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action",
    ) == error_of(excinfo)


def test_a_denial_is_answered_by_the_server_too(aws_server: StrictAws):
    aws_server.world.deny("apigateway", "GetClientCertificates")

    with pytest.raises(ClientError) as excinfo:
        client("apigateway").get_client_certificates()

    assert ("AccessDeniedException", 403) == (
        error_of(excinfo)[0],
        excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )
