"""Benchmark: a scheduled scan of thousands of ACM certificates, against moto, with latency;
then every other certificate source (issue 18) and an organisation digest (issue 19).

    python -m bench.scan_bench                     # every target (`make bench`)
    python -m bench.scan_bench --preset small      # a quick look (ACM alone)
    python -m bench.scan_bench --target sources    # issue 18's targets (bench.sources_bench)
    python -m bench.scan_bench --target organization --members 100 --member-findings 1000
    python -m bench.scan_bench --n 5000 --m 250 --latency-ms 50 --path search
    python -m bench.scan_bench --preset 10000 --handler /tmp/copy/handle_expiring_certificates.py

(from the repository's folder, which makes ``testkit`` importable).

For each preset a moto server is started in a child process on 127.0.0.1 (so that the peak
memory and CPU measured here are the handler's alone) and seeded there through the test kit's
certificate factory (``testkit.certificates.import_fleet``) with N imported EC P-256
certificates, M of them inside the 45-day window (from expired 5 days ago to 44 days left; one
in three in use), a ``DaysToExpiry`` metric for every certificate, Security Hub enabled and an
SNS topic with an SQS subscriber. S more of them (M/25, at least 1) start inside the window: a
first scan (not measured) writes their findings, then they are renewed out of the window, as
happens between two weekly scans. The server is made as strict as AWS by the test kit
(``testkit.strict``), which also emulates ACM ``SearchCertificates`` and IAM
``ListServerCertificates``; each certificate's listing summary and search result are computed
once while seeding, as AWS has them stored. The child takes commands on its stdin: ``search
unknown_operation`` makes ``SearchCertificates`` answer as an endpoint that predates it (the
handler then falls back to ``ListCertificates``), ``clear-findings`` empties the hub,
``renew`` renews the S certificates and keeps the hub's findings as they are then,
``restore-findings`` puts those back, ``cpu`` answers the child's CPU time so far.

This process runs ``lambda_handler`` with a "Scheduled Event" through ``AwsClients`` built on a
new botocore session (a cold container), whose ``before-send`` hooks count every HTTP request
per operation and sleep ``--latency-ms`` before it, standing in for the network and AWS's own
time. For each path (search, then the listing fallback, the hub emptied in between) the scan
runs with no active finding (F = 0), then again with the M findings of the first run active
(F = M), a third time, identical to the second, under ``tracemalloc`` for the peak memory
(tracemalloc slows Python down, so that run is not timed), and a fourth time with the M
findings and the S findings of the renewed certificates active (F = M + S: the scan must ask
about the S certificates the search no longer returns, and archive their findings). Then the
handler's own timestamp parser (``AwsClients`` sets it on the botocore session) is weighed:
``--parser-runs`` pairs of F = M scans (1 by default), one with it and one with botocore's
default parser, alternating; medians.

Wall time is one cold invocation, and it includes the emulator's work: moto serves every
request in the child process, on the same cores as the handler, so the emulator's CPU is
measured beside the handler's (the child's CPU time during the scan). On a machine with two
cores and other work on them, that shows.

``--target`` picks what runs: ``acm`` (the presets above; alone with ``--preset`` or ``--n``),
``sources`` (``bench.sources_bench``: the other sources' overhead in an account without them,
then 500 DB instances and 50 of every other kind) and ``organization``
(``bench.organization_bench``: 10,000 member findings of 1,000 members, GetFindings throttled
at AWS's rate); by default all three. ``bench.common`` has what they share.

The calls made are compared with the fewest a scan can make: ``testkit.calls`` (the formula
``tests/test_scale.py`` uses too), computed from the scenario alone (N, M, F, S, K = N metrics,
D = certificates in the window in use, the page sizes AWS documents), with the digest's parts
a lower bound the kit computes from what the seeded certificates' entries must carry, never
read from the handler's summary.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import math
import os
import platform
import py_compile
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bench.common import (
    EXPIRY_DAYS,
    IN_WINDOW_DAYS,
    ROOT,
    Child,
    Measured,
    Meter,
    counts_table,
    measure,
    obey,
)
from testkit import (
    ACCOUNT_ID,
    DEFAULT_REGION,
    KEY_TYPES,
    Scenario,
    client,
    create_topic_with_queue,
    digest_parts,
    enable_hub,
    import_certificate,
    import_fleet,
    install_strictness,
    minimum_calls,
    put_days_to_expiry_metrics,
    set_fake_environment,
)
from testkit.acm import digest_entries, store_summaries
from testkit.moto_internals import start_server
from testkit.securityhub import restore_findings, stored_findings

BENCH_DOMAIN = "bench.example.com"
DIGITS = 5  # host00042.bench.example.com: the names, and so the messages' sizes, of earlier runs
PRESETS = {"small": (300, 30), "2500": (2500, 500), "10000": (10000, 500)}
# The two paths: what the child's SearchCertificates answers, and the summary's source.
PATHS = {
    "search": ("available", "SearchCertificates"),
    "listing": ("unknown_operation", "ListCertificates"),
}
PATH_TITLES = {"search": "SearchCertificates", "listing": "ListCertificates (fallback)"}
# Goals at 20 ms per call, by path; "at" the N they apply to (None: every N).
GOAL_N = 10_000
GOALS: dict[str, dict[str, float]] = {
    "search": {"seconds": 1.5, "cpu": 0.8, "peak_mb": 32.0},
    "listing": {"seconds": 5.0, "peak_mb": 128.0},
}
MAX_CALL_RATIO = 1.1
MAX_DIGEST_MESSAGES = 4  # for a digest of 500 certificates
MAX_GROWTH = 1.3  # wall(N = 10,000) / wall(N = 2,500) at M = 500, search path
MAX_IMPORT_MS = 50.0


def renewed_count(m: int) -> int:
    """S: certificates renewed out of the window since the findings were written."""
    return max(1, m // 25)


# The moto server (child process) ################################################################


def _fake_environment(endpoint_url: str | None = None) -> None:
    """The kit's fake credentials and region, for the life of this process; no config files
    (they would be looked for under /dev/null)."""
    set_fake_environment(pytest.MonkeyPatch(), Path(os.devnull), endpoint_url)


@dataclass
class Seeded:
    """What the child made: the ARNs by index, the days each certificate is left with, the
    certificates in the window and those to renew, and what the kit computes from them."""

    now: datetime
    arns: list[str]
    days: list[float]
    in_window: list[int]
    renewed: list[int]
    parts: int
    in_use: int
    seconds: float


def _plan(n: int, m: int, seed: int) -> tuple[list[float], set[int], list[int], list[float]]:
    """Days left for each certificate (M of them in the window), the S to renew out of the
    window and the days they start with, inside it."""
    rng = random.Random(seed)
    in_window = set(rng.sample(range(n), m))
    window_days = list(IN_WINDOW_DAYS)
    days = [
        float(
            rng.choice(window_days) if index in in_window else rng.randrange(EXPIRY_DAYS + 1, 396)
        )
        for index in range(n)
    ]
    # Their own generator, so that the N and M certificates are those of earlier figures.
    other = random.Random(seed + 1)
    renewed = sorted(other.sample(sorted(set(range(n)) - in_window), renewed_count(m)))
    before = [float(other.randrange(0, EXPIRY_DAYS)) for _ in renewed]
    return days, in_window, renewed, before


def _load_balancer(region: str, index: int) -> str:
    return (
        f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:loadbalancer/app/"
        f"bench-{index}/0123456789abcdef"
    )


def _seed(n: int, m: int, region: str, seed: int, with_metrics: bool = True) -> Seeded:
    """N certificates (M in the window, S about to be renewed out of it), their metrics."""
    started = time.perf_counter()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    days, in_window, renewed, before = _plan(n, m, seed)
    starting = list(days)
    for index, first in zip(renewed, before, strict=True):
        starting[index] = first
    in_use = {index for index in in_window if index % 3 == 0}
    made = list(
        import_fleet(
            region,
            starting,
            now,
            domain=BENCH_DOMAIN,
            prefixes=("www",),
            digits=DIGITS,
            users=lambda index: [_load_balancer(region, index)] if index in in_use else [],
        )
    )
    # Each listing summary and search result, computed once as AWS has them stored.
    store_summaries(region)
    if with_metrics:
        # What ACM would publish now: the days to NotAfter, to the hour. The S certificates get
        # theirs once renewed (a value from before would say "inside the window" for a day).
        put_days_to_expiry_metrics(
            region,
            {
                c.arn: (c.not_after - now) / timedelta(days=1)
                for index, c in enumerate(made)
                if index not in renewed
            },
        )
    arns = [c.arn for c in made]
    window = sorted(in_window)
    return Seeded(
        now=now,
        arns=arns,
        days=days,
        in_window=window,
        renewed=renewed,
        parts=digest_parts(digest_entries(region, [arns[index] for index in window])),
        in_use=len(in_use),
        seconds=time.perf_counter() - started,
    )


def _renew(seeded: Seeded, region: str, with_metrics: bool) -> None:
    """Re-import the S certificates with the expiry they were planned to have, out of the
    window, and publish the metric values ACM would publish then."""
    values = {}
    for index in seeded.renewed:
        arn = seeded.arns[index]
        import_certificate(
            client("acm", region),
            common_name=f"host{index:0{DIGITS}d}.{BENCH_DOMAIN}",
            days_left=seeded.days[index],
            now=seeded.now,
            certificate_arn=arn,
        )
        values[arn] = seeded.days[index] + 1 / 24
    store_summaries(region)
    if with_metrics:
        put_days_to_expiry_metrics(region, values)


def serve(config: dict[str, Any]) -> None:
    """Child process: seed moto, serve it on 127.0.0.1, report, obey commands on stdin (one a
    line, each answered "ok", or the figure asked for), and stop when stdin closes."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _fake_environment()
    _, world = install_strictness(pytest.MonkeyPatch())  # for the life of the process
    server = start_server()
    endpoint = next(server)
    try:
        _fake_environment(endpoint)
        kind = config.get("kind", "acm")
        if kind != "acm":
            # The targets of issues 18 and 19 (bench.sources_bench, bench.organization_bench).
            module = importlib.import_module(f"bench.{kind}_bench")
            module.serve(config, endpoint, world)
            return
        region = config["region"]
        with_metrics = config.get("metrics", True)
        seeded = _seed(config["n"], config["m"], region, config["seed"], with_metrics)
        enable_hub(region)
        topic_arn, queue_url = create_topic_with_queue(region)
        print(
            json.dumps(
                {
                    "endpoint": endpoint,
                    "topic_arn": topic_arn,
                    "queue_url": queue_url,
                    "seconds": seeded.seconds,
                    "now": seeded.now.isoformat(),
                    "in_use": seeded.in_use,
                    "renewed": len(seeded.renewed),
                    "parts": seeded.parts,
                    "metrics": with_metrics,
                }
            ),
            flush=True,
        )
        obey(sys.stdin, world, region, _answer(seeded, region, with_metrics))
    finally:
        server.close()


