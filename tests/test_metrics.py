"""The monitor is monitored (issue 13): one CloudWatch embedded-metric-format line per
invocation, valid by the specification, whose numbers are the returned summary's, with a
heartbeat only a complete scan sets; and the template's alarms watch exactly what it emits."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import Any

import pytest

import handle_expiring_certificates as handler
from testkit import (
    ACCOUNT_ID,
    FakeContext,
    StrictAws,
    client,
    create_topic_with_queue,
    enable_hub,
    fresh_clients,
    load_event,
)
from testkit.certificates import (
    import_certificate,
    set_in_use_by,
    upload_server_certificate,
)
from tests.test_template import load_template

# Every metric a scan emits, in the order of its line: the counts, then the heartbeat.
METRIC_NAMES = (
    "CertificatesInWindow",
    "CertificatesExpired",
    "CertificatesInUse",
    "ExpiredInUse",
    "Critical",
    "High",
    "Medium",
    "Low",
    "FindingsWritten",
    "FindingsArchived",
    "FindingsFailed",
    "MessagesSent",
    "Failures",
    handler.HEARTBEAT_METRIC,
)

REGION = "us-east-1"
LOAD_BALANCER = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:loadbalancer/app/web/1a2b"
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
EMF_UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None",
}  # fmt: skip
MAX_DIMENSIONS_PER_SET = 30
MAX_METRICS_PER_DIRECTIVE = 100


def invoke_with_metrics(
    event: dict[str, Any], now: datetime, **settings: str
) -> tuple[dict[str, Any], list[str]]:
    """``lambda_handler`` as Lambda runs it, with the metrics lines collected: the summary
    (an incomplete run's too) and the lines."""
    lines: list[str] = []
    try:
        summary = handler.lambda_handler(
            event,
            FakeContext(),
            environ={"AWS_REGION": REGION, **settings},
            now=now,
            clients=fresh_clients(),
            emit=lines.append,
        )
    except handler.IncompleteRunError as error:
        summary = dict(error.summary)
    return summary, lines


def emf_problems(document: Any, now: datetime) -> list[str]:
    """What the EMF specification's rules find wrong in a document (empty when valid)."""
    if not isinstance(document, dict) or not isinstance(document.get("_aws"), dict):
        return ["the root is not an object with an _aws object"]
    problems = []
    metadata = document["_aws"]
    stamp = metadata.get("Timestamp")
    if type(stamp) is not int or stamp != int(now.timestamp() * 1000):
        problems.append(f"_aws.Timestamp {stamp!r} is not {now} in epoch milliseconds")
    directives = metadata.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        return [*problems, "_aws.CloudWatchMetrics is not a non-empty list"]
    for directive in directives:
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str) or not 1 <= len(namespace) <= 255:
            problems.append(f"Namespace {namespace!r}")
        dimension_sets = directive.get("Dimensions")
        if not isinstance(dimension_sets, list):
            problems.append("Dimensions is not a list of dimension sets")
            dimension_sets = []
        for dimension_set in dimension_sets:
            if not isinstance(dimension_set, list) or len(dimension_set) > MAX_DIMENSIONS_PER_SET:
                problems.append(f"dimension set {dimension_set!r}")
                continue
            for name in dimension_set:
                if not isinstance(document.get(name), str):
                    problems.append(f"dimension {name!r} is not a top-level string")
        metrics = directive.get("Metrics")
        if not isinstance(metrics, list) or len(metrics) > MAX_METRICS_PER_DIRECTIVE:
            problems.append("Metrics is not a list of at most 100")
            metrics = []
        for metric in metrics:
            name, value = metric.get("Name"), document.get(metric.get("Name"))
            if not isinstance(name, str) or not 1 <= len(name) <= 1024:
                problems.append(f"metric name {name!r}")
            if type(value) not in (int, float) or not math.isfinite(value):
                problems.append(f"metric {name!r} is not a top-level number: {value!r}")
            if metric.get("Unit", "None") not in EMF_UNITS:
                problems.append(f"metric {name!r} has unit {metric.get('Unit')!r}")
    return problems


