"""Least privilege, proven: ``iam_policy.json`` is enough, every action in it is needed, it
grants exactly what the code calls, and the function handles no secrets.

Both options, and the organisation digest, run as an IAM user that holds only
``iam_policy.json``, with moto's IAM enforcement on (``testkit.policies.enforced()`` around the
handler: the user, its key and the test data are created before it, unauthenticated), in a
world that holds a certificate of every certificate source. Then each action is taken out of
the policy in turn, and the path that needs it must break visibly: an ``IncompleteRunError``
or a warning saying AccessDenied for exactly that action; for a source's action, an error
naming the source, the region and the action.

moto's enforcement differs from AWS in four ways; the ``enforcement`` fixture makes it as
strict as AWS (``testkit.policies.enforce_as_aws``, whose docstring says how): it authorises
against the resource AWS checks (the certificate, the topic, the findings' product, the log
group, the queue, each source's describe), with IAM's names for the actions
(``cloudwatch:ListMetrics``, ``apigateway:GET``), answers a denial as each service does
(``AccessDeniedException`` in JSON, HTTP 400 or 403; SNS ``AuthorizationError``; IAM and RDS
``AccessDenied``) and checks the signature of the body that was sent.

As AWS does, it lets ``sts:GetCallerIdentity`` through whatever the policy says ("No
permissions are required to perform this operation").
"""

from __future__ import annotations

import ast
import copy
import functools
import json
import logging
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from handle_expiring_certificates import (
    ACM,
    SOURCE_NAMES,
    SOURCES,
    AwsClients,
    IncompleteRunError,
)
from testkit import (
    ACCOUNT_ID,
    FakeContext,
    StrictAws,
    client,
    create_topic_with_queue,
    enable_hub,
    get_findings,
    invoke,
    invoke_outcome,
    load_event,
    messaged_arns,
    put_days_to_expiry_metric,
    receive_messages,
    record_states,
    seed_source,
)
from testkit.acm import stored_pem
from testkit.certificates import import_certificate, make_certificate, set_in_use_by
from testkit.faults import iam_action
from testkit.policies import enforce_as_aws, enforced
from testkit.securityhub import add_member

ROOT = Path(__file__).resolve().parents[1]
POLICY_FILE = ROOT / "iam_policy.json"
HANDLER_FILE = ROOT / "handle_expiring_certificates.py"
POLICY: dict[str, Any] = json.loads(POLICY_FILE.read_text(encoding="utf-8"))
REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
TOPIC_REGION = "us-west-2"
LOG_GROUP = "/aws/lambda/handle-expiring-certificates"
DEAD_LETTER_QUEUE = "handle-expiring-certificates-dead-letters"
IGNORE = {"certificate-monitor": "ignore"}
LOAD_BALANCER = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:loadbalancer/app/web/1a2b3c"
MEMBER = "210987654321"  # a member account of the administrator's hub, for the digest

# What the handler may call, and nothing else, by service as boto3 names it. ListCertificates
# only where SearchCertificates is unavailable; ListMembers only for DIGEST_SCOPE=organization;
# GetCallerIdentity only when no function ARN names the account (it needs no permission: "No
# permissions are required to perform this operation").
HANDLER_OPERATIONS = {
    "acm": {
        "SearchCertificates",
        "ListCertificates",
        "DescribeCertificate",
        "ListTagsForCertificate",
    },
    "cloudwatch": {"ListMetrics", "GetMetricData"},
    "iam": {"ListServerCertificates", "ListSAMLProviders", "GetSAMLProvider"},
    "acm-pca": {"ListCertificateAuthorities"},
    "rds": {"DescribeDBInstances"},
    "apigateway": {"GetClientCertificates"},
    "iot": {"ListCACertificates", "DescribeCACertificate"},
    "transfer": {"ListCertificates", "DescribeCertificate"},
    "ds": {"DescribeDirectories", "ListCertificates"},
    "dms": {"DescribeCertificates"},
    "sns": {"ListPlatformApplications", "Publish"},
    "securityhub": {"GetFindings", "BatchImportFindings", "ListMembers"},
    "sts": {"GetCallerIdentity"},
}
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}
# What Lambda does with the role, not the code: store the logs, keep a failed event.
GRANTED_FOR_LAMBDA = {
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "sqs:SendMessage",
}


def policy_actions(policy: dict[str, Any]) -> list[str]:
    actions: list[str] = []
    for statement in policy["Statement"]:
        value = statement["Action"]
        actions += [value] if isinstance(value, str) else value
    return actions


def without(action: str) -> dict[str, Any]:
    """The policy with one action taken out (and its statement, when it was the only one)."""
    policy = copy.deepcopy(POLICY)
    statements = []
    for statement in policy["Statement"]:
        actions = [a for a in policy_actions({"Statement": [statement]}) if a != action]
        if actions:
            statements.append({**statement, "Action": actions})
    policy["Statement"] = statements
    return policy


# moto made to authorise as AWS does ######################################################


