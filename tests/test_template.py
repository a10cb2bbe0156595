"""template.yaml: lint-clean, grants exactly iam_policy.json, deployable anywhere, and it deploys in
moto the way the README deploys it (zip the handler, upload the zip, create the stack)."""

from __future__ import annotations

import ast
import base64
import fnmatch
import functools
import hashlib
import io
import itertools
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode

import handle_expiring_certificates as handler
from testkit import load_event
from testkit.moto_internals import event_matches, mock_aws
from testkit.sns import policy_matches
from tests.policy_evaluation import Rendered, accepts, switch_combinations

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
POLICY = ROOT / "iam_policy.json"
HANDLER = ROOT / "handle_expiring_certificates.py"

REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
DEFAULTS_REGION = "ap-southeast-2"
EMAIL_REGION = "us-west-2"
ACCOUNT = "123456789012"  # moto's default account
CODE_BUCKET = "certificate-monitor-code"
FUNCTION_NAME = "handle-expiring-certificates"
ROLE_POLICY = "handle-expiring-certificates"  # the role's inline policy, as iam_policy.json
KEY_POLICY = "publish-to-encrypted-topic"  # the role's policy for the key the stack creates
EXISTING_TOPIC = "arn:aws:sns:eu-central-1:111122223333:central-certificate-alerts"
ACM_DETAIL_TYPES = [
    "ACM Certificate Approaching Expiration",
    "ACM Certificate Expired",
    "ACM Certificate Renewal Action Required",
]
# Every setting the handler reads, and the parameter that sets it.
SETTINGS = {
    "EXPIRY_DAYS": "ExpiryDays",
    "NOTIFY_DAYS": "NotifyDays",
    "SCAN_REGIONS": "ScanRegions",
    "SECURITY_HUB_REGION": "SecurityHubRegion",
    "DRY_RUN": "DryRun",
    "INCLUDE_IAM_SERVER_CERTIFICATES": "IncludeIamServerCertificates",
    "IGNORE_TAG": "IgnoreTag",
    "SNS_TOPIC_ARN": "ExistingTopicArn",
    "CERTIFICATE_SOURCES": "CertificateSources",
    "DIGEST_SCOPE": "DigestScope",
    "OWNER_TAG": "OwnerTag",
    "HTTPS_FORMAT": "HttpsFormat",
}
EVERY_SETTING = {
    "ExpiryDays": "30",
    "NotifyDays": "30,14,7,3,1",
    "ScanRegions": "us-east-1,eu-west-1",
    "SecurityHubRegion": "eu-central-1",
    "DryRun": "true",
    "IncludeIamServerCertificates": "false",
    "IgnoreTag": "certificate-monitor=ignore",
    "NotificationEmail": "certificates@example.com",
    "TopicKmsKeyId": "alias/certificate-alerts",
    "TopicPublisherOrgId": "o-a1b2c3d4e5",
    "ScheduleExpression": "rate(1 day)",
    "LogRetentionDays": "30",
    "ReservedConcurrency": "3",
    "ExpiredInUseAlarmThreshold": "1",
    "CertificateSources": "acm, iam,private-ca",
    "DigestScope": "organization",
    "OwnerTag": "team",
    "HttpsFormat": "json",
}
ORGANIZATION_MEMBERS = "ReadOrganizationMembers"  # the Sid only DigestScope=organization grants
ORGANIZATION_SCHEDULE = "cron(5 2 ? * 1 *)"  # the organisation's digest: two hours after members

# moto 5.2 has no CloudFormation support for AWS::SNS::TopicPolicy, AWS::Lambda::EventInvokeConfig
# nor AWS::CloudWatch::Alarm: it warns and skips them, so they are checked on the template.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Tried to parse AWS..SNS..TopicPolicy:UserWarning"),
    pytest.mark.filterwarnings("ignore:Tried to parse AWS..Lambda..EventInvokeConfig:UserWarning"),
    pytest.mark.filterwarnings("ignore:Tried to parse AWS..CloudWatch..Alarm:UserWarning"),
    pytest.mark.filterwarnings("ignore:Tried to parse AWS..SNS..Subscription:UserWarning"),
]


@functools.cache
def load_template() -> dict[str, Any]:
    template, matches = decode(str(TEMPLATE))
    assert matches == []
    assert template is not None
    return template


def resource(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = template["Resources"][logical_id]["Properties"]
    return properties


def render(parameters: dict[str, str]) -> Rendered:
    """The stack the template makes from these parameters (besides the code's), its function
    named FUNCTION_NAME."""
    return Rendered(
        load_template(),
        {"CodeS3Bucket": CODE_BUCKET, "CodeS3Key": "code.zip", **parameters},
        {"Function": FUNCTION_NAME, "Function.Arn": "<function>", "Topic": "<topic>"},
    )


def role_statements(resources: dict[str, Any]) -> list[dict[str, Any]]:
    (policy,) = resources["FunctionRole"]["Properties"]["Policies"]
    statements: list[dict[str, Any]] = policy["PolicyDocument"]["Statement"]
    return statements


def policy_file_statements() -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = json.loads(POLICY.read_text())["Statement"]
    return statements


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def without_resources(statements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Statements by Sid, with Resource left out and Action as a sorted list."""
    return {
        s["Sid"]: {
            **{k: v for k, v in s.items() if k not in ("Sid", "Resource", "Action")},
            "Action": sorted(as_list(s["Action"])),
        }
        for s in statements
    }


def code_zip() -> bytes:
    """The zip the README builds: handle_expiring_certificates.py at the root of the archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(HANDLER, HANDLER.name)
    return buffer.getvalue()


class Stack:
    """A stack created in moto from template.yaml, and clients to read it back."""

    def __init__(self, region: str, parameters: dict[str, str], bucket: str) -> None:
        self.region = region
        self.session = boto3.Session(region_name=region)
        self.zip = code_zip()
        key = f"handle_expiring_certificates/{hashlib.sha256(self.zip).hexdigest()}.zip"
        s3 = self.session.client("s3")
        location = {} if region == "us-east-1" else {"LocationConstraint": region}
        s3.create_bucket(
            Bucket=bucket, **({"CreateBucketConfiguration": location} if location else {})
        )
        s3.put_object(Bucket=bucket, Key=key, Body=self.zip)
        cloudformation = self.session.client("cloudformation")
        given = {"CodeS3Bucket": CODE_BUCKET, "CodeS3Key": key, **parameters}
        self.code_sha256 = base64.b64encode(hashlib.sha256(self.zip).digest()).decode()
        cloudformation.create_stack(
            StackName="certificate-monitor",
            TemplateBody=TEMPLATE.read_text(),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in given.items()],
            Capabilities=["CAPABILITY_IAM"],
        )
        (self.description,) = cloudformation.describe_stacks(StackName="certificate-monitor")[
            "Stacks"
        ]
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in self.description["Outputs"]}
        # moto lists each resource it skipped (condition false, type unsupported) with empty ids.
        self.resources = {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cloudformation.list_stack_resources(StackName="certificate-monitor")[
                "StackResourceSummaries"
            ]
            if r["LogicalResourceId"]
        }
        self.function = self.session.client("lambda").get_function(FunctionName=FUNCTION_NAME)
        self.events = self.session.client("events")

    def rules(self) -> dict[str, dict[str, Any]]:
        return {rule["Name"]: rule for rule in self.events.list_rules()["Rules"]}

    def targets(self, rule_name: str) -> list[str]:
        return [t["Arn"] for t in self.events.list_targets_by_rule(Rule=rule_name)["Targets"]]

    def role_policy_names(self) -> list[str]:
        iam = self.session.client("iam")
        role_name = self.function["Configuration"]["Role"].rsplit("/", 1)[1]
        return sorted(iam.list_role_policies(RoleName=role_name)["PolicyNames"])

    def role_policy(self, name: str = ROLE_POLICY) -> list[dict[str, Any]]:
        """The statements of one inline policy of the function's role (by default the one that
        mirrors iam_policy.json)."""
        iam = self.session.client("iam")
        role_name = self.function["Configuration"]["Role"].rsplit("/", 1)[1]
        document = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        if isinstance(document, str):
            # moto 5.2 returns the repr() of a policy that CloudFormation handed over as a
            # mapping (the role's Policies), or its JSON (an AWS::IAM::Policy).
            try:
                document = json.loads(document)
            except json.JSONDecodeError:
                document = ast.literal_eval(document)
        # moto 5.2 keeps an AWS::NoValue of a list as None; CloudFormation leaves it out.
        statements: list[dict[str, Any]] = [s for s in document["Statement"] if s is not None]
        return statements

    def kms_keys(self) -> list[str]:
        kms = self.session.client("kms")
        return [k["KeyArn"] for k in kms.list_keys()["Keys"]]


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    # Module scope: the tests only read the stacks, and creating boto3 clients dominates the time.
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
        with mock_aws():
            yield


