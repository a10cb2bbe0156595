"""The "Deploy into moto locally" block of docs/deployment.md works as written.

The block is read from docs/deployment.md and run by bash, with two changes only: moto's server
is the test session's (the command that starts one is replaced by a stand-in process) and its
address replaces port 5050. The stand-in shows that the block stops the server it starts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from testkit import StrictAws

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
