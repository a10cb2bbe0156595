"""Who may do what, decided as AWS decides it (``tests/policy_evaluation.py``): the central
topic's policies let every account of the organisation notify, its functions and its CloudWatch
alarms alike (issue 17, problem 1), and ``iam_policy.json`` works in every partition the
function runs in (issue 17, problem 4).

moto evaluates none of this: it keeps a topic policy and a key policy without reading them,
and CloudWatch alarms never publish in it.

AWS behaviour mirrored, from AWS's documents:

- a CloudWatch alarm publishes as the service principal ``cloudwatch.amazonaws.com``, with
  ``aws:SourceAccount``, ``aws:SourceArn`` (the alarm) and, in an organisation,
  ``aws:SourceOrgID`` in the request context; ``aws:PrincipalOrgID`` is only in the context of
  IAM principals ("AWS global condition context keys", IAM User Guide,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html);
  AWS's own sample grants the organisation's alarms with ``aws:SourceOrgID``
  (aws-samples/amazon-cloudwatch-auto-alarms, ``CloudWatchAutoAlarms-SNS.yaml``);
- publishing to a topic encrypted with a customer managed key needs ``kms:GenerateDataKey*``
  and ``kms:Decrypt`` on the key, for CloudWatch as for any publisher ("Key management",
  Amazon SNS Developer Guide, https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html);
  another account's principals also need those actions in their own IAM policies;
- wildcards may stand in any part of a resource ARN but the service, the partition included
  ("IAM JSON policy elements: Resource",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

from tests.policy_evaluation import Rendered, Request, allows, decide

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
POLICY = ROOT / "iam_policy.json"
DEPLOYMENT = ROOT / "docs" / "deployment.md"

ORG = "o-a1b2c3d4e5"
OTHER_ORG = "o-z9y8x7w6v5"
CENTRAL = "111122223333"  # the account whose stack creates the central topic
MEMBER = "444455556666"  # an account of the organisation whose stack uses ExistingTopicArn
OUTSIDER = "777788889999"  # an account of another organisation
REGION = "us-east-1"
FUNCTION_NAME = "handle-expiring-certificates"
CENTRAL_TOPIC = f"arn:aws:sns:{REGION}:{CENTRAL}:certificate-alerts"
ALARM_TOPIC = f"arn:aws:sns:{REGION}:{CENTRAL}:certificate-alarms"  # AlarmTopic
# The e-mail subscription gets a filter policy, and the alarms a topic of their own.
FILTERED_EMAIL = {"NotificationEmail": "certificates@example.com", "OwnerTag": "team"}
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
CODE = {"CodeS3Bucket": "code", "CodeS3Key": "handle_expiring_certificates/1.zip"}


@functools.cache
def template() -> dict[str, Any]:
    loaded, matches = decode(str(TEMPLATE))
    assert matches == []
    assert loaded is not None
    return loaded


def stack(account: str, **parameters: str) -> Rendered:
    """The stack ``template.yaml`` makes in ``account`` from ``parameters``."""
    return Rendered(
        template(),
        {**CODE, **parameters},
        {
            "Topic": CENTRAL_TOPIC,
            "AlarmTopic": ALARM_TOPIC,
            "Function": FUNCTION_NAME,
            "FunctionRole.Arn": f"arn:aws:iam::{account}:role/{FUNCTION_NAME}-FunctionRole-1A2B3C",
            "TopicKey.Arn": f"arn:aws:kms:{REGION}:{account}:key/{KEY_ID}",
        },
        account=account,
        region=REGION,
    )


def central_stack(**parameters: str) -> Rendered:
    return stack(CENTRAL, TopicPublisherOrgId=ORG, **parameters)


def member_stack(**parameters: str) -> Rendered:
    return stack(MEMBER, ExistingTopicArn=CENTRAL_TOPIC, **parameters)


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = document["Statement"]
    return found


def alarm_calls(action: str, resource: str, account: str, org: str | None, alarm: str) -> Request:
    """What CloudWatch sends when ``alarm`` of ``account`` (in ``org``, or in none) notifies."""
    context = {
        "aws:SourceAccount": account,
        "aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{account}:alarm:{alarm}",
        "aws:SecureTransport": "true",
        **({"aws:SourceOrgID": org} if org else {}),
    }
    return Request(action, resource, "Service", "cloudwatch.amazonaws.com", context)


def role_calls(
    action: str, resource: str, account: str, org: str | None, **context: str
) -> Request:
    """What a function's role in ``account`` (in ``org``, or in none) sends."""
    return Request(
        action,
        resource,
        "AWS",
        f"arn:aws:iam::{account}:role/{FUNCTION_NAME}-FunctionRole-9Z8Y7X",
        {
            "aws:PrincipalAccount": account,
            "aws:SecureTransport": "true",
            **({"aws:PrincipalOrgID": org} if org else {}),
            **context,
        },
    )


