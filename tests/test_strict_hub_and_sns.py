"""The test kit keeps its word on Security Hub (issues 17 and 19) and SNS (issue 20): what AWS
refuses, what an administrator's hub holds, throttling by rate, filter policies and what each
subscriber receives."""

# Expected values come first in assertions (docs/development.md), which SIM300 calls a Yoda
# condition.

from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from testkit import ACCOUNT_ID, StrictAws, client, enable_hub, get_findings, receive_messages
from testkit.sns import https_deliveries, subscribe_https, subscribe_queue

REGION = "us-east-1"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
PRODUCT_ARN = f"arn:aws:securityhub:{REGION}:{ACCOUNT_ID}:product/{ACCOUNT_ID}/default"
CERTIFICATE_ARN = (
    f"arn:aws:acm:{REGION}:{ACCOUNT_ID}:certificate/1f2e3d4c-5b6a-4789-9abc-def012345678"
)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def unvalidated(service: str, **config: Any) -> Any:
    """A client that sends what it is given (botocore's own checks off) and never retries, to
    see the service's answer itself."""
    settings = Config(
        parameter_validation=False, retries={"mode": "standard", "total_max_attempts": 1}
    )
    return boto3.session.Session().client(
        service, region_name=REGION, config=settings.merge(Config(**config))
    )


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def finding(finding_id: str = "f-1", *, resource: dict[str, Any] | None = None, **fields: Any):
    return {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": PRODUCT_ARN,
        "GeneratorId": "handle-expiring-certificates",
        "AwsAccountId": ACCOUNT_ID,
        "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
        "CreatedAt": iso(NOW),
        "UpdatedAt": iso(NOW),
        "Severity": {"Label": "HIGH"},
        "Title": "Certificate expires in 3 days",
        "Description": "Renew it.",
        "Resources": [resource or {"Type": "AwsCertificateManagerCertificate", "Id": "arn:x"}],
        **fields,
    }


def acm_resource(**details: Any) -> dict[str, Any]:
    return {
        "Type": "AwsCertificateManagerCertificate",
        "Id": CERTIFICATE_ARN,
        "Partition": "aws",
        "Region": REGION,
        "Details": {"AwsCertificateManagerCertificate": details},
    }


def imported(*findings: dict[str, Any]) -> tuple[list[str], list[tuple[str, str, str]]]:
    """(Ids accepted, [(Id, ErrorCode, ErrorMessage)] refused), through an unvalidated client."""
    enable_hub()
    result = unvalidated("securityhub").batch_import_findings(Findings=list(findings))
    refused = [(f["Id"], f["ErrorCode"], f["ErrorMessage"]) for f in result["FailedFindings"]]
    refused_ids = {f[0] for f in refused}
    return [f["Id"] for f in findings if f["Id"] not in refused_ids], refused


# Security Hub: the documented values of Resources (issue 17) #################################

ACM_DOCUMENTED = {
    "KeyAlgorithm": [
        "RSA_1024",
        "RSA_2048",
        "RSA_4096",
        "EC_prime256v1",
        "EC_secp384r1",
        "EC_secp521r1",
    ],
    "Status": [
        "PENDING_VALIDATION",
        "ISSUED",
        "INACTIVE",
        "EXPIRED",
        "VALIDATION_TIMED_OUT",
        "REVOKED",
        "FAILED",
    ],
    "Type": ["IMPORTED", "AMAZON_ISSUED", "PRIVATE"],
    "RenewalEligibility": ["ELIGIBLE", "INELIGIBLE"],
}


def test_every_documented_acm_detail_value_is_accepted(aws: StrictAws):
    findings = [
        finding(f"{field}-{value}", resource=acm_resource(**{field: value}))
        for field, values in ACM_DOCUMENTED.items()
        for value in values
    ]

    accepted, refused = imported(*findings)

    assert ([], 18) == (refused, len(accepted))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("KeyAlgorithm", "RSA_3072"),  # ACM has it, Security Hub does not document it
        ("KeyAlgorithm", "EC-prime256v1"),
        ("Status", "ACTIVE"),
        ("Type", "PUBLIC"),
        ("RenewalEligibility", "UNKNOWN"),
    ],
)
def test_an_undocumented_acm_detail_value_fails_the_finding(aws: StrictAws, field: str, value: str):
    """AWS refuses the finding (a FailedFindings entry, InvalidInput), keeps the others."""
    accepted, refused = imported(
        finding("bad", resource=acm_resource(**{field: value})), finding("good")
    )

    assert ["good"] == accepted
    assert [
        (
            "bad",
            "InvalidInput",
            "Finding does not adhere to Amazon Finding Format. data.Resources[0].Details."
            f"AwsCertificateManagerCertificate.{field} should be equal to one of the allowed "
            "values",
        )
    ] == refused
    assert ["good"] == [f["Id"] for f in get_findings()]


