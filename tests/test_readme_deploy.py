"""The "Deploy into moto locally" block of docs/deployment.md works as written, and the
README's CloudFormation deploy ends with a first scan of the function it deployed.

The block is read from docs/deployment.md and run by bash, with two changes only: moto's server
is the test session's (the command that starts one is replaced by a stand-in process) and its
address replaces port 5050. The stand-in shows that the block stops the server it starts.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from cfnlint.decode import decode

from testkit import StrictAws, invoke

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "docs" / "deployment.md"
HEADING = "Deploy into moto locally"
STACK = "handle-expiring-certificates"
SERVER_COMMAND = "moto_server -H 127.0.0.1 -p 5050"
# Stands in for moto's server: a process that writes its id, then waits to be stopped.
STAND_IN = "bash -c 'echo $$ > stand-in.pid; exec sleep 300'"

# moto skips these resource types with a warning; tests/test_template.py checks them.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Tried to parse AWS..CloudWatch..Alarm:UserWarning"),
    pytest.mark.filterwarnings("ignore:Tried to parse AWS..SNS..TopicPolicy:UserWarning"),
    pytest.mark.filterwarnings("ignore:Tried to parse AWS..Lambda..EventInvokeConfig:UserWarning"),
]


def document_block(heading: str) -> str:
    text = DOCUMENT.read_text(encoding="utf-8")
    match = re.search(rf"^#+ {re.escape(heading)}\n(.*?)```sh\n(.*?)```", text, re.S | re.M)
    assert match, f"no sh block under {heading!r} in {DOCUMENT}"
    return match.group(2)


def running(pid: int) -> bool:
    """Whether the process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (macOS): ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_readme_points_to_the_deploy_block() -> None:
    """The README links to the page that holds the block."""
    assert "docs/deployment.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_deploy_block_creates_the_stack_in_moto_and_stops_the_server(
    aws_server: StrictAws, tmp_path: Path
) -> None:
    block = document_block(HEADING)
    assert "aws cloudformation deploy" in block
    assert 1 == block.count(SERVER_COMMAND)
    script = block.replace(SERVER_COMMAND, STAND_IN).replace(
        "http://127.0.0.1:5050", str(aws_server.endpoint_url)
    )
    for name in ("template.yaml", "handle_expiring_certificates.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert 0 == result.returncode, result.stderr

    pid = int((tmp_path / "stand-in.pid").read_text())
    deadline = time.monotonic() + 5
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(pid), "the block left the server it started running"

    cloudformation = boto3.client("cloudformation", endpoint_url=aws_server.endpoint_url)
    stack = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    function_arn = boto3.client("lambda", endpoint_url=aws_server.endpoint_url).get_function(
        FunctionName=STACK
    )["Configuration"]["FunctionArn"]
    events = boto3.client("events", endpoint_url=aws_server.endpoint_url)
    rules = events.list_rules()["Rules"]
    assert 2 == len(rules)
    assert all(rule["Name"] in result.stdout for rule in rules), result.stdout
    for rule in rules:
        targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        assert [function_arn] == [target["Arn"] for target in targets]


# The README's deploy ends with a first scan (issue 17) ######################################

README = ROOT / "README.md"


def readme_section(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^### {re.escape(heading)}\n(.*?)(?=^#{{1,3}} )", text, re.S | re.M)
    assert match, f"no section {heading!r} in the README"
    return match[1]


def commands(block: str) -> list[list[str]]:
    """The shell commands of an sh block, continuation lines joined, comments dropped."""
    joined = block.replace("\\\n", " ")
    return [shlex.split(line, comments=True) for line in joined.splitlines() if line.strip()]


def option(command: list[str], name: str) -> str | None:
    return command[command.index(name) + 1] if name in command else None


def test_readme_cloudformation_deploy_ends_with_a_first_scan_of_the_deployed_function(
    aws: StrictAws,
) -> None:
    """A new stack's heartbeat alarm has no data, and missing data is breaching: it is in
    ALARM until a scan completes. The README's CloudFormation section therefore ends with one
    (which also proves the set-up): a synchronous invoke of the function the stack created, in
    the stack's region, whose payload the handler runs as a scan."""
    blocks = re.findall(r"```sh\n(.*?)```", readme_section("With CloudFormation"), re.S)
    (deploy,) = [
        c for b in blocks for c in commands(b) if c[:3] == ["aws", "cloudformation", "deploy"]
    ]
    first_scan = commands(blocks[-1])[0]
    template, _ = decode(str(ROOT / "template.yaml"))
    assert template is not None

    assert ["aws", "lambda", "invoke"] == first_scan[:3]
    # The stack keeps the default name, which the invoke names.
    assert not [a for a in deploy if a.startswith("FunctionName=")]
    assert template["Parameters"]["FunctionName"]["Default"] == option(
        first_scan, "--function-name"
    )
    assert option(deploy, "--region") == option(first_scan, "--region")
    assert option(first_scan, "--invocation-type") in (None, "RequestResponse")
    payload = option(first_scan, "--payload")
    assert payload is not None
    assert "raw-in-base64-out" == option(first_scan, "--cli-binary-format")
    assert "scan" == invoke(json.loads(payload), DRY_RUN="true")["mode"]
