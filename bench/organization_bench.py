"""Issue 19's target: an organisation digest over the members' findings.

The administrator account (the kit's account) holds, in its hub's region, its own ACM
certificates (N, M inside the window, as ``bench.scan_bench`` seeds them) and, planted as the
kit plants them (``testkit.securityhub.add_member``, ``add_member_finding``: checked as the
member's own import was), 1,000 associated members and 10,000 of their findings, 10 a member,
each an ACM certificate's finding as the member's own scan wrote it up to 6 days ago (its
certificate inside the window then and now; ``testkit.securityhub.member_finding``, the
handler's ``build_finding``), and each member's monitor finding (``member_monitor``), but for
some silent members: one in 50 never reported, one in 50
last reported 9 days ago, one in 50 reported an incomplete scan. Nine in ten members have an
account name (AWS Organizations').

A scheduled scan with ``DIGEST_SCOPE=organization`` runs under a Lambda context whose
remaining time runs out with the wall clock from 5 minutes, with ``GetFindings`` throttled at
AWS's documented rate (``world.limit_rate("securityhub", "GetFindings")``: 3 a second, a burst
of 6). Target: calls ≤ 1.05 times (⌈F_org/100⌉ GetFindings + ⌈members/50⌉ ListMembers + the own
scan's fewest + the digest's fewest parts), ``testkit.calls`` with ``Organization``; peak
memory (``tracemalloc``, a second run, not timed) < 128 MB; the digest in at most 2 messages;
the run within the 5 minutes. F_org, the findings the organisation's ``GetFindings`` must read,
is counted in the emulator's hub before each run (ACTIVE, not SUPPRESSED, of the generator).
"""

from __future__ import annotations

import json
import random
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from types import ModuleType
from typing import Any

from bench.common import EXPIRY_DAYS, IN_WINDOW_DAYS, Child, Measured, counts_table, measure, obey
from testkit import (
    ACCOUNT_ID,
    DEFAULT_REGION,
    RealClockContext,
    create_topic_with_queue,
    enable_hub,
    receive_messages,
)
from testkit.acm import digest_entries
from testkit.calls import (
    GENERATOR_ID,
    DigestEntry,
    Organization,
    Scenario,
    minimum_calls,
    organization_digest_parts,
)
from testkit.faults import Faults
from testkit.securityhub import (
    add_member,
    add_member_finding,
    count_stored_findings,
    member_finding,
    member_monitor,
)

FIRST_MEMBER = 200_000_000_000
MAX_CALL_RATIO = 1.05
MAX_PEAK_MB = 128.0
MAX_MESSAGES = 2
TIMEOUT_MS = 300_000  # Lambda's timeout in the template: 5 minutes
SILENT_EVERY = 50  # one member in 50 of each silent kind


def member_account(index: int) -> str:
    return f"{FIRST_MEMBER + index}"


def silence(index: int) -> str | None:
    """Why member ``index`` is silent: "missing", "stale", "incomplete", or None."""
    return {1: "missing", 2: "stale", 3: "incomplete"}.get(index % SILENT_EVERY)


def active_organization_findings(region: str) -> int:
    """F_org: the findings an organisation digest must read (its GetFindings filters)."""
    return count_stored_findings(
        lambda f: (
            f.get("GeneratorId") == GENERATOR_ID
            and f.get("RecordState") == "ACTIVE"
            and (f.get("Workflow") or {}).get("Status") != "SUPPRESSED"
        ),
        region,
    )


# The child (the moto server) ####################################################################