@pytest.fixture
def enforcement(aws: StrictAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[StrictAws]:
    """moto's IAM checks with the resources, action names, answers and signatures AWS uses
    (``testkit.policies``)."""
    enforce_as_aws(monkeypatch)
    yield aws


@functools.cache
def _loader() -> Any:
    return botocore.session.get_session().get_component("data_loader")


def new_session(
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    aws_session_token: str | None = None,
) -> botocore.session.Session:
    """A botocore session of its own (credentials; the environment's without them), as
    ``AwsClients`` takes it, sharing the loaded service models: loading them anew takes ~0.2 s
    per client."""
    core = botocore.session.Session()
    core.register_component("data_loader", _loader())
    core.set_config_variable("region", REGION)
    if aws_access_key_id is not None and aws_secret_access_key is not None:
        core.set_credentials(aws_access_key_id, aws_secret_access_key, aws_session_token)
    return core


def identity(policy: dict[str, Any]) -> botocore.session.Session:
    """A session for a new IAM user whose only permissions are ``policy``."""
    iam = client("iam")
    name = f"certificate-monitor-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="function", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return new_session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    )


def run_as(
    session: botocore.session.Session, event: dict[str, Any], environ: dict[str, str]
) -> tuple[dict[str, Any], IncompleteRunError | None]:
    """The handler under IAM enforcement: every call it makes is checked against the policy."""
    with enforced():
        return invoke_outcome(event, environ=environ, clients=AwsClients(session))


def deliver_logs(session: botocore.session.Session) -> dict[str, str]:
    """What Lambda does with the execution role to store the function's logs; the outcome of
    each call ("ok" or the error message)."""
    logs = session.create_client("logs", region_name=REGION)
    stream = "2026/11/29/[$LATEST]0123456789abcdef"
    calls = {
        "CreateLogGroup": lambda: logs.create_log_group(logGroupName=LOG_GROUP),
        "CreateLogStream": lambda: logs.create_log_stream(
            logGroupName=LOG_GROUP, logStreamName=stream
        ),
        "PutLogEvents": lambda: logs.put_log_events(
            logGroupName=LOG_GROUP,
            logStreamName=stream,
            logEvents=[{"timestamp": 1_764_374_400_000, "message": "START RequestId: 1"}],
        ),
    }
    outcome = {}
    with enforced():
        for operation, call in calls.items():
            try:
                call()
                outcome[operation] = "ok"
            except logs.exceptions.ClientError as error:
                outcome[operation] = str(error)
    return outcome


def deliver_dead_letter(session: botocore.session.Session) -> dict[str, str]:
    """What Lambda does with the execution role with an event whose invocation failed or
    expired: send it to the dead-letter queue (the outcome, as in deliver_logs)."""
    url = client("sqs").create_queue(QueueName=DEAD_LETTER_QUEUE)["QueueUrl"]
    sqs = session.create_client("sqs", region_name=REGION)
    with enforced():
        try:
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(load_event("scheduled-event")))
        except sqs.exceptions.ClientError as error:
            return {"SendMessage": str(error)}
    return {"SendMessage": "ok"}


# The world the function runs in ######################################################


class World:
    """A certificate of every source inside the window: ACM in two regions (one ignored by tag,
    one renewed since its finding was written, one healthy with its DaysToExpiry metric), an
    IAM server certificate and a SAML provider (global), and one certificate of each other
    source, in either region; the hub in the second region, the topic in a third one."""

    def __init__(self) -> None:
        now = datetime.now(timezone.utc).replace(microsecond=0)
        enable_hub(OTHER_REGION)
        self.topic, self.queue = create_topic_with_queue(TOPIC_REGION)
        east, west = client("acm", REGION), client("acm", OTHER_REGION)
        self.due = import_certificate(east, common_name="due.example.com", days_left=3, now=now)
        self.due_west = import_certificate(
            west, common_name="due.example.eu", days_left=20, now=now
        )
        self.ignored = import_certificate(
            east, common_name="ignored.example.com", days_left=2, now=now, tags=IGNORE
        )
        self.renewed = import_certificate(
            east, common_name="renewed.example.com", days_left=9, now=now
        )
        # Outside the window, with the DaysToExpiry metric ACM keeps for every certificate:
        # the scan reads its latest value (GetMetricData) instead of describing it.
        self.healthy = import_certificate(
            east, common_name="healthy.example.com", days_left=200, now=now
        )
        put_days_to_expiry_metric(REGION, self.healthy, 200)
        body, key = make_certificate("legacy.example.com", not_after=now + timedelta(days=30))
        self.server_certificate = client("iam").upload_server_certificate(
            ServerCertificateName="legacy-web",
            CertificateBody=body.decode(),
            PrivateKey=key.decode(),
        )["ServerCertificateMetadata"]["Arn"]
        self.other_sources = self._seed_other_sources(now)
        self.environ = {
            "AWS_REGION": REGION,
            "SCAN_REGIONS": f"{REGION},{OTHER_REGION}",
            "SECURITY_HUB_REGION": OTHER_REGION,
            "SNS_TOPIC_ARN": self.topic,
            "IGNORE_TAG": "certificate-monitor=ignore",
        }
        # A finding for "renewed" from an earlier run; then the certificate is re-imported.
        invoke(
            load_event("scheduled-event"),
            now=now,
            environ=self.environ,
            clients=AwsClients(new_session()),
        )
        receive_messages(self.queue)
        import_certificate(
            east,
            common_name="renewed.example.com",
            days_left=200,
            now=now,
            certificate_arn=self.renewed,
        )

    @staticmethod
    def _seed_other_sources(now: datetime) -> dict[str, str]:
        """One certificate inside the window of each source beyond ACM and IAM
        (``testkit.seed_source``); its ARN as the handler reports it, by source."""
        return {
            source: seed_source(source, region, name=name, not_after=now + timedelta(days=days))
            for source, region, name, days in (
                ("private-ca", REGION, "Example Issuing CA", 25),
                ("rds", REGION, "orders-db", 15),
                ("api-gateway", OTHER_REGION, "payments backend", 12),
                ("iot", REGION, "Devices CA", 6),
                ("saml", REGION, "Okta", 40),  # global: the region is not used
                ("transfer", REGION, "sftp.example.com", 18),
                ("directory-service", OTHER_REGION, "ldaps.corp.example.com", 22),
                ("dms", REGION, "orders-db-ca", 28),
                ("sns-apns", REGION, "Orders", 35),
            )
        }

    def in_window(self) -> list[tuple[str, str]]:
        """(source, ARN) of every certificate a scan reports: all but the ignored and the
        renewed ACM certificates, sorted."""
        return sorted(
            [
                ("acm", self.due),
                ("acm", self.due_west),
                ("iam", self.server_certificate),
                *self.other_sources.items(),
            ]
        )

    @staticmethod
    def scheduled() -> dict[str, Any]:
        return load_event("scheduled-event")

    def about(self, arn: str) -> dict[str, Any]:
        return load_event("acm-approaching-expiration", resources=[arn])

    def messaged_arns(self) -> list[list[str]]:
        return messaged_arns(self.queue)

    def record_states(self) -> dict[str, str]:
        return record_states(OTHER_REGION)

    def arn_of(self, source: str) -> str:
        """The ARN of the one certificate of a source beyond ACM."""
        return {"iam": self.server_certificate, **self.other_sources}[source]

    def organization(self) -> dict[str, str]:
        """The settings of the administrator account's function with the organisation
        digest; its hub has one member, whose monitor has never reported."""
        add_member(MEMBER, region=OTHER_REGION)
        return {**self.environ, "DIGEST_SCOPE": "organization"}


