"""Issue 18's targets: what the certificate sources beyond ACM and IAM cost a scan.

(a) Overhead. An account with N ACM certificates (M inside the window, the ``acm`` seed of
``bench.scan_bench``) and none of the other sources' resources is scanned with
``CERTIFICATE_SOURCES=acm,iam`` and with ``CERTIFICATE_SOURCES=all``, in pairs (the order
alternating, so a drift in the machine's load weighs on both), after one scan that writes the
findings (so every measured scan has F = M + the monitor). The calls ``all`` makes beyond
``acm,iam`` must be one listing per regional source in the region and one per global source
(``OTHER_SOURCES_OF_A_REGION``, ``OTHER_SOURCES_OF_AN_ACCOUNT``: ``DescribeDirectories`` is
the directory source's); its handler CPU (median) must grow by less than 10%. Where that CPU
goes: making the clients of the seven more services on a cold session (loading their models)
is weighed apart, in this process.

(b) Scale. An account with 500 DB instances and 50 of every other kind (Private CAs, API
Gateway client certificates, IoT CA certificates, SAML providers, Transfer certificates,
Managed Microsoft AD directories with a certificate each, DMS certificates, APNs platform
applications, and ACM certificates and IAM server certificates), seeded through the kit's
helpers (``bench.held``), a fifth of each inside the window. Scanned with F = 0, then with its
findings active: calls ≤ 1.1 times ``testkit.calls.minimum_calls`` for what was seeded, and the
certificates the scan reports inside the window are exactly those seeded there.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from bench.common import Child, Measured, counts_table, measure, obey
from bench.held import KINDS, plan_held, seed_held
from testkit import DEFAULT_REGION, create_topic_with_queue, enable_hub
from testkit.acm import digest_entries
from testkit.calls import (
    OTHER_SOURCES_OF_A_REGION,
    OTHER_SOURCES_OF_AN_ACCOUNT,
    Held,
    Scenario,
    digest_parts,
    minimum_calls,
)
from testkit.faults import Faults
from testkit.moto_internals import Patcher

MAX_CPU_GROWTH = 0.10
MAX_CALL_RATIO = 1.1
# The clients a scan of every source makes beyond those of a scan of ACM and IAM (sns and iam
# it makes anyway).
EXTRA_SERVICES = ("acm-pca", "rds", "apigateway", "iot", "transfer", "ds", "dms")
BASE_SERVICES = ("acm", "cloudwatch", "iam", "securityhub", "sns")


# The child (the moto server) ####################################################################


def serve(config: dict[str, Any], endpoint: str, world: Faults) -> None:
    """Seed ACM (N, M), IAM and the other sources (``bench.held``), then obey commands."""
    from bench.scan_bench import _renew, _seed

    # More Managed Microsoft AD directories than AWS's default quota, raised for the seed (for
    # the life of the process).
    directories = config["counts"].get("directory-service", 0)
    Patcher(pytest.MonkeyPatch()).raise_managed_microsoft_ad_quota(directories)
    region = config["region"]
    started = time.perf_counter()
    acm = _seed(config["n"], config["m"], region, config["seed"])
    _renew(acm, region, with_metrics=True)  # the seed's S certificates: out of the window
    plan = plan_held(config["counts"], seed=config["seed"])
    held = seed_held(region, acm.now, plan)
    enable_hub(region)
    topic_arn, _ = create_topic_with_queue(region)
    in_window = [acm.arns[index] for index in acm.in_window]
    entries = digest_entries(region, in_window) + held.expected
    ready = {
        "endpoint": endpoint,
        "topic_arn": topic_arn,
        "seconds": time.perf_counter() - started,
        "in_use": acm.in_use,
        "held": dataclasses.asdict(held.held),
        "iam": held.iam,
        "expected": sorted([entry.kind, entry.arn] for entry in held.expected),
        "acm_in_window": sorted(in_window),
        "parts": digest_parts(entries),
    }
    print(json.dumps(ready), flush=True)
    obey(sys.stdin, world, region)


# (a) Overhead of the other sources in an account without them ##################################


@dataclass
class Overhead:
    n: int
    m: int
    runs: dict[str, list[Measured]]  # "acm,iam" and "all": the measured scans
    client_cpu: float  # making the extra services' clients on a cold session
    peaks: dict[str, int]  # tracemalloc's peak of one more scan of each (not timed)
    client_bytes: int  # what the extra services' clients hold on a cold session

    def median(self, sources: str, attribute: str) -> float:
        return float(statistics.median(getattr(r, attribute) for r in self.runs[sources]))

    @property
    def growth(self) -> float:
        return self.median("all", "cpu_seconds") / self.median("acm,iam", "cpu_seconds") - 1

    @property
    def paired_difference(self) -> float:
        """Median over the pairs of CPU(all) - CPU(acm,iam): less sensitive to a load drift."""
        pairs = zip(self.runs["all"], self.runs["acm,iam"], strict=True)
        return statistics.median(a.cpu_seconds - b.cpu_seconds for a, b in pairs)

    @property
    def extra_calls(self) -> Counter[str]:
        """Calls of a scan of every source beyond a scan of ACM and IAM (first pair)."""
        return self.runs["all"][0].counts - self.runs["acm,iam"][0].counts

    @property
    def allowed(self) -> Counter[str]:
        return OTHER_SOURCES_OF_A_REGION + OTHER_SOURCES_OF_AN_ACCOUNT

    @property
    def calls_met(self) -> bool:
        less = self.runs["acm,iam"][0].counts - self.runs["all"][0].counts
        return not less and all(self.extra_calls[op] <= self.allowed[op] for op in self.extra_calls)

    @property
    def cpu_met(self) -> bool:
        return self.growth < MAX_CPU_GROWTH


CLIENT_PROBE = """
import json, sys, time, tracemalloc
import botocore.session
base, extra, region, runs = json.loads(sys.argv[1])
times, sizes = [], []
for _ in range(runs):
    session = botocore.session.get_session()
    made = [session.create_client(s, region_name=region) for s in base]
    started = time.process_time()
    made += [session.create_client(s, region_name=region) for s in extra]
    times.append(time.process_time() - started)