@pytest.mark.parametrize(
    "resource_type", ["AwsCertificateManagerCertificate", "AwsRdsDbInstance", "Other", "AwsAccount"]
)
def test_the_resource_types_the_function_sends_are_accepted(aws: StrictAws, resource_type: str):
    accepted, refused = imported(
        finding(resource={"Type": resource_type, "Id": "arn:aws:x", "Partition": "aws"})
    )

    assert (["f-1"], []) == (accepted, refused)


@pytest.mark.parametrize(
    ("resource", "problem"),
    [
        ({"Type": "", "Id": "x"}, 'data.Resources[0].Type should match pattern ".*\\S.*"'),
        ({"Type": "T" * 257, "Id": "x"}, "data.Resources[0].Type should have 1 to 256 characters"),
        ({"Id": "x"}, "data.Resources[0] should have required property 'Type'"),
        (
            {"Type": "Other", "Id": "x", "Partition": "aws-eu"},
            "data.Resources[0].Partition should be equal to one of the allowed values",
        ),
        (
            {"Type": "Other", "Id": "x", "Region": "x" * 17},
            "data.Resources[0].Region should have 1 to 16 characters",
        ),
    ],
)
def test_a_resource_outside_the_model_fails_the_finding(
    aws: StrictAws, resource: dict[str, Any], problem: str
):
    _, refused = imported(finding(resource=resource))

    assert [f"Finding does not adhere to Amazon Finding Format. {problem}"] == [
        r[2] for r in refused
    ]


def test_at_most_32_resources(aws: StrictAws):
    resources = [{"Type": "Other", "Id": f"r{i}"} for i in range(33)]

    accepted, refused = imported(
        finding("33", Resources=resources), finding("32", Resources=resources[:32])
    )

    assert (["32"], ["33"]) == (accepted, [r[0] for r in refused])


def other(details: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "Other",
        "Id": "arn:aws:iam::123456789012:server-certificate/x",
        "Details": {"Other": details},
    }


@pytest.mark.parametrize(
    ("details", "ok"),
    [
        ({"k": "v" * 1023}, True),
        ({"k": "v" * 1024}, False),  # "fewer than 1,024 characters"
        ({"k" * 127: "v"}, True),
        ({"k" * 128: "v"}, False),  # "fewer than 128 characters"
        ({f"k{i}": "v" for i in range(50)}, True),
        ({f"k{i}": "v" for i in range(51)}, False),  # "a map of up to 50 key-value pairs"
        ({"k": 7}, False),  # a map of strings
        ({"k": ""}, False),  # NonEmptyString
        ({"k": ["a"]}, False),
    ],
)
def test_details_other_is_a_map_of_strings_within_the_documented_limits(
    aws: StrictAws, details: dict[str, Any], ok: bool
):
    accepted, _ = imported(finding(resource=other(details)))

    assert ok == (accepted == ["f-1"])


def rds(**details: Any) -> dict[str, Any]:
    return {
        "Type": "AwsRdsDbInstance",
        "Id": f"arn:aws:rds:{REGION}:{ACCOUNT_ID}:db:orders",
        "Partition": "aws",
        "Region": REGION,
        "Details": {"AwsRdsDbInstance": details},
    }