@pytest.fixture(scope="module")
def full_stack(aws: None) -> Stack:
    return Stack(REGION, EVERY_SETTING, bucket=CODE_BUCKET)


@pytest.fixture(scope="module")
def lean_stack(aws: None) -> Stack:
    """Another region: central topic, code bucket per region, no per-certificate rule, other
    settings unset (the schedule cannot be turned off)."""
    return Stack(
        OTHER_REGION,
        {
            "CodeS3Bucket": "regional-code",
            "CodeS3BucketPerRegion": "true",
            "ExistingTopicArn": EXISTING_TOPIC,
            "EnablePerCertificateRule": "false",
        },
        # Only the regional bucket exists: moto fails the function if it reads another one.
        bucket=f"regional-code-{OTHER_REGION}",
    )


@pytest.fixture(scope="module")
def default_stack(aws: None) -> Stack:
    """Every optional parameter at its default: the stack creates the topic and its key."""
    return Stack(DEFAULTS_REGION, {"CodeS3Bucket": "defaults-code"}, bucket="defaults-code")


@pytest.fixture(scope="module")
def email_stack(aws: None) -> Stack:
    """An e-mail address and no OwnerTag: the topic's own subscription, as before owners
    (full_stack's, with OwnerTag, is an AWS::SNS::Subscription, which moto 5.2 skips)."""
    return Stack(
        EMAIL_REGION,
        {"CodeS3Bucket": "email-code", "NotificationEmail": EVERY_SETTING["NotificationEmail"]},
        bucket="email-code",
    )


# The template as text and data ############################################################


def test_template_passes_cfn_lint() -> None:
    # One region: each region more loads cfn-lint's schemas again (a second or so each).
    matches = lint_file(TEMPLATE, config=ManualArgs(regions=[REGION]))
    assert [str(m) for m in matches] == []


@pytest.mark.parametrize("scope", ["organization", "account"])
def test_role_grants_the_statements_of_iam_policy_json(scope: str) -> None:
    """Same Sids, Effects and Actions as iam_policy.json, in one inline policy, in the order of
    the file; ListMembers (ReadOrganizationMembers) only for the organisation's digest, the one
    scope that calls it. The console install's file grants it to every function.

    Resources may differ: the template narrows them to its own account, log group and topic
    (test_deployed_resources_are_within_iam_policy_json checks that they stay inside what the
    file grants)."""
    rendered = render({"DigestScope": scope})
    assert "ManagedPolicyArns" not in rendered.properties("FunctionRole")
    expected = [
        s
        for s in policy_file_statements()
        if scope == "organization" or s["Sid"] != ORGANIZATION_MEMBERS
    ]
    statements = role_statements(rendered.resources)
    assert [s["Sid"] for s in expected] == [s["Sid"] for s in statements]
    assert without_resources(expected) == without_resources(statements)


def test_function_runs_the_handler_with_json_logs_in_its_own_log_group() -> None:
    template = load_template()
    function = resource(template, "Function")
    assert function["Handler"] == "handle_expiring_certificates.lambda_handler"
    runtime = re.fullmatch(r"python3\.(\d+)", function["Runtime"])
    assert runtime is not None
    assert int(runtime[1]) >= 12
    # moto ignores LoggingConfig, so this is checked on the template only.
    assert function["LoggingConfig"]["LogFormat"] == "JSON"
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": "LogGroup"}
    log_group = resource(template, "LogGroup")
    assert log_group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${FunctionName}"}
    assert log_group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def handler_settings() -> set[str]:
    """The variables Config.from_environ reads with _read(environ, "NAME", ...): every setting
    of the handler (AWS_REGION, which Lambda sets, is read otherwise)."""
    (config,) = [
        node
        for node in ast.parse(HANDLER.read_text()).body
        if isinstance(node, ast.ClassDef) and node.name == "Config"
    ]
    (from_environ,) = [
        node
        for node in config.body
        if isinstance(node, ast.FunctionDef) and node.name == "from_environ"
    ]
    return {
        call.args[1].value
        for call in ast.walk(from_environ)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == "_read"
        and isinstance(call.args[1], ast.Constant)
        and isinstance(call.args[1].value, str)
    }


def test_every_setting_of_the_handler_is_a_variable_of_the_function() -> None:
    """Read from the handler's code: a setting added there and not to the template fails."""
    settings = handler_settings()
    assert "EXPIRY_DAYS" in settings
    assert "AWS_REGION" not in settings
    variables = resource(load_template(), "Function")["Environment"]["Variables"]
    assert sorted(settings) == sorted(SETTINGS) == sorted(variables)
    parameters = load_template()["Parameters"]
    for variable, parameter in SETTINGS.items():
        assert parameter in parameters, variable


def test_template_has_no_account_region_or_partition_literals() -> None:
    """StackSet-ready: the same text must deploy in any account, region and partition."""
    text = TEMPLATE.read_text()
    assert re.findall(r"\b\d{12}\b", text) == []
    assert re.findall(r"\b(?:us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d\b", text) == []
    assert re.findall(r"arn:aws", text.replace("arn:aws[a-z-]*", "")) == []


def test_topic_policy_lets_the_function_and_optionally_the_organisation_publish() -> None:
    """Checked on the template: moto skips AWS::SNS::TopicPolicy."""
    template = load_template()
    assert template["Resources"]["TopicPolicy"]["Condition"] == "CreateTopic"
    function, alarm_publish, organisation, organisation_alarms, insecure = resource(
        template, "TopicPolicy"
    )["PolicyDocument"]["Statement"]
    assert alarm_publish["Fn::If"][0] == "AlarmsNotifyCreatedTopic"
    assert alarm_publish["Fn::If"][1]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert function["Principal"] == {"AWS": {"Fn::GetAtt": ["FunctionRole", "Arn"]}}
    assert (function["Effect"], function["Action"]) == ("Allow", "sns:Publish")
    condition, granted, absent = organisation["Fn::If"]
    assert (condition, absent) == ("AllowOrganizationToPublish", {"Ref": "AWS::NoValue"})
    assert granted["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": {"Ref": "TopicPublisherOrgId"}}
    }
    # The members' alarms: tests/test_policies.py evaluates the rendered policy.
    condition, granted, absent = organisation_alarms["Fn::If"]
    assert (condition, absent) == ("AllowOrganizationToPublish", {"Ref": "AWS::NoValue"})
    assert granted["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert (insecure["Effect"], insecure["Condition"]) == (
        "Deny",
        {"Bool": {"aws:SecureTransport": "false"}},
    )