session = botocore.session.get_session()
made = [session.create_client(s, region_name=region) for s in base]
tracemalloc.start()
made += [session.create_client(s, region_name=region) for s in extra]
size = tracemalloc.get_traced_memory()[0]
print(json.dumps([sorted(times)[len(times) // 2], size]))
"""


def client_weight(runs: int = 3) -> tuple[float, int]:
    """The CPU time (median of ``runs``) and the memory the extra services' clients take on a
    new botocore session, beyond the clients a scan of ACM and IAM makes (which pay what a
    session loads once), in a fresh interpreter: a cold container's."""
    arguments = json.dumps([BASE_SERVICES, EXTRA_SERVICES, DEFAULT_REGION, runs])
    result = subprocess.run(
        [sys.executable, "-c", CLIENT_PROBE, arguments],
        capture_output=True,
        text=True,
        check=True,
    )
    cpu, size = json.loads(result.stdout)
    return float(cpu), int(size)


def run_overhead(
    handler: ModuleType, n: int, m: int, *, runs: int, latency_ms: float, seed: int = 5
) -> Overhead:
    print(
        f"\nIssue 18 (a): {n} ACM certificates ({m} in the window), no other resource; "
        f"{runs} pair(s) of scans, CERTIFICATE_SOURCES=acm,iam and all...",
        flush=True,
    )
    with Child.start(
        {"kind": "acm", "n": n, "m": m, "region": DEFAULT_REGION, "seed": seed}
    ) as child:
        base = {"AWS_REGION": DEFAULT_REGION, "SNS_TOPIC_ARN": child.ready["topic_arn"]}
        child.command("search available")
        child.command("renew")  # the seed's S certificates: out of the window
        measure(handler, child, {**base, "CERTIFICATE_SOURCES": "all"}, latency_ms=0)
        measured: dict[str, list[Measured]] = {"acm,iam": [], "all": []}
        for index in range(runs):
            order = ("acm,iam", "all") if index % 2 == 0 else ("all", "acm,iam")
            for sources in order:
                result = measure(
                    handler, child, {**base, "CERTIFICATE_SOURCES": sources}, latency_ms=latency_ms
                )
                if result.error or result.summary["errors"]:
                    raise RuntimeError(f"{sources}: {result.error or result.summary['errors']}")
                if len(result.summary["in_window"]) != m:
                    raise RuntimeError(f"{sources}: {len(result.summary['in_window'])} found")
                measured[sources].append(result)
        peaks = {}
        for sources in ("acm,iam", "all"):
            environ = {**base, "CERTIFICATE_SOURCES": sources}
            traced = measure(handler, child, environ, latency_ms=latency_ms, trace_memory=True)
            peaks[sources] = traced.peak_bytes or 0
    cpu, size = client_weight()
    return Overhead(n, m, measured, cpu, peaks, size)


def overhead_report(o: Overhead) -> str:
    def row(name: str, attribute: str, unit: str = "s") -> str:
        a, b = o.median("acm,iam", attribute), o.median("all", attribute)
        values = ", ".join(f"{r.__dict__[attribute]:.2f}" for r in o.runs["all"])
        base = ", ".join(f"{r.__dict__[attribute]:.2f}" for r in o.runs["acm,iam"])
        return (
            f"| {name} | {a:.2f} {unit} ({base}) | {b:.2f} {unit} ({values}) | {b / a - 1:+.1%} |"
        )

    extra = ", ".join(f"{op} {n}" for op, n in sorted(o.extra_calls.items()))
    calls = (o.runs["acm,iam"][0].calls, o.runs["all"][0].calls)
    lines = [
        f"N = {o.n:,} ACM certificates, M = {o.m} inside the window, F = {o.m} + the monitor; "
        f"{len(o.runs['all'])} scans of each, medians (each run in brackets).",
        "",
        "| Measure | `CERTIFICATE_SOURCES=acm,iam` | `CERTIFICATE_SOURCES=all` | growth |",
        "|---|---:|---:|---:|",
        row("Handler CPU", "cpu_seconds"),
        row("Wall time", "seconds"),
        row("Emulator CPU (same cores)", "emulator_cpu_seconds"),
        f"| Calls | {calls[0]} | {calls[1]} | +{calls[1] - calls[0]} |",
        f"| Peak memory (tracemalloc, one more scan) | {o.peaks['acm,iam'] / 2**20:.1f} MB | "
        f"{o.peaks['all'] / 2**20:.1f} MB | {o.peaks['all'] / o.peaks['acm,iam'] - 1:+.1%} |",
        "",
        f"Calls beyond `acm,iam`: {extra} (allowed: one per regional source in the one region "
        f"scanned, one per global source: {sum(o.allowed.values())}): "
        + ("met" if o.calls_met else "MISSED")
        + f". Handler CPU growth {o.growth:+.1%} (goal < {MAX_CPU_GROWTH:.0%}): "
        + ("met" if o.cpu_met else f"MISSED by {o.growth - MAX_CPU_GROWTH:.1%} points")
        + f". Making the clients of the {len(EXTRA_SERVICES)} more services "
        f"({', '.join(EXTRA_SERVICES)}) on a cold botocore session, beyond those of a scan of "
        f"ACM and IAM, costs {o.client_cpu:.2f} s of "
        f"CPU alone (median of 3, a fresh interpreter) and holds {o.client_bytes / 2**20:.1f} MB. "
        f"Median of the pairs' differences: {o.paired_difference:+.2f} s.",
    ]
    return "\n".join(lines)


# (b) 500 DB instances and 50 of every other kind ###############################################


@dataclass
class Scale:
    counts: dict[str, int]
    acm_n: int
    acm_m: int
    seed_seconds: float
    first: Measured  # F = 0
    second: Measured  # F = every finding of the first, the monitor included
    first_minimum: Counter[str]
    second_minimum: Counter[str]
    missing: set[str]  # seeded inside the window, not reported
    unexpected: set[str]  # reported, not seeded inside the window
    expected: int

    @property
    def ratios(self) -> tuple[float, float]:
        return (
            self.first.calls / sum(self.first_minimum.values()),
            self.second.calls / sum(self.second_minimum.values()),
        )

    @property
    def met(self) -> bool:
        return max(self.ratios) <= MAX_CALL_RATIO and not self.missing and not self.unexpected


def run_scale(
    handler: ModuleType,
    *,
    db_instances: int,
    each: int,
    acm: tuple[int, int],
    latency_ms: float,
    seed: int = 5,
) -> Scale:
    counts = {kind: each for kind in KINDS if kind != "rds"} | {"rds": db_instances}
    print(
        f"\nIssue 18 (b): seeding {db_instances} DB instances, {each} of every other kind, "
        f"{acm[0]} ACM certificates ({acm[1]} in the window)...",
        flush=True,
    )
    config = {"kind": "sources", "n": acm[0], "m": acm[1], "region": DEFAULT_REGION, "seed": seed}
    with Child.start(config | {"counts": counts}) as child:
        ready = child.ready
        environ = {"AWS_REGION": DEFAULT_REGION, "SNS_TOPIC_ARN": ready["topic_arn"]}
        child.command("search available")
        print("  F = 0, then F = every finding of the first scan...", flush=True)
        first = measure(handler, child, environ, latency_ms=latency_ms)
        second = measure(handler, child, environ, latency_ms=latency_ms)
    for result in (first, second):
        if result.error or result.summary["errors"]:
            raise RuntimeError(f"the scan failed: {result.error or result.summary['errors']}")
    expected = {arn for _, arn in ready["expected"]} | set(ready["acm_in_window"])
    found = {entry["arn"] for entry in first.summary["in_window"]}
    h = len(ready["expected"])
    scenario = Scenario(
        n=acm[0],
        m=acm[1],
        k=acm[0],
        d=ready["in_use"],
        parts=ready["parts"],
        iam=ready["iam"],
        held=Held(
            **{**ready["held"], "managed_directories": tuple(ready["held"]["managed_directories"])}
        ),
        h=h,
    )
    written = acm[1] + h + 1  # the monitor
    return Scale(
        counts,
        acm[0],
        acm[1],
        ready["seconds"],
        first,
        second,
        minimum_calls(scenario),
        minimum_calls(dataclasses.replace(scenario, f=written)),
        expected - found,
        found - expected,
        len(expected),
    )


def scale_report(s: Scale) -> str:
    held = ", ".join(f"{kind} {n}" for kind, n in s.counts.items())
    by_kind = Counter(entry["kind"] for entry in s.first.summary["in_window"])
    lines = [
        f"Seeded: {held}, ACM {s.acm_n} ({s.acm_m} in the window); in {s.seed_seconds:.0f} s.",
        "",
        "| Measure | F = 0 | F = written by the first (monitor included) | goal |",
        "|---|---:|---:|---:|",
        f"| Wall time | {s.first.seconds:.2f} s | {s.second.seconds:.2f} s |  |",
        f"| Handler CPU | {s.first.cpu_seconds:.2f} s | {s.second.cpu_seconds:.2f} s |  |",
        f"| Emulator CPU (same cores) | {s.first.emulator_cpu_seconds:.2f} s | "
        f"{s.second.emulator_cpu_seconds:.2f} s |  |",
        f"| Calls / minimum | {s.first.calls} / {sum(s.first_minimum.values())} = "
        f"{s.ratios[0]:.2f} | {s.second.calls} / {sum(s.second_minimum.values())} = "
        f"{s.ratios[1]:.2f} | ≤ {MAX_CALL_RATIO:g} |",
        f"| In the window: found / seeded | {len(s.first.summary['in_window'])} / {s.expected} | "
        f"{len(s.second.summary['in_window'])} / {s.expected} | all, none else |",
        f"| Messages (fewest) | {s.first.messages} ({s.first_minimum['sns:Publish']}) | "
        f"{s.second.messages} ({s.second_minimum['sns:Publish']}) |  |",
        "",
        "Found inside the window, by kind: "
        + ", ".join(f"{kind} {n}" for kind, n in sorted(by_kind.items()))
        + (f"; MISSING {sorted(s.missing)}" if s.missing else "")
        + (f"; NOT SEEDED there {sorted(s.unexpected)}" if s.unexpected else "")
        + ". Target "
        + ("met" if s.met else "MISSED")
        + ".",
        "",
        counts_table(
            [
                ("F = 0", s.first.counts, s.first_minimum),
                ("F = first's findings", s.second.counts, s.second_minimum),
            ]
        ),
    ]
    return "\n".join(lines)