@pytest.mark.parametrize(
    ("details", "problem"),
    [
        (
            {
                "DBInstanceIdentifier": "orders",
                "CACertificateIdentifier": "rds-ca-rsa2048-g1",
                "DbInstancePort": 5432,
                "Engine": "postgres",
                "Endpoint": {"Address": "orders.example.rds.amazonaws.com", "Port": 5432},
                "PubliclyAccessible": False,
                "InstanceCreateTime": iso(NOW),
            },
            None,
        ),
        ({"DbInstancePort": "5432"}, "AwsRdsDbInstance.DbInstancePort should be integer"),
        ({"PubliclyAccessible": "false"}, "AwsRdsDbInstance.PubliclyAccessible should be boolean"),
        ({"Endpoint": {"Port": "5432"}}, "AwsRdsDbInstance.Endpoint.Port should be integer"),
        (
            {"InstanceCreateTime": "yesterday"},
            "AwsRdsDbInstance.InstanceCreateTime should match format 'date-time'",
        ),
    ],
)
def test_rds_instance_details_have_the_models_types(
    aws: StrictAws, details: dict[str, Any], problem: str | None
):
    _, refused = imported(finding(resource=rds(**details)))

    expected = (
        []
        if problem is None
        else [
            f"Finding does not adhere to Amazon Finding Format. data.Resources[0].Details.{problem}"
        ]
    )
    assert expected == [r[2] for r in refused]


# Security Hub as an administrator account sees it (issue 19) ##################################

MEMBER = "111122223333"
GENERATOR = "handle-expiring-certificates"


def member_finding(finding_id: str, account: str = MEMBER, **fields: Any) -> dict[str, Any]:
    product = f"arn:aws:securityhub:{REGION}:{account}:product/{account}/default"
    return finding(finding_id, AwsAccountId=account, ProductArn=product, **fields)


def test_list_members_gives_the_associated_members_unless_asked_for_all(aws: StrictAws):
    """AWS: OnlyAssociated defaults to true, keeping members whose relationship is enabled."""
    enable_hub()
    statuses = {"111111111111": "Enabled", "222222222222": "Invited", "333333333333": "Removed"}
    statuses |= {"444444444444": "Associated", "555555555555": "Resigned"}
    for account, status in statuses.items():
        aws.world.add_member(account, status)
    hub = client("securityhub")

    default = hub.list_members()["Members"]
    every = hub.list_members(OnlyAssociated=False)["Members"]

    assert ["111111111111", "444444444444"] == [m["AccountId"] for m in default]
    assert statuses == {m["AccountId"]: m["MemberStatus"] for m in every}
    first = default[0]
    assert (ACCOUNT_ID, ACCOUNT_ID) == (first["AdministratorId"], first["MasterId"])
    assert {"AccountId", "AdministratorId", "MasterId", "MemberStatus", "InvitedAt"} | {
        "UpdatedAt"
    } == set(first)
    assert isinstance(first["UpdatedAt"], datetime)


def test_list_members_pages_by_max_results_up_to_50(aws: StrictAws):
    enable_hub()
    for index in range(51):
        aws.world.add_member(f"{100000000000 + index}")
    pages = client("securityhub").get_paginator("list_members").paginate()

    sizes = [len(page["Members"]) for page in pages]
    codes = []
    for max_results in (0, 51):
        with pytest.raises(ClientError) as excinfo:
            unvalidated("securityhub").list_members(MaxResults=max_results)
        codes.append(error_of(excinfo)[0])

    assert [50, 1] == sizes
    assert ["InvalidInputException", "InvalidInputException"] == codes


def test_list_members_needs_the_hub(aws: StrictAws):
    with pytest.raises(ClientError) as excinfo:
        client("securityhub").list_members()

    assert "InvalidAccessException" == error_of(excinfo)[0]


def test_a_members_finding_carries_what_security_hub_adds(aws: StrictAws):
    """The administrator's hub holds a member's finding as Security Hub stored it: Region,
    product and company names, workflow, the FindingId product field, AwsAccountName for an
    account of the organisation, ProcessedAt and UpdatedAt as written."""
    enable_hub()
    aws.world.add_member(MEMBER, account_name="shop-production")
    aws.world.add_member("444455556666")  # invited by hand: no name
    written = iso(NOW - timedelta(days=2))
    processed = iso(NOW - timedelta(days=2, seconds=-3))

    aws.world.add_member_finding(member_finding("named", UpdatedAt=written, ProcessedAt=processed))
    aws.world.add_member_finding(member_finding("unnamed", account="444455556666"))

    named, unnamed = get_findings()
    expected = {
        "AwsAccountName": "shop-production",
        "Region": REGION,
        "ProductName": "Default",
        "CompanyName": "Personal",
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "NEW"},
        "WorkflowState": "NEW",
        "UpdatedAt": written,
        "ProcessedAt": processed,
    }
    assert expected == {key: named.get(key) for key in expected}
    assert f"{named['ProductArn']}/named" == named["ProductFields"]["aws/securityhub/FindingId"]
    assert "AwsAccountName" not in unnamed


