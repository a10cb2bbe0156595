"""Benchmark: a scheduled scan of thousands of ACM certificates, against moto, with latency.

    python -m bench.scan_bench                     # presets 2500 and 10000 (what `make bench` runs)
    python -m bench.scan_bench --preset small      # a quick look
    python -m bench.scan_bench --n 5000 --m 250 --latency-ms 50 --no-naive
    python -m bench.scan_bench --preset 10000 --handler /tmp/copy/handle_expiring_certificates.py

(from the repository's folder, which makes ``testkit`` importable).

For each preset a moto server is started in a child process on 127.0.0.1 (so that the peak
memory measured here is the handler's alone, and moto's CPU is not the handler's) and seeded
there with N imported EC P-256 certificates, M of them inside the 45-day window (from expired
5 days ago to 44 days left; one in three in use), a ``DaysToExpiry`` metric for every
certificate, Security Hub enabled and an SNS topic with an SQS subscriber. The server is made
as strict as AWS by the test kit (``testkit.strict_aws``), whose ``ListCertificates`` builds
only the page it returns and whose ``ListMetrics`` stays linear at 10,000 metrics; each
certificate's listing summary is computed once while seeding, as AWS has it stored. moto still
spends a few milliseconds of CPU
per request, which the latency below does not replace; on a busy machine that shows.

This process then runs ``lambda_handler`` with a "Scheduled Event" through a boto3 Session whose
``before-send`` hooks count every HTTP request per operation and sleep ``--latency-ms`` before
it, standing in for the network and AWS's own time. It runs the scan twice: first with no
active finding (F = 0), then again with the M findings of the first run active (F = M), and a
third time, identical to the second, under ``tracemalloc`` for the peak memory (tracemalloc
slows Python down, so that run is not timed). Then, under the same delay, a naive loop as the
AWS blog sample does it: ListCertificates, DescribeCertificate for every certificate one after
another, then for each certificate in the window DescribeHub and BatchImportFindings with one
finding, and one Publish.

The fewest calls a scan can make (issue 5) is
    ceil(N/1000) + ceil(N/500) + M + ceil(F/100) + ceil(M/100) + 1
(ListCertificates pages, ListMetrics pages, describes, GetFindings pages, imports, Publish).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import math
import os
import py_compile
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from testkit import invoke, load_event, strict_aws

ROOT = Path(__file__).resolve().parents[1]

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
TOPIC_NAME = "certificate-expiry"
EXPIRY_DAYS = 45
IN_WINDOW_DAYS = range(-5, 45)  # expired up to 5 days ago .. 44 days left
ALL_KEY_TYPES = [
    "RSA_1024",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
]
PRESETS = {"small": (300, 30), "2500": (2500, 125), "10000": (10000, 500)}
# Targets of issue 5, at 20 ms per call.
TARGETS = {"2500": {"seconds": 3.0, "speedup": 20.0}, "10000": {"seconds": 5.0, "peak_mb": 128.0}}
MAX_CALL_RATIO = 1.1
# The naive loop makes about N + 2M calls in a row; above this it takes minutes.
NAIVE_AUTO_MAX_N = 2500


def minimum_calls(n: int, m: int, f: int, d: int) -> int:
    """Issue 5's minimum; ``d`` the describes needed (in-window certificates in use)."""
    return (
        math.ceil(n / 1000) + math.ceil(n / 500) + d + math.ceil(f / 100) + math.ceil(m / 100) + 1
    )


# The moto server (child process) ################################################################


def _fake_environment(endpoint_url: str | None = None) -> None:
    """The kit's fake credentials and region, for the life of this process; no config files
    (they would be looked for under /dev/null)."""
    strict_aws.set_fake_environment(pytest.MonkeyPatch(), Path(os.devnull), endpoint_url)