@pytest.fixture
def world(enforcement: StrictAws) -> World:
    made = World()
    enforcement.calls.clear()
    return made


def served(aws: StrictAws) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {}
    for call in aws.calls:
        result.setdefault(call.service, set()).add(call.operation)
    return result


def entries(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, ARN) of each certificate the summary reports inside the window, sorted."""
    return sorted((entry["kind"], entry["arn"]) for entry in summary["in_window"])


# The policy is enough ###################################################################


def test_a_scan_does_everything_with_only_the_policy(enforcement: StrictAws, world: World):
    # In use, so the scan describes it (an imported certificate nobody uses is not described).
    set_in_use_by(world.due, REGION, [LOAD_BALANCER])
    session = identity(POLICY)
    enforcement.calls.clear()

    summary, error = run_as(session, world.scheduled(), world.environ)

    # Every source is read and each describe made. The search works, so nothing is listed; the
    # ARNs name the account, so STS is not asked; the digest is the account's: no ListMembers.
    assert {
        **{k: v for k, v in HANDLER_OPERATIONS.items() if k != "sts"},
        "acm": HANDLER_OPERATIONS["acm"] - {"ListCertificates"},
        "securityhub": HANDLER_OPERATIONS["securityhub"] - {"ListMembers"},
    } == served(enforcement)
    assert (None, [], []) == (error, summary["errors"], summary["warnings"])
    # A certificate of every source, and nothing else.
    assert world.in_window() == entries(summary)
    assert sorted(SOURCE_NAMES) == sorted({source for source, _ in entries(summary)})
    # Described under the policy: what uses it is known.
    assert [[LOAD_BALANCER]] == [
        entry["in_use_by"] for entry in summary["in_window"] if entry["arn"] == world.due
    ]
    assert [{"arn": world.ignored, "reason": "ignored by tag certificate-monitor=ignore"}] == (
        summary["skipped"]
    )
    assert (len(world.in_window()), 1) == (
        summary["findings"]["written"],
        summary["findings"]["archived"],
    )
    assert {
        **{arn: "ACTIVE" for _, arn in world.in_window()},
        world.renewed: "ARCHIVED",
    } == world.record_states()
    assert [sorted(arn for _, arn in world.in_window())] == [
        sorted(arns) for arns in world.messaged_arns()
    ]


def test_an_organisation_digest_does_everything_with_only_the_policy(
    enforcement: StrictAws, world: World
):
    """DIGEST_SCOPE=organization, in the Security Hub administrator account: after its own
    scan, the function lists the hub's members (ListMembers) and reads their findings."""
    environ = world.organization()
    session = identity(POLICY)
    enforcement.calls.clear()

    summary, error = run_as(session, world.scheduled(), environ)

    assert {"GetFindings", "BatchImportFindings", "ListMembers"} == served(enforcement)[
        "securityhub"
    ]
    assert (None, [], []) == (error, summary["errors"], summary["warnings"])
    assert world.in_window() == entries(summary)
    # The member is listed, and silent: it never reported.
    assert [MEMBER] == [account["account"] for account in summary["silent_accounts"]]