def test_a_finding_the_member_could_not_have_imported_is_not_planted(aws: StrictAws):
    enable_hub()

    with pytest.raises(ValueError, match="KeyAlgorithm should be equal to one of the allowed"):
        aws.world.add_member_finding(
            member_finding("bad", Resources=[acm_resource(KeyAlgorithm="RSA_3072")])
        )

    assert [] == get_findings()


def condition(value: str, comparison: str = "EQUALS") -> list[dict[str, str]]:
    return [{"Value": value, "Comparison": comparison}]


def test_the_filters_of_an_organisation_digest_work_on_planted_findings(aws: StrictAws):
    """GeneratorId, RecordState ACTIVE, WorkflowStatus NOT_EQUALS SUPPRESSED, AwsAccountId and
    Id PREFIX, AND-ed across fields."""
    enable_hub()
    prefix = f"{GENERATOR}/arn:aws:acm:"
    client("securityhub").batch_import_findings(Findings=[finding(f"{prefix}own")])
    planted = {
        "wanted": {},
        "suppressed": {"Workflow": {"Status": "SUPPRESSED"}},
        "archived": {"RecordState": "ARCHIVED"},
        "other-generator": {"GeneratorId": "someone-else"},
    }
    for name, fields in planted.items():
        aws.world.add_member_finding(member_finding(f"{prefix}{name}", **fields))
    aws.world.add_member_finding(member_finding(f"{GENERATOR}/monitor/{MEMBER}"))

    found = get_findings(
        filters={
            "GeneratorId": condition(GENERATOR),
            "RecordState": condition("ACTIVE"),
            "WorkflowStatus": condition("SUPPRESSED", "NOT_EQUALS"),
            "AwsAccountId": condition(MEMBER),
            "Id": condition(prefix, "PREFIX"),
        }
    )

    assert [f"{prefix}wanted"] == [f["Id"] for f in found]


@pytest.mark.parametrize(
    ("comparisons", "refused"),
    [
        (("EQUALS", "NOT_EQUALS"), True),
        (("EQUALS", "PREFIX_NOT_EQUALS"), True),
        (("CONTAINS", "NOT_CONTAINS"), True),
        (("CONTAINS", "EQUALS"), True),
        (("PREFIX", "NOT_EQUALS"), False),
        (("EQUALS", "PREFIX"), False),
    ],
)
def test_comparisons_security_hub_forbids_on_one_field_are_refused(
    aws: StrictAws, comparisons: tuple[str, str], refused: bool
):
    enable_hub()
    filters = {"Id": [{"Value": "a", "Comparison": comparison} for comparison in comparisons]}

    try:
        client("securityhub").get_findings(Filters=filters)
        code = None
    except ClientError as error:
        code = error.response["Error"]["Code"]

    assert ("InvalidInputException" if refused else None) == code


# Throttling by rate (testkit.faults) ##########################################################


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def outcomes(calls: int) -> list[str]:
    hub = unvalidated("securityhub")
    answers = []
    for _ in range(calls):
        try:
            hub.get_findings()
            answers.append("ok")
        except ClientError as error:
            status = error.response["ResponseMetadata"]["HTTPStatusCode"]
            answers.append(f"{error.response['Error']['Code']} {status}")
    return answers


def test_get_findings_is_served_at_the_documented_rate_after_a_burst(aws: StrictAws):
    """AWS: GetFindings "RateLimit of 3 requests per second. BurstLimit of 6"; beyond it,
    TooManyRequestsException (HTTP 429)."""
    enable_hub()
    clock = FakeClock()
    aws.world.limit_rate("securityhub", "GetFindings", clock=clock)
    refused = "TooManyRequestsException 429"

    burst = outcomes(7)
    clock.now += 1 / 3
    refilled = outcomes(2)
    clock.now += 60
    capped = outcomes(7)

    assert ["ok"] * 6 + [refused] == burst
    assert ["ok", refused] == refilled
    assert ["ok"] * 6 + [refused] == capped
    assert {("securityhub", "GetFindings"): 3} == dict(aws.world.throttled)