def _seed(n: int, m: int, region: str, seed: int) -> dict[str, Any]:
    """N certificates (M in the window), their metrics, the hub; returns what was made."""
    import moto.acm.models
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    from moto.acm.models import acm_backends
    from moto.cloudwatch.models import cloudwatch_backends

    started = time.perf_counter()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench Issuing CA")])
    rng = random.Random(seed)
    in_window = set(rng.sample(range(n), m))
    acm = acm_backends[ACCOUNT_ID][region]
    real_utcnow = moto.acm.models.utcnow
    metrics: list[dict[str, Any]] = []
    window_days = list(IN_WINDOW_DAYS)
    for index in range(n):
        if index in in_window:
            days = rng.choice(window_days)
        else:
            days = rng.randrange(EXPIRY_DAYS + 1, 396)
        not_after = now + timedelta(days=days, hours=1)
        not_before = min(not_after - timedelta(days=397), now - timedelta(days=1))
        name = f"host{index:05d}.bench.example.com"
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(index + 1)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(
                x509.SubjectAlternativeName([x509.DNSName(name), x509.DNSName(f"www.{name}")]),
                critical=False,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(key, hashes.SHA256())
        )
        pem = certificate.public_bytes(serialization.Encoding.PEM)
        if not_after <= now:
            # moto (like AWS) refuses to import an expired certificate: import it "earlier".
            moment = (not_after - timedelta(days=1)).replace(tzinfo=None)
            moto.acm.models.utcnow = lambda moment=moment: moment  # type: ignore[misc]
        try:
            arn = acm.import_certificate(pem, key_pem, chain=None, arn=None, tags=[])
        finally:
            moto.acm.models.utcnow = real_utcnow
        if index in in_window and index % 3 == 0:
            acm._certificates[arn].in_use_by = [
                f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:loadbalancer/app/"
                f"bench-{index}/0123456789abcdef"
            ]
        strict_aws.listed_summary(acm._certificates[arn])
        metrics.append(
            {
                "MetricName": "DaysToExpiry",
                "Dimensions": [{"Name": "CertificateArn", "Value": arn}],
                "Value": float(days),
                "Unit": "None",
            }
        )
    cloudwatch = cloudwatch_backends[ACCOUNT_ID][region]
    for start in range(0, len(metrics), 1000):  # PutMetricData takes up to 1000 metrics
        cloudwatch.put_metric_data("AWS/CertificateManager", metrics[start : start + 1000])
    return {
        "seconds": time.perf_counter() - started,
        "now": now.isoformat(),
        "in_use": sum(1 for index in in_window if index % 3 == 0),
    }