def test_an_acm_event_does_everything_with_only_the_policy(enforcement: StrictAws, world: World):
    session = identity(POLICY)
    enforcement.calls.clear()

    summary, error = run_as(session, world.about(world.due_west), world.environ)

    assert {
        "acm": {"DescribeCertificate", "ListTagsForCertificate"},
        "securityhub": {"GetFindings", "BatchImportFindings"},
        "sns": {"Publish"},
    } == served(enforcement)
    assert (None, [], []) == (error, summary["errors"], summary["warnings"])
    assert [world.due_west] == [entry["arn"] for entry in summary["in_window"]]
    assert {arn: "ACTIVE" for _, arn in [*world.in_window(), ("acm", world.renewed)]} == (
        world.record_states()
    )
    assert [[world.due_west]] == world.messaged_arns()


def test_lambda_can_store_the_function_logs_with_only_the_policy(enforcement: StrictAws):
    outcome = deliver_logs(identity(POLICY))

    assert {"CreateLogGroup": "ok", "CreateLogStream": "ok", "PutLogEvents": "ok"} == outcome


def test_lambda_can_keep_a_failed_event_in_the_dead_letter_queue_with_only_the_policy(
    enforcement: StrictAws,
):
    assert {"SendMessage": "ok"} == deliver_dead_letter(identity(POLICY))


# Every action is needed ###################################################################

# For each action: the run that needs it, and whether losing it is a failure (the run ends in
# IncompleteRunError) or a degradation (a warning). "logs" is Lambda storing the logs;
# "listing scan" a scan where the ACM endpoint predates SearchCertificates (testkit.faults'
# ``search = "unknown_operation"``), so the handler lists every certificate instead;
# "organisation scan" a scan with DIGEST_SCOPE=organization in the administrator account.
NEEDED_BY = {
    "logs:CreateLogGroup": ("logs", "CreateLogGroup"),
    "logs:CreateLogStream": ("logs", "CreateLogStream"),
    "logs:PutLogEvents": ("logs", "PutLogEvents"),
    "acm:SearchCertificates": ("scan", "warnings"),
    "acm:ListCertificates": ("listing scan", "errors"),
    "acm:DescribeCertificate": ("certificate", "errors"),
    "acm:ListTagsForCertificate": ("scan", "warnings"),
    "iam:ListServerCertificates": ("scan", "errors"),
    "cloudwatch:ListMetrics": ("scan", "warnings"),
    "cloudwatch:GetMetricData": ("scan", "warnings"),
    "acm-pca:ListCertificateAuthorities": ("scan", "errors"),
    "rds:DescribeDBInstances": ("scan", "errors"),
    "apigateway:GET": ("scan", "errors"),
    "iot:ListCACertificates": ("scan", "errors"),
    "iot:DescribeCACertificate": ("scan", "errors"),
    "iam:ListSAMLProviders": ("scan", "errors"),
    "iam:GetSAMLProvider": ("scan", "errors"),
    "transfer:ListCertificates": ("scan", "errors"),
    "transfer:DescribeCertificate": ("scan", "errors"),
    "ds:DescribeDirectories": ("scan", "errors"),
    "ds:ListCertificates": ("scan", "errors"),
    "dms:DescribeCertificates": ("scan", "errors"),
    "sns:ListPlatformApplications": ("scan", "errors"),
    "securityhub:GetFindings": ("scan", "errors"),
    "securityhub:BatchImportFindings": ("scan", "errors"),
    "securityhub:ListMembers": ("organisation scan", "errors"),
    "sns:Publish": ("scan", "errors"),
    "sqs:SendMessage": ("dead-letter", "SendMessage"),
}
# The source each action of a source's reader serves (its row of SOURCES), and the operation
# that needs each action (API Gateway's GetClientCertificates is apigateway:GET).
SOURCE_OF = {action: name for name, source in SOURCES.items() for action in source.actions}
OPERATION_OF = {
    iam_action(service, operation): (service, operation)
    for service, operations in HANDLER_OPERATIONS.items()
    for operation in operations
}


def test_every_action_of_the_policy_has_a_path_that_needs_it():
    assert sorted(NEEDED_BY) == sorted(policy_actions(POLICY))


@pytest.mark.parametrize("action", sorted(NEEDED_BY))
def test_without_the_action_its_path_breaks_visibly(enforcement: StrictAws, action: str):
    path, kind = NEEDED_BY[action]
    denied = f"not authorized to perform: {action}"
    if path in ("logs", "dead-letter"):
        deliver = deliver_logs if path == "logs" else deliver_dead_letter
        outcome = deliver(identity(without(action)))
        assert denied in outcome[kind]
        return
    world = World()
    if path == "listing scan":
        enforcement.world.search = "unknown_operation"
    environ = world.organization() if path == "organisation scan" else world.environ
    session = identity(without(action))
    enforcement.calls.clear()

    summary, error = run_as(
        session, world.about(world.due) if path == "certificate" else world.scheduled(), environ
    )

    assert {kind} == {k for k in ("errors", "warnings") if any(denied in p for p in summary[k])}
    assert (kind == "errors") == isinstance(error, IncompleteRunError)
    if action == "acm:ListTagsForCertificate":
        # The tag cannot be read, so the certificate is reported, not silently ignored.
        assert world.ignored in [entry["arn"] for entry in summary["in_window"]]
    if action == "acm:SearchCertificates":
        # Denied the search, the scan lists instead and misses nothing.
        assert ("ListCertificates", world.in_window()) == (summary["source"], entries(summary))
    if action == "securityhub:ListMembers":
        # Which members are silent is unknown, and the summary says so.
        assert ([], [True]) == (
            summary["silent_accounts"],
            [p.endswith("; silent accounts unknown") for p in summary["errors"]],
        )
    source = SOURCE_OF.get(action)
    if source not in (None, ACM):
        assert_source_denied(enforcement, summary, world, source, action)