def expected_values(summary: dict[str, Any]) -> dict[str, int]:
    """The summary's numbers, read as a person reads the summary."""
    entries = summary["in_window"]
    in_use = [e for e in entries if e["in_use"] is not False]
    values = {
        "CertificatesInWindow": len(entries),
        "CertificatesExpired": len([e for e in entries if e["expired"]]),
        "CertificatesInUse": len(in_use),
        "ExpiredInUse": len([e for e in in_use if e["expired"]]),
        "Critical": len([e for e in entries if e["severity"] == "CRITICAL"]),
        "High": len([e for e in entries if e["severity"] == "HIGH"]),
        "Medium": len([e for e in entries if e["severity"] == "MEDIUM"]),
        "Low": len([e for e in entries if e["severity"] == "LOW"]),
        "FindingsWritten": summary["findings"]["written"],
        "FindingsArchived": summary["findings"]["archived"],
        "FindingsFailed": summary["findings"]["failed"],
        "MessagesSent": len(summary["notification"]["message_ids"]),
        "Failures": len(summary["errors"]),
    }
    return values


@pytest.fixture
def account(aws: StrictAws, now: datetime) -> dict[str, str]:
    """A hub, a topic, an expired certificate in use, an unused one, an IAM one, and a finding
    of a certificate since renewed (to archive); the settings of a scan of it."""
    enable_hub()
    topic, _ = create_topic_with_queue()
    acm = client("acm")
    expired = import_certificate(acm, common_name="shop.example.com", days_left=-2, now=now)
    set_in_use_by(expired, REGION, [LOAD_BALANCER])
    import_certificate(acm, common_name="old.example.com", days_left=20, now=now)
    renewed = import_certificate(acm, common_name="api.example.com", days_left=9, now=now)
    upload_server_certificate(
        client("iam"), name="legacy-web", days_left=5, now=now, offset=timedelta(0)
    )
    invoke_with_metrics(load_event("scheduled-event"), now - timedelta(days=1))
    import_certificate(
        acm, common_name="api.example.com", days_left=300, now=now, certificate_arn=renewed
    )
    return {"SNS_TOPIC_ARN": topic}


def test_a_scan_emits_one_valid_emf_line_whose_values_are_the_summarys(
    account: dict[str, str], now: datetime
):
    summary, lines = invoke_with_metrics(load_event("scheduled-event"), now, **account)

    (line,) = lines
    document = json.loads(line)
    assert [] == emf_problems(document, now)
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert (handler.METRICS_NAMESPACE, [list(handler.METRIC_DIMENSIONS)]) == (
        directive["Namespace"],
        directive["Dimensions"],
    )
    assert list(METRIC_NAMES) == [m["Name"] for m in directive["Metrics"]]
    assert ("handle-expiring-certificates", "scan") == (document["FunctionName"], document["Mode"])
    values = {name: document[name] for name in METRIC_NAMES}
    assert {**expected_values(summary), "Heartbeat": 1} == values
    # The account this test built, so the comparison above is not of zeros.
    assert {
        "CertificatesInWindow": 3,
        "CertificatesExpired": 1,
        "CertificatesInUse": 2,
        "ExpiredInUse": 1,
        "Critical": 1,
        "High": 1,
        "Medium": 0,
        "Low": 1,
        "FindingsWritten": 3,
        "FindingsArchived": 1,
        "FindingsFailed": 0,
        "MessagesSent": 1,
        "Failures": 0,
        "Heartbeat": 1,
    } == values


def test_the_line_carries_no_arn_or_other_high_cardinality_value(
    account: dict[str, str], now: datetime
):
    """Each distinct dimension value is a metric CloudWatch bills for: only the function's
    name and the mode, never a certificate, topic or finding."""
    _, (line,) = invoke_with_metrics(load_event("scheduled-event"), now, **account)

    document = json.loads(line)
    assert "arn:" not in line
    assert {"_aws", "FunctionName", "Mode", *METRIC_NAMES} == set(document)


def test_failures_and_failed_findings_are_counted_as_the_summary_counts_them(
    account: dict[str, str], now: datetime
):
    topic = account["SNS_TOPIC_ARN"]
    client("sns").delete_topic(TopicArn=topic)

    summary, (line,) = invoke_with_metrics(load_event("scheduled-event"), now, SNS_TOPIC_ARN=topic)

    document = json.loads(line)
    assert [] == emf_problems(document, now)
    assert expected_values(summary) | {"Heartbeat": 0} == {
        name: document[name] for name in METRIC_NAMES
    }
    assert (1, 0) == (document["Failures"], document["MessagesSent"])