@pytest.mark.parametrize(
    ("event_file", "matches"),
    [
        ("acm-approaching-expiration.json", True),
        ("acm-certificate-expired.json", True),
        ("acm-renewal-action-required.json", True),
        ("scheduled-event.json", False),
        ("console-default-test-event.json", False),
    ],
)
def test_option_1_pattern_matches_the_acm_events_only(event_file: str, matches: bool) -> None:
    # moto's events.test_event_pattern is a stub; the kit's event_matches matches for real.
    pattern = resource(load_template(), "PerCertificateRule")["EventPattern"]
    event = load_event(event_file)
    assert event_matches(pattern, event) is matches


# The stack in moto ########################################################################


def test_stack_with_every_setting_is_created(full_stack: Stack) -> None:
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION_NAME}"
    assert full_stack.description["StackStatus"] == "CREATE_COMPLETE"
    assert full_stack.outputs == {
        "FunctionArn": function_arn,
        "TopicArn": full_stack.resources["Topic"],
        "AlarmTopicArn": full_stack.resources["AlarmTopic"],  # OwnerTag and NotificationEmail
        "LogGroupName": f"/aws/lambda/{FUNCTION_NAME}",
        "DeadLetterQueueUrl": full_stack.resources["DeadLetterQueue"],
        "DeadLetterQueueArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{FUNCTION_NAME}-dead-letters",
        "DashboardName": f"{FUNCTION_NAME}-{REGION}",
    }
    assert full_stack.function["Configuration"]["CodeSha256"] == full_stack.code_sha256


def test_both_rules_target_the_function(full_stack: Stack) -> None:
    rules = full_stack.rules()
    per_certificate = rules[full_stack.resources["PerCertificateRule"]]
    schedule = rules[full_stack.resources["ScheduleRule"]]
    assert json.loads(per_certificate["EventPattern"]) == {
        "source": ["aws.acm"],
        "detail-type": ACM_DETAIL_TYPES,
    }
    assert schedule["ScheduleExpression"] == EVERY_SETTING["ScheduleExpression"]
    function_arn = full_stack.outputs["FunctionArn"]
    for rule in (per_certificate, schedule):
        assert rule["State"] == "ENABLED"
        assert full_stack.targets(rule["Name"]) == [function_arn]


def test_each_rule_may_invoke_the_function(full_stack: Stack) -> None:
    policy = json.loads(
        full_stack.session.client("lambda").get_policy(FunctionName=FUNCTION_NAME)["Policy"]
    )
    granted = sorted(
        (s["Principal"], s["Action"], s["Condition"]["ArnLike"]["AWS:SourceArn"])
        for s in policy["Statement"]
    )
    rules = full_stack.rules()
    assert granted == sorted(
        ({"Service": "events.amazonaws.com"}, "lambda:InvokeFunction", rules[name]["Arn"])
        for name in (
            full_stack.resources["PerCertificateRule"],
            full_stack.resources["ScheduleRule"],
        )
    )


def test_function_environment_carries_every_setting(full_stack: Stack) -> None:
    variables = full_stack.function["Configuration"]["Environment"]["Variables"]
    expected = {
        variable: EVERY_SETTING.get(parameter, "") for variable, parameter in SETTINGS.items()
    }
    expected["SNS_TOPIC_ARN"] = full_stack.outputs["TopicArn"]
    # moto passes a Number parameter on as an int; CloudFormation passes the string.
    assert expected == {name: str(value) for name, value in variables.items()}


def test_created_topic_is_encrypted_with_the_given_key(full_stack: Stack) -> None:
    sns = full_stack.session.client("sns")
    topic_arn = full_stack.outputs["TopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    assert attributes["KmsMasterKeyId"] == EVERY_SETTING["TopicKmsKeyId"]


def test_created_topic_subscribes_the_email_to_everything_without_owner_tag(
    email_stack: Stack,
) -> None:
    sns = email_stack.session.client("sns")
    topic_arn = email_stack.outputs["TopicArn"]
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [
        ("email", EVERY_SETTING["NotificationEmail"])
    ]
    (subscription,) = subscriptions
    attributes = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])
    assert "FilterPolicy" not in attributes["Attributes"]
    assert "EmailSubscription" not in email_stack.resources


def test_alarm_topic_is_encrypted_with_the_given_key_and_subscribes_the_email_unfiltered(
    full_stack: Stack,
) -> None:
    """full_stack has OwnerTag and NotificationEmail: the address's subscription to the topic is
    filtered (an AWS::SNS::Subscription, which moto 5.2 skips), so the alarms notify a topic of
    their own, encrypted as the topic is, to which the address is subscribed without a filter
    policy (its policy, which moto skips too: tests/test_policies.py)."""
    sns = full_stack.session.client("sns")
    alarm_topic = full_stack.outputs["AlarmTopicArn"]
    assert alarm_topic != full_stack.outputs["TopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=alarm_topic)["Attributes"]
    assert attributes["KmsMasterKeyId"] == EVERY_SETTING["TopicKmsKeyId"]
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=alarm_topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [
        ("email", EVERY_SETTING["NotificationEmail"])
    ]
    (subscription,) = subscriptions
    attributes = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])
    assert "FilterPolicy" not in attributes["Attributes"]


@pytest.mark.parametrize("stack_name", ["email_stack", "default_stack", "lean_stack"])
def test_without_a_filtered_email_there_is_no_alarm_topic(
    stack_name: str, request: pytest.FixtureRequest
) -> None:
    """An unfiltered address (email_stack), none (default_stack), an existing topic
    (lean_stack): the alarms notify the topic, as before, and the stack has no other topic."""
    stack: Stack = request.getfixturevalue(stack_name)
    assert not {"AlarmTopic", "AlarmTopicPolicy"} & set(stack.resources)
    assert "AlarmTopicArn" not in stack.outputs
    topics = [t["TopicArn"] for t in stack.session.client("sns").list_topics()["Topics"]]
    assert topics == ([] if stack_name == "lean_stack" else [stack.outputs["TopicArn"]])


def test_log_group_keeps_logs_for_the_retention_parameter(full_stack: Stack) -> None:
    logs = full_stack.session.client("logs")
    (group,) = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{FUNCTION_NAME}")[
        "logGroups"
    ]
    assert group["retentionInDays"] == int(EVERY_SETTING["LogRetentionDays"])


@pytest.mark.parametrize(
    ("stack_name", "scope"),
    [("full_stack", "organization"), ("lean_stack", "account"), ("default_stack", "account")],
)
def test_deployed_resources_are_within_iam_policy_json(
    stack_name: str, scope: str, request: pytest.FixtureRequest
) -> None:
    """Every resource the deployed role names matches a resource pattern of the same statement
    of iam_policy.json (IAM wildcards behave like fnmatch's * and ? on ARNs); every statement of
    the file is there, ListMembers in organisation scope only."""
    stack: Stack = request.getfixturevalue(stack_name)
    allowed = {s["Sid"]: as_list(s["Resource"]) for s in policy_file_statements()}
    deployed = {s["Sid"]: as_list(s["Resource"]) for s in stack.role_policy()}
    wanted = set(allowed) - ({ORGANIZATION_MEMBERS} if scope == "account" else set())
    assert sorted(wanted) == sorted(deployed)
    outside = [
        (sid, arn)
        for sid, arns in deployed.items()
        for arn in arns
        if not any(fnmatch.fnmatchcase(arn, pattern) for pattern in allowed[sid])
    ]
    assert outside == []
    assert deployed["WriteOwnLogs"] == [
        f"arn:aws:logs:{stack.region}:{ACCOUNT}:log-group:/aws/lambda/{FUNCTION_NAME}:*"
    ]
    assert deployed["PublishNotifications"] == [stack.outputs["TopicArn"]]


