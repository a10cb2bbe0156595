"""The command line (`python handle_expiring_certificates.py`), run as a user runs it: a separate
process that reaches a moto server through AWS_ENDPOINT_URL. Its table, its JSON, its exit status
(0 ran, 1 incomplete, 2 could not run) and, with --dry-run, that nothing is written or sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from testkit import (
    ACCOUNT_ID,
    StrictAws,
    client,
    create_topic_with_queue,
    enable_hub,
    get_findings,
    load_event,
    receive_messages,
)
from testkit.certificates import import_certificate, set_in_use_by
from tests.test_handler import SUMMARY_KEYS

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = "handle_expiring_certificates.py"
REGION = "us-east-1"
EXPIRY_DAYS = 45
ACCEPTED_DETAIL_TYPES = (
    "ACM Certificate Approaching Expiration",
    "ACM Certificate Expired",
    "ACM Certificate Renewal Action Required",
    "Scheduled Event",
)
# (domain, days left): four inside the 45-day window, given in no particular order, and one out.
IN_WINDOW = [
    ("month.example.com", 20),
    ("expired.example.com", -2),
    ("later.example.com", 44),
    ("soon.example.com", 3),
]
OUTSIDE = [("healthy.example.com", 200)]
# Most urgent first, with the severity DESIGN.md gives a certificate in use for the days left
# (toward zero: seeded 2 days minus an hour ago shows -1).
EXPECTED_ORDER = [
    ("expired.example.com", -1, "CRITICAL"),
    ("soon.example.com", 3, "HIGH"),
    ("month.example.com", 20, "MEDIUM"),
    ("later.example.com", 44, "LOW"),
]
SEEDED_DAYS = dict(IN_WINDOW + OUTSIDE)
LOAD_BALANCER = (
    f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:loadbalancer/app/web/50dc6c495c0c9188"
)
SETTINGS = (
    "EXPIRY_DAYS",
    "SNS_TOPIC_ARN",
    "SECURITY_HUB_REGION",
    "SCAN_REGIONS",
    "INCLUDE_IAM_SERVER_CERTIFICATES",
    "NOTIFY_DAYS",
    "DRY_RUN",
    "IGNORE_TAG",
)


# Helpers ############################################################################


def run_cli(
    aws_server: StrictAws,
    *args: str,
    credentials: bool = True,
    region: bool = True,
    **settings: str,
) -> subprocess.CompletedProcess[str]:
    """The CLI in a fresh process with only the variables a user would set (no inheritance)."""
    assert aws_server.endpoint_url is not None
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ENDPOINT_URL": aws_server.endpoint_url,
        "AWS_CONFIG_FILE": os.environ["AWS_CONFIG_FILE"],
        "AWS_SHARED_CREDENTIALS_FILE": os.environ["AWS_SHARED_CREDENTIALS_FILE"],
        "AWS_EC2_METADATA_DISABLED": "true",
        **settings,
    }
    if region:
        env["AWS_DEFAULT_REGION"] = REGION
    if credentials:
        env |= {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    return subprocess.run(
        [sys.executable, SCRIPT, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def table_rows(stdout: str) -> list[tuple[str, ...]]:
    """The rows under the DAYS ... ARN header, each split into its seven columns."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["DAYS", "SEVERITY"])
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        days, severity, date, time, kind, region, domain, arn = line.split()
        rows.append((days, severity, f"{date} {time}", kind, region, domain, arn))
    return rows


def expected_row(arn: str, domain: str, days: int, severity: str, now: datetime) -> tuple[str, ...]:
    # import_certificate puts NotAfter one hour past the whole days it was seeded with.
    not_after = now + timedelta(days=SEEDED_DAYS[domain], hours=1)
    return (
        str(days),
        severity,
        not_after.strftime("%Y-%m-%d %H:%M"),
        "IMPORTED",
        REGION,
        domain,
        arn,
    )


@pytest.fixture
def account(aws_server: StrictAws, now: datetime) -> dict[str, Any]:
    """Certificates in and out of the window (those inside in use), Security Hub on, a topic
    with an SQS subscriber."""
    acm = client("acm")
    arns = {
        domain: import_certificate(acm, common_name=domain, days_left=days, now=now)
        for domain, days in IN_WINDOW + OUTSIDE
    }
    for domain, _ in IN_WINDOW:
        set_in_use_by(arns[domain], REGION, [LOAD_BALANCER])
    enable_hub()
    topic_arn, queue_url = create_topic_with_queue()
    aws_server.calls.clear()
    return {"arns": arns, "topic_arn": topic_arn, "queue_url": queue_url}


