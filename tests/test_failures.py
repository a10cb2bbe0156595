"""When AWS misbehaves, the function does all it still can, and says what it could not do.

Each test patches one moto method to fail the way AWS fails, runs ``lambda_handler`` and reads
the outcome back as a user would (``GetFindings``, the SNS message an SQS subscriber gets, the
logs, the summary). The rule the tests share: a failure (something not written or not read)
ends the invocation in ``IncompleteRunError`` *after* everything else was done, and its message
lists what failed; a degradation (less detail, still complete) is a warning; both are logged.
"""

# Expected values come first in assertions (docs/development.md), which SIM300 calls a Yoda
# condition.

from __future__ import annotations

import itertools
import json
import logging
import time
import types
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import botocore.endpoint
import pytest
from moto.acm.models import acm_backends
from moto.acm.responses import AWSCertificateManagerResponse
from moto.cloudwatch.responses import CloudWatchResponse
from moto.securityhub.responses import SecurityHubResponse
from moto.sns.models import SNSBackend

from handle_expiring_certificates import (
    CALL_CONFIG,
    DESCRIBE_CONFIG,
    DESCRIBE_WORST_MS,
    GENERATOR_ID,
    WRITE_RESERVE_MS,
    AwsClients,
    Deadline,
    IncompleteRunError,
)
from testkit import (
    ACCOUNT_ID,
    AwsError,
    FakeContext,
    StrictAws,
    acm_event,
    client,
    create_topic_with_queue,
    current_finding_id,
    enable_hub,
    findings_by_arn,
    invoke_outcome,
    load_event,
    messaged_arns,
    receive_messages,
    record_states,
    scan_outcome,
)
from testkit.certificates import import_certificate, set_in_use_by

REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
LOAD_BALANCER = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:loadbalancer/app/web/1a2b3c"
# Standard retry mode's ``total_max_attempts`` counts the first attempt too.
ATTEMPTS = CALL_CONFIG.retries["total_max_attempts"]  # type: ignore[index]
# Describes only add detail, so they are given fewer attempts (``clients.acm(quick=True)``).
DESCRIBE_ATTEMPTS = DESCRIBE_CONFIG.retries["total_max_attempts"]  # type: ignore[index]
# A describe starts only if its worst case and the time to write and publish are left.
DESCRIBE_NEEDS_MS = DESCRIBE_WORST_MS + WRITE_RESERVE_MS
ALWAYS = 10**6
HUB_OFF = f"Security Hub is not enabled in {REGION}; findings were not written"

# Our injected error codes are not all in moto's service models; moto warns and sends them.
pytestmark = pytest.mark.filterwarnings(r"ignore:Exception\(AwsError\):UserWarning")


def import_certs(count: int, now: datetime, region: str = REGION, days_left: int = 5) -> list[str]:
    acm = client("acm", region)
    return [
        import_certificate(
            acm, common_name=f"site{i}.{region}.example.com", days_left=days_left + i, now=now
        )
        for i in range(count)
    ]


def settings(topic_arn: str, **extra: str) -> dict[str, str]:
    return {"AWS_REGION": REGION, "SNS_TOPIC_ARN": topic_arn, **extra}


def incomplete(errors: list[str]) -> str:
    return f"Run incomplete, {len(errors)} failure(s): {'; '.join(errors)}"


def logged_problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "handle_expiring_certificates" and r.levelno >= logging.WARNING
    ]


def client_error(code: str, operation: str, message: str, attempts: int = 1) -> str:
    """The text botocore gives a ClientError after ``attempts`` attempts."""
    retries = f" (reached max retries: {attempts - 1})" if attempts > 1 else ""
    return f"An error occurred ({code}) when calling the {operation} operation{retries}: {message}"


def failing(
    original: Callable[..., Any], code: str, message: str, times: int, when: Callable[..., bool]
) -> tuple[Callable[..., Any], list[int]]:
    """``original`` failing with ``code`` the first ``times`` calls for which ``when(self)``."""
    failures = [0]

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if when(self) and failures[0] < times:
            failures[0] += 1
            raise AwsError(code, message)
        return original(self, *args, **kwargs)

    return method, failures