def serve(config: dict[str, Any]) -> None:
    """Child process: seed moto, serve it on 127.0.0.1, report, and stop when stdin closes."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _fake_environment()
    from moto.server import ThreadedMotoServer

    strict_aws.install_strictness(pytest.MonkeyPatch())  # for the life of this process
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    _fake_environment(endpoint)
    seeded = _seed(config["n"], config["m"], config["region"], config["seed"])
    strict_aws.enable_hub(config["region"])
    topic_arn, queue_url = strict_aws.create_topic_with_queue(config["region"], name=TOPIC_NAME)
    print(
        json.dumps(
            {"endpoint": endpoint, "topic_arn": topic_arn, "queue_url": queue_url, **seeded}
        ),
        flush=True,
    )
    sys.stdin.read()
    server.stop()


@dataclass
class MotoServer:
    """The child process serving seeded moto."""

    process: subprocess.Popen[str]
    endpoint: str
    topic_arn: str
    queue_url: str
    seed_seconds: float
    in_use: int  # certificates in the window that are in use: those the handler must describe

    @classmethod
    def start(cls, n: int, m: int, region: str = REGION, seed: int = 5) -> MotoServer:
        config = {"n": n, "m": m, "region": region, "seed": seed}
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.scan_bench", "--serve", json.dumps(config)],
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
        ready = json.loads(line)
        return cls(
            process,
            ready["endpoint"],
            ready["topic_arn"],
            ready["queue_url"],
            ready["seconds"],
            ready["in_use"],
        )

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# The client side (this process) #################################################################


@dataclass
class Meter:
    """botocore hooks: count each HTTP request per operation, then delay it."""

    latency_seconds: float
    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, event_name: str, **kwargs: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        with self.lock:
            self.counts[f"{service}:{operation}"] += 1

    def delay(self, **kwargs: Any) -> None:
        if self.latency_seconds:
            time.sleep(self.latency_seconds)
        # None: botocore goes on and sends the request.

    def session(self, region: str) -> Any:
        import boto3

        session = boto3.session.Session(region_name=region)
        session.events.register("before-send", self.count)
        session.events.register("before-send", self.delay)
        return session

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class ScanResult:
    label: str
    n: int
    m: int
    f: int
    seconds: float
    cpu_seconds: float
    counts: Counter[str]
    summary: dict[str, Any]
    d: int = 0
    peak_bytes: int | None = None

    @property
    def calls(self) -> int:
        return sum(self.counts.values())

    @property
    def minimum(self) -> int:
        return minimum_calls(self.n, self.m, self.f, self.d)


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
    n: int,
    m: int,
    f: int,
    latency_ms: float,
    trace_memory: bool = False,
) -> ScanResult:
    """One cold invocation: a new Session and AwsClients, as a new Lambda container has."""
    meter = Meter(latency_ms / 1000)
    clients = handler.AwsClients(meter.session(REGION))
    environ = {"AWS_REGION": REGION, "SNS_TOPIC_ARN": server.topic_arn}
    if trace_memory:
        tracemalloc.start()
    started = time.perf_counter()
    cpu_started = time.process_time()
    try:
        summary = invoke(load_event("scheduled-event"), environ=environ, clients=clients)
    finally:
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        peak = tracemalloc.get_traced_memory()[1] if trace_memory else None
        if trace_memory:
            tracemalloc.stop()
    problems = []
    if summary["certificates_examined"] != n:
        problems.append(f"examined {summary['certificates_examined']} of {n}")
    if len(summary["in_window"]) != m:
        problems.append(f"{len(summary['in_window'])} in the window, expected {m}")
    if summary["findings"]["written"] != m:
        problems.append(f"{summary['findings']['written']} findings written, expected {m}")
    if not summary["notification"]["message_ids"]:
        problems.append("no message published")
    if problems:
        raise RuntimeError(f"{label}: the scan did not do its job: {'; '.join(problems)}")
    return ScanResult(
        label, n, m, f, seconds, cpu_seconds, meter.counts, summary, server.in_use, peak
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
    session = meter.session(REGION)
    acm = session.client("acm")
    hub = session.client("securityhub")
    sns = session.client("sns")
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    arns: list[str] = []
    kwargs: dict[str, Any] = {"Includes": {"keyTypes": ALL_KEY_TYPES}}
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
        hub.batch_import_findings(Findings=[naive_finding(certificate, REGION, now)])
    sns.publish(
        TopicArn=server.topic_arn,
        Subject=f"{len(expiring)} certificates expire soon",
        Message="\n".join(c["CertificateArn"] for c in expiring),
    )
    return time.perf_counter() - started, meter.counts, len(expiring)


# Report #########################################################################################


def _mb(size: int | None) -> str:
    return "-" if size is None else f"{size / 2**20:.1f} MB"


def _calls_line(counts: Counter[str]) -> str:
    return ", ".join(f"{op} {count}" for op, count in sorted(counts.items()))


@dataclass
class PresetReport:
    name: str
    n: int
    m: int
    latency_ms: float
    seed_seconds: float
    scans: list[ScanResult]
    peak_bytes: int | None
    naive_seconds: float | None
    naive_calls: int | None
    naive_estimated: bool

    def print(self) -> None:
        print(f"\n== preset {self.name}: N={self.n}, M={self.m}, {self.latency_ms:g} ms per call")
        print(f"   moto seeded in {self.seed_seconds:.1f} s (child process, not measured)")
        for scan in self.scans:
            print(f"-- scan, {scan.label}")
            print(
                f"   wall time      {scan.seconds:.2f} s "
                f"(CPU of this process {scan.cpu_seconds:.2f} s)"
            )
            print(f"   calls          {scan.calls}: {_calls_line(scan.counts)}")
            print(
                f"   minimum        {scan.minimum} = ceil({scan.n}/1000) + ceil({scan.n}/500) + "
                f"{scan.d} + ceil({scan.f}/100) + ceil({scan.m}/100) + 1 "
                f"({scan.d} of the {scan.m} in the window are in use and need describing)"
            )
            print(f"   calls/minimum  {scan.calls / scan.minimum:.3f}")
            print(
                f"   digest parts   {scan.summary['notification']['parts']}, findings written "
                f"{scan.summary['findings']['written']}, archived "
                f"{scan.summary['findings']['archived']}"
            )
        print(
            f"-- peak memory of the invocation (tracemalloc, F={self.m}, handler process only; "
            f"moto runs in another process): {_mb(self.peak_bytes)}"
        )
        if self.naive_seconds is not None:
            kind = " estimated (calls x latency, a lower bound)" if self.naive_estimated else ""
            print(
                f"-- naive loop: {self.naive_seconds:.1f} s{kind}, {self.naive_calls} calls; "
                f"handler (F=0) is {self.naive_seconds / self.scans[0].seconds:.0f}x faster"
            )

    def verdicts(self) -> list[str]:
        verdicts = []
        target = TARGETS.get(self.name, {})
        for scan in self.scans:
            ratio = scan.calls / scan.minimum
            verdicts.append(
                f"{self.name} {scan.label}: calls {ratio:.3f} x minimum "
                f"({'met' if ratio <= MAX_CALL_RATIO else 'MISSED'}, target <= {MAX_CALL_RATIO})"
            )
            if "seconds" in target:
                ok = scan.seconds < target["seconds"]
                verdicts.append(
                    f"{self.name} {scan.label}: {scan.seconds:.2f} s "
                    f"({'met' if ok else 'MISSED'}, target < {target['seconds']:g} s)"
                )
        if "peak_mb" in target and self.peak_bytes is not None:
            ok = self.peak_bytes / 2**20 < target["peak_mb"]
            verdicts.append(
                f"{self.name}: peak {_mb(self.peak_bytes)} "
                f"({'met' if ok else 'MISSED'}, target < {target['peak_mb']:g} MB)"
            )
        if "speedup" in target and self.naive_seconds is not None:
            speedup = self.naive_seconds / self.scans[0].seconds
            verdicts.append(
                f"{self.name}: {speedup:.0f}x faster than the naive loop "
                f"({'met' if speedup >= target['speedup'] else 'MISSED'}, "
                f"target >= {target['speedup']:g}x)"
            )
        return verdicts


def markdown_table(reports: Sequence[PresetReport]) -> str:
    lines = [
        "| N | M | F | Wall time | CPU | API calls | Minimum | Calls / minimum | Peak memory "
        "| Naive loop | Faster |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for report in reports:
        for scan in report.scans:
            naive = speedup = "-"
            if report.naive_seconds is not None and scan.f == 0:
                bound = ">= " if report.naive_estimated else ""
                mark = " (est.)" if report.naive_estimated else ""
                naive = f"{bound}{report.naive_seconds:.0f} s{mark}"
                speedup = f"{bound}{report.naive_seconds / scan.seconds:.0f}x"
            peak = _mb(report.peak_bytes) if scan.f else "-"
            lines.append(
                f"| {scan.n:,} | {scan.m} | {scan.f} | {scan.seconds:.2f} s "
                f"| {scan.cpu_seconds:.2f} s | {scan.calls} "
                f"| {scan.minimum} | {scan.calls / scan.minimum:.2f} | {peak} | {naive} "
                f"| {speedup} |"
            )
    return "\n".join(lines)


def run_preset(
    handler: ModuleType, name: str, n: int, m: int, latency_ms: float, naive: bool | None
) -> PresetReport:
    print(f"\nSeeding moto with {n} certificates ({m} in the window)...", flush=True)
    server = MotoServer.start(n, m)
    os.environ["AWS_ENDPOINT_URL"] = server.endpoint
    try:
        first = run_scan(handler, "F=0 (first run)", server, n=n, m=m, f=0, latency_ms=latency_ms)
        second = run_scan(
            handler, f"F={m} (second run)", server, n=n, m=m, f=m, latency_ms=latency_ms
        )
        memory = run_scan(
            handler, "memory", server, n=n, m=m, f=m, latency_ms=latency_ms, trace_memory=True
        )
        naive_seconds: float | None = None
        naive_calls: int | None = None
        estimated = False
        if naive if naive is not None else n <= NAIVE_AUTO_MAX_N:
            print(f"Running the naive loop (about {n + 2 * m} calls in a row)...", flush=True)
            naive_seconds, counts, expiring = run_naive(server, latency_ms=latency_ms)
            naive_calls = sum(counts.values())
            if expiring != m:
                raise RuntimeError(f"the naive loop found {expiring} certificates, expected {m}")
        elif naive is None:
            # Its calls run one after another, each taking at least the latency: a lower bound.
            naive_calls = math.ceil(n / 1000) + n + 2 * m + 1
            naive_seconds = naive_calls * latency_ms / 1000
            estimated = True
    finally:
        server.stop()
        os.environ.pop("AWS_ENDPOINT_URL", None)
    return PresetReport(
        name,
        n,
        m,
        latency_ms,
        server.seed_seconds,
        [first, second],
        memory.peak_bytes,
        naive_seconds,
        naive_calls,
        estimated,
    )


def _load_note() -> str:
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    note = f"load average {load:.1f} on {cores} cores"
    if load > cores / 2:
        note += " - the machine is busy: wall times will be inflated, compare CPU times"
    return note


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--preset",
        action="append",
        choices=sorted(PRESETS),
        help="N and M: small 300/30, 2500 2500/125, 10000 10000/500 (repeatable; "
        "default: 2500 and 10000)",
    )
    parser.add_argument("--n", type=int, help="certificates (a custom run; with --m)")
    parser.add_argument("--m", type=int, help="certificates inside the window (with --n)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="delay per call (20)")
    parser.add_argument(
        "--naive",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=f"run the naive loop (default: only when N <= {NAIVE_AUTO_MAX_N}; above that its "
        "time is estimated as calls x latency)",
    )
    parser.add_argument(
        "--handler",
        type=Path,
        default=ROOT / "handle_expiring_certificates.py",
        help="the handler file to measure (default: the repository's)",
    )
    parser.add_argument("--serve", metavar="JSON", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(json.loads(args.serve))
        return 0
    if (args.n is None) != (args.m is None) or (args.n is not None and not 0 <= args.m <= args.n):
        parser.error("--n and --m go together, with 0 <= M <= N")

    _fake_environment()
    # The handler logs at INFO, as in Lambda (and pays for it); show only its warnings.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger().handlers[0].setLevel(logging.WARNING)
    runs: list[tuple[str, int, int]] = []
    if args.n is not None:
        runs.append((f"N={args.n}", args.n, args.m))
    for name in args.preset or ([] if args.n is not None else ["2500", "10000"]):
        runs.append((name, *PRESETS[name]))

    print(
        f"Scheduled scan benchmark: python {sys.version.split()[0]}, {os.cpu_count()} cores, "
        f"moto server in a child process on 127.0.0.1, {args.latency_ms:g} ms added per call"
    )
    handler = load_handler(args.handler)
    print(f"Handler: {args.handler}")
    print(f"Before: {_load_note()}")
    reports = []
    for name, n, m in runs:
        report = run_preset(handler, name, n, m, args.latency_ms, args.naive)
        report.print()
        reports.append(report)
    cold = import_milliseconds(args.handler, compiled=False)
    warm = import_milliseconds(args.handler, compiled=True)
    print(
        f"\nCold start: importing the module beyond boto3 takes {cold:.0f} ms when it must be "
        f"compiled (a file pasted into the console), {warm:.0f} ms from cached bytecode "
        "(median of 5; target < 50 ms)"
    )
    print(f"\nAfter: load average {os.getloadavg()[0]:.1f} (this benchmark included)")
    print("\n## Targets (issue 5, at 20 ms per call)")
    for report in reports:
        for verdict in report.verdicts():
            print(f"- {verdict}")
    command = " ".join(["python -m bench.scan_bench", *(sys.argv[1:] if argv is None else argv)])
    print(f"\n## Markdown table (`{command}`)\n")
    print(markdown_table(reports))
    print(
        f"\n{args.latency_ms:g} ms added to every API call; moto in a separate process on "
        f"127.0.0.1; {os.cpu_count()} cores. Wall time: one cold invocation (new clients). CPU: "
        "the handler's process during it. Peak memory: tracemalloc peak during lambda_handler "
        "with F = M (the handler's process alone). Naive loop: ListCertificates, then "
        "DescribeCertificate per certificate, then DescribeHub + BatchImportFindings per "
        "certificate in the window, one Publish, all one after another; at N = 10,000 it is not "
        "run by default and its time is estimated as calls x latency, a lower bound."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