def write_event(folder: Path, event: Mapping[str, Any] | str) -> Path:
    path = folder / "event.json"
    path.write_text(event if isinstance(event, str) else json.dumps(event), encoding="utf-8")
    return path


# Exit status 0 ######################################################################


def test_scan_prints_the_window_most_urgent_first_writes_the_findings_and_sends_the_digest(
    aws_server: StrictAws, account: dict[str, Any], now: datetime
):
    result = run_cli(aws_server, SNS_TOPIC_ARN=account["topic_arn"])

    assert 0 == result.returncode, result.stderr
    assert [
        expected_row(account["arns"][domain], domain, days, severity, now)
        for domain, days, severity in EXPECTED_ORDER
    ] == table_rows(result.stdout)
    lines = result.stdout.splitlines()
    # The search returns what expires inside the window: the healthy one is never examined.
    assert (
        f"4 of 4 certificate(s) examined are inside the {EXPIRY_DAYS}-day window (scan of "
        f"{REGION}; found with SearchCertificates)." in lines
    )
    assert "Findings: 4 written, 0 archived, 0 failed" in lines
    findings = get_findings()
    assert sorted(account["arns"][domain] for domain, _ in IN_WINDOW) == sorted(
        finding["Resources"][0]["Id"] for finding in findings
    )
    assert {"ACTIVE"} == {finding["RecordState"] for finding in findings}
    messages = receive_messages(account["queue_url"])
    assert [f"4 certificates expire within {EXPIRY_DAYS} days (1 expired)"] == [
        message["Subject"] for message in messages
    ]
    document = json.loads(messages[0]["Message"])
    assert [account["arns"][domain] for domain, _, _ in EXPECTED_ORDER] == [
        entry["arn"] for entry in document["certificates"]
    ]


def test_dry_run_lists_the_same_table_but_writes_no_finding_and_sends_nothing(
    aws_server: StrictAws, account: dict[str, Any], now: datetime
):
    result = run_cli(aws_server, "--dry-run", SNS_TOPIC_ARN=account["topic_arn"])

    assert 0 == result.returncode, result.stderr
    assert [
        expected_row(account["arns"][domain], domain, days, severity, now)
        for domain, days, severity in EXPECTED_ORDER
    ] == table_rows(result.stdout)
    assert [] == get_findings()
    assert [] == receive_messages(account["queue_url"])
    served = aws_server.operations()
    assert ([], []) == (
        [op for op in served if op == "BatchImportFindings"],
        [op for op in served if op == "Publish"],
    )
    lines = result.stdout.splitlines()
    # Four certificate findings and the scan's own monitor finding.
    assert "Findings: 0 written, 0 archived, 0 failed (skipped: dry run); would write 5" in lines
    assert "Messages: 0 sent (dry run); would send 1" in lines


def test_json_prints_the_summary_as_parseable_json(aws_server: StrictAws, account: dict[str, Any]):
    result = run_cli(aws_server, "--json", SNS_TOPIC_ARN=account["topic_arn"])

    assert 0 == result.returncode, result.stderr
    summary = json.loads(result.stdout)
    assert set() == SUMMARY_KEYS - set(summary)
    assert ("Scheduled Event", "scan", [REGION], EXPIRY_DAYS, False, 4, []) == (
        summary["trigger"],
        summary["mode"],
        summary["regions"],
        summary["expiry_days"],
        summary["dry_run"],
        summary["certificates_examined"],
        summary["errors"],
    )
    assert [
        (account["arns"][domain], domain, days, severity)
        for domain, days, severity in EXPECTED_ORDER
    ] == [(e["arn"], e["domain"], e["days_left"], e["severity"]) for e in summary["in_window"]]
    assert {
        "hub_region": REGION,
        "written": 4,
        "archived": 0,
        "failed": 0,
        "skipped": None,
    } == summary["findings"]
    assert (1, 1, None) == (
        len(summary["notification"]["message_ids"]),
        summary["notification"]["parts"],
        summary["notification"]["reason"],
    )