def test_a_rate_runs_on_the_real_clock(aws: StrictAws):
    enable_hub()
    aws.world.limit_rate("securityhub", "GetFindings", per_second=0.5, burst=2)

    assert ["ok", "ok", "TooManyRequestsException 429"] == outcomes(3)


def test_a_rate_needs_numbers_where_aws_documents_none(aws: StrictAws):
    with pytest.raises(ValueError, match="no documented rate"):
        aws.world.limit_rate("acm", "DescribeCertificate")


# SNS filter policies and subscribers (issue 20) ###############################################


def attribute(data_type: str, value: Any) -> dict[str, Any]:
    if data_type == "Binary":
        return {"DataType": "Binary", "BinaryValue": value}
    return {"DataType": data_type, "StringValue": value}


def owners(*names: str) -> dict[str, Any]:
    return {"owner": attribute("String.Array", json.dumps(list(names)))}


def topic(name: str = "certificate-expiry") -> str:
    arn: str = client("sns").create_topic(Name=name)["TopicArn"]
    return arn


def received(queue_url: str) -> list[str]:
    return [envelope["Message"] for envelope in receive_messages(queue_url)]


def test_each_team_queue_receives_what_its_owner_policy_selects(aws: StrictAws):
    """A policy {"owner": ["team-a"]} matches a String.Array ["all", "team-a"]: one element
    equal to one value of the policy is enough."""
    arn = topic()
    queues = {
        team: subscribe_queue(arn, team, filter_policy={"owner": [team]})
        for team in ("all", "team-a", "team-b")
    }
    everything = subscribe_queue(arn, "everything")
    sns = client("sns")

    sns.publish(TopicArn=arn, Message="digest", MessageAttributes=owners("all"))
    sns.publish(TopicArn=arn, Message="renewed", MessageAttributes=owners("all", "team-a"))
    sns.publish(TopicArn=arn, Message="team-b digest", MessageAttributes=owners("team-b"))
    sns.publish(TopicArn=arn, Message="no attributes")

    assert {
        "all": ["digest", "renewed"],
        "team-a": ["renewed"],
        "team-b": ["team-b digest"],
    } == {team: received(url) for team, url in queues.items()}
    assert ["digest", "renewed", "team-b digest", "no attributes"] == received(everything)


@pytest.mark.parametrize(
    ("policy", "attributes", "delivered"),
    [
        ({"owner": ["team-a"]}, {"owner": attribute("String", "team-a")}, True),
        ({"owner": ["team-a"]}, {"owner": attribute("String", "team-a-ops")}, False),
        ({"owner": ["team-a"]}, {"owner": attribute("String", '["team-a"]')}, False),
        ({"owner": ["team-a"]}, {"owner": attribute("String", '"team-a"')}, False),
        ({"owner": ["team-a"]}, owners("team-b", "all"), False),
        ({"owner": ["team-a", "team-b"]}, owners("team-b"), True),
        ({"owner": ["team-a"]}, {"team": attribute("String", "team-a")}, False),
        ({"owner": ["team-a"]}, {}, False),
        ({"owner": ["team-a"], "kind": ["digest"]}, owners("team-a"), False),
        ({"owner": ["team-a"]}, {"owner": attribute("String.Array", "team-a")}, False),
        ({"size": [5]}, {"size": attribute("Number", "5")}, True),
        ({"size": [5]}, {"size": attribute("String", "5")}, False),
        ({"size": [5]}, {"size": attribute("String.Array", "[5, 6]")}, True),
        ({"owner": [{"exists": True}]}, owners("team-a"), True),
        ({"owner": [{"exists": True}]}, {"owner": attribute("Binary", b"team-a")}, False),
        ({"owner": [{"exists": False}]}, {}, True),
    ],
)
def test_filter_policies_match_as_aws_documents(
    aws: StrictAws, policy: dict[str, Any], attributes: dict[str, Any], delivered: bool
):
    arn = topic()
    queue = subscribe_queue(arn, "team", filter_policy=policy)

    client("sns").publish(TopicArn=arn, Message="m", MessageAttributes=attributes)

    assert (["m"] if delivered else []) == received(queue)