@pytest.mark.parametrize("outage", ["search throttled", "search denied and listing throttled"])
def test_the_heartbeat_is_0_after_a_scan_that_could_not_read_acm(
    aws: StrictAws, now: datetime, outage: str
):
    enable_hub()
    import_certificate(client("acm"), common_name="shop.example.com", days_left=3, now=now)
    if outage == "search throttled":
        aws.world.throttle("acm", "SearchCertificates")
    else:
        aws.world.search = "access_denied"
        aws.world.throttle("acm", "ListCertificates")

    summary, (line,) = invoke_with_metrics(load_event("scheduled-event"), now)

    document = json.loads(line)
    assert [] == emf_problems(document, now)
    assert (0, 1, 1) == (document["Heartbeat"], document["Failures"], len(summary["errors"]))
    assert "ThrottlingException" in summary["errors"][0]


def test_the_heartbeat_is_0_when_security_hub_is_off(aws: StrictAws, now: datetime):
    """No error of the run, but a monitor whose findings go nowhere is not alive either."""
    import_certificate(client("acm"), common_name="shop.example.com", days_left=3, now=now)

    summary, (line,) = invoke_with_metrics(load_event("scheduled-event"), now)

    assert ([], 0, 0) == (
        summary["errors"],
        json.loads(line)["Heartbeat"],
        json.loads(line)["FindingsWritten"],
    )


def test_the_heartbeat_is_1_after_a_complete_scan_of_an_empty_account_and_a_dry_run(
    aws: StrictAws, now: datetime
):
    enable_hub()

    _, (empty,) = invoke_with_metrics(load_event("scheduled-event"), now)
    _, (dry,) = invoke_with_metrics({}, now, DRY_RUN="true")

    assert [1, 1] == [json.loads(line)["Heartbeat"] for line in (empty, dry)]


def test_an_acm_event_emits_mode_certificate_without_a_heartbeat(
    account: dict[str, str], now: datetime
):
    arn = import_certificate(client("acm"), common_name="www.example.com", days_left=3, now=now)

    summary, lines = invoke_with_metrics(
        load_event("acm-approaching-expiration", resources=[arn]), now, **account
    )

    (line,) = lines
    document = json.loads(line)
    assert [] == emf_problems(document, now)
    assert ("certificate", False) == (document["Mode"], "Heartbeat" in document)
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert [n for n in METRIC_NAMES if n != "Heartbeat"] == [
        m["Name"] for m in directive["Metrics"]
    ]
    assert expected_values(summary) == {
        m["Name"]: document[m["Name"]] for m in directive["Metrics"]
    }


# The template's alarms watch what the code emits #############################################


def emf_alarms() -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in load_template()["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
        and resource["Properties"]["Namespace"] == handler.METRICS_NAMESPACE
    }


def test_the_alarms_name_the_namespace_metrics_and_dimensions_the_code_emits():
    """An alarm without the metric's exact dimensions watches a metric that does not exist."""
    alarms = emf_alarms()
    # An organisation's scan (DIGEST_SCOPE=organization) adds SilentAccounts to its line.
    organization = handler.Summary(
        "Scheduled Event", "scan", [REGION], 45, False, "now", scope="organization"
    )
    document = handler.build_metrics(organization, function_name="f", now=datetime.now())
    emitted = {m["Name"] for m in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert set(METRIC_NAMES) | {"SilentAccounts"} == emitted

    assert {"HeartbeatAlarm", "ExpiredInUseAlarm", "SilentAccountsAlarm"} == set(alarms)
    for logical_id, alarm in alarms.items():
        properties = alarm["Properties"]
        assert properties["MetricName"] in emitted, logical_id
        assert list(handler.METRIC_DIMENSIONS) == [d["Name"] for d in properties["Dimensions"]]
        assert [{"Ref": "Function"}, "scan"] == [d["Value"] for d in properties["Dimensions"]]
    assert handler.HEARTBEAT_METRIC == alarms["HeartbeatAlarm"]["Properties"]["MetricName"]


def test_the_heartbeat_alarm_exists_with_the_alarms_and_fires_after_7_silent_days():
    """Every stack scans on a schedule (issue 17), so the heartbeat is watched with the alarms."""
    template = load_template()
    heartbeat = emf_alarms()["HeartbeatAlarm"]

    assert "AlarmsEnabled" == heartbeat["Condition"]
    assert {"Fn::Equals": [{"Ref": "EnableAlarms"}, "true"]} == (
        template["Conditions"]["AlarmsEnabled"]
    )
    assert (86400, 7, "breaching") == tuple(
        heartbeat["Properties"][k] for k in ("Period", "EvaluationPeriods", "TreatMissingData")
    )
