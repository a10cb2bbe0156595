"""The README's "Deploy into moto locally" block works as written.

The block is read from README.md and run by bash, with two changes only: moto's server is the
test session's (so the lines that start and stop one are dropped) and its address replaces
port 5050.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from testkit import StrictAws

ROOT = Path(__file__).resolve().parents[1]
STACK = "handle-expiring-certificates"

# moto skips these two resource types with a warning; tests/test_template.py checks them.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Tried to parse AWS..SNS..TopicPolicy:UserWarning"),
    pytest.mark.filterwarnings("ignore:Tried to parse AWS..Lambda..EventInvokeConfig:UserWarning"),
]


def readme_block(heading: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"### {heading}\n", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, f"no sh block under {heading!r}"
    return match.group(1)


def test_readme_deploy_commands_create_the_stack_in_moto(
    aws_server: StrictAws, tmp_path: Path
) -> None:
    block = readme_block("Deploy into moto locally")
    assert "aws cloudformation deploy" in block
    lines = block.splitlines()
    starts = [line for line in lines if line.startswith("moto_server ")]
    stops = [line for line in lines if line.startswith('kill "$MOTO_PID"')]
    assert (1, 1) == (len(starts), len(stops)), "the block starts moto's server and stops it"
    assert lines.index(stops[0]) == len(lines) - 1, "the server is stopped last"
    script = "\n".join(line for line in lines if line not in starts + stops).replace(
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