def _answer(seeded: Seeded, region: str, with_metrics: bool) -> Callable[[list[str]], str | None]:
    """The ACM seed's own commands, beyond those every kind answers (``bench.common.obey``):
    ``renew``, and ``restore-findings`` (the hub's findings as they were at ``renew``)."""
    kept: list[dict[str, Any]] = []

    def answer(command: list[str]) -> str | None:
        nonlocal kept
        if command == ["renew"]:
            kept = stored_findings(region)
            _renew(seeded, region, with_metrics)
            return "ok"
        if command == ["restore-findings"]:
            restore_findings(region, kept)
            return "ok"
        return None

    return answer


class MotoServer(Child):
    """The ACM seed's child (``bench.common.Child``, kind ``acm``), with what it reported."""

    @classmethod
    def seeded(
        cls, n: int, m: int, region: str = DEFAULT_REGION, seed: int = 5, metrics: bool = True
    ) -> MotoServer:
        config = {"kind": "acm", "n": n, "m": m, "region": region, "seed": seed, "metrics": metrics}
        return cls.start(config)

    @property
    def topic_arn(self) -> str:
        return str(self.ready["topic_arn"])

    @property
    def seed_seconds(self) -> float:
        return float(self.ready["seconds"])

    @property
    def in_use(self) -> int:
        """Certificates in the window that are in use: those the handler must describe."""
        return int(self.ready["in_use"])

    @property
    def renewed(self) -> int:
        """S: certificates renewed out of the window, whose findings are kept."""
        return int(self.ready["renewed"])

    @property
    def parts(self) -> int:
        """The fewest messages the digest of the M certificates needs (testkit.calls)."""
        return int(self.ready["parts"])

    @property
    def metrics(self) -> bool:
        """Every certificate has its DaysToExpiry metric, as ACM keeps them."""
        return bool(self.ready["metrics"])

    def use_path(self, path: str) -> None:
        """Start the path afresh: no finding in the hub, SearchCertificates there or not."""
        self.command("clear-findings")
        self.command(f"search {PATHS[path][0]}")