def alarm_names(rendered: Rendered) -> list[str]:
    return [
        resource["Properties"]["AlarmName"]
        for resource in rendered.resources.values()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    ]


# The central topic's policy ###################################################################


def test_every_alarm_a_member_stack_creates_notifies_the_central_topic() -> None:
    """A member's stack (ExistingTopicArn, alarms on by default) points each alarm at the
    central topic, and the central topic's policy lets each of them publish."""
    member = member_stack(ExpiredInUseAlarmThreshold="1")
    topic_policy = statements(central_stack().properties("TopicPolicy")["PolicyDocument"])
    names = alarm_names(member)

    assert sorted(names) == sorted(
        f"{FUNCTION_NAME}-{suffix}"
        for suffix in ("heartbeat", "errors", "expired-in-use", "dead-letters")
    )
    for resource in member.resources.values():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            assert [CENTRAL_TOPIC] == resource["Properties"]["AlarmActions"]
    assert {name: "Allow" for name in names} == {
        name: decide(topic_policy, alarm_calls("sns:Publish", CENTRAL_TOPIC, MEMBER, ORG, name))
        for name in names
    }


PUBLISHERS = [
    # who, the request, what the central topic's policy decides
    ("alarm of a member", alarm_calls("sns:Publish", CENTRAL_TOPIC, MEMBER, ORG, "x"), "Allow"),
    ("alarm of central", alarm_calls("sns:Publish", CENTRAL_TOPIC, CENTRAL, ORG, "x"), "Allow"),
    (
        "alarm of another organisation",
        alarm_calls("sns:Publish", CENTRAL_TOPIC, OUTSIDER, OTHER_ORG, "x"),
        "ImplicitDeny",
    ),
    (
        "alarm of no organisation",
        alarm_calls("sns:Publish", CENTRAL_TOPIC, OUTSIDER, None, "x"),
        "ImplicitDeny",
    ),
    ("function of a member", role_calls("sns:Publish", CENTRAL_TOPIC, MEMBER, ORG), "Allow"),
    (
        "function of another organisation",
        role_calls("sns:Publish", CENTRAL_TOPIC, OUTSIDER, OTHER_ORG),
        "ImplicitDeny",
    ),
    (
        "function of a member without TLS",
        role_calls("sns:Publish", CENTRAL_TOPIC, MEMBER, ORG, **{"aws:SecureTransport": "false"}),
        "Deny",
    ),
]


@pytest.mark.parametrize(
    ("request_", "expected"), [pytest.param(r, e, id=who) for who, r, e in PUBLISHERS]
)
def test_central_topic_policy_lets_the_organisation_publish_and_no_one_else(
    request_: Request, expected: str
) -> None:
    topic_policy = statements(central_stack().properties("TopicPolicy")["PolicyDocument"])

    assert expected == decide(topic_policy, request_)


def test_without_an_organisation_only_this_accounts_alarms_and_function_publish() -> None:
    rendered = stack(CENTRAL)
    topic_policy = statements(rendered.properties("TopicPolicy")["PolicyDocument"])
    function_role = rendered.physical["FunctionRole.Arn"]

    assert ["Allow", "ImplicitDeny", "Allow", "ImplicitDeny"] == [
        decide(topic_policy, request)
        for request in (
            alarm_calls("sns:Publish", CENTRAL_TOPIC, CENTRAL, ORG, "x-heartbeat"),
            alarm_calls("sns:Publish", CENTRAL_TOPIC, MEMBER, ORG, "x-heartbeat"),
            Request(
                "sns:Publish", CENTRAL_TOPIC, "AWS", function_role, {"aws:SecureTransport": "true"}
            ),
            role_calls("sns:Publish", CENTRAL_TOPIC, MEMBER, ORG),
        )
    ]