def test_unset_settings_leave_their_variables_out(lean_stack: Stack) -> None:
    variables = lean_stack.function["Configuration"]["Environment"]["Variables"]
    expected = {
        "EXPIRY_DAYS": "45",
        "DRY_RUN": "false",
        "INCLUDE_IAM_SERVER_CERTIFICATES": "true",
        "SNS_TOPIC_ARN": EXISTING_TOPIC,
        "DIGEST_SCOPE": "account",
        "HTTPS_FORMAT": "chat",
    }
    assert expected == {name: str(value) for name, value in variables.items()}


def test_existing_topic_and_no_per_certificate_rule_create_no_topic_and_only_the_schedule(
    lean_stack: Stack,
) -> None:
    assert lean_stack.description["StackStatus"] == "CREATE_COMPLETE"
    assert lean_stack.function["Configuration"]["CodeSha256"] == lean_stack.code_sha256
    assert lean_stack.outputs["TopicArn"] == EXISTING_TOPIC
    assert sorted(lean_stack.resources) == [
        "Dashboard",
        "DeadLetterQueue",
        "Function",
        "FunctionRole",
        "LogGroup",
        "SchedulePermission",
        "ScheduleRule",
    ]
    assert [lean_stack.resources["ScheduleRule"]] == list(lean_stack.rules())
    assert lean_stack.session.client("sns").list_topics()["Topics"] == []


def test_async_retries_default_to_none_so_a_failed_scan_sends_its_digest_once() -> None:
    """Checked on the template: moto skips AWS::Lambda::EventInvokeConfig."""
    template = load_template()
    config = resource(template, "AsyncInvokeConfig")
    assert {"Ref": "AsyncRetryAttempts"} == config["MaximumRetryAttempts"]
    assert {"Ref": "Function"} == config["FunctionName"]
    assert 0 == template["Parameters"]["AsyncRetryAttempts"]["Default"]


def test_memory_and_timeout_are_sized_from_the_benchmark() -> None:
    """bench/scan_bench.py: 10,000 certificates take ~3.5 s of CPU; Lambda's CPU grows with
    memory, and ACM's describe throttling needs minutes of headroom, not seconds."""
    template = load_template()
    function = resource(template, "Function")
    assert ({"Ref": "MemorySize"}, 300) == (function["MemorySize"], function["Timeout"])
    assert 1024 == template["Parameters"]["MemorySize"]["Default"]


# Nothing lost, bursts queue, the monitor is monitored (issues 10 and 13) ####################

TOPIC = {"Fn::If": ["CreateTopic", {"Ref": "Topic"}, {"Ref": "ExistingTopicArn"}]}
# Where the alarms notify: the topic, or AlarmTopic when the e-mail subscription is filtered.
ALARM_TARGET = {"Fn::If": ["AlarmsNeedOwnTopic", {"Ref": "AlarmTopic"}, TOPIC]}
# A metric as CloudWatch knows it: namespace, name, and its dimensions (name, value), sorted.
Metric = tuple[str, str, tuple[tuple[str, str], ...]]


@functools.cache
def emitted_metrics(function_name: str = FUNCTION_NAME) -> frozenset[Metric]:
    """Every metric the handler's embedded-metric-format line can carry, from build_metrics
    itself: a scan in either digest scope (SilentAccounts in organisation scope, Heartbeat for
    scans) and the run of an ACM event."""
    now = datetime(2026, 12, 6, 0, 5, tzinfo=timezone.utc)
    runs = [
        ("Scheduled Event", "scan", "account"),
        ("Scheduled Event", "scan", "organization"),
        (ACM_DETAIL_TYPES[0], "certificate", "account"),
    ]
    found: set[Metric] = set()
    for trigger, mode, scope in runs:
        summary = handler.Summary(
            trigger=trigger,
            mode=mode,
            regions=[REGION],
            expiry_days=45,
            dry_run=False,
            now=now.isoformat(),
            scope=scope,
        )
        document = handler.build_metrics(summary, function_name=function_name, now=now)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for names in directive["Dimensions"]:
                dimensions = tuple(sorted((name, document[name]) for name in names))
                found |= {
                    (directive["Namespace"], m["Name"], dimensions) for m in directive["Metrics"]
                }
    return frozenset(found)


def emitted_names(mode: str = "scan") -> set[str]:
    """The metric names the handler emits for one Mode."""
    return {name for _, name, dimensions in emitted_metrics() if ("Mode", mode) in dimensions}


def test_emitted_metrics_are_derived_from_the_code() -> None:
    """The test's view of the handler's metrics: the counts of a summary, SilentAccounts and
    Heartbeat for scans only, one namespace, FunctionName and Mode on every metric."""
    counts = set(handler.Summary("t", "scan", [], 45, False, "now").counts())
    assert emitted_names("scan") == counts | {"Heartbeat", "SilentAccounts"}
    assert emitted_names("certificate") == counts
    assert {namespace for namespace, _, _ in emitted_metrics()} == {handler.METRICS_NAMESPACE}
    assert {tuple(name for name, _ in d) for _, _, d in emitted_metrics()} == {
        ("FunctionName", "Mode")
    }


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        logical_id: r
        for logical_id, r in template["Resources"].items()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    }


def test_failed_events_go_to_an_encrypted_dead_letter_queue_kept_14_days(
    full_stack: Stack,
) -> None:
    """DeadLetterConfig is checked on the template: moto's Lambda ignores it."""
    function = resource(load_template(), "Function")
    assert {"TargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}} == function["DeadLetterConfig"]
    config = resource(load_template(), "AsyncInvokeConfig")
    assert 21600 == config["MaximumEventAgeInSeconds"]
    sqs = full_stack.session.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=full_stack.outputs["DeadLetterQueueUrl"], AttributeNames=["All"]
    )["Attributes"]
    assert attributes["QueueArn"] == full_stack.outputs["DeadLetterQueueArn"]
    assert ("1209600", "true") == (
        attributes["MessageRetentionPeriod"],
        attributes["SqsManagedSseEnabled"],
    )
    (send,) = [s for s in full_stack.role_policy() if s["Sid"] == "SendToDeadLetterQueue"]
    assert (send["Action"], send["Resource"]) == (
        ["sqs:SendMessage"],
        full_stack.outputs["DeadLetterQueueArn"],
    )