def assert_source_denied(
    aws: StrictAws, summary: dict[str, Any], world: World, source: str, action: str
) -> None:
    """A source's denied action: every call of it was denied, each one reported as an error
    that names the operation and the region it was made in (none for a global source) with
    AWS's denial of the action, and, as ``read_source`` reports a source it could not read, the
    source and the permission the role lacks; every other source is read as usual."""
    service, operation = OPERATION_OF[action]
    made_in = sorted(
        {
            call.region
            for call in aws.calls
            if (call.service, call.operation) == (service, operation)
        }
    )
    heads = (
        [f"{operation} in {region}" for region in made_in]
        if SOURCES[source].scope == "regional"
        else [operation]
    )
    denials = sorted(p for p in summary["errors"] if f"not authorized to perform: {action}" in p)
    others = set(world.in_window()) - {(source, world.arn_of(source))}

    assert made_in
    assert heads == [problem.partition(" failed (")[0] for problem in denials]
    assert others <= set(entries(summary))
    named = [
        problem.endswith(f"; the {source} source was not read; the role needs {action}")
        for problem in denials
    ]
    assert [True] * len(denials) == named, denials


# The policy grants what the code calls, and nothing else ###################################


@dataclass(frozen=True)
class SourceCalls:
    """The AWS operations the handler's source calls, ``(service, operation)`` with the service
    as boto3 names it, read per service: each call is attributed to the client it is made on.

    ``operations``: by module-level function (or method, ``Class.method``), the operations
    called in it (its nested functions included); ``names``: the module-level functions each
    one names (calls, or passes on as a callback); ``unresolved``: calls that look like AWS
    calls on a receiver that is no known client (the parser would miss them: none may be)."""

    operations: dict[str, set[tuple[str, str]]]
    names: dict[str, set[str]]
    unresolved: list[str]

    def all(self) -> set[tuple[str, str]]:
        return {call for calls in self.operations.values() for call in calls}

    def reachable(self, function: str) -> set[tuple[str, str]]:
        """The operations ``function`` calls, itself or through the functions it names."""
        seen, todo = set(), [function]
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += self.names.get(name, set())
        return {call for name in seen for call in self.operations.get(name, set())}


@functools.cache
def _operations(service: str) -> dict[str, str]:
    """The operations of ``service`` by their names as client methods (``list_certificates``)."""
    model = botocore.session.get_session().get_service_model(service)
    return {botocore.xform_name(name): name for name in model.operation_names}


def _paginated(service: str, operation: str) -> bool:
    try:
        botocore.session.get_session().get_paginator_model(service).get_paginator(operation)
    except ValueError:  # "Paginator for operation does not exist"
        return False
    return True


def _string(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    """The module's functions and its classes' methods (``Class.method``)."""
    found = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            found |= {
                f"{node.name}.{method.name}": method
                for method in node.body
                if isinstance(method, ast.FunctionDef)
            }
    return found


def _client_types(tree: ast.Module) -> dict[str, str]:
    """The client types the code annotates with (``from mypy_boto3_acm_pca import
    ACMPCAClient``) -> their service (``acm-pca``)."""
    return {
        alias.asname or alias.name: node.module.removeprefix("mypy_boto3_").replace("_", "-")
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module is not None
        and re.fullmatch(r"mypy_boto3_\w+", node.module)
        for alias in node.names
        if alias.name.endswith("Client")
    }


def _client_accessors(functions: dict[str, ast.FunctionDef]) -> dict[str, str]:
    """Methods that return ``self.client("<service>", ...)`` (``AwsClients.acm``) -> service."""
    found = {}
    for qualified, function in functions.items():
        last = function.body[-1]
        if (
            "." in qualified
            and isinstance(last, ast.Return)
            and isinstance(last.value, ast.Call)
            and isinstance(last.value.func, ast.Attribute)
            and last.value.func.attr == "client"
            and (service := _string(last.value.args[0] if last.value.args else None))
        ):
            found[function.name] = service
    return found


def _paging_helpers(functions: dict[str, ast.FunctionDef]) -> dict[str, tuple[int, int]]:
    """Functions that page through the operation one parameter names on the client another
    one is (``_paged(client, "operation_name", ...)``: ``client.get_paginator(operation)``) ->
    the positions of those two parameters."""
    found = {}
    for name, function in functions.items():
        parameters = [a.arg for a in function.args.posonlyargs + function.args.args]
        for node in ast.walk(function):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get_paginator"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in parameters
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id in parameters
            ):
                found[name] = (
                    parameters.index(node.func.value.id),
                    parameters.index(node.args[0].id),
                )
    return found


