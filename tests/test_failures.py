"""When AWS misbehaves, the function does all it still can, and says what it could not do.

Each test turns on one of the kit's faults (``aws.world``: an error answer, a throttle, findings
rejected one by one; ``testkit.faults``) to fail the way AWS fails, runs ``lambda_handler`` and
reads the outcome back as a user would (``GetFindings``, the SNS message an SQS subscriber gets, the
logs, the summary). The rule the tests share: a failure (something not written or not read)
ends the invocation in ``IncompleteRunError`` *after* everything else was done, and its message
lists what failed; a degradation (less detail, still complete) is a warning; both are logged.
"""

# Expected values come first in assertions (docs/development.md), which SIM300 calls a Yoda
# condition.

from __future__ import annotations

import itertools
import logging
import time
import types
from collections.abc import Iterator
from datetime import datetime, timezone

import botocore.endpoint
import pytest

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
from testkit.acm import delete_stored_certificate
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
    aws: StrictAws, topic: tuple[str, str], sleeps: list[float], now: datetime
):
    enable_hub()
    arns = import_certs(2, now)
    aws.world.fail(
        "securityhub", "BatchImportFindings", "TooManyRequestsException", "Rate exceeded", times=2
    )
    aws.calls.clear()

    summary, error = scan_outcome(now, environ=settings(topic[0]))

    assert (None, [], []) == (error, summary["errors"], summary["warnings"])
    assert 3 == aws.operations("securityhub").count("BatchImportFindings")
    assert (2, 2) == (aws.world.failed[("securityhub", "BatchImportFindings")], len(sleeps))
    assert {arn: "ACTIVE" for arn in arns} == record_states()
    assert 2 == summary["findings"]["written"]


def test_hub_throttled_throughout_ends_in_error_after_the_message_is_sent(
    aws: StrictAws,
    topic: tuple[str, str],
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
    now: datetime,
):
    enable_hub()
    arns = import_certs(2, now)
    ids = {arn: current_finding_id(arn) for arn in arns}
    aws.world.fail(
        "securityhub", "BatchImportFindings", "TooManyRequestsException", "Rate exceeded"
    )
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
    # BatchImportFindings answers FailedFindings for it ``times`` times, and does not store it.
    rejections = aws.world.reject_findings({rejected: (code, f"{code} for this finding")}, times)

    summary, error = scan_outcome(now, environ=settings(topic[0]))

    requests = [[finding["Id"] for finding in request] for request in rejections.requests]
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


def deny_publish(aws: StrictAws, topic_arn: str) -> str:
    message = (
        f"User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/fn/x is not authorized to perform: "
        f"SNS:Publish on resource: {topic_arn}"
    )
    aws.world.fail("sns", "Publish", "AuthorizationError", message)
    return message


@pytest.mark.parametrize("fault", ["topic deleted", "publish denied"])
def test_publish_failure_keeps_findings_and_ends_in_error(
    aws: StrictAws,
    topic: tuple[str, str],
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
        code, message = "AuthorizationError", deny_publish(aws, topic[0])

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
    throttles: int,
    now: datetime,
):
    enable_hub()
    [arn] = import_certs(1, now)
    set_in_use_by(arn, REGION, ["arn:aws:elasticloadbalancing:us-east-1:123456789012:lb/x"])
    # ACM's throttling answer: ThrottlingException, "Rate exceeded".
    aws.world.throttle("acm", "DescribeCertificate", times=throttles)
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
    caplog: pytest.LogCaptureFixture,
    now: datetime,
):
    enable_hub()
    [arn] = import_certs(1, now)
    # In use, so the scan must describe it to learn what uses it.
    set_in_use_by(arn, REGION, [LOAD_BALANCER])
    aws.world.throttle("acm", "DescribeCertificate")
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
    aws.world.fail(
        "acm",
        "DescribeCertificate",
        "AccessDeniedException",
        message,
        params={"CertificateArn": denied},
    )

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
    aws: StrictAws, topic: tuple[str, str], caplog: pytest.LogCaptureFixture, now: datetime
):
    enable_hub()
    [arn] = import_certs(1, now)
    message = "User is not authorized to perform: acm:DescribeCertificate"
    aws.world.fail("acm", "DescribeCertificate", "AccessDeniedException", message)
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
    # Someone deletes it once SearchCertificates has answered, before the scan describes it.
    aws.world.after(
        "acm", "SearchCertificates", lambda _: delete_stored_certificate(REGION, deleted)
    )
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
    aws: StrictAws, topic: tuple[str, str], caplog: pytest.LogCaptureFixture, now: datetime
):
    enable_hub()
    arns = import_certs(2, now)
    message = "User is not authorized to perform: cloudwatch:ListMetrics"
    aws.world.fail("cloudwatch", "ListMetrics", "AccessDenied", message)

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

    if fault == "search throttled":
        aws.world.fail(
            "acm", "SearchCertificates", "ThrottlingException", "Rate exceeded", region=OTHER_REGION
        )
        expected = [
            f"SearchCertificates in {OTHER_REGION} failed (ThrottlingException): "
            + client_error("ThrottlingException", "SearchCertificates", "Rate exceeded", ATTEMPTS)
            + "; the acm source was not read"
        ]
    else:
        for operation, message in (
            ("SearchCertificates", SEARCH_DENIED),
            ("ListCertificates", LIST_DENIED),
        ):
            aws.world.fail("acm", operation, "AccessDeniedException", message, region=OTHER_REGION)
        expected = [
            f"ListCertificates in {OTHER_REGION} failed (AccessDeniedException): "
            + client_error("AccessDeniedException", "ListCertificates", LIST_DENIED)
            + "; the acm source was not read; the role needs acm:ListCertificates"
        ]
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
    aws: StrictAws, topic: tuple[str, str], now: datetime
):
    import_certs(1, now)
    aws.world.search = "access_denied"
    aws.world.fail("acm", "ListCertificates", "AccessDeniedException", LIST_DENIED)

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