def test_a_string_array_that_is_not_json_is_published_and_filtered_out(aws: StrictAws):
    """AWS takes the publish; every filter policy that names the attribute rejects the message
    (NumberOfNotificationsFilteredOut-InvalidAttributes); a subscriber without one gets it."""
    arn = topic()
    filtered = subscribe_queue(arn, "team-a", filter_policy={"owner": ["team-a"]})
    unfiltered = subscribe_queue(arn, "everything")

    answer = client("sns").publish(
        TopicArn=arn, Message="m", MessageAttributes={"owner": attribute("String.Array", "team-a")}
    )

    assert "MessageId" in answer
    assert ([], ["m"]) == (received(filtered), received(unfiltered))


@pytest.mark.parametrize(
    "policy",
    [{"owner": [{"prefix": "team-"}]}, {"owner": [{"anything-but": ["all"]}]}],
)
def test_operators_the_kit_does_not_emulate_are_refused(aws: StrictAws, policy: dict[str, Any]):
    arn = topic()
    subscribe_queue(arn, "team", filter_policy=policy)

    with pytest.raises(ClientError) as excinfo:
        client("sns").publish(TopicArn=arn, Message="m", MessageAttributes=owners("team-a"))

    assert "NotEmulated" == error_of(excinfo)[0]


def json_message(**keys: str) -> str:
    return json.dumps({"default": "the document", **keys})


def test_an_https_subscriber_gets_the_https_key_in_the_sns_envelope(aws: StrictAws):
    arn = topic()
    url = "https://chat.example.com/hooks/certificates"
    subscription = subscribe_https(arn, url)
    sns = client("sns")

    sns.publish(
        TopicArn=arn,
        Subject="Certificates expiring",
        Message=json_message(https="for chat", email="for people"),
        MessageStructure="json",
        MessageAttributes=owners("all"),
    )
    sns.publish(TopicArn=arn, Message=json_message(email="for people"), MessageStructure="json")

    first, second = https_deliveries(url)
    envelope = first.envelope
    assert envelope is not None
    assert {
        "Type": "Notification",
        "TopicArn": arn,
        "Subject": "Certificates expiring",
        "Message": "for chat",
        "MessageAttributes": {"owner": {"Type": "String.Array", "Value": '["all"]'}},
    } == {key: envelope[key] for key in ("Type", "TopicArn", "Subject", "Message")} | {
        "MessageAttributes": envelope["MessageAttributes"]
    }
    assert {"MessageId", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL"} <= set(
        envelope
    )
    assert ("Notification", subscription, arn) == (
        first.headers["x-amz-sns-message-type"],
        first.headers["x-amz-sns-subscription-arn"],
        first.headers["x-amz-sns-topic-arn"],
    )
    assert ["for chat", "the document"] == [d.message for d in (first, second)]
    assert [first, second] == https_deliveries(subscription)


def test_a_raw_https_subscriber_gets_the_bare_message_and_its_filter_applies(aws: StrictAws):
    arn = topic()
    url = "https://itsm.example.com/sns"
    subscribe_https(arn, url, raw=True, filter_policy={"owner": ["team-a"]})
    sns = client("sns")

    sns.publish(TopicArn=arn, Message=json_message(https="H"), MessageStructure="json")
    sns.publish(
        TopicArn=arn,
        Message=json_message(https="H"),
        MessageStructure="json",
        MessageAttributes=owners("all", "team-a"),
    )

    (delivery,) = https_deliveries(url)
    assert ("H", None, "true") == (
        delivery.body,
        delivery.envelope,
        delivery.headers["x-amz-sns-rawdelivery"],
    )


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Any connection beyond loopback fails, and is noted."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise OSError(f"test: no connection to {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


@pytest.mark.parametrize("mode", ["aws", "aws_server"])
def test_https_subscribers_are_never_connected_to(
    request: pytest.FixtureRequest, no_network: list[Any], mode: str
):
    request.getfixturevalue(mode)
    arn = topic()
    url = "https://203.0.113.10/hook"
    subscribe_https(arn, url)

    client("sns").publish(TopicArn=arn, Message="m")

    assert ([], ["m"]) == (no_network, [d.message for d in https_deliveries(url)])