@pytest.mark.parametrize(("stack_name", "reserved"), [("full_stack", 3), ("lean_stack", 2)])
def test_reserved_concurrency_comes_from_its_parameter(
    stack_name: str, reserved: int, request: pytest.FixtureRequest
) -> None:
    stack: Stack = request.getfixturevalue(stack_name)
    assert {"ReservedConcurrentExecutions": reserved} == stack.function["Concurrency"]
    template = load_template()
    assert {"Fn::Equals": [{"Ref": "ReservedConcurrency"}, 0]} == (
        template["Conditions"]["ReserveConcurrency"]["Fn::Not"][0]
    )
    assert {
        "Fn::If": ["ReserveConcurrency", {"Ref": "ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
    } == resource(template, "Function")["ReservedConcurrentExecutions"]


def test_alarms_watch_what_the_handler_emits_and_notify_the_topic() -> None:
    """Checked on the template: moto 5.2 skips AWS::CloudWatch::Alarm."""
    template = load_template()
    found = alarms(template)
    assert sorted(found) == [
        "DeadLetterAlarm",
        "ErrorsAlarm",
        "ExpiredInUseAlarm",
        "HeartbeatAlarm",
        "SilentAccountsAlarm",
    ]
    function = {"Name": "FunctionName", "Value": {"Ref": "Function"}}
    scan = [function, {"Name": "Mode", "Value": "scan"}]
    for logical_id, alarm in found.items():
        properties = alarm["Properties"]
        assert properties["AlarmActions"] == [ALARM_TARGET], logical_id
        assert properties["AlarmDescription"], logical_id
        if properties["Namespace"] == handler.METRICS_NAMESPACE:
            assert properties["MetricName"] in emitted_names("scan"), logical_id
            assert properties["Dimensions"] == scan, logical_id
    heartbeat = found["HeartbeatAlarm"]["Properties"]
    assert heartbeat["OKActions"] == [ALARM_TARGET]
    assert ("Heartbeat", "Maximum", 86400, 7, 7, 1, "LessThanThreshold", "breaching") == tuple(
        heartbeat[k]
        for k in (
            "MetricName", "Statistic", "Period", "EvaluationPeriods", "DatapointsToAlarm",
            "Threshold", "ComparisonOperator", "TreatMissingData",
        )
    )  # fmt: skip
    errors = found["ErrorsAlarm"]["Properties"]
    assert ("AWS/Lambda", "Errors", [function]) == (
        errors["Namespace"],
        errors["MetricName"],
        errors["Dimensions"],
    )
    dead_letters = found["DeadLetterAlarm"]["Properties"]
    assert (
        "AWS/SQS",
        [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]}}],
    ) == (
        dead_letters["Namespace"],
        dead_letters["Dimensions"],
    )


def test_no_layout_leaves_findings_without_the_scheduled_scan() -> None:
    """Issue 17: ACM's daily events stop when a certificate expires (none at all for an
    imported one), and Security Hub deletes a finding 90 days after its last update, so a stack
    without scans would leave an expired certificate's finding at its last severity, then lose
    it. ScheduleExpression takes no empty value, and every combination of the template's
    switches, with a topic of its own or an existing one, in either digest scope, has the rule
    (at its scope's default schedule) and its permission."""
    template = load_template()
    default = template["Parameters"]["ScheduleExpression"]["Default"]
    defaults = {"account": default, "organization": ORGANIZATION_SCHEDULE}

    assert [True, True, False, False] == [
        accepts(template, "ScheduleExpression", value)
        for value in (default, "rate(1 day)", "", " ")
    ]
    assert template["Parameters"]["DigestScope"]["AllowedValues"] == sorted(defaults)
    for switches in switch_combinations(template):
        for topic in ({}, {"ExistingTopicArn": EXISTING_TOPIC}):
            for scope, schedule in defaults.items():
                rendered = Rendered(
                    template,
                    {
                        "CodeS3Bucket": CODE_BUCKET,
                        "CodeS3Key": "code.zip",
                        "DigestScope": scope,
                        **switches,
                        **topic,
                    },
                    {"Function.Arn": "<function>", "ScheduleRule.Arn": "<rule>"},
                )
                rule = rendered.resources.get("ScheduleRule", {}).get("Properties", {})
                permission = rendered.resources.get("SchedulePermission", {}).get("Properties", {})
                assert (schedule, ["<function>"], "<rule>") == (
                    rule.get("ScheduleExpression"),
                    [target["Arn"] for target in rule.get("Targets", [])],
                    permission.get("SourceArn"),
                ), (switches, topic, scope)


def test_heartbeat_alarm_says_exactly_when_it_fires_and_that_a_new_stack_needs_a_scan() -> None:
    """Issue 17: the description names the period, how many periods must be below the
    threshold, what a period without data counts as, and so that a new stack (no data yet) is in
    ALARM until its first scan. The words are derived from the alarm's own settings."""
    heartbeat = resource(load_template(), "HeartbeatAlarm")
    description = " ".join(heartbeat["AlarmDescription"]["Fn::Sub"].split())
    period = {86400: "1-day period", 3600: "1-hour period"}[heartbeat["Period"]]

    for wanted in (
        f"{heartbeat['Statistic']} per {period}",
        f"below {heartbeat['Threshold']} in {heartbeat['DatapointsToAlarm']} of the last "
        f"{heartbeat['EvaluationPeriods']} periods",
        f"missing data is {heartbeat['TreatMissingData']}",
        "new stack is in ALARM until its first scan",
    ):
        assert wanted in description


def test_every_alarm_needs_enable_alarms_and_the_heartbeat_nothing_else() -> None:
    """The schedule always exists (test_no_layout_leaves_findings_without_the_scheduled_scan),
    so the heartbeat it feeds is watched whenever alarms are on."""
    template = load_template()
    conditions = template["Conditions"]

    def needs(condition: str) -> set[str]:
        parts = conditions[condition].get("Fn::And", [])
        return {condition} | {p["Condition"] for p in parts if "Condition" in p}

    for logical_id, alarm in alarms(template).items():
        assert "AlarmsEnabled" in needs(alarm["Condition"]), logical_id
    assert "AlarmsEnabled" == alarms(template)["HeartbeatAlarm"]["Condition"]


# The topic's key: CloudWatch alarms cannot use alias/aws/sns ###############################


def test_topic_key_defaults_to_one_the_stack_creates_and_alias_aws_sns_is_refused() -> None:
    template = load_template()
    assert "" == template["Parameters"]["TopicKmsKeyId"]["Default"]
    conditions = template["Conditions"]
    assert {
        "Fn::And": [
            {"Condition": "CreateTopic"},
            {"Fn::Equals": [{"Ref": "TopicKmsKeyId"}, ""]},
            {"Fn::Equals": [{"Ref": "TopicPublisherOrgId"}, ""]},
        ]
    } == conditions["CreateTopicKey"]
    for logical_id in ("TopicKey", "TopicKeyAlias", "TopicKeyPolicy"):
        assert "CreateTopicKey" == template["Resources"][logical_id]["Condition"], logical_id
    assert {
        "Fn::If": [
            "CreateTopicKey",
            {"Fn::GetAtt": ["TopicKey", "Arn"]},
            {"Fn::If": ["UseGivenTopicKey", {"Ref": "TopicKmsKeyId"}, {"Ref": "AWS::NoValue"}]},
        ]
    } == resource(template, "Topic")["KmsMasterKeyId"]
    # A stack whose alarms would notify through alias/aws/sns is refused before it is created.
    (assertion,) = template["Rules"]["AlarmsNeedUsableKey"]["Assertions"]
    assert {"Fn::Not": [{"Fn::Equals": [{"Ref": "TopicKmsKeyId"}, "alias/aws/sns"]}]} == (
        assertion["Assert"]
    )
    descriptions = {
        name: " ".join(template["Parameters"][name]["Description"].split())
        for name in ("TopicKmsKeyId", "ExistingTopicArn")
    }
    for name, description in descriptions.items():
        assert "cloudwatch.amazonaws.com" in description, name
        assert "function's role" in description, name
    assert "region of this stack" in descriptions["ExistingTopicArn"]