# The client side (this process) #################################################################


@dataclass
class ScanResult:
    """One measured scan of the ACM seed (``bench.common.Measured``) and its scenario."""

    label: str
    path: str
    n: int
    m: int
    f: int  # active findings before the scan
    s: int  # of them, findings of certificates renewed out of the window
    measured: Measured
    d: int = 0
    fewest_parts: int = 1  # the kit's lower bound for the digest, from the seeded certificates
    metrics: bool = True
    # The hub holds the account's monitor finding too (a scan before wrote it): one more of F.
    monitor: bool = False

    @property
    def scenario(self) -> Scenario:
        k = self.n if self.metrics else 0
        return Scenario(
            n=self.n,
            m=self.m,
            f=self.f + int(self.monitor),
            s=self.s,
            k=k,
            d=self.d,
            parts=self.fewest_parts,
            path=self.path,
        )

    @property
    def minimum_counts(self) -> Counter[str]:
        return minimum_calls(self.scenario)

    @property
    def minimum(self) -> int:
        return sum(self.minimum_counts.values())

    @property
    def ratio(self) -> float:
        return self.measured.calls / self.minimum


def load_handler(path: Path) -> ModuleType:
    """The handler module from ``path`` (the repository's, or a copy being tried out), under
    the name ``testkit.invoke`` runs."""
    spec = importlib.util.spec_from_file_location("handle_expiring_certificates", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["handle_expiring_certificates"] = module
    spec.loader.exec_module(module)
    return module


def run_scan(
    handler: ModuleType,
    label: str,
    server: MotoServer,
    *,
    path: str,
    n: int,
    m: int,
    f: int,
    latency_ms: float,
    s: int = 0,
    trace_memory: bool = False,
    timestamp_parser: bool = True,
) -> ScanResult:
    """One cold invocation (``bench.common.measure``), checked: it did the scan's job."""
    environ = {"AWS_REGION": DEFAULT_REGION, "SNS_TOPIC_ARN": server.topic_arn}
    measured = measure(
        handler,
        server,
        environ,
        latency_ms=latency_ms,
        trace_memory=trace_memory,
        timestamp_parser=timestamp_parser,
    )
    summary = measured.summary
    problems = []
    if summary["source"] != PATHS[path][1]:
        problems.append(f"source {summary['source']}, expected {PATHS[path][1]}")
    if len(summary["in_window"]) != m:
        problems.append(f"{len(summary['in_window'])} in the window, expected {m}")
    if summary["findings"]["written"] != m:
        problems.append(f"{summary['findings']['written']} findings written, expected {m}")
    if summary["findings"]["archived"] != s:
        problems.append(f"{summary['findings']['archived']} findings archived, expected {s}")
    if not summary["notification"]["message_ids"]:
        problems.append("no message published")
    if summary["errors"]:
        problems.append(f"errors: {summary['errors']}")
    if measured.error:
        problems.append(f"incomplete: {measured.error}")
    if problems:
        raise RuntimeError(f"{label}: the scan did not do its job: {'; '.join(problems)}")
    return ScanResult(
        label, path, n, m, f, s, measured, server.in_use, server.parts, server.metrics, f > 0
    )


def naive_finding(certificate: dict[str, Any], region: str, now: datetime) -> dict[str, Any]:
    arn = certificate["CertificateArn"]
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"naive-sample/{arn}",
        "ProductArn": f"arn:aws:securityhub:{region}:{ACCOUNT_ID}:product/{ACCOUNT_ID}/default",
        "GeneratorId": "naive-sample",
        "AwsAccountId": ACCOUNT_ID,
        "Types": ["Software and Configuration Checks/Certificate Expiry"],
        "CreatedAt": stamp,
        "UpdatedAt": stamp,
        "Severity": {"Label": "HIGH"},
        "Title": f"Certificate {certificate['DomainName']} expires soon",
        "Description": f"{arn} expires on {certificate['NotAfter']}",
        "Resources": [{"Type": "AwsCertificateManagerCertificate", "Id": arn, "Region": region}],
        "Compliance": {"Status": "FAILED"},
        "RecordState": "ACTIVE",
    }