def always(_: Any) -> bool:
    return True


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The SDK's retry back-off delays, recorded instead of slept.

    botocore (standard retry mode) sleeps between attempts in ``botocore.endpoint``: real time
    that would make these tests slow. What is tested is that the SDK retries, not how long it
    waits.
    """
    delays: list[float] = []
    fake_time = types.SimpleNamespace(
        **{name: getattr(time, name) for name in dir(time) if not name.startswith("_")}
    )
    fake_time.sleep = delays.append
    monkeypatch.setattr(botocore.endpoint, "time", fake_time)
    yield delays


@pytest.fixture
def topic(aws: StrictAws) -> tuple[str, str]:
    """An SNS topic with an SQS subscriber: (topic ARN, queue URL)."""
    return create_topic_with_queue()


# One retry configuration ##############################################################


@pytest.mark.parametrize("service", ["acm", "cloudwatch", "iam", "securityhub", "sns", "sts"])
def test_every_client_retries_in_standard_mode_with_bounded_attempts_and_timeouts(
    aws: StrictAws, service: str
):
    clients = AwsClients()
    made = getattr(clients, service)(OTHER_REGION)

    assert {"mode": "standard", "total_max_attempts": 3} == made.meta.config.retries
    assert (2, 10) == (made.meta.config.connect_timeout, made.meta.config.read_timeout)


def test_describes_use_a_quicker_client_with_two_attempts_and_short_timeouts(aws: StrictAws):
    made = AwsClients().acm(OTHER_REGION, quick=True)

    assert {"mode": "standard", "total_max_attempts": 2} == made.meta.config.retries
    assert (1, 3) == (made.meta.config.connect_timeout, made.meta.config.read_timeout)
    # Its longest run: two attempts of connect + read, and at most 1 s of back-off between.
    assert 2 * (1 + 3) * 1000 + 1000 == DESCRIBE_WORST_MS


# Security Hub ###############################################################################


@pytest.mark.parametrize("option", ["scan", "certificate"])
def test_hub_not_enabled_is_a_warning_findings_skipped_message_sent(
    aws: StrictAws,
    topic: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
    option: str,
    now: datetime,
):
    [arn] = import_certs(1, now)
    aws.calls.clear()

    summary, error = invoke_outcome(
        load_event("scheduled-event") if option == "scan" else acm_event(arn),
        now=now,
        environ=settings(topic[0]),
    )

    assert None is error
    assert {
        "hub_region": REGION,
        "written": 0,
        "archived": 0,
        "failed": 0,
        "skipped": HUB_OFF,
    } == summary["findings"]
    assert ([], [HUB_OFF]) == (summary["errors"], summary["warnings"])
    assert [[arn]] == messaged_arns(topic[1])
    assert [HUB_OFF] == logged_problems(caplog)


@pytest.mark.parametrize("option", ["scan", "certificate"])
def test_hub_not_enabled_no_import_is_attempted(
    aws: StrictAws, topic: tuple[str, str], option: str, now: datetime
):
    [arn] = import_certs(1, now)
    aws.calls.clear()

    invoke_outcome(
        load_event("scheduled-event") if option == "scan" else acm_event(arn),
        now=now,
        environ=settings(topic[0]),
    )

    assert ["GetFindings"] == aws.operations("securityhub")


def test_hub_throttling_on_import_is_retried_by_the_sdk(
    aws: StrictAws,
    topic: tuple[str, str],
    sleeps: list[float],
    monkeypatch: pytest.MonkeyPatch,
    now: datetime,
):
    enable_hub()
    arns = import_certs(2, now)
    method, failures = failing(
        SecurityHubResponse.batch_import_findings,
        "TooManyRequestsException",
        "Rate exceeded",
        2,
        always,
    )
    monkeypatch.setattr(SecurityHubResponse, "batch_import_findings", method)
    aws.calls.clear()

    summary, error = scan_outcome(now, environ=settings(topic[0]))

    assert (None, [], []) == (error, summary["errors"], summary["warnings"])
    assert 3 == aws.operations("securityhub").count("BatchImportFindings")
    assert (2, 2) == (failures[0], len(sleeps))
    assert {arn: "ACTIVE" for arn in arns} == record_states()
    assert 2 == summary["findings"]["written"]


def test_hub_throttled_throughout_ends_in_error_after_the_message_is_sent(
    aws: StrictAws,
    topic: tuple[str, str],
    sleeps: list[float],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    now: datetime,
):
    enable_hub()
    arns = import_certs(2, now)
    ids = {arn: current_finding_id(arn) for arn in arns}
    method, _ = failing(
        SecurityHubResponse.batch_import_findings,
        "TooManyRequestsException",
        "Rate exceeded",
        ALWAYS,
        always,
    )
    monkeypatch.setattr(SecurityHubResponse, "batch_import_findings", method)
    aws.calls.clear()

    summary, error = scan_outcome(now, environ=settings(topic[0]))

    reason = client_error(
        "TooManyRequestsException", "BatchImportFindings", "Rate exceeded", ATTEMPTS
    )
    # The scan's own monitor finding goes in the same request, and fails with it.
    expected = [
        f"BatchImportFindings {finding_id} failed (TooManyRequestsException): {reason}"
        for finding_id in [*(ids[arn] for arn in arns), f"{GENERATOR_ID}/monitor/{ACCOUNT_ID}"]
    ]
    assert isinstance(error, IncompleteRunError)
    assert sorted(expected) == sorted(summary["errors"])
    assert incomplete(summary["errors"]) == str(error)
    assert ATTEMPTS == aws.operations("securityhub").count("BatchImportFindings")
    assert {"written": 0, "failed": 2} == {k: summary["findings"][k] for k in ("written", "failed")}
    assert {} == record_states()
    assert [arns] == messaged_arns(topic[1])
    assert sorted(expected) == sorted(logged_problems(caplog))


def reject_in_response(
    monkeypatch: pytest.MonkeyPatch, rejected_id: str, code: str, times: int
) -> list[list[str]]:
    """BatchImportFindings answers ``FailedFindings`` for ``rejected_id`` ``times`` times (and
    does not store it then); returns the finding Ids of each request."""
    original = SecurityHubResponse.batch_import_findings
    requests: list[list[str]] = []

    def batch_import_findings(self: SecurityHubResponse) -> str:
        body = json.loads(self.body)
        requests.append([f["Id"] for f in body["Findings"]])
        reject = sum(rejected_id in ids for ids in requests) <= times
        kept = [f for f in body["Findings"] if not (reject and f["Id"] == rejected_id)]
        self.body = json.dumps({**body, "Findings": kept}).encode("utf-8")
        result = json.loads(original(self))
        if len(kept) < len(body["Findings"]):
            result["FailedFindings"].append(
                {"Id": rejected_id, "ErrorCode": code, "ErrorMessage": f"{code} for this finding"}
            )
            result["FailedCount"] += 1
        return json.dumps(result)

    monkeypatch.setattr(SecurityHubResponse, "batch_import_findings", batch_import_findings)
    return requests


@pytest.mark.parametrize(
    ("code", "times", "requests_made", "rejected_written"),
    [
        ("InvalidInput", 1, 1, False),  # not worth retrying
        ("ThrottlingException", 1, 2, True),  # retried once, alone, and written
        ("ThrottlingException", 2, 2, False),  # retried once only
    ],
)
def test_failed_findings_are_retried_once_when_passing_and_reported_when_final(
    aws: StrictAws,
    topic: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    code: str,
    times: int,
    requests_made: int,
    rejected_written: bool,
    now: datetime,
):
    enable_hub()
    arns = import_certs(3, now)
    rejected = current_finding_id(arns[1])
    requests = reject_in_response(monkeypatch, rejected, code, times)

    summary, error = scan_outcome(now, environ=settings(topic[0]))

    assert requests_made == len(requests)
    if requests_made == 2:
        assert [rejected] == requests[1]
    stored = set(record_states())
    assert {arns[0], arns[2]} | ({arns[1]} if rejected_written else set()) == stored
    assert [arns] == messaged_arns(topic[1])
    if rejected_written:
        assert (None, [], 3) == (error, summary["errors"], summary["findings"]["written"])
        return
    expected = [f"BatchImportFindings {rejected} failed ({code}): {code} for this finding"]
    assert isinstance(error, IncompleteRunError)
    assert (expected, incomplete(expected)) == (summary["errors"], str(error))
    assert (2, 1) == (summary["findings"]["written"], summary["findings"]["failed"])
    assert expected == logged_problems(caplog)


# SNS ########################################################################################


def deny_publish(monkeypatch: pytest.MonkeyPatch, topic_arn: str) -> str:
    message = (
        f"User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/fn/x is not authorized to perform: "
        f"SNS:Publish on resource: {topic_arn}"
    )
    method, _ = failing(SNSBackend.publish, "AuthorizationError", message, ALWAYS, always)
    monkeypatch.setattr(SNSBackend, "publish", method)
    return message


@pytest.mark.parametrize("fault", ["topic deleted", "publish denied"])
def test_publish_failure_keeps_findings_and_ends_in_error(
    aws: StrictAws,
    topic: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fault: str,
    now: datetime,
):
    enable_hub()
    arns = import_certs(2, now)
    if fault == "topic deleted":
        client("sns").delete_topic(TopicArn=topic[0])
        # moto's wording; AWS says "Topic does not exist". The code is what matters.
        code, message = "NotFound", "Endpoint does not exist"
    else:
        code, message = "AuthorizationError", deny_publish(monkeypatch, topic[0])

    summary, error = scan_outcome(now, environ=settings(topic[0]))

    expected = [f"Publish to {topic[0]} failed ({code}): {client_error(code, 'Publish', message)}"]
    assert isinstance(error, IncompleteRunError)
    assert (expected, incomplete(expected)) == (summary["errors"], str(error))
    assert {arn: "ACTIVE" for arn in arns} == record_states()
    assert (2, []) == (summary["findings"]["written"], summary["notification"]["message_ids"])
    assert expected == logged_problems(caplog)


# ACM DescribeCertificate #################################################################


# A describe gets two attempts (DESCRIBE_CONFIG): one throttle is all the SDK retries.
@pytest.mark.parametrize("throttles", [DESCRIBE_ATTEMPTS - 1])
def test_describe_throttling_is_retried_by_the_sdk(
    aws: StrictAws,
    topic: tuple[str, str],
    sleeps: list[float],
    monkeypatch: pytest.MonkeyPatch,
    throttles: int,
    now: datetime,
):
    enable_hub()
    [arn] = import_certs(1, now)
    set_in_use_by(arn, REGION, ["arn:aws:elasticloadbalancing:us-east-1:123456789012:lb/x"])
    method, _ = failing(
        AWSCertificateManagerResponse.describe_certificate,
        "ThrottlingException",
        "Rate exceeded",
        throttles,
        always,
    )
    monkeypatch.setattr(AWSCertificateManagerResponse, "describe_certificate", method)
    aws.calls.clear()

    summary, error = scan_outcome(now, environ=settings(topic[0]))

    assert (None, [], []) == (error, summary["errors"], summary["warnings"])
    assert throttles + 1 == aws.operations("acm").count("DescribeCertificate")
    assert throttles == len(sleeps)
    # Described: what uses the certificate is known.
    assert [["arn:aws:elasticloadbalancing:us-east-1:123456789012:lb/x"]] == [
        entry["in_use_by"] for entry in summary["in_window"]
    ]


def test_describe_throttled_throughout_falls_back_to_the_search_data(
    aws: StrictAws,
    topic: tuple[str, str],
    sleeps: list[float],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    now: datetime,
):
    enable_hub()
    [arn] = import_certs(1, now)
    # In use, so the scan must describe it to learn what uses it.
    set_in_use_by(arn, REGION, [LOAD_BALANCER])
    method, _ = failing(
        AWSCertificateManagerResponse.describe_certificate,
        "ThrottlingException",
        "Rate exceeded",
        ALWAYS,
        always,
    )
    monkeypatch.setattr(AWSCertificateManagerResponse, "describe_certificate", method)
    aws.calls.clear()

    summary, error = scan_outcome(now, environ=settings(topic[0]))

    warning = f"DescribeCertificate {arn} failed (ThrottlingException): " + client_error(
        "ThrottlingException", "DescribeCertificate", "Rate exceeded", DESCRIBE_ATTEMPTS
    )
    assert (None, [], [warning]) == (error, summary["errors"], summary["warnings"])
    assert DESCRIBE_ATTEMPTS == aws.operations("acm").count("DescribeCertificate")
    # From the search: in use, by what is not known.
    assert [(arn, None)] == [(entry["arn"], entry["in_use_by"]) for entry in summary["in_window"]]
    assert {arn: "ACTIVE"} == record_states()
    description = findings_by_arn()[arn]["Description"]
    assert "Used by: in use (the resources could not be read)." in description
    assert [[arn]] == messaged_arns(topic[1])
    assert [warning] == logged_problems(caplog)


def test_describe_denied_for_one_certificate_the_others_are_described(
    aws: StrictAws,
    topic: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    now: datetime,
):
    enable_hub()
    arns = import_certs(3, now)
    users = {
        arn: [f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/D{i}"] for i, arn in enumerate(arns)
    }
    for arn, used_by in users.items():
        set_in_use_by(arn, REGION, used_by)
    denied = arns[1]
    message = f"User is not authorized to perform: acm:DescribeCertificate on resource: {denied}"
    method, _ = failing(
        AWSCertificateManagerResponse.describe_certificate,
        "AccessDeniedException",
        message,
        ALWAYS,
        lambda response: response._get_param("CertificateArn") == denied,
    )
    monkeypatch.setattr(AWSCertificateManagerResponse, "describe_certificate", method)

    summary, error = scan_outcome(now, environ=settings(topic[0]))

    warning = f"DescribeCertificate {denied} failed (AccessDeniedException): " + client_error(
        "AccessDeniedException", "DescribeCertificate", message
    )
    assert (None, [], [warning]) == (error, summary["errors"], summary["warnings"])
    assert {arns[0]: users[arns[0]], denied: None, arns[2]: users[arns[2]]} == {
        entry["arn"]: entry["in_use_by"] for entry in summary["in_window"]
    }
    findings = findings_by_arn()
    assert {arn: "ACTIVE" for arn in arns} == {a: f["RecordState"] for a, f in findings.items()}
    # The denied certificate's finding comes from SearchCertificates: it is in use, by what is
    # not known.
    assert "Used by: in use (the resources could not be read)." in findings[denied]["Description"]
    assert f"Used by: {users[arns[0]][0]}." in findings[arns[0]]["Description"]
    assert [arns] == messaged_arns(topic[1])
    assert [warning] == logged_problems(caplog)


def test_describe_denied_for_the_event_certificate_ends_in_error(
    aws: StrictAws,
    topic: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    now: datetime,
):
    enable_hub()
    [arn] = import_certs(1, now)
    message = "User is not authorized to perform: acm:DescribeCertificate"
    method, _ = failing(
        AWSCertificateManagerResponse.describe_certificate,
        "AccessDeniedException",
        message,
        ALWAYS,
        always,
    )
    monkeypatch.setattr(AWSCertificateManagerResponse, "describe_certificate", method)
    aws.calls.clear()

    summary, error = invoke_outcome(acm_event(arn), now=now, environ=settings(topic[0]))

    expected = [
        f"DescribeCertificate {arn} failed (AccessDeniedException): "
        + client_error("AccessDeniedException", "DescribeCertificate", message)
    ]
    assert isinstance(error, IncompleteRunError)
    assert (expected, incomplete(expected)) == (summary["errors"], str(error))
    assert ("failed", []) == (summary["outcome"], summary["in_window"])
    # Nothing is known about the certificate, so nothing is written or sent.
    assert ["DescribeCertificate"] == aws.operations()
    assert [] == receive_messages(topic[1])
    assert expected == logged_problems(caplog)


def test_certificate_deleted_between_search_and_describing_is_skipped_and_archived(
    aws: StrictAws,
    topic: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    now: datetime,
):
    enable_hub()
    kept, deleted = import_certs(2, now)
    # Both in use, so the scan must describe both.
    for arn in (kept, deleted):
        set_in_use_by(arn, REGION, [LOAD_BALANCER])
    scan_outcome(now, environ=settings(topic[0]))
    receive_messages(topic[1])
    # The kit's SearchCertificates (testkit.acm), deleting once it has answered.
    original = AWSCertificateManagerResponse.search_certificates  # type: ignore[attr-defined]

    def search_then_delete(self: AWSCertificateManagerResponse) -> Any:
        found = original(self)
        acm_backends[ACCOUNT_ID][REGION].delete_certificate(deleted)
        return found

    monkeypatch.setattr(AWSCertificateManagerResponse, "search_certificates", search_then_delete)
    caplog.clear()
    aws.calls.clear()

    summary, error = scan_outcome(now, environ=settings(topic[0]))

    assert (None, [], []) == (error, summary["errors"], summary["warnings"])
    assert 2 == aws.operations("acm").count("DescribeCertificate")
    assert [{"arn": deleted, "reason": "deleted after it was listed"}] == summary["skipped"]
    assert [(kept, [LOAD_BALANCER])] == [
        (entry["arn"], entry["in_use_by"]) for entry in summary["in_window"]
    ]
    findings = findings_by_arn()
    assert ("ARCHIVED", "PASSED") == (
        findings[deleted]["RecordState"],
        findings[deleted]["Compliance"]["Status"],
    )
    assert "the certificate no longer exists in ACM." in findings[deleted]["Description"]
    assert "ACTIVE" == findings[kept]["RecordState"]
    assert [[kept]] == messaged_arns(topic[1])
    # A certificate deleted meanwhile is a note (INFO), not a problem: nothing is logged above.
    assert [] == logged_problems(caplog)


# Scan: listing ############################################################################


def test_list_metrics_failing_the_scan_carries_on_with_the_search(
    aws: StrictAws,
    topic: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    now: datetime,
):
    enable_hub()
    arns = import_certs(2, now)
    message = "User is not authorized to perform: cloudwatch:ListMetrics"
    method, _ = failing(CloudWatchResponse.list_metrics, "AccessDenied", message, ALWAYS, always)
    monkeypatch.setattr(CloudWatchResponse, "list_metrics", method)

    summary, error = scan_outcome(now, environ=settings(topic[0]))

    warning = (
        f"ListMetrics in {REGION} failed (AccessDenied): "
        f"{client_error('AccessDenied', 'ListMetrics', message)}; carrying on with the search alone"
    )
    assert (None, [], [warning]) == (error, summary["errors"], summary["warnings"])
    assert {arn: "ACTIVE" for arn in arns} == record_states()
    assert [arns] == messaged_arns(topic[1])
    assert [warning] == logged_problems(caplog)


SEARCH_DENIED = "User is not authorized to perform: acm:SearchCertificates"
LIST_DENIED = "User is not authorized to perform: acm:ListCertificates"


@pytest.mark.parametrize("fault", ["search throttled", "search and listing denied"])
def test_certificates_unreadable_in_one_region_the_other_is_done_and_its_findings_kept(
    aws: StrictAws,
    topic: tuple[str, str],
    sleeps: list[float],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fault: str,
    now: datetime,
):
    enable_hub()
    [here] = import_certs(1, now)
    [there] = import_certs(1, now, region=OTHER_REGION)
    environ = settings(topic[0], SCAN_REGIONS=f"{REGION},{OTHER_REGION}")
    scan_outcome(now, environ=environ)
    receive_messages(topic[1])

    def there_only(response: Any) -> bool:
        return bool(response.region == OTHER_REGION)

    search = AWSCertificateManagerResponse.search_certificates  # type: ignore[attr-defined]
    if fault == "search throttled":
        method, _ = failing(search, "ThrottlingException", "Rate exceeded", ALWAYS, there_only)
        expected = [
            f"SearchCertificates in {OTHER_REGION} failed (ThrottlingException): "
            + client_error("ThrottlingException", "SearchCertificates", "Rate exceeded", ATTEMPTS)
            + "; the acm source was not read"
        ]
    else:
        method, _ = failing(search, "AccessDeniedException", SEARCH_DENIED, ALWAYS, there_only)
        listing, _ = failing(
            AWSCertificateManagerResponse.list_certificates,
            "AccessDeniedException",
            LIST_DENIED,
            ALWAYS,
            there_only,
        )
        monkeypatch.setattr(AWSCertificateManagerResponse, "list_certificates", listing)
        expected = [
            f"ListCertificates in {OTHER_REGION} failed (AccessDeniedException): "
            + client_error("AccessDeniedException", "ListCertificates", LIST_DENIED)
            + "; the acm source was not read; the role needs acm:ListCertificates"
        ]
    monkeypatch.setattr(AWSCertificateManagerResponse, "search_certificates", method)
    caplog.clear()

    summary, error = scan_outcome(now, environ=environ)

    assert isinstance(error, IncompleteRunError)
    assert (expected, incomplete(expected)) == (summary["errors"], str(error))
    assert [here] == [entry["arn"] for entry in summary["in_window"]]
    # The region that could not be read keeps its finding: nothing says the certificate is gone.
    assert {here: "ACTIVE", there: "ACTIVE"} == record_states()
    assert [[here]] == messaged_arns(topic[1])
    assert expected == [p for p in logged_problems(caplog) if p not in summary["warnings"]]


def test_a_listing_that_fails_after_the_search_was_denied_still_says_why_it_listed(
    aws: StrictAws, topic: tuple[str, str], monkeypatch: pytest.MonkeyPatch, now: datetime
):
    import_certs(1, now)
    aws.world.search = "access_denied"
    listing, _ = failing(
        AWSCertificateManagerResponse.list_certificates,
        "AccessDeniedException",
        LIST_DENIED,
        ALWAYS,
        always,
    )
    monkeypatch.setattr(AWSCertificateManagerResponse, "list_certificates", listing)

    summary, error = scan_outcome(now, environ=settings(topic[0]))

    assert isinstance(error, IncompleteRunError)
    assert "ListCertificates" == summary["source"]
    assert 1 == sum(
        w.endswith("every certificate was listed instead (ListCertificates, all key types)")
        for w in summary["warnings"]
    )


# The Lambda deadline ###################################################################


@pytest.mark.parametrize(
    ("remaining_ms", "allowed"),
    [
        (DESCRIBE_NEEDS_MS - 1, False),  # the call could end after the findings' time
        (DESCRIBE_NEEDS_MS, True),  # its worst case and the write reserve are left
        (None, True),  # no context (a local run): no deadline
    ],
)
def test_deadline_allows_a_describe_only_with_its_worst_case_and_the_write_reserve_left(
    remaining_ms: int | None, allowed: bool
):
    context = None if remaining_ms is None else FakeContext(remaining_ms=remaining_ms)

    assert allowed == Deadline(context, datetime.now(timezone.utc)).allows(DESCRIBE_WORST_MS)


def deadline_after(calls: int, then_ms: int) -> FakeContext:
    """A context with plenty of time for ``calls`` queries, then ``then_ms`` left."""
    counter = itertools.count()
    return FakeContext(remaining_ms=lambda: 300_000 if next(counter) < calls else then_ms)


@pytest.mark.parametrize(
    ("then_ms", "described"),
    [
        (DESCRIBE_NEEDS_MS - 1, 1),  # under the describe's worst case + reserve: describing stops
        (DESCRIBE_NEEDS_MS, 4),  # exactly enough: still described
    ],
)
def test_deadline_near_stops_describing_and_still_writes_and_sends(
    aws: StrictAws,
    topic: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
    then_ms: int,
    described: int,
    now: datetime,
):
    enable_hub()
    arns = import_certs(4, now)
    # In use, so each must be described; which one is described first is up to the threads.
    for arn in arns:
        set_in_use_by(arn, REGION, [LOAD_BALANCER])
    aws.calls.clear()

    summary, error = scan_outcome(
        now, environ=settings(topic[0]), context=deadline_after(1, then_ms)
    )

    not_examined = 4 - described
    warnings = (
        [
            f"The Lambda deadline was near: {not_examined} certificate(s) were not described; "
            f"their findings and messages use what the search or listing gave"
        ]
        if not_examined
        else []
    )
    assert (None, [], warnings) == (error, summary["errors"], summary["warnings"])
    assert (4, not_examined) == (summary["certificates_examined"], summary["not_examined"])
    assert described == aws.operations("acm").count("DescribeCertificate")
    # Those not described come from the search: in use, by what is not known.
    assert [[LOAD_BALANCER]] * described + [None] * not_examined == sorted(
        (entry["in_use_by"] for entry in summary["in_window"]), key=lambda users: users is None
    )
    assert {arn: "ACTIVE" for arn in arns} == record_states()
    assert [arns] == messaged_arns(topic[1])
    assert warnings == logged_problems(caplog)