def test_event_file_examines_only_the_certificate_it_names(
    aws_server: StrictAws, account: dict[str, Any], now: datetime, tmp_path: Path
):
    arn = account["arns"]["soon.example.com"]
    event = load_event("acm-approaching-expiration", resources=[arn])

    result = run_cli(
        aws_server, "--event", str(write_event(tmp_path, event)), SNS_TOPIC_ARN=account["topic_arn"]
    )

    assert 0 == result.returncode, result.stderr
    assert [expected_row(arn, "soon.example.com", 3, "HIGH", now)] == table_rows(result.stdout)
    assert f"The certificate is inside the {EXPIRY_DAYS}-day window." in result.stdout.splitlines()
    assert ["DescribeCertificate"] == aws_server.operations("acm")
    assert [arn] == [finding["Resources"][0]["Id"] for finding in get_findings()]
    assert ["ACM certificate soon.example.com expires in 3 days"] == [
        message["Subject"] for message in receive_messages(account["queue_url"])
    ]


def test_event_about_a_deleted_certificate_says_it_no_longer_exists(
    aws_server: StrictAws, now: datetime, tmp_path: Path
):
    """Not found is worded as what happened, never as "0 certificates inside the window"."""
    acm = client("acm")
    arn = import_certificate(acm, common_name="gone.example.com", days_left=3, now=now)
    acm.delete_certificate(CertificateArn=arn)
    enable_hub()
    event = load_event("acm-approaching-expiration", resources=[arn])

    result = run_cli(aws_server, "--event", str(write_event(tmp_path, event)))

    assert 0 == result.returncode, result.stderr
    assert [
        "The certificate no longer exists in ACM.",
        "Findings: 0 written, 0 archived, 0 failed",
        "Messages: 0 sent (the certificate is not inside the window (not_found))",
    ] == result.stdout.splitlines()


def test_the_cli_prints_no_metrics_line(aws_server: StrictAws, account: dict[str, Any]):
    """The embedded-metric-format line is for CloudWatch Logs, not for a person's terminal."""
    result = run_cli(aws_server, "--dry-run")

    assert 0 == result.returncode, result.stderr
    assert [] == [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if "_aws" in line or "CloudWatchMetrics" in line
    ]
    assert "Messages: 0 sent (SNS_TOPIC_ARN is not set); would send 1" in result.stdout.splitlines()