def run_naive(server: MotoServer, *, latency_ms: float) -> tuple[float, Counter[str], int]:
    """The reference sample's way: one describe per certificate, one finding per import."""
    meter = Meter(latency_ms / 1000)
    session = meter.session()
    acm = session.create_client("acm", region_name=DEFAULT_REGION)
    hub = session.create_client("securityhub", region_name=DEFAULT_REGION)
    sns = session.create_client("sns", region_name=DEFAULT_REGION)
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    arns: list[str] = []
    kwargs: dict[str, Any] = {"Includes": {"keyTypes": list(KEY_TYPES)}}
    while True:
        page = acm.list_certificates(**kwargs)
        arns += [summary["CertificateArn"] for summary in page["CertificateSummaryList"]]
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    expiring = []
    for arn in arns:
        certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        if certificate["NotAfter"] <= now + timedelta(days=EXPIRY_DAYS):
            expiring.append(certificate)
    for certificate in expiring:
        hub.describe_hub()
        hub.batch_import_findings(Findings=[naive_finding(certificate, DEFAULT_REGION, now)])
    sns.publish(
        TopicArn=server.topic_arn,
        Subject=f"{len(expiring)} certificates expire soon",
        Message="\n".join(c["CertificateArn"] for c in expiring),
    )
    return time.perf_counter() - started, meter.counts, len(expiring)


# Report #########################################################################################


def _mb(size: int | None) -> str:
    return "-" if size is None else f"{size / 2**20:.1f} MB"


def _s(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f} s"


@dataclass
class ParserWeight:
    """Medians of F = M scans with the handler's timestamp parser and with botocore's."""

    with_seconds: float
    with_cpu: float
    without_seconds: float
    without_cpu: float


@dataclass
class PathReport:
    path: str
    first: ScanResult  # F = 0
    second: ScanResult  # F = M
    third: ScanResult  # F = M + S, S of certificates renewed out of the window
    peak_bytes: int | None

    @property
    def scans(self) -> tuple[ScanResult, ScanResult, ScanResult]:
        return self.first, self.second, self.third

    parser: ParserWeight | None