def serve(config: dict[str, Any], endpoint: str, world: Faults) -> None:
    """Seed the administrator's own certificates, the members and their findings; obey."""
    import handle_expiring_certificates as handler
    from bench.scan_bench import _renew, _seed

    region = config["region"]
    started = time.perf_counter()
    own = _seed(config["n"], config["m"], region, config["seed"])
    _renew(own, region, with_metrics=True)  # the seed's S certificates: out of the window
    enable_hub(region)
    topic_arn, queue_url = create_topic_with_queue(region)
    now = own.now
    rng = random.Random(config["seed"])
    members, per_member = config["members"], config["findings"] // config["members"]
    entries: list[DigestEntry] = []
    silent: list[str] = []
    for index in range(members):
        account = member_account(index)
        named = index % 10 != 0
        add_member(account, region=region, account_name=f"member-{index:04d}" if named else None)
        why = silence(index)
        age = timedelta(days=9) if why == "stale" else timedelta(days=rng.randrange(0, 7))
        scanned_at = now - age
        severities: Counter[str] = Counter()
        for number in range(per_member):
            left = rng.randrange(IN_WINDOW_DAYS.start, EXPIRY_DAYS - age.days)
            arn = (
                f"arn:aws:acm:{region}:{account}:certificate/"
                f"{uuid.uuid5(uuid.NAMESPACE_URL, f'{account}/{number}')}"
            )
            domain = f"app{number}.{account}.example.com"
            in_use = number % 3 == 0
            not_after = now + timedelta(days=left, hours=1)
            certificate = handler.Certificate(
                arn=arn,
                domain=domain,
                partition="aws",
                region=region,
                account=account,
                type="IMPORTED",
                status="ISSUED",
                key_algorithm="EC_prime256v1",
                not_after=not_after,
                kind="acm",
                read_by="describe",
                subject_alternative_names=(domain,),
                in_use=in_use,
                in_use_by=(
                    (f"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/a/1",)
                    if in_use
                    else ()
                ),
            )
            assessment = handler.assess(certificate, scanned_at, EXPIRY_DAYS)
            assert assessment is not None
            severities[assessment.severity] += 1
            add_member_finding(member_finding(assessment, region), region)
            entries.append(
                DigestEntry(arn, domain, (domain,), region, account, "", "", "", not_after, ())
            )
        if why is not None:
            silent.append(account)
        if why == "missing":
            continue
        missing = ["ListCACertificates in us-east-1: AccessDenied"] if why == "incomplete" else []
        monitor = member_monitor(
            account,
            scanned_at,
            missing,
            by_severity=severities,
            scanned=f"{region} (all)",
            region=region,
        )
        add_member_finding(monitor, region)
    own_entries = digest_entries(region, [own.arns[index] for index in own.in_window])
    ready = {
        "endpoint": endpoint,
        "topic_arn": topic_arn,
        "queue_url": queue_url,
        "seconds": time.perf_counter() - started,
        "in_use": own.in_use,
        "members": members,
        "member_findings": len(entries),
        "silent": silent,
        "parts": organization_digest_parts(
            entries + own_entries, accounts=members + 1, silent=len(silent)
        ),
    }
    print(json.dumps(ready), flush=True)

    def answer(command: list[str]) -> str | None:
        if command == ["organization-findings"]:
            return str(active_organization_findings(region))
        if command == ["own-findings"]:
            return str(
                count_stored_findings(
                    lambda f: (
                        f.get("AwsAccountId") == ACCOUNT_ID and f.get("RecordState") == "ACTIVE"
                    ),
                    region,
                )
            )
        return None

    obey(sys.stdin, world, region, answer)


# This process ###################################################################################


@dataclass
class OrganizationRun:
    label: str
    measured: Measured
    f_org: int
    f_own: int
    minimum: Counter[str]
    throttled: int  # GetFindings calls the rate refused during the run
    document: dict[str, Any]  # the digest's JSON document (its first part)
    certificates: int  # in the digest's document: in detail + left out, over every part

    @property
    def ratio(self) -> float:
        return self.measured.calls / sum(self.minimum.values())


@dataclass
class OrganizationReport:
    n: int
    m: int
    members: int
    member_findings: int
    silent: int
    seed_seconds: float
    timed: OrganizationRun
    memory: OrganizationRun

    @property
    def peak_mb(self) -> float:
        assert self.memory.measured.peak_bytes is not None
        return self.memory.measured.peak_bytes / 2**20