class _Clients:
    """Which service each expression of one function is a client of, if any."""

    def __init__(
        self, function: ast.FunctionDef, types: dict[str, str], accessors: dict[str, str]
    ) -> None:
        self.accessors = accessors
        self.bound: dict[str, str] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.FunctionDef | ast.Lambda):
                arguments = node.args
                for argument in arguments.posonlyargs + arguments.args + arguments.kwonlyargs:
                    if argument.annotation is None:
                        continue
                    for n in ast.walk(argument.annotation):
                        if isinstance(n, ast.Name) and n.id in types:
                            self._bind(function, argument.arg, types[n.id])
        for _ in range(2):  # a client assigned from another one is bound on the second pass
            for node in ast.walk(function):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        self._assign(function, target, node.value)

    def _bind(self, function: ast.FunctionDef, name: str, service: str) -> None:
        assert self.bound.setdefault(name, service) == service, (
            f"{function.name}: {name} is a client of {self.bound[name]} and of {service}"
        )

    def _assign(self, function: ast.FunctionDef, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
            for one_target, one_value in zip(target.elts, value.elts, strict=True):
                self._assign(function, one_target, one_value)
        elif isinstance(target, ast.Name) and (service := self.service_of(value)):
            self._bind(function, target.id, service)

    def service_of(self, node: ast.expr) -> str | None:
        """``clients.client("rds", ...)``, ``clients.sns(...)``, a name bound to a client,
        either branch of ``... if ... else None``."""
        if isinstance(node, ast.Name):
            return self.bound.get(node.id)
        if isinstance(node, ast.IfExp):
            return self.service_of(node.body) or self.service_of(node.orelse)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "client" and node.args:
                return _string(node.args[0])
            if self.service_of(node.func.value) is None:
                return self.accessors.get(node.func.attr)
        return None


def source_calls(source: str | None = None) -> SourceCalls:
    """The operations in the handler's source (or in ``source``), attributed to the client
    each call is made on: a method of a client (``transfer.describe_certificate(...)`` is
    transfer's DescribeCertificate, ``acm.describe_certificate(...)`` ACM's), the operation a
    client pages through (``acm.get_paginator("search_certificates")``) or has a paging
    helper page through (``_paged(clients.client("ds", region), "list_certificates", ...)``).
    Clients are known by the type a parameter is annotated with (``acm: ACMClient``), or by
    what a name is assigned (``ds = clients.client("ds", region)``, ``iam =
    clients.iam(region)``)."""
    tree = ast.parse(source if source is not None else HANDLER_FILE.read_text(encoding="utf-8"))
    functions = _functions(tree)
    types, accessors = _client_types(tree), _client_accessors(functions)
    helpers = _paging_helpers(functions)
    module_functions = {name for name in functions if "." not in name}
    operations: dict[str, set[tuple[str, str]]] = {}
    names: dict[str, set[str]] = {}
    unresolved: list[str] = []
    for qualified, function in functions.items():
        clients = _Clients(function, types, accessors)
        found = operations.setdefault(qualified, set())
        names[qualified] = {
            node.id
            for node in ast.walk(function)
            if isinstance(node, ast.Name) and node.id in module_functions
        }
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            call = ast.unparse(node)
            func = node.func
            if isinstance(func, ast.Name) and func.id in helpers:
                at_client, at_operation = helpers[func.id]
                service = clients.service_of(node.args[at_client])
                method = _string(node.args[at_operation])
                if service is None or method not in _operations(service):
                    unresolved.append(f"{qualified}: {call}")
                    continue
                found.add((service, _operations(service)[method]))
            elif isinstance(func, ast.Attribute):
                service = clients.service_of(func.value)
                method = (
                    _string(node.args[0])
                    if func.attr == "get_paginator" and node.args
                    else func.attr
                )
                if service is None:
                    # An operation's name on an unknown receiver: a client the parser missed.
                    if (func.attr == "get_paginator" and method) or any(
                        method in _operations(s) for s in HANDLER_OPERATIONS
                    ):
                        unresolved.append(f"{qualified}: {call}")
                elif method in _operations(service) and (
                    func.attr != "get_paginator"
                    or _paginated(service, _operations(service)[method])
                ):
                    found.add((service, _operations(service)[method]))
                elif func.attr != "can_paginate":
                    unresolved.append(f"{qualified}: {call}")
    return SourceCalls(operations, names, unresolved)


def handler_operations_in_source() -> set[tuple[str, str]]:
    """Every AWS operation the handler's source can call, by service."""
    calls = source_calls()
    assert [] == calls.unresolved
    return calls.all()


def test_the_source_parser_tells_the_services_apart():
    """Operations of the same name in several services (ListCertificates in ACM, Transfer and
    Directory Service; DescribeCertificate in ACM, Transfer, Directory Service and IoT) are
    each the one of the client they are called on, whether it is a parameter, a name, or made
    in place."""
    source = """
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from mypy_boto3_acm import ACMClient

class Clients:
    def acm(self, region):
        return self.client("acm", region)

def _paged(client, operation, key):
    yield from client.get_paginator(operation).paginate()

def read(acm: ACMClient | None, clients):
    acm.describe_certificate(CertificateArn="a")
    pages = acm.get_paginator("list_certificates")
    transfer = clients.client("transfer", "eu-west-1")
    transfer.describe_certificate(CertificateId="c")
    list(_paged(transfer, "list_certificates", "Certificates"))
    ds, where = clients.client("ds", "eu-west-1"), "in eu-west-1"
    ds.list_certificates(DirectoryId="d")
    iot = clients.client("iot", "eu-west-1") if where else None
    iot.describe_ca_certificate(certificateId="e")

def describe(clients, region):
    return clients.acm(region).list_certificates()
"""
    calls = source_calls(source)

    assert [] == calls.unresolved
    assert {
        "Clients.acm": set(),
        "_paged": set(),
        "read": {
            ("acm", "DescribeCertificate"),
            ("acm", "ListCertificates"),
            ("transfer", "DescribeCertificate"),
            ("transfer", "ListCertificates"),
            ("ds", "ListCertificates"),
            ("iot", "DescribeCACertificate"),
        },
        "describe": {("acm", "ListCertificates")},
    } == calls.operations


def test_the_source_parser_reports_a_call_on_a_client_it_does_not_know():
    source = """
def read(session, anything: object):
    session.create_client("ds").list_certificates(DirectoryId="d")
    anything.get_paginator("describe_directories")
"""
    assert [
        "read: session.create_client('ds').list_certificates(DirectoryId='d')",
        "read: anything.get_paginator('describe_directories')",
    ] == source_calls(source).unresolved


def test_each_source_is_granted_exactly_what_its_reader_calls():
    """Each row of the handler's SOURCES lists as its ``actions`` the IAM actions of the
    operations its reader calls (ACM's: and those that describe each certificate and read its
    tags, ``examine``), and as its ``services`` the clients the reader uses."""
    calls = source_calls()
    reads = {name: calls.reachable(source.read.__name__) for name, source in SOURCES.items()}
    asked = calls.reachable("examine")

    assert [] == calls.unresolved
    assert {name: sorted(source.actions) for name, source in SOURCES.items()} == {
        name: sorted({iam_action(*call) for call in calls_ | (asked if name == ACM else set())})
        for name, calls_ in reads.items()
    }
    assert {name: sorted(source.services) for name, source in SOURCES.items()} == {
        name: sorted({service for service, _ in calls_}) for name, calls_ in reads.items()
    }
    # Beyond the sources, the handler reads the hub's findings (and, for the organisation
    # digest, its members), writes findings and publishes.
    assert [
        "securityhub:BatchImportFindings",
        "securityhub:GetFindings",
        "securityhub:ListMembers",
        "sns:Publish",
    ] == sorted(
        {iam_action(*call) for call in calls.all()}
        - NEEDS_NO_PERMISSION
        - {action for source in SOURCES.values() for action in source.actions}
    )


def test_the_policy_grants_exactly_the_operations_the_code_calls(aws: StrictAws):
    """Every operation in the handler's source is one a run makes (a scan of every source with
    metrics, the hub and a topic; a scan that lists; an ACM event; an organisation digest; a
    scan of a region with no hub, outside Lambda), each maps to an action of iam_policy.json
    (GetCallerIdentity needs none), and the policy grants nothing else but what Lambda needs
    for the logs and the dead-letter queue."""
    world = World()
    put_days_to_expiry_metric(REGION, world.due, 3)
    set_in_use_by(world.due, REGION, [LOAD_BALANCER])
    organization = world.organization()
    aws.calls.clear()
    invoke(world.scheduled(), environ=world.environ)
    aws.world.search = "unknown_operation"
    invoke(world.scheduled(), environ=world.environ)
    aws.world.search = "available"
    invoke(world.about(world.due_west), environ=world.environ)
    invoke(world.scheduled(), environ=organization)
    empty = {**world.environ, "SCAN_REGIONS": "ap-south-1", "SECURITY_HUB_REGION": "ap-south-1"}
    # Run outside Lambda (no function ARN to read the account from): GetCallerIdentity.
    invoke(
        world.scheduled(),
        environ=empty,
        context=FakeContext(invoked_function_arn=""),
        INCLUDE_IAM_SERVER_CERTIFICATES="false",
    )

    in_source = handler_operations_in_source()
    made = {(call.service, call.operation) for call in aws.calls}

    assert {(s, o) for s, operations in HANDLER_OPERATIONS.items() for o in operations} == (
        in_source
    )
    assert in_source == made
    assert sorted(set(policy_actions(POLICY)) - GRANTED_FOR_LAMBDA) == sorted(
        {iam_action(service, operation) for service, operation in made} - NEEDS_NO_PERMISSION
    )


# No secrets, no key material ############################################################

FAKE_KEY_ID = "AKIAFAKEKEYID7EXAMPLE"
FAKE_SECRET = "fAkE/sEcReT+kEy/0123456789abcdefEXAMPLE"
FAKE_TOKEN = "FakeSessionToken//0123456789EXAMPLE"


def test_the_code_never_asks_for_certificate_bodies_or_keys():
    tree = ast.parse(HANDLER_FILE.read_text(encoding="utf-8"))
    called = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }

    assert set() == called & {"get_certificate", "export_certificate", "get_secret_value"}


