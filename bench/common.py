"""What the benchmark's targets share: the emulator's child process and one measured invocation.

- ``Child``: a moto server seeded in a child process (``python -m bench.scan_bench --serve
  JSON``, the JSON naming its ``kind``: ``acm``, ``sources`` or ``organization``), which
  prints one line of JSON when it is ready, then answers commands on its stdin, one a line.
  Every kind answers ``cpu`` (its CPU time so far), ``throttled`` (the calls its rate limits
  refused, as JSON), ``limit-rate <service> <operation>`` (AWS's documented rate from then on,
  ``testkit.faults``), ``search <state>`` (``World.search``) and ``clear-findings``; ``obey``
  is the loop. Within ``with child:``, this process's AWS clients reach it
  (``AWS_ENDPOINT_URL``); at the end it stops.
- ``Meter``: botocore hooks on the handler's session that count every HTTP request (retries
  included) per ``service:Operation`` as boto3 names the service (``testkit.calls`` does too),
  then delay it by the latency standing in for the network and AWS.
- ``measure``: one cold invocation (a new botocore session and ``AwsClients``), its wall and
  CPU time, the emulator's CPU during it, its calls and, optionally, the ``tracemalloc`` peak.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import subprocess
import sys
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import botocore.session

from testkit import invoke
from testkit.faults import Faults
from testkit.securityhub import clear_findings

ROOT = Path(__file__).resolve().parents[1]
# The handler's default window, and the days left the seeds give a certificate inside it:
# expired up to 5 days ago .. 44 days left.
EXPIRY_DAYS = 45
IN_WINDOW_DAYS = range(-5, EXPIRY_DAYS)
# The services the handler calls: botocore's event names use the service id ("api-gateway",
# "database-migration-service"), the formula boto3's names.
SERVICES = (
    "acm",
    "acm-pca",
    "apigateway",
    "cloudwatch",
    "dms",
    "ds",
    "iam",
    "iot",
    "rds",
    "securityhub",
    "sns",
    "sts",
    "transfer",
)


@functools.cache
def service_names() -> dict[str, str]:
    """botocore's event name of each service the handler calls -> boto3's name."""
    session = botocore.session.get_session()
    return {session.get_service_model(name).service_id.hyphenize(): name for name in SERVICES}


@dataclass
class Meter:
    """botocore hooks: count each HTTP request per operation, then delay it."""

    latency_seconds: float
    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, event_name: str, **kwargs: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        name = service_names().get(service, service)
        with self.lock:
            self.counts[f"{name}:{operation}"] += 1

    def delay(self, **kwargs: Any) -> None:
        if self.latency_seconds:
            time.sleep(self.latency_seconds)
        # None: botocore goes on and sends the request.

    def session(self) -> botocore.session.Session:
        """A new botocore session, as a cold container has, with the hooks."""
        session = botocore.session.get_session()
        session.register("before-send", self.count)
        session.register("before-send", self.delay)
        return session


C = TypeVar("C", bound="Child")


@dataclass
class Child:
    """A seeded moto server in a child process; ``ready`` is what it printed when ready."""

    process: subprocess.Popen[str]
    ready: dict[str, Any]

    @classmethod
    def start(cls: type[C], config: Mapping[str, Any]) -> C:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.scan_bench", "--serve", json.dumps(dict(config))],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            process.wait()
            raise RuntimeError(f"the moto server did not start (exit code {process.returncode})")
        return cls(process, json.loads(line))

    @property
    def endpoint(self) -> str:
        return str(self.ready["endpoint"])

    def ask(self, line: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def command(self, line: str) -> None:
        answer = self.ask(line)
        if answer != "ok":
            raise RuntimeError(f"the moto server answered {answer!r} to {line!r}")

    def cpu_seconds(self) -> float:
        return float(self.ask("cpu"))

    def throttled(self) -> dict[str, int]:
        return {k: int(v) for k, v in json.loads(self.ask("throttled")).items()}

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self: C) -> C:
        """This process's AWS clients reach the child (``AWS_ENDPOINT_URL``) until the block
        ends; then the child stops."""
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        os.environ.pop("AWS_ENDPOINT_URL", None)


def obey(
    commands: Iterable[str],
    world: Faults,
    region: str,
    answer: Callable[[list[str]], str | None] = lambda command: None,
) -> None:
    """The child's loop: the commands every kind answers, then ``answer``'s (None: unknown)."""
    for line in commands:
        command = line.split()
        reply: str | None
        if command == ["cpu"]:
            reply = repr(time.process_time())
        elif command == ["throttled"]:
            reply = json.dumps({f"{s}:{o}": n for (s, o), n in world.throttled.items()})
        elif command[:1] == ["limit-rate"] and len(command) == 3:
            world.limit_rate(command[1], command[2])
            reply = "ok"
        elif command[:1] == ["search"] and len(command) == 2:
            world.search = command[1]  # "available", "unknown_operation" or "access_denied"
            reply = "ok"
        elif command == ["clear-findings"]:
            clear_findings(region)
            reply = "ok"
        else:
            reply = answer(command)
        print(reply if reply is not None else f"unknown command {line.strip()!r}", flush=True)


@dataclass
class Measured:
    """One measured invocation."""

    summary: dict[str, Any]
    seconds: float
    cpu_seconds: float  # the handler's process
    emulator_cpu_seconds: float  # the moto server's process, on the same cores
    counts: Counter[str]
    peak_bytes: int | None = None
    error: str | None = None  # the handler raised (an incomplete run): its message

    @property
    def calls(self) -> int:
        return sum(self.counts.values())

    @property
    def messages(self) -> int:
        return len(self.summary["notification"]["message_ids"])


def measure(
    handler: ModuleType,
    child: Child,
    environ: Mapping[str, str],
    *,
    latency_ms: float,
    context: object = None,
    trace_memory: bool = False,
    timestamp_parser: bool = True,
) -> Measured:
    """One cold invocation of a scheduled scan; see the module docstring.
    ``timestamp_parser=False``: botocore's default parser instead of the handler's (its clients
    are made later, and botocore makes a parser per response from the defaults)."""
    from testkit import load_event

    meter = Meter(latency_ms / 1000)
    session = meter.session()
    clients = handler.AwsClients(session)
    if not timestamp_parser:
        session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=None)
    if trace_memory:
        tracemalloc.start()
    emulator_started = child.cpu_seconds()
    started = time.perf_counter()
    cpu_started = time.process_time()
    error = None
    try:
        # The handler prints its EMF line, as in Lambda (and pays for it); not shown here.
        with contextlib.redirect_stdout(io.StringIO()):
            summary = invoke(
                load_event("scheduled-event"), environ=environ, clients=clients, context=context
            )
    except handler.IncompleteRunError as incomplete:
        summary, error = incomplete.summary, str(incomplete)
    finally:
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        peak = tracemalloc.get_traced_memory()[1] if trace_memory else None
        if trace_memory:
            tracemalloc.stop()
    emulator = child.cpu_seconds() - emulator_started
    return Measured(summary, seconds, cpu_seconds, emulator, meter.counts, peak, error)


def counts_table(columns: Iterable[tuple[str, Counter[str], Counter[str]]]) -> str:
    """Calls per operation, made / fewest, one column per scan: (title, made, fewest)."""
    table = list(columns)
    operations = sorted({op for _, made, fewest in table for op in (*made, *fewest)})
    lines = [
        "| Operation | " + " | ".join(title for title, _, _ in table) + " |",
        "|---|" + "---:|" * len(table),
    ]
    for op in operations:
        cells = [f"{made[op]} / {fewest[op]}" for _, made, fewest in table]
        lines.append(f"| {op} | " + " | ".join(cells) + " |")
    totals = [f"{sum(m.values())} / {sum(f.values())}" for _, m, f in table]
    lines.append("| all | " + " | ".join(totals) + " |")
    return "\n".join(lines)