def test_help_lists_every_setting_the_exit_codes_and_three_examples():
    result = subprocess.run(
        [sys.executable, SCRIPT, "--help"],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert (0, "") == (result.returncode, result.stderr)
    text = result.stdout
    assert [] == [
        name
        for name in (*SETTINGS, "--dry-run", "--event", "--region", "--json")
        if name not in text
    ]
    codes = text.partition("exit codes:")[2].partition("examples:")[0]
    assert ["0  done;", "1  done, but", "2  nothing done"] == [
        marker for marker in ("0  done;", "1  done, but", "2  nothing done") if marker in codes
    ]
    examples = text.partition("examples:")[2].strip().splitlines()
    assert 3 == len(examples)
    assert [] == [e for e in examples if f"python3 {SCRIPT}" not in e]


# Exit status 2: it could not run ####################################################


@pytest.mark.parametrize("value", ["0", "abc"])
def test_bad_expiry_days_exits_2_naming_the_variable_before_any_aws_call(
    aws_server: StrictAws, value: str
):
    result = run_cli(aws_server, EXPIRY_DAYS=value)

    assert (2, "") == (result.returncode, result.stdout)
    assert (
        f"EXPIRY_DAYS={value!r} is not valid: expected a whole number of days from 1 to 3650."
        == result.stderr.strip()
    )
    assert [] == aws_server.calls


def test_console_test_event_exits_2_naming_the_accepted_detail_types(
    aws_server: StrictAws, tmp_path: Path
):
    path = write_event(tmp_path, load_event("console-default-test-event"))

    result = run_cli(aws_server, "--event", str(path))

    assert (2, "") == (result.returncode, result.stdout)
    assert result.stderr.startswith("Unsupported event: detail-type is None")
    assert [] == [t for t in ACCEPTED_DETAIL_TYPES if repr(t) not in result.stderr]
    assert [] == aws_server.calls


@pytest.mark.parametrize(
    ("contents", "problem"),
    [
        (None, "No such file or directory"),
        ("{not json", "Expecting property name enclosed in double quotes"),
    ],
    ids=["missing", "not-json"],
)
def test_unreadable_event_file_exits_2_saying_so(
    aws_server: StrictAws, tmp_path: Path, contents: str | None, problem: str
):
    path = tmp_path / "event.json"
    if contents is not None:
        path.write_text(contents, encoding="utf-8")

    result = run_cli(aws_server, "--event", str(path))

    assert (2, "") == (result.returncode, result.stdout)
    assert result.stderr.startswith(f"Cannot read the event file {path}: ")
    assert problem in result.stderr
    assert [] == aws_server.calls


NO_CREDENTIALS = (
    "No AWS credentials found. Sign in first (aws sso login, or aws configure), or set "
    "AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
)


def test_no_credentials_exits_2_saying_so(aws_server: StrictAws, account: dict[str, Any]):
    result = run_cli(aws_server, "--dry-run", credentials=False)

    assert (2, "", NO_CREDENTIALS) == (result.returncode, result.stdout, result.stderr.strip())
    assert [] == aws_server.calls


def test_credentials_are_checked_before_the_region(aws_server: StrictAws):
    """Neither credentials nor a region: the credentials are what the user needs first."""
    result = run_cli(aws_server, "--dry-run", credentials=False, region=False)

    assert (2, "", NO_CREDENTIALS) == (result.returncode, result.stdout, result.stderr.strip())
    assert [] == aws_server.calls


def test_no_region_exits_2_saying_how_to_set_one(aws_server: StrictAws):
    result = run_cli(aws_server, "--dry-run", region=False)

    assert (
        2,
        "",
        "No AWS region. Pass --region us-east-1, or set AWS_REGION=us-east-1, or give your "
        "profile one with: aws configure set region us-east-1",
    ) == (result.returncode, result.stdout, result.stderr.strip())
    assert [] == aws_server.calls


def test_region_option_sets_the_region_when_the_environment_has_none(
    aws_server: StrictAws, account: dict[str, Any]
):
    result = run_cli(aws_server, "--region", REGION, "--json", "--dry-run", region=False)

    assert 0 == result.returncode, result.stderr
    summary = json.loads(result.stdout)
    assert ([REGION], REGION, 4) == (
        summary["regions"],
        summary["findings"]["hub_region"],
        len(summary["in_window"]),
    )
    assert {REGION} == {call.region for call in aws_server.calls if call.service != "iam"}


# Exit status 1: it ran, but not everything was done #################################


def test_publish_to_a_topic_that_does_not_exist_exits_1_after_doing_the_rest(
    aws_server: StrictAws, account: dict[str, Any], now: datetime
):
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:no-such-topic"

    result = run_cli(aws_server, SNS_TOPIC_ARN=topic)

    assert 1 == result.returncode, result.stderr
    assert [
        expected_row(account["arns"][domain], domain, days, severity, now)
        for domain, days, severity in EXPECTED_ORDER
    ] == table_rows(result.stdout)
    errors = [line for line in result.stdout.splitlines() if line.startswith("Error: ")]
    assert [f"Error: Publish to {topic} failed (NotFound)"] == [
        line.partition("): ")[0] + ")" for line in errors
    ]
    assert 4 == len(get_findings())


def test_a_region_that_cannot_be_searched_says_it_could_not_list_and_exits_1(
    aws_server: StrictAws, account: dict[str, Any]
):
    """Could not list is worded as what happened, never as "0 certificates inside the window"."""
    aws_server.world.throttle("acm", "SearchCertificates")

    result = run_cli(aws_server, "--dry-run")

    assert 1 == result.returncode, result.stderr
    lines = result.stdout.splitlines()
    assert f"Could not list the certificates of {REGION} (see the errors below)." == lines[0]
    errors = [line for line in lines if line.startswith("Error: ")]
    assert [f"Error: SearchCertificates in {REGION} failed (ThrottlingException)"] == [
        line.partition("): ")[0] + ")" for line in errors
    ]
    assert [] == [line for line in lines if "certificate(s) examined" in line]


def test_a_region_that_cannot_be_searched_claims_nothing_about_the_window(
    aws_server: StrictAws, account: dict[str, Any]
):
    """After "Could not list", no line says that nothing is inside the window."""
    aws_server.world.throttle("acm", "SearchCertificates")

    result = run_cli(aws_server, "--dry-run")

    assert 1 == result.returncode, result.stderr
    assert [] == [line for line in result.stdout.splitlines() if "inside the window" in line]


# demo.py ############################################################################


def test_demo_runs_to_completion_showing_findings_and_a_message():
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_CONFIG_FILE": os.environ.get("AWS_CONFIG_FILE", "/nonexistent"),
        "AWS_SHARED_CREDENTIALS_FILE": os.environ.get(
            "AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"
        ),
        "AWS_EC2_METADATA_DISABLED": "true",
    }

    result = subprocess.run(
        [sys.executable, "demo.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert 0 == result.returncode, result.stderr[-3000:]
    assert "ACM certificate shop.example.com expires in 3 days" in result.stdout
    assert "Subject: " in result.stdout