def test_logs_summaries_messages_and_findings_carry_no_secret_or_key_material(
    aws: StrictAws, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG, logger="handle_expiring_certificates")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    enable_hub()
    topic, envelope_queue = create_topic_with_queue()
    raw_queue = client("sqs").create_queue(QueueName="raw")["QueueUrl"]
    client("sns").subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:raw",
        Attributes={"RawMessageDelivery": "true"},
    )
    arns = [
        import_certificate(client("acm"), common_name=f"s{i}.example.com", days_left=i, now=now)
        for i in (1, 10)
    ]
    certificate, key = stored_pem(REGION, arns[0])
    pem_lines = [certificate.splitlines(), key.splitlines()]
    session = new_session(
        aws_access_key_id=FAKE_KEY_ID,
        aws_secret_access_key=FAKE_SECRET,
        aws_session_token=FAKE_TOKEN,
    )
    environ = {
        # What Lambda puts in the environment, credentials included.
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "AWS_SESSION_TOKEN": FAKE_TOKEN,
        "AWS_LAMBDA_LOG_LEVEL": "DEBUG",
        "SNS_TOPIC_ARN": topic,
    }
    aws.calls.clear()

    summaries = [
        invoke(event, now=now, environ=env, clients=AwsClients(session))
        for event, env in (
            (load_event("scheduled-event"), environ),
            (load_event("acm-approaching-expiration", resources=[arns[0]]), environ),
            (load_event("scheduled-event"), {**environ, "DRY_RUN": "true"}),
        )
    ]

    records = [
        {k: v for k, v in vars(r).items() if k not in ("args", "exc_info")} | {"m": r.getMessage()}
        for r in caplog.records
    ]
    received = receive_messages(envelope_queue) + receive_messages(raw_queue)
    text = json.dumps([records, summaries, received, get_findings()], default=str)
    assert 4 == len(received)  # the scan and the event, to each subscriber
    forbidden = [
        "BEGIN CERTIFICATE",
        "PRIVATE KEY",
        FAKE_KEY_ID,
        FAKE_SECRET,
        FAKE_TOKEN,
        *(lines[len(lines) // 2] for lines in pem_lines),  # a line of each base64 body
    ]
    assert [] == [secret for secret in forbidden if secret in text]
    assert (
        set() == {c.operation for c in aws.calls if c.service == "acm"} - HANDLER_OPERATIONS["acm"]
    )


# The policy lints clean ###############################################################


PARLIAMENT_CONFIG = ROOT / ".parliament.yaml"


def parliament(
    policy_text: str, *options: str, config: Path | None = PARLIAMENT_CONFIG
) -> subprocess.CompletedProcess[str]:
    """parliament as `make lint` runs it (with .parliament.yaml unless ``config`` is None)."""
    # parliament reads the policy from STDIN: with --file it fails when stdin is not a TTY.
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("parliament")),
            *(["--config", str(config)] if config else []),
            *options,
        ],
        input=policy_text,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# What parliament 1.6.4 (its latest release) reports of iam_policy.json that is no fault of