def test_created_key_rotates_and_lets_only_the_account_and_cloudwatch_alarms_use_it() -> None:
    """Checked on the template for its conditions (moto drops them from the key policy)."""
    template = load_template()
    key = resource(template, "TopicKey")
    assert key["EnableKeyRotation"] is True
    account, cloudwatch = key["KeyPolicy"]["Statement"]
    assert account == {
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
        "Action": "kms:*",
        "Resource": "*",
    }
    condition, granted, absent = cloudwatch["Fn::If"]
    assert (condition, absent) == ("AlarmsEnabled", {"Ref": "AWS::NoValue"})
    assert granted == {
        "Sid": "CloudWatchAlarmsPublish",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
    }
    alias = resource(template, "TopicKeyAlias")
    assert alias == {
        "AliasName": {"Fn::Sub": "alias/${FunctionName}-notifications"},
        "TargetKeyId": {"Ref": "TopicKey"},
    }
    # The topic policy still lets this account's alarms publish.
    (alarms_publish,) = [
        s["Fn::If"][1]
        for s in resource(template, "TopicPolicy")["PolicyDocument"]["Statement"]
        if "Fn::If" in s and s["Fn::If"][0] == "AlarmsNotifyCreatedTopic"
    ]
    assert alarms_publish["Condition"]["StringEquals"] == {
        "aws:SourceAccount": {"Ref": "AWS::AccountId"}
    }


def test_default_stack_encrypts_its_topic_with_the_key_it_creates(default_stack: Stack) -> None:
    assert default_stack.description["StackStatus"] == "CREATE_COMPLETE"
    (key_arn,) = default_stack.kms_keys()
    # Not describe_key: moto 5.2 keeps a CloudFormation KeyPolicy as a mapping, and its
    # describe_key then fails to json.loads() it.
    assert key_arn == (
        f"arn:aws:kms:{DEFAULTS_REGION}:{ACCOUNT}:key/{default_stack.resources['TopicKey']}"
    )
    kms = default_stack.session.client("kms")
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is True
    aliases = kms.list_aliases(KeyId=key_arn)["Aliases"]
    assert [a["AliasName"] for a in aliases] == [f"alias/{FUNCTION_NAME}-notifications"]
    attributes = default_stack.session.client("sns").get_topic_attributes(
        TopicArn=default_stack.outputs["TopicArn"]
    )["Attributes"]
    assert attributes["KmsMasterKeyId"] == key_arn