# The alarms' own topic (OwnerTag with NotificationEmail) ######################################

THIS_ACCOUNTS_ALARM = alarm_calls("sns:Publish", ALARM_TOPIC, CENTRAL, None, "x-heartbeat")
ALARM_TOPIC_PUBLISHERS = [
    # who, the request, what the alarm topic's policy decides
    ("alarm of this account", THIS_ACCOUNTS_ALARM, "Allow"),
    (
        "alarm of this account without TLS",
        replace(
            THIS_ACCOUNTS_ALARM,
            context={**THIS_ACCOUNTS_ALARM.context, "aws:SecureTransport": "false"},
        ),
        "Deny",
    ),
    (
        "alarm of a member",
        alarm_calls("sns:Publish", ALARM_TOPIC, MEMBER, ORG, "x"),
        "ImplicitDeny",
    ),
    (
        "alarm of another organisation",
        alarm_calls("sns:Publish", ALARM_TOPIC, OUTSIDER, OTHER_ORG, "x"),
        "ImplicitDeny",
    ),
    (
        "function of this account",
        role_calls("sns:Publish", ALARM_TOPIC, CENTRAL, ORG),
        "ImplicitDeny",
    ),
    ("function of a member", role_calls("sns:Publish", ALARM_TOPIC, MEMBER, ORG), "ImplicitDeny"),
    (
        "another service of this account",
        Request(
            "sns:Publish",
            ALARM_TOPIC,
            "Service",
            "events.amazonaws.com",
            {"aws:SourceAccount": CENTRAL, "aws:SecureTransport": "true"},
        ),
        "ImplicitDeny",
    ),
]


@pytest.mark.parametrize("organisation", [{}, {"TopicPublisherOrgId": ORG}], ids=["alone", "org"])
def test_every_alarm_notifies_the_alarm_topic_and_may(organisation: dict[str, str]) -> None:
    rendered = stack(CENTRAL, **FILTERED_EMAIL, **organisation, ExpiredInUseAlarmThreshold="1")
    policy = statements(rendered.properties("AlarmTopicPolicy")["PolicyDocument"])
    names = alarm_names(rendered)

    assert len(names) == 4
    for resource in rendered.resources.values():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            assert [ALARM_TOPIC] == resource["Properties"]["AlarmActions"]
    assert {name: "Allow" for name in names} == {
        name: decide(policy, alarm_calls("sns:Publish", ALARM_TOPIC, CENTRAL, ORG, name))
        for name in names
    }


@pytest.mark.parametrize("organisation", [{}, {"TopicPublisherOrgId": ORG}], ids=["alone", "org"])
@pytest.mark.parametrize(
    ("request_", "expected"), [pytest.param(r, e, id=who) for who, r, e in ALARM_TOPIC_PUBLISHERS]
)
def test_alarm_topic_policy_lets_this_accounts_alarms_publish_and_no_one_else(
    organisation: dict[str, str], request_: Request, expected: str
) -> None:
    """Only this stack's alarms notify the alarm topic: with TopicPublisherOrgId too, the
    members' alarms may not (they notify the central topic, TopicArn), nor may a function,
    which publishes to TopicArn."""
    rendered = stack(CENTRAL, **FILTERED_EMAIL, **organisation)
    policy = statements(rendered.properties("AlarmTopicPolicy")["PolicyDocument"])

    assert expected == decide(policy, request_)


# The topic's key ##############################################################################

KMS_PUBLISH = ("kms:GenerateDataKey", "kms:Decrypt")


def key_calls(caller: Any, key: str, *args: Any, **kwargs: Any) -> list[Request]:
    """The two KMS calls a publisher to an encrypted topic needs."""
    return [caller(action, key, *args, **kwargs) for action in KMS_PUBLISH]


def test_the_key_the_stack_creates_serves_this_accounts_alarms_and_function_only() -> None:
    """Without TopicPublisherOrgId the stack encrypts its topic with its own key; with it, the
    topic is unencrypted unless TopicKmsKeyId names a key (members' roles would need an IAM
    permission for the stack's key that their stacks do not grant)."""
    rendered = stack(CENTRAL)
    key = rendered.physical["TopicKey.Arn"]
    key_policy = statements(rendered.properties("TopicKey")["KeyPolicy"])
    function_role = rendered.physical["FunctionRole.Arn"]

    assert allows(key_policy, *key_calls(alarm_calls, key, CENTRAL, ORG, "x-heartbeat"))
    assert allows(key_policy, *[Request(a, key, "AWS", function_role, {}) for a in KMS_PUBLISH])
    assert not allows(key_policy, *key_calls(alarm_calls, key, MEMBER, ORG, "x-heartbeat"))
    assert "TopicKey" not in central_stack().resources
    assert "KmsMasterKeyId" not in central_stack().properties("Topic")