# it; `make lint` filters the same lines out, since parliament's ignore_locations cannot be
# used from a config file (it matches no location given as a plain string):
# - acm:SearchCertificates (2026) is newer than parliament: an unknown action to it;
# - rds:DescribeDBInstances on "*", where parliament would name the DB instances
#   (arn:*:rds:*:*:db:*): a DB instance is the action's only resource type, so "*" grants no
#   more, and the function describes every instance in one request.
ACCEPTED_FROM_PARLIAMENT = (
    "LOW - Unknown action -  - Unknown action acm:SearchCertificates - ",
    "LOW - Unnecessary use of Resource * -  - ['rds:DescribeDBInstances'] - ",
)


def test_parliament_finds_nothing_to_report_in_the_policy():
    """Nothing but the accepted lines, and each of them: one that parliament no longer reports
    (a newer parliament, a changed policy) is taken out of the list and out of `make lint`."""
    result = parliament(POLICY_FILE.read_text(encoding="utf-8"))

    lines = result.stdout.splitlines()
    assert (1, [], list(ACCEPTED_FROM_PARLIAMENT)) == (
        result.returncode,
        [line for line in lines if not line.startswith(ACCEPTED_FROM_PARLIAMENT)],
        [
            known
            for known in ACCEPTED_FROM_PARLIAMENT
            if any(map(str.startswith, lines, [known] * len(lines)))
        ],
    )


def test_make_lint_filters_out_the_accepted_lines_and_nothing_else():
    """The Makefile's parliament line drops the lines this test accepts, and no other."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    line = makefile.partition("parliament --config .parliament.yaml")[2].partition("(! grep .)")[0]

    assert sorted(
        known.removeprefix("LOW - ").removesuffix(" - ") for known in ACCEPTED_FROM_PARLIAMENT
    ) == sorted(re.findall(r'-e "([^"]*)"', line))


def test_parliament_mutes_only_the_statements_whose_partition_is_a_wildcard():
    """.parliament.yaml mutes "effectively Resource *" for the statements that only the
    partition wildcard (arn:*:) makes so: each describes any resource of one type in the
    account; another such statement would be reported."""
    text = POLICY_FILE.read_text(encoding="utf-8")
    # parliament locates a statement by the line of its opening brace, the line above its Sid.
    sid_of_line = {
        number - 1: match[1]
        for number, line in enumerate(text.splitlines(), start=1)
        if (match := re.search(r'"Sid": "(\w+)"', line))
    }

    result = parliament(text, "--json", config=None)

    assert [
        "PublishNotifications",
        "ReadCertificates",
        "ReadDirectoryCertificates",
        "ReadIotCaCertificates",
        "ReadSamlProviders",
        "ReadTransferCertificates",
    ] == sorted(
        sid_of_line[finding["location"]["line"]]
        for finding in map(json.loads, result.stdout.splitlines())
        if finding["issue"] == "RESOURCE_EFFECTIVELY_STAR"
    )


def test_parliament_does_report_a_policy_broader_than_needed():
    broad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "acm:DescribeCertificate", "Resource": "*"}],
    }

    result = parliament(json.dumps(broad))

    assert 1 == result.returncode
    assert "Unnecessary use of Resource *" in result.stdout