@dataclass
class PresetReport:
    name: str
    n: int
    m: int
    latency_ms: float
    seed_seconds: float
    paths: dict[str, PathReport]
    naive_seconds: float
    naive_calls: int
    naive_estimated: bool


def machine_note() -> str:
    """The machine and what else ran on it when the benchmark started."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    one, five, fifteen = os.getloadavg()
    return (
        f"{model}, nproc {cores}, Python {platform.python_version()}, {platform.system()}; "
        f"load average at start {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min)"
    )


def _goal(path: str, key: str, unit: str) -> str:
    value = GOALS[path].get(key)
    return "" if value is None else f"< {value:g} {unit} at N = {GOAL_N:,}"


def markdown_table(reports: Sequence[PresetReport]) -> str:
    """Both paths side by side: one column per path and N, a goal column per path."""
    paths = [p for p in PATHS if any(p in r.paths for r in reports)]
    header = ["Measure"]
    for path in paths:
        header += [f"{PATH_TITLES[path]}, N = {r.n:,}" for r in reports] + ["goal"]
    rows: list[list[str]] = []

    def row(name: str, cell: Any, goal: Any) -> None:
        cells = [name]
        for path in paths:
            for report in reports:
                found = report.paths.get(path)
                cells.append("-" if found is None else cell(report, found))
            cells.append(goal(path))
        rows.append(cells)

    ms = {r.m for r in reports}
    m_text = f"{ms.pop()}" if len(ms) == 1 else "M"
    ss = {p.third.s for r in reports for p in r.paths.values()}
    s_text = f"{ss.pop()}" if len(ss) == 1 else "S"
    titles = {"first": "F = 0", "second": f"F = {m_text}", "third": f"F = {m_text} + {s_text}"}
    row("M (in the window)", lambda r, p: f"{r.m}", lambda path: "")
    row(
        "S (renewed out of the window, finding active)",
        lambda r, p: f"{p.third.s}",
        lambda path: "",
    )
    for quantity, attribute_name, goal_key in (
        ("Wall time", "seconds", "seconds"),
        ("Handler CPU", "cpu_seconds", "cpu"),
        ("Emulator CPU (same cores)", "emulator_cpu_seconds", ""),
    ):
        for scan, title in titles.items():
            row(
                f"{quantity}, {title}",
                lambda r, p, a=scan, b=attribute_name: _s(getattr(getattr(p, a).measured, b)),
                lambda path, k=goal_key: _goal(path, k, "s") if k else "",
            )
    row(
        f"Peak memory, F = {m_text}",
        lambda r, p: _mb(p.peak_bytes),
        lambda path: _goal(path, "peak_mb", "MB"),
    )
    for attribute, title in titles.items():
        row(
            f"Calls / minimum, {title}",
            lambda r, p, a=attribute: (
                f"{getattr(p, a).measured.calls} / {getattr(p, a).minimum} = "
                f"{getattr(p, a).ratio:.2f}"
            ),
            lambda path: f"≤ {MAX_CALL_RATIO:g}",
        )
    row(
        "Messages for the digest (fewest)",
        lambda r, p: f"{p.first.measured.messages} ({p.first.fewest_parts}) for {r.m}",
        lambda path: f"≤ {MAX_DIGEST_MESSAGES} for 500" if path == "search" else "",
    )
    by_n = {r.n: r for r in reports}
    if 2500 in by_n and GOAL_N in by_n:
        for attribute, title in list(titles.items())[:2]:

            def growth(r: PresetReport, p: PathReport, a: str = attribute) -> str:
                if r.n != GOAL_N or p.path not in by_n[2500].paths:
                    return ""
                small = getattr(by_n[2500].paths[p.path], a).measured.seconds
                return f"{getattr(p, a).measured.seconds / small:.2f}"

            row(
                f"Wall(N = 10,000) / wall(N = 2,500), {title}",
                growth,
                lambda path: f"≤ {MAX_GROWTH:g}" if path == "search" else "",
            )

    def parser(r: PresetReport, p: PathReport, kind: str) -> str:
        if p.parser is None:
            return "-"
        w = p.parser
        if kind == "cpu":
            return f"{w.with_cpu:.2f} / {w.without_cpu:.2f} s"
        return f"{w.with_seconds:.2f} / {w.without_seconds:.2f} s"

    row(
        "Timestamp parser: CPU with / without",
        lambda r, p: parser(r, p, "cpu"),
        lambda path: "",
    )
    row(
        "Timestamp parser: wall with / without",
        lambda r, p: parser(r, p, "wall"),
        lambda path: "",
    )
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
    ]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def calls_table(reports: Sequence[PresetReport]) -> str:
    """Calls per operation against the minimum, every path, N and F."""
    scans = [
        scan
        for path in PATHS
        for report in reports
        if path in report.paths
        for scan in report.paths[path].scans
    ]
    return counts_table(
        (
            f"{s.path} N = {s.n:,} F = {s.f - s.s}" + (f" + {s.s}" if s.s else ""),
            s.measured.counts,
            s.minimum_counts,
        )
        for s in scans
    )


def weigh_parser(
    handler: ModuleType, server: MotoServer, path: str, n: int, m: int, latency_ms: float, runs: int
) -> ParserWeight | None:
    if runs <= 0:
        return None
    results: dict[bool, list[ScanResult]] = {True: [], False: []}
    for index in range(runs):
        # Alternate which goes first, so a drift in the machine's load weighs on both.
        order = (True, False) if index % 2 == 0 else (False, True)
        for parser in order:
            results[parser].append(
                run_scan(
                    handler,
                    f"{path}, parser {'on' if parser else 'off'}",
                    server,
                    path=path,
                    n=n,
                    m=m,
                    f=m,
                    latency_ms=latency_ms,
                    timestamp_parser=parser,
                )
            )

    def median(parser: bool, attribute: str) -> float:
        return statistics.median(getattr(r.measured, attribute) for r in results[parser])

    return ParserWeight(
        median(True, "seconds"),
        median(True, "cpu_seconds"),
        median(False, "seconds"),
        median(False, "cpu_seconds"),
    )


def run_path(
    handler: ModuleType,
    server: MotoServer,
    path: str,
    *,
    n: int,
    m: int,
    latency_ms: float,
    parser_runs: int,
) -> PathReport:
    server.use_path(path)
    common: dict[str, Any] = {"path": path, "n": n, "m": m, "latency_ms": latency_ms}
    print(f"  {PATH_TITLES[path]}: F = 0, F = {m}, memory...", flush=True)
    first = run_scan(handler, f"{path} F=0", server, f=0, **common)
    second = run_scan(handler, f"{path} F={m}", server, f=m, **common)
    memory = run_scan(handler, f"{path} memory", server, f=m, trace_memory=True, **common)
    if parser_runs:
        print(f"  {PATH_TITLES[path]}: timestamp parser, {parser_runs} pair(s)...", flush=True)
    parser = weigh_parser(handler, server, path, n, m, latency_ms, parser_runs)
    s = server.renewed
    print(f"  {PATH_TITLES[path]}: F = {m} + {s}, {s} renewed out of the window...", flush=True)
    server.command("restore-findings")
    third = run_scan(handler, f"{path} F={m}+{s}", server, f=m + s, s=s, **common)
    return PathReport(path, first, second, third, memory.measured.peak_bytes, parser)


def run_preset(
    handler: ModuleType,
    name: str,
    n: int,
    m: int,
    *,
    latency_ms: float,
    paths: Sequence[str],
    naive: bool,
    parser_runs: int,
    metrics: bool = True,
) -> PresetReport:
    print(f"\nSeeding moto with {n} certificates ({m} in the window)...", flush=True)
    with MotoServer.seeded(n, m, metrics=metrics) as server:
        # The findings of a scan before S certificates were renewed out of the window.
        server.use_path("search")
        run_scan(
            handler,
            "before renewals",
            server,
            path="search",
            n=n,
            m=m + server.renewed,
            f=0,
            latency_ms=0,
        )
        server.command("renew")
        reports = {
            path: run_path(
                handler,
                server,
                path,
                n=n,
                m=m,
                latency_ms=latency_ms,
                parser_runs=parser_runs,
            )
            for path in paths
        }
        if naive:
            print(f"  naive loop (about {n + 2 * m} calls in a row)...", flush=True)
            server.use_path("listing")
            naive_seconds, counts, expiring = run_naive(server, latency_ms=latency_ms)
            naive_calls = sum(counts.values())
            if expiring != m:
                raise RuntimeError(f"the naive loop found {expiring} certificates, expected {m}")
        else:
            # Its calls run one after another, each taking at least the latency: a lower bound.
            naive_calls = math.ceil(n / 1000) + n + 2 * m + 1
            naive_seconds = naive_calls * latency_ms / 1000
    return PresetReport(
        name, n, m, latency_ms, server.seed_seconds, reports, naive_seconds, naive_calls, not naive
    )


def print_preset(report: PresetReport) -> None:
    print(f"\n== N = {report.n:,}, M = {report.m}, {report.latency_ms:g} ms per call")
    print(f"   moto seeded in {report.seed_seconds:.1f} s (child process, not measured)")
    for path in report.paths.values():
        for scan in path.scans:
            measured = scan.measured
            extra = {k: v for k, v in measured.counts.items() if k not in scan.minimum_counts}
            renewed = f" ({scan.s} renewed out of the window)" if scan.s else ""
            print(
                f"-- {PATH_TITLES[scan.path]}, F = {scan.f}{renewed}: {_s(measured.seconds)} wall "
                f"(emulator CPU {_s(measured.emulator_cpu_seconds)}), "
                f"{_s(measured.cpu_seconds)} handler CPU, {measured.calls} calls (minimum "
                f"{scan.minimum}), {measured.messages} message(s) (fewest {scan.fewest_parts}), "
                f"examined {measured.summary['certificates_examined']}"
                + (
                    f"; beyond the minimum's operations: {dict(sorted(extra.items()))}"
                    if extra
                    else ""
                )
            )
    kind = "estimated as calls x latency, a lower bound" if report.naive_estimated else "run"
    search = report.paths.get("search") or next(iter(report.paths.values()))
    print(
        f"-- naive loop ({kind}): {report.naive_seconds:.1f} s, {report.naive_calls} calls; "
        f"{report.naive_seconds / search.first.measured.seconds:.0f}x the "
        f"{PATH_TITLES[search.path]} scan with F = 0"
    )


IMPORT_PROBE = """
import sys, time
import boto3, botocore.config, botocore.exceptions, botocore.utils
sys.dont_write_bytecode = True
started = time.perf_counter()
import handle_expiring_certificates
print((time.perf_counter() - started) * 1000)
"""


def import_milliseconds(handler: Path, *, compiled: bool, runs: int = 5) -> float:
    """Median time to import the handler beyond boto3, in a fresh interpreter each run.

    compiled=False is Lambda after pasting the file: /var/task is read-only, so every cold start
    compiles it; compiled=True reads cached bytecode.
    """
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            shutil.copy(handler, Path(folder) / "handle_expiring_certificates.py")
            if compiled:
                py_compile.compile(
                    str(Path(folder) / "handle_expiring_certificates.py"), doraise=True
                )
            result = subprocess.run(
                [sys.executable, "-c", IMPORT_PROBE],
                cwd=folder,
                env={**os.environ, "PYTHONPATH": folder},
                capture_output=True,
                text=True,
                check=True,
            )
            times.append(float(result.stdout))
    return statistics.median(times)


TARGETS = ("acm", "sources", "organization")


def run_other_targets(
    handler: ModuleType, targets: Sequence[str], args: argparse.Namespace
) -> list[tuple[str, str]]:
    """Issue 18's and 19's targets (``bench.sources_bench``, ``bench.organization_bench``):
    each report's title and Markdown, printed as they come and again with the figures."""
    from bench import organization_bench, sources_bench

    reports: list[tuple[str, str]] = []
    if "sources" in targets:
        n, m = PRESETS[args.overhead_preset]
        overhead = sources_bench.run_overhead(
            handler, n, m, runs=args.overhead_runs, latency_ms=args.latency_ms
        )
        reports.append(
            (
                "Issue 18 (a): every source in an account without the new resources",
                sources_bench.overhead_report(overhead),
            )
        )
        print(reports[-1][1], flush=True)
        scale = sources_bench.run_scale(
            handler,
            db_instances=args.db_instances,
            each=args.each,
            acm=(args.each, max(1, args.each // 5)),
            latency_ms=args.latency_ms,
        )
        reports.append(
            (
                f"Issue 18 (b): {args.db_instances} DB instances and {args.each} of every "
                "other kind",
                sources_bench.scale_report(scale),
            )
        )
        print(reports[-1][1], flush=True)
    if "organization" in targets:
        organization = organization_bench.run_organization(
            handler,
            members=args.members,
            findings=args.member_findings,
            own=PRESETS["small"],
            latency_ms=args.latency_ms,
        )
        reports.append(
            (
                f"Issue 19: an organisation digest of {args.member_findings:,} member findings",
                organization_bench.organization_report(organization),
            )
        )
        print(reports[-1][1], flush=True)
    return reports


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--preset",
        action="append",
        choices=sorted(PRESETS),
        help="N and M: small 300/30, 2500 2500/500, 10000 10000/500 (repeatable; "
        "default: 2500 and 10000)",
    )
    parser.add_argument("--n", type=int, help="certificates (a custom run; with --m)")
    parser.add_argument("--m", type=int, help="certificates inside the window (with --n)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="delay per call (20)")
    parser.add_argument(
        "--path",
        action="append",
        choices=sorted(PATHS),
        help="search (SearchCertificates) or listing (the ListCertificates fallback); "
        "repeatable; default: both",
    )
    parser.add_argument(
        "--parser-runs",
        type=int,
        default=1,
        help="pairs of F = M scans with and without the handler's timestamp parser, per path "
        "and N (1; 0 skips)",
    )
    parser.add_argument(
        "--naive",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="run the naive loop (about N + 2M calls one after another; default: estimate its "
        "time as calls x latency)",
    )
    parser.add_argument(
        "--handler",
        type=Path,
        default=ROOT / "handle_expiring_certificates.py",
        help="the handler file to measure (default: the repository's)",
    )
    parser.add_argument(
        "--metrics",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="seed a DaysToExpiry metric for every certificate, as ACM keeps them (default); "
        "--no-metrics measures what the search alone costs",
    )
    parser.add_argument(
        "--target",
        action="append",
        choices=TARGETS,
        help="acm: the ACM presets; sources: issue 18's (the other sources' overhead in an "
        "account without them, and 500 DB instances with 50 of every other kind); "
        "organization: issue 19's organisation digest (repeatable; default: all three, or acm "
        "alone with --preset or --n)",
    )
    parser.add_argument(
        "--overhead-runs",
        type=int,
        default=9,
        help="sources: pairs of scans (acm,iam and all) for the CPU overhead (9)",
    )
    parser.add_argument(
        "--overhead-preset",
        choices=sorted(PRESETS),
        default="2500",
        help="sources: the ACM seed of the overhead's account (2500)",
    )
    parser.add_argument("--db-instances", type=int, default=500, help="sources: DB instances (500)")
    parser.add_argument(
        "--each", type=int, default=50, help="sources: items of every other kind (50)"
    )
    parser.add_argument("--members", type=int, default=1000, help="organization: members (1000)")
    parser.add_argument(
        "--member-findings",
        type=int,
        default=10_000,
        help="organization: the members' certificate findings (10000)",
    )
    parser.add_argument("--serve", metavar="JSON", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(json.loads(args.serve))
        return 0
    if (args.n is None) != (args.m is None) or (args.n is not None and not 0 < args.m <= args.n):
        parser.error("--n and --m go together, with 0 < M <= N")

    machine = machine_note()
    _fake_environment()
    # The handler logs at INFO, as in Lambda (and pays for it); show only its warnings.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger().handlers[0].setLevel(logging.WARNING)
    asked = args.preset is not None or args.n is not None
    targets = args.target or (["acm"] if asked else list(TARGETS))
    runs: list[tuple[str, int, int]] = []
    if "acm" in targets:
        if args.n is not None:
            runs.append((f"N={args.n}", args.n, args.m))
        for name in args.preset or ([] if args.n is not None else ["2500", "10000"]):
            runs.append((name, *PRESETS[name]))
    paths = [path for path in PATHS if path in (args.path or PATHS)]

    print(
        "Scheduled scan benchmark: moto server in a child process on 127.0.0.1, "
        f"{args.latency_ms:g} ms added per call"
    )
    print(f"Machine: {machine}")
    handler = load_handler(args.handler)
    print(f"Handler: {args.handler}")
    reports = []
    for name, n, m in runs:
        report = run_preset(
            handler,
            name,
            n,
            m,
            latency_ms=args.latency_ms,
            paths=paths,
            naive=args.naive,
            parser_runs=args.parser_runs,
            metrics=args.metrics,
        )
        print_preset(report)
        reports.append(report)
    others = run_other_targets(handler, targets, args)
    cold = import_milliseconds(args.handler, compiled=False)
    warm = import_milliseconds(args.handler, compiled=True)
    print(
        f"\nCold start: importing the module beyond boto3 takes {cold:.0f} ms when it must be "
        f"compiled (a file pasted into the console), {warm:.0f} ms from cached bytecode "
        f"(median of 5; goal < {MAX_IMPORT_MS:g} ms)"
    )
    one, five, fifteen = os.getloadavg()
    print(
        f"Load average at the end {one:.2f} / {five:.2f} / {fifteen:.2f} (this benchmark included)"
    )
    command = " ".join(["python -m bench.scan_bench", *(sys.argv[1:] if argv is None else argv)])
    print(f"\n## Figures (`{command}`)\n")
    print(f"Machine: {machine}.\n")
    for title, text in others:
        print(f"### {title}\n\n{text}\n")
    if not reports:
        return 0
    print(markdown_table(reports))
    print("\nCalls per operation, made / fewest possible:\n")
    print(calls_table(reports))
    print(
        f"\n{args.latency_ms:g} ms added to every API call; moto in a separate process on "
        "127.0.0.1. Wall time: one cold invocation (new botocore session and clients); it "
        "includes the emulator's work, on the same cores. Handler CPU: the handler's process "
        "during it; emulator CPU: the moto server's process during it. Peak memory: tracemalloc "
        "peak during lambda_handler with F = M. S: certificates renewed out of the window since "
        "their findings were written. Minimum: testkit.calls, from the scenario alone; the "
        "digest's fewest messages a lower bound from what each entry must carry. Timestamp "
        "parser: medians of F = M scans with the parser AwsClients sets on the botocore "
        "session and with botocore's default."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