def test_the_key_the_stack_creates_serves_the_alarm_topic_too() -> None:
    """The alarm topic is encrypted with the topic's key; the key's statement for CloudWatch
    names no topic, so this account's alarms may use it for either topic, a member's may not.
    With TopicPublisherOrgId the alarm topic, like the topic, is unencrypted."""
    rendered = stack(CENTRAL, **FILTERED_EMAIL)
    key = rendered.physical["TopicKey.Arn"]
    key_policy = statements(rendered.properties("TopicKey")["KeyPolicy"])

    assert key == rendered.properties("AlarmTopic")["KmsMasterKeyId"]
    assert allows(key_policy, *key_calls(alarm_calls, key, CENTRAL, None, "x-heartbeat"))
    assert not allows(key_policy, *key_calls(alarm_calls, key, MEMBER, ORG, "x-heartbeat"))
    assert "KmsMasterKeyId" not in central_stack(**FILTERED_EMAIL).properties("AlarmTopic")


def documented_key_policy() -> dict[str, Any]:
    """The key policy docs/deployment.md gives for an encrypted central topic, with the
    example's organisation, account and region replaced by the test's."""
    text = DEPLOYMENT.read_text(encoding="utf-8")
    match = re.search(r"^#+ An encrypted central topic\n(.*?)```json\n(.*?)```", text, re.S | re.M)
    assert match, "docs/deployment.md: no json block under 'An encrypted central topic'"
    documented: dict[str, Any] = json.loads(match[2])
    return documented


def test_documented_key_policy_lets_the_organisation_publish_and_no_one_else() -> None:
    """Alarms need only the key policy; members' functions need it and an IAM permission
    in their own account, which docs/deployment.md says how to add."""
    document = documented_key_policy()
    org = next(
        s["Condition"]["StringEquals"]["aws:SourceOrgID"]
        for s in statements(document)
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    )
    document = json.loads(json.dumps(document).replace(org, ORG))
    key = f"arn:aws:kms:{REGION}:{CENTRAL}:key/{KEY_ID}"
    via_sns = {"kms:ViaService": f"sns.{REGION}.amazonaws.com"}
    key_policy = statements(document)

    assert allows(key_policy, *key_calls(alarm_calls, key, MEMBER, ORG, "x-heartbeat"))
    assert allows(key_policy, *key_calls(alarm_calls, key, CENTRAL, ORG, "x-heartbeat"))
    assert allows(key_policy, *key_calls(role_calls, key, MEMBER, ORG, **via_sns))
    assert not allows(key_policy, *key_calls(alarm_calls, key, OUTSIDER, OTHER_ORG, "x"))
    assert not allows(key_policy, *key_calls(alarm_calls, key, OUTSIDER, None, "x"))
    assert not allows(key_policy, *key_calls(role_calls, key, OUTSIDER, OTHER_ORG, **via_sns))
    # Only through SNS: the organisation may not use the key directly.
    assert not allows(key_policy, *key_calls(role_calls, key, MEMBER, ORG))


# iam_policy.json in every partition ###########################################################

PARTITIONS = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}
ACCOUNT = "123456789012"
LOG_GROUP = f"/aws/lambda/{FUNCTION_NAME}"