def test_created_key_policy_lets_cloudwatch_alarms_of_this_account_use_it(
    default_stack: Stack,
) -> None:
    (key_arn,) = default_stack.kms_keys()
    policy = default_stack.session.client("kms").get_key_policy(
        KeyId=key_arn, PolicyName="default"
    )["Policy"]
    statements = {
        s["Sid"]: s
        for s in (json.loads(policy) if isinstance(policy, str) else policy)["Statement"]
    }
    assert sorted(statements) == ["AccountAdministers", "CloudWatchAlarmsPublish"]
    assert statements["AccountAdministers"]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    cloudwatch = statements["CloudWatchAlarmsPublish"]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert cloudwatch["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_role_may_use_exactly_the_created_key(default_stack: Stack) -> None:
    (key_arn,) = default_stack.kms_keys()
    assert default_stack.role_policy_names() == sorted([KEY_POLICY, ROLE_POLICY])
    assert default_stack.role_policy(KEY_POLICY) == [
        {
            "Sid": "UseTopicKey",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
            "Resource": key_arn,
        }
    ]
    # The role's other policy is iam_policy.json's, with no KMS permission in it.
    assert not [s for s in default_stack.role_policy() if "kms" in json.dumps(s["Action"])]


@pytest.mark.parametrize("stack_name", ["full_stack", "lean_stack"])
def test_a_given_key_or_an_existing_topic_creates_no_key_and_no_key_permission(
    stack_name: str, request: pytest.FixtureRequest
) -> None:
    """full_stack passes TopicKmsKeyId (its topic uses that key, see
    test_created_topic_is_encrypted_and_subscribes_the_email); lean_stack an ExistingTopicArn."""
    stack: Stack = request.getfixturevalue(stack_name)
    assert not {"TopicKey", "TopicKeyAlias", "TopicKeyPolicy"} & set(stack.resources)
    assert stack.kms_keys() == []
    assert stack.role_policy_names() == [ROLE_POLICY]


# The settings of round 3: sources, the organisation's digest, owners, chat ################


def handler_accepts(variable: str, value: str) -> bool:
    try:
        handler.Config.from_environ({"AWS_REGION": REGION, variable: value})
    except handler.ConfigurationError:
        return False
    return True


def test_certificate_sources_takes_the_handlers_source_names() -> None:
    """The parameter refuses at deploy time what the handler would refuse at its first run, and
    takes every name of the handler's SOURCE_NAMES, alone or listed."""
    template = load_template()
    names = handler.SOURCE_NAMES
    taken = ["", "all", *names, ",".join(names), ", ".join(reversed(names)), "acm , iam"]
    refused = ["acme", "all,acm", "acm,", ",acm", "acm;iam", "acm iam", "private_ca", " "]
    for value in taken:
        assert accepts(template, "CertificateSources", value), value
        assert handler_accepts("CERTIFICATE_SOURCES", value), value
    for value in refused:
        assert not accepts(template, "CertificateSources", value), value
    assert handler.Config.from_environ(
        {"AWS_REGION": REGION, "CERTIFICATE_SOURCES": EVERY_SETTING["CertificateSources"]}
    ).sources == ("acm", "iam", "private-ca")


def test_owner_tag_takes_a_tag_key_as_the_handler_does() -> None:
    """Empty (no owners), or a tag key: the template and the handler agree on each of these.
    The pattern is CloudFormation's (Java) regex, kept to what Python's re reads too; it lets
    non-ASCII symbols through, which the handler then refuses by name before any AWS call."""
    template = load_template()
    assert accepts(template, "OwnerTag", "")
    samples = [
        "owner", "team", "cost-center", "a:b/c=d+e@f g_h.i", "Équipe", "awsome", "x" * 128,
        "x" * 129, "aws:owner", "AWS:Owner", "owner!", "own,er", "te\tam", "(team)", "team?",
    ]  # fmt: skip
    verdicts = {value: accepts(template, "OwnerTag", value) for value in samples}
    assert verdicts == {value: handler_accepts("OWNER_TAG", value) for value in samples}
    assert verdicts["owner"] and not verdicts["aws:owner"]


def test_organization_digest_runs_two_hours_after_the_members_unless_another_schedule() -> None:
    """Issue 19: the members scan at the default schedule; the organisation's digest reads their
    findings two hours later, on the same day, unless the stack was given a schedule of its own."""
    template = load_template()
    members = template["Parameters"]["ScheduleExpression"]["Default"]
    minute, hour, *rest = members.removeprefix("cron(").removesuffix(")").split()
    assert f"cron({minute} {int(hour) + 2} {' '.join(rest)})" == ORGANIZATION_SCHEDULE
    for scope, given, expected in [
        ("account", None, members),
        ("organization", None, ORGANIZATION_SCHEDULE),
        ("organization", members, ORGANIZATION_SCHEDULE),  # the default, given explicitly
        ("organization", "rate(1 day)", "rate(1 day)"),
        ("organization", "cron(0 6 ? * 2 *)", "cron(0 6 ? * 2 *)"),
        ("account", "rate(1 day)", "rate(1 day)"),
    ]:
        parameters = {"DigestScope": scope, **({"ScheduleExpression": given} if given else {})}
        rule = render(parameters).properties("ScheduleRule")
        assert rule["ScheduleExpression"] == expected, (scope, given)


def test_function_gets_each_round_3_setting_as_given(full_stack: Stack) -> None:
    """The handler reads them as the stack passes them: a deployed function's environment
    makes a valid Config (organisation scope, three sources, owners, JSON for HTTP/S)."""
    variables = full_stack.function["Configuration"]["Environment"]["Variables"]
    config = handler.Config.from_environ(
        {"AWS_REGION": REGION, **{name: str(value) for name, value in variables.items()}}
    )
    assert (config.digest_scope, config.owner_tag, config.https_format) == (
        "organization",
        "team",
        "json",
    )
    assert config.sources == ("acm", "private-ca")  # IncludeIamServerCertificates=false


def test_silent_accounts_alarm_is_the_organisations_heartbeat() -> None:
    """Issue 19: offered in organisation scope when alarms are on, on the metric the handler
    emits there (SilentAccounts, Mode=scan), above 0; it notifies the topic when accounts fall
    silent and when they report again. Its description says when it fires, in words derived
    from its own settings and the handler's SILENT_AFTER."""
    for scope in ("account", "organization"):
        for enabled in ("true", "false"):
            rendered = render({"DigestScope": scope, "EnableAlarms": enabled})
            offered = "SilentAccountsAlarm" in rendered.resources
            assert offered == (scope == "organization" and enabled == "true"), (scope, enabled)
    alarm = resource(load_template(), "SilentAccountsAlarm")
    mode = alarm["Dimensions"][1]["Value"]
    assert alarm["MetricName"] == "SilentAccounts"
    assert (
        alarm["Namespace"],
        alarm["MetricName"],
        (("FunctionName", FUNCTION_NAME), ("Mode", mode)),
    ) in emitted_metrics()
    assert alarm["Dimensions"][0] == {"Name": "FunctionName", "Value": {"Ref": "Function"}}
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert alarm["AlarmActions"] == alarm["OKActions"] == [ALARM_TARGET]
    description = " ".join(alarm["AlarmDescription"]["Fn::Sub"].split())
    period = {86400: "1-day period"}[alarm["Period"]]
    for wanted in (
        f"{alarm['Statistic']} per {period}",
        f"above {alarm['Threshold']} in {alarm['DatapointsToAlarm']} of the last "
        f"{alarm['EvaluationPeriods']} periods",
        f"missing data is {alarm['TreatMissingData']}d",
        f"no monitor finding within {handler.SILENT_AFTER.days} days",
    ):
        assert wanted in description


def attributes_delivered(owners: tuple[str, ...]) -> dict[str, Any]:
    """The message attributes SNS delivers for a message the handler publishes to these owners
    (handler.publish, with a client that records its request)."""
    requests: list[dict[str, Any]] = []

    class RecordingSns:
        def publish(self, **request: Any) -> dict[str, str]:
            requests.append(request)
            return {"MessageId": "1"}

    notification = handler.Notification("subject", "text", {}, '{"default": "{}"}', (), owners)
    handler.publish(RecordingSns(), EXISTING_TOPIC, notification)  # type: ignore[arg-type]
    (request,) = requests
    return {
        name: {"Type": a["DataType"], "Value": a["StringValue"]}
        for name, a in request.get("MessageAttributes", {}).items()
    }


# Every alarm of the template: organisation scope (silent accounts), an expired-in-use threshold.
EVERY_ALARM = {"DigestScope": "organization", "ExpiredInUseAlarmThreshold": "1"}
ALARM_ACTIONS = ("AlarmActions", "OKActions", "InsufficientDataActions")


def alarm_targets(rendered: Rendered) -> set[str]:
    """Every topic an alarm of the rendered stack notifies, in any of its states."""
    return {
        topic
        for r in rendered.resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        for actions in ALARM_ACTIONS
        for topic in r["Properties"].get(actions, [])
    }


def copies_received(rendered: Rendered, address: str, topic: str, owners: tuple[str, ...]) -> int:
    """How many copies of a message the handler publishes to these owners (none: a message
    without attributes, as a CloudWatch alarm's) reach ``address`` when published to ``topic``:
    one per subscription of the address to that topic whose filter policy lets it through (a
    topic's Subscription property has none; an AWS::SNS::Subscription may)."""
    subscriptions: list[tuple[str, dict[str, Any], str]] = []
    for logical_id, r in rendered.resources.items():
        properties = r.get("Properties", {})
        if r["Type"] == "AWS::SNS::Topic":
            subscriptions += [
                (rendered.resolve({"Ref": logical_id}), {}, "MessageAttributes")
                for s in properties.get("Subscription", [])
                if (s["Protocol"], s["Endpoint"]) == ("email", address)
            ]
        elif r["Type"] == "AWS::SNS::Subscription" and properties["Endpoint"] == address:
            subscriptions.append(
                (
                    properties["TopicArn"],
                    properties.get("FilterPolicy", {}),
                    properties.get("FilterPolicyScope", "MessageAttributes"),
                )
            )
    attributes = attributes_delivered(owners)
    return sum(
        1
        for subscribed, policy, scope in subscriptions
        if subscribed == topic and policy_matches(policy, scope, attributes, "message")
    )


def test_email_subscription_with_owner_tag_receives_every_certificate_and_alarm_once() -> None:
    """Issue 20: with OwnerTag a digest goes once to "all" and once to each owner, an ACM event's
    message to "all" and its owner; the e-mail's filter policy (AWS::SNS::Subscription, on the
    message attributes) takes the "all" messages only. A message without attributes, as a
    CloudWatch alarm's, matches no filter policy: so the alarms notify a topic of their own, to
    which the address is subscribed without one, and it still gets each alarm once.
    Without OwnerTag the address stays the topic's own subscription, unfiltered, and the alarms
    notify that topic."""
    address = EVERY_SETTING["NotificationEmail"]
    email = {"NotificationEmail": address, **EVERY_ALARM}
    plain = render(email)
    assert "EmailSubscription" not in plain.resources
    assert plain.properties("Topic")["Subscription"] == [{"Protocol": "email", "Endpoint": address}]
    owned = render({**email, "OwnerTag": "team"})
    assert "Subscription" not in owned.properties("Topic")
    subscription = owned.properties("EmailSubscription")
    assert subscription == {
        "TopicArn": "<topic>",
        "Protocol": "email",
        "Endpoint": address,
        "FilterPolicyScope": "MessageAttributes",
        "FilterPolicy": {"owner": [handler.EVERYONE]},
    }

    def received(rendered: Rendered, topic: str, owners: tuple[str, ...]) -> int:
        return copies_received(rendered, address, topic, owners)

    # What the function publishes to the topic.
    assert received(owned, "<topic>", (handler.EVERYONE,)) == 1  # the whole digest
    assert received(owned, "<topic>", ("team-a",)) == 0  # an owner's digest
    assert received(owned, "<topic>", (handler.UNOWNED,)) == 0
    assert received(owned, "<topic>", (handler.EVERYONE, "team-a")) == 1  # one certificate's
    assert received(owned, "<topic>", ()) == 0  # no attribute: an alarm's notification
    # What the alarms publish: to a topic of their own, which the address receives unfiltered.
    (alarm_topic,) = alarm_targets(owned)
    assert received(owned, alarm_topic, ()) == 1
    assert alarm_topic != "<topic>"
    # Without OwnerTag, one topic and one subscription take everything.
    assert alarm_targets(plain) == {"<topic>"}
    assert received(plain, "<topic>", ()) == received(plain, "<topic>", ("team-a",)) == 1
    # No address, no subscription (an existing topic is subscribed where it is managed).
    assert "EmailSubscription" not in render({"OwnerTag": "team"}).resources
    descriptions = " ".join(
        " ".join(load_template()["Parameters"][name]["Description"].split())
        for name in ("OwnerTag", "NotificationEmail")
    )
    assert '{"owner": ["all"]}' in descriptions and "AlarmTopicArn" in descriptions


def test_alarms_get_a_topic_of_their_own_exactly_when_the_email_is_filtered() -> None:
    """The stack's e-mail subscription is filtered when the stack creates the topic and has
    OwnerTag and NotificationEmail. With alarms on, every action of every alarm then notifies
    AlarmTopic: encrypted with the topic's key (the stack's own, a given one, or none), the
    address subscribed without a filter policy, a policy that lets CloudWatch publish
    (tests/test_policies.py evaluates it), its ARN an output. In every other layout there is no
    such topic and the alarms notify the topic, as before. (ExistingTopicArn with
    NotificationEmail is refused by the rule EmailNeedsOwnTopic.)"""
    address = EVERY_SETTING["NotificationEmail"]
    layouts = itertools.product(
        [{}, {"ExistingTopicArn": EXISTING_TOPIC}],
        [{}, {"NotificationEmail": address}],
        [{}, {"OwnerTag": "team"}],
        [{}, {"TopicKmsKeyId": EVERY_SETTING["TopicKmsKeyId"]}],
        [{}, {"TopicPublisherOrgId": EVERY_SETTING["TopicPublisherOrgId"]}],
        [{"EnableAlarms": "true"}, {"EnableAlarms": "false"}],
    )
    filtered_layouts = 0
    for topic, email, owner, key, org, enabled in layouts:
        if topic and email:
            continue
        parameters = {**topic, **email, **owner, **key, **org, **enabled, **EVERY_ALARM}
        rendered = render(parameters)
        alarms_on = enabled["EnableAlarms"] == "true"
        filtered = not topic and bool(email) and bool(owner)
        own_topic = filtered and alarms_on
        assert rendered.conditions["AlarmsNeedOwnTopic"] == own_topic, parameters
        added = {"AlarmTopic", "AlarmTopicPolicy"} & set(rendered.resources)
        assert added == ({"AlarmTopic", "AlarmTopicPolicy"} if own_topic else set()), parameters
        before = EXISTING_TOPIC if topic else "<topic>"
        found = [r for r in rendered.resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
        assert len(found) == (5 if alarms_on else 0), parameters
        assert alarm_targets(rendered) == (
            {"<AlarmTopic>" if own_topic else before} if alarms_on else set()
        ), parameters
        if not own_topic:
            continue
        filtered_layouts += 1
        alarm_topic = rendered.properties("AlarmTopic")
        assert alarm_topic.get("KmsMasterKeyId") == rendered.properties("Topic").get(
            "KmsMasterKeyId"
        ), parameters
        assert alarm_topic["Subscription"] == [{"Protocol": "email", "Endpoint": address}]
        policy = rendered.properties("AlarmTopicPolicy")
        assert policy["Topics"] == ["<AlarmTopic>"]
        (allow,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
        assert (allow["Principal"], allow["Action"], allow["Resource"]) == (
            {"Service": "cloudwatch.amazonaws.com"},
            "sns:Publish",
            "<AlarmTopic>",
        )
    assert filtered_layouts == 4  # each key choice, with and without an organisation
    output = load_template()["Outputs"]["AlarmTopicArn"]
    assert (output["Condition"], output["Value"]) == ("AlarmsNeedOwnTopic", {"Ref": "AlarmTopic"})


# The dashboard (issue 20) ##################################################################


def dashboard_metrics(body: dict[str, Any]) -> list[tuple[str, Metric]]:
    """Every metric of every metric widget: (the widget's region, the metric)."""
    found = []
    for widget in body["widgets"]:
        assert widget["type"] == "metric", widget
        properties = widget["properties"]
        for row in properties["metrics"]:
            texts = [item for item in row if isinstance(item, str)]
            assert len(texts) == len(row) - (1 if isinstance(row[-1], dict) else 0), row
            namespace, name, *pairs = texts
            dimensions = tuple(sorted(zip(pairs[::2], pairs[1::2], strict=True)))
            found.append((properties["region"], (namespace, name, dimensions)))
    return found


def check_dashboard(body: dict[str, Any], region: str, scope: str) -> None:
    """Every graph names a metric the handler emits, with its namespace and both dimensions,
    in this stack's region; the graphs the issue asks for are there."""
    found = dashboard_metrics(body)
    assert {r for r, _ in found} == {region}
    outside = [metric for _, metric in found if metric not in emitted_metrics()]
    assert outside == []
    names = {metric[1] for _, metric in found}
    severities = [s.title() for s in handler.SEVERITY_ORDER]
    wanted = {*severities, "ExpiredInUse", "Heartbeat", "Failures", "FindingsFailed"}
    assert wanted <= names
    assert ("SilentAccounts" in names) == (scope == "organization")
    (by_severity,) = [w for w in body["widgets"] if "severity" in w["properties"]["title"]]
    assert [row[1] for row in by_severity["properties"]["metrics"]] == severities
    assert (by_severity["properties"]["period"], by_severity["properties"]["stacked"]) == (
        7 * 86400,
        True,
    )


@pytest.mark.parametrize("scope", ["account", "organization"])
def test_dashboard_graphs_only_metrics_the_handler_emits(scope: str) -> None:
    rendered = render({"DigestScope": scope})
    dashboard = rendered.properties("Dashboard")
    assert dashboard["DashboardName"] == f"{FUNCTION_NAME}-{rendered.pseudo['AWS::Region']}"
    check_dashboard(json.loads(dashboard["DashboardBody"]), rendered.pseudo["AWS::Region"], scope)


def test_dashboard_is_on_by_default_and_can_be_left_out() -> None:
    template = load_template()
    assert template["Parameters"]["EnableDashboard"]["Default"] == "true"
    assert template["Outputs"]["DashboardName"]["Condition"] == "DashboardEnabled"
    assert "Dashboard" not in render({"EnableDashboard": "false"}).resources
    # Fn::Sub names this stack's region and function; nothing else is a variable.
    text = json.dumps(resource(template, "Dashboard")["DashboardBody"])
    assert set(re.findall(r"\$\{([^}]+)\}", text)) == {"AWS::Region", "Function"}


@pytest.mark.parametrize(
    ("stack_name", "scope"), [("full_stack", "organization"), ("default_stack", "account")]
)
def test_deployed_dashboard_shows_this_stacks_function_in_its_region(
    stack_name: str, scope: str, request: pytest.FixtureRequest
) -> None:
    """As CloudFormation resolved it (moto 5.2 creates AWS::CloudWatch::Dashboard)."""
    stack: Stack = request.getfixturevalue(stack_name)
    name = f"{FUNCTION_NAME}-{stack.region}"
    assert stack.resources["Dashboard"] == name
    body = stack.session.client("cloudwatch").get_dashboard(DashboardName=name)["DashboardBody"]
    check_dashboard(json.loads(body), stack.region, scope)