def run_organization(
    handler: ModuleType,
    *,
    members: int,
    findings: int,
    own: tuple[int, int],
    latency_ms: float,
    seed: int = 5,
) -> OrganizationReport:
    print(
        f"\nIssue 19: seeding {members} members, {findings} member findings, the "
        f"administrator's {own[0]} ACM certificates ({own[1]} in the window)...",
        flush=True,
    )
    config = {
        "kind": "organization",
        "n": own[0],
        "m": own[1],
        "region": DEFAULT_REGION,
        "seed": seed,
    }
    with Child.start(config | {"members": members, "findings": findings}) as child:
        ready = child.ready
        environ = {
            "AWS_REGION": DEFAULT_REGION,
            "SNS_TOPIC_ARN": ready["topic_arn"],
            "DIGEST_SCOPE": "organization",
        }
        child.command("search available")
        child.command("limit-rate securityhub GetFindings")
        runs = []
        for label, trace in (("timed", False), ("memory", True)):
            print(f"  organisation digest ({label}), GetFindings at 3 a second...", flush=True)
            f_org = int(child.ask("organization-findings"))
            f_own = int(child.ask("own-findings"))
            throttled = child.throttled().get("securityhub:GetFindings", 0)
            measured = measure(
                handler,
                child,
                environ,
                latency_ms=latency_ms,
                context=RealClockContext(TIMEOUT_MS),
                trace_memory=trace,
            )
            throttled = child.throttled().get("securityhub:GetFindings", 0) - throttled
            if measured.error:
                raise RuntimeError(f"the organisation digest failed: {measured.error}")
            documents = [
                json.loads(message["Message"]) for message in receive_messages(ready["queue_url"])
            ]
            scenario = Scenario(
                n=own[0],
                m=own[1],
                k=own[0],
                d=ready["in_use"],
                f=f_own,
                parts=ready["parts"],
                organization=Organization(f_org, members),
            )
            # Each part carries its share of the detail and the count left out of it.
            detailed = {c["arn"] for d in documents for c in d.get("certificates", [])}
            left_out = max((int(d.get("left_out", 0)) for d in documents), default=0)
            certificates = len(detailed) + left_out
            runs.append(
                OrganizationRun(
                    label,
                    measured,
                    f_org,
                    f_own,
                    minimum_calls(scenario),
                    throttled,
                    documents[0] if documents else {},
                    certificates,
                )
            )
    return OrganizationReport(
        own[0],
        own[1],
        members,
        ready["member_findings"],
        len(ready["silent"]),
        ready["seconds"],
        runs[0],
        runs[1],
    )


def organization_report(r: OrganizationReport) -> str:
    t = r.timed
    minimum = sum(t.minimum.values())
    silent_found = len(t.measured.summary.get("silent_accounts") or [])
    calls_met = t.ratio <= MAX_CALL_RATIO
    time_met = t.measured.seconds < TIMEOUT_MS / 1000 and not t.measured.summary["errors"]
    lines = [
        f"{r.members:,} members (all associated), {r.member_findings:,} member findings, "
        f"{r.silent} silent members (one in {SILENT_EVERY} each: never reported, last reported "
        f"9 days ago, last scan incomplete); the administrator's own account: N = {r.n}, "
        f"M = {r.m}. Seeded in {r.seed_seconds:.0f} s.",
        "",
        "| Measure | figure | goal |",
        "|---|---:|---:|",
        f"| F_org (findings the organisation's GetFindings read), F (own) | {t.f_org:,}, "
        f"{t.f_own} |  |",
        f"| Calls / minimum | {t.measured.calls} / {minimum} = {t.ratio:.3f} | ≤ "
        f"{MAX_CALL_RATIO:g} |",
        f"| Wall time (GetFindings at 3 a second, {t.measured.counts['securityhub:GetFindings']}"
        f" calls) | {t.measured.seconds:.1f} s | < {TIMEOUT_MS / 1000:.0f} s |",
        f"| Handler CPU | {t.measured.cpu_seconds:.2f} s |  |",
        f"| Emulator CPU (same cores) | {t.measured.emulator_cpu_seconds:.2f} s |  |",
        f"| Peak memory (tracemalloc, second run, F_org = {r.memory.f_org:,}) | "
        f"{r.peak_mb:.1f} MB | < {MAX_PEAK_MB:g} MB |",
        f"| Digest messages (fewest) | {t.measured.messages} ({t.minimum['sns:Publish']}) | ≤ "
        f"{MAX_MESSAGES} |",
        f"| Certificates in the digest (in detail + left out) | {t.certificates:,} of "
        f"{r.member_findings + r.m:,} |  |",
        f"| Silent accounts reported | {silent_found} of {r.silent} |  |",
        f"| GetFindings throttled (retried) | {t.throttled} |  |",
        "",
        "Calls: "
        + ("met" if calls_met else "MISSED")
        + "; memory: "
        + ("met" if r.peak_mb < MAX_PEAK_MB else "MISSED")
        + "; messages: "
        + ("met" if t.measured.messages <= MAX_MESSAGES else "MISSED")
        + "; 5-minute timeout: "
        + ("met" if time_met else "MISSED")
        + ".",
        "",
        counts_table(
            [
                ("timed run", t.measured.counts, t.minimum),
                ("memory run", r.memory.measured.counts, r.memory.minimum),
            ]
        ),
    ]
    return "\n".join(lines)