def needed_resources(partition: str) -> dict[str, list[str]]:
    """For each resource-scoped action of the policy, the ARNs AWS authorises it against when
    the function runs in ``partition`` (as tests/test_least_privilege.py gives them to moto)."""
    region = PARTITIONS[partition]
    stream = "2026/11/29/[$LATEST]0123456789abcdef"
    group = f"arn:{partition}:logs:{region}:{ACCOUNT}:log-group:{LOG_GROUP}"
    certificate = f"arn:{partition}:acm:{region}:{ACCOUNT}:certificate/70bf1cca-cd33-4ba9"
    return {
        "logs:CreateLogGroup": [f"{group}:log-stream:"],
        "logs:CreateLogStream": [f"{group}:log-stream:{stream}"],
        "logs:PutLogEvents": [f"{group}:log-stream:{stream}"],
        "acm:DescribeCertificate": [certificate],
        "acm:ListTagsForCertificate": [certificate],
        "securityhub:BatchImportFindings": [
            f"arn:{partition}:securityhub:{region}:{ACCOUNT}:product/{ACCOUNT}/default"
        ],
        "sns:Publish": [f"arn:{partition}:sns:{region}:{ACCOUNT}:certificate-expiry"],
        "sqs:SendMessage": [f"arn:{partition}:sqs:{region}:{ACCOUNT}:{FUNCTION_NAME}-dead-letters"],
        # The certificate sources' describes, each on the resource type AWS authorises it on.
        "apigateway:GET": [f"arn:{partition}:apigateway:{region}::/clientcertificates"],
        "iot:DescribeCACertificate": [f"arn:{partition}:iot:{region}:{ACCOUNT}:cacert/{'0a' * 32}"],
        "iam:GetSAMLProvider": [f"arn:{partition}:iam::{ACCOUNT}:saml-provider/Okta"],
        "transfer:DescribeCertificate": [
            f"arn:{partition}:transfer:{region}:{ACCOUNT}:certificate/cert-0123456789abcdef0"
        ],
        "ds:ListCertificates": [f"arn:{partition}:ds:{region}:{ACCOUNT}:directory/d-1234567890"],
    }


def policy_statements() -> list[dict[str, Any]]:
    return statements(json.loads(POLICY.read_text(encoding="utf-8")))


def test_every_resource_scoped_action_has_its_resources_here() -> None:
    scoped = {
        action
        for statement in policy_statements()
        if statement["Resource"] != "*"
        for action in statement["Action"]
    }
    assert sorted(scoped) == sorted(needed_resources("aws"))


def test_no_resource_names_a_partition() -> None:
    """IAM refuses a policy whose resource names another partition than its own
    (MalformedPolicyDocument: Partition "aws" is not valid for resource ...), so the one file
    names none: the partition is a wildcard."""
    partitions = {
        resource.split(":")[1]
        for statement in policy_statements()
        for resource in (
            [statement["Resource"]]
            if isinstance(statement["Resource"], str)
            else statement["Resource"]
        )
        if resource != "*"
    }
    assert {"*"} == partitions


@pytest.mark.parametrize("partition", sorted(PARTITIONS))
def test_the_policy_grants_what_the_function_does_in_each_partition(partition: str) -> None:
    role = f"arn:{partition}:iam::{ACCOUNT}:role/{FUNCTION_NAME}"
    denied = [
        (action, arn)
        for action, arns in needed_resources(partition).items()
        for arn in arns
        if not allows(policy_statements(), Request(action, arn, "AWS", role))
    ]

    assert [] == denied


@pytest.mark.parametrize("partition", sorted(PARTITIONS))
def test_the_policy_stays_scoped_in_each_partition(partition: str) -> None:
    """Another function's log group and queue, a product of another company, and API
    Gateway's other resources (``apigateway:GET`` reads any of them: API keys with their values,
    every REST API's configuration) are not granted: the partition is widened, nothing else."""
    region = PARTITIONS[partition]
    role = f"arn:{partition}:iam::{ACCOUNT}:role/{FUNCTION_NAME}"
    others = [
        (
            "logs:PutLogEvents",
            f"arn:{partition}:logs:{region}:{ACCOUNT}:log-group:/aws/lambda/other:log-stream:s",
        ),
        ("sqs:SendMessage", f"arn:{partition}:sqs:{region}:{ACCOUNT}:other-queue"),
        (
            "securityhub:BatchImportFindings",
            f"arn:{partition}:securityhub:{region}::product/some-vendor/some-product",
        ),
        ("apigateway:GET", f"arn:{partition}:apigateway:{region}::/apikeys"),
        ("apigateway:GET", f"arn:{partition}:apigateway:{region}::/apikeys/k3y1d"),
        ("apigateway:GET", f"arn:{partition}:apigateway:{region}::/restapis/a1b2c3/stages/prod"),
    ]

    assert [] == [
        (action, arn)
        for action, arn in others
        if allows(policy_statements(), Request(action, arn, "AWS", role))
    ]
