"""See what the function does, with no AWS account: `make demo` (or `python demo.py` from the
repository's folder).

Starts moto (an in-process AWS emulator, made as strict as AWS by the test kit), seeds a
realistic account, and runs the function through its command-line entry point, the same path
as `python handle_expiring_certificates.py`:

- imported certificates (RSA and EC) expiring in 3, 20 and 40 days, one expired 5 days ago,
  one healthy (300 days), and one deleted whose DaysToExpiry metric still lingers;
- an IAM server certificate (what older load balancers use) expiring in 12 days;
- certificates AWS keeps elsewhere: a Private CA's own certificate, an RDS instance's server
  certificate, an API Gateway client certificate, an IAM SAML provider's signing certificate,
  a DMS certificate;
- Security Hub enabled; an SNS topic with an SQS subscriber (what a ticketing system gets) and
  a chat channel's HTTPS subscription (Amazon Q Developer in chat applications).

Then it prints what people see: the findings in Security Hub, the e-mail text, the JSON an SQS
subscriber receives, what a chat channel shows, how a finding is archived once its certificate
is renewed, the organisation digest of a Security Hub administrator with three member accounts
(one silent), and the one metrics line (CloudWatch embedded metric format) each invocation
prints in Lambda.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3

import handle_expiring_certificates as function
from testkit import (
    ACCOUNT_ID,
    DEFAULT_REGION,
    create_client_certificate,
    create_db_instance,
    create_private_ca,
    create_saml_provider,
    create_topic_with_queue,
    import_certificate,
    import_dms_certificate,
    load_event,
    make_certificate,
    member_certificate,
    member_monitor,
    published,
    put_days_to_expiry_metric,
    set_in_use_by,
    strict_moto,
)
from testkit.securityhub import add_member, add_member_finding
from testkit.sns import https_deliveries, subscribe_https

REGION = DEFAULT_REGION
ACCOUNT = ACCOUNT_ID


def banner(title: str) -> None:
    print(f"\n{'=' * 100}\n{title}\n{'=' * 100}", flush=True)


def seed(now: datetime) -> dict[str, str]:
    """Certificates of a small but realistic account; returns their ARNs by name."""
    acm = boto3.client("acm", region_name=REGION)
    plan = [
        ("shop.example.com", 3, "RSA_2048", ("www.shop.example.com", "api.shop.example.com")),
        ("intranet.example.com", 20, "EC_prime256v1", ()),
        ("partners.example.com", 40, "RSA_4096", ("partners.example.org",)),
        ("legacy.example.com", -5, "EC_secp384r1", ()),
        ("healthy.example.com", 300, "RSA_2048", ()),
        ("retired.example.com", 10, "EC_prime256v1", ()),
    ]
    arns = {}
    for name, days, key_type, sans in plan:
        arns[name] = import_certificate(
            acm, common_name=name, days_left=days, now=now, key_type=key_type, sans=sans
        )
        put_days_to_expiry_metric(REGION, arns[name], float(days))
    set_in_use_by(
        arns["shop.example.com"],
        REGION,
        [
            f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/shop/50dc6c495c0c9188",
            f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2QWRUHEXAMPLE",
        ],
    )
    acm.delete_certificate(CertificateArn=arns.pop("retired.example.com"))
    certificate, key = make_certificate(
        "old-elb.example.com",
        key_type="RSA_2048",
        not_before=now - timedelta(days=353),
        not_after=now + timedelta(days=12),
    )
    boto3.client("iam", region_name=REGION).upload_server_certificate(
        ServerCertificateName="old-elb-2026",
        CertificateBody=certificate.decode(),
        PrivateKey=key.decode(),
    )
    seed_other_sources(now)
    return arns


def seed_other_sources(now: datetime) -> None:
    """Certificates AWS keeps outside ACM and IAM, none of which warns before it expires."""
    create_private_ca(
        REGION, common_name="Example Issuing CA G1", not_after=now + timedelta(days=25)
    )
    create_db_instance(REGION, "orders-db", valid_till=now + timedelta(days=9, hours=3))
    create_client_certificate(
        REGION, expiration=now + timedelta(days=30, hours=2), description="payments backend"
    )
    create_saml_provider("Okta", signing_not_after=now + timedelta(days=6, hours=1))
    import_dms_certificate(REGION, "oracle-source-ca", not_after=now + timedelta(days=33))


MEMBERS = {"210987654321": "prod", "310987654321": "staging", "410987654321": "sandbox"}


def seed_members(now: datetime) -> None:
    """Three member accounts of the administrator's hub, as their own scans wrote their
    findings: prod and staging reported yesterday; sandbox has not reported for ten days."""
    for account, name in MEMBERS.items():
        add_member(account, account_name=name)
    # Days left, and five hours: off a day's edge.
    for account, name, days in (
        ("210987654321", "payments-db", 2),
        ("210987654321", "ledger-db", 18),
        ("310987654321", "staging-db", -3),
    ):
        add_member_finding(member_certificate(account, name, days + 5 / 24, now))
    for account, days_ago in (("210987654321", 1), ("310987654321", 1), ("410987654321", 10)):
        add_member_finding(member_monitor(account, now - timedelta(days=days_ago)))


def show_chat(url: str) -> None:
    """The last notification a chat channel received, as the channel lays out its fields."""
    delivery = https_deliveries(url)[-1]
    chat = json.loads(delivery.message)
    content = chat["content"]
    print(f"--- Chat channel (HTTPS subscriber) ---\n*{content['title']}*")
    print(textwrap.indent(content["description"], "  "))
    for step in content["nextSteps"]:
        print(f"  Next: {step}")
    print(f"  [{', '.join(content['keywords'])}]  thread {chat['metadata']['threadId'][:12]}...")


def show_findings() -> None:
    findings = boto3.client("securityhub", region_name=REGION).get_findings()["Findings"]
    for finding in sorted(findings, key=lambda f: (f.get("RecordState", ""), f["Title"])):
        resource = finding["Resources"][0]
        details = resource.get("Details", {}).get("AwsCertificateManagerCertificate") or {}
        other = resource.get("Details", {}).get("Other") or {}
        print(
            f"[{finding.get('RecordState', 'ACTIVE')} {finding['Severity']['Label']:<13}] "
            f"{finding['Title']}\n"
            f"    Compliance: {finding['Compliance']['Status']}   Workflow: "
            f"{finding['Workflow']['Status']}   Resource ({resource['Type']}): {resource['Id']}\n"
            f"    NotAfter: {details.get('NotAfter') or other.get('Expiration')}   "
            f"Type: {details.get('Type', 'IAM server certificate')}\n"
            + textwrap.indent(textwrap.fill(finding["Description"], 96), "    ")
        )


def show_last_message(topic_arn: str, queue_url: str) -> None:
    """The message as an e-mail subscriber reads it, and as the SQS subscriber receives it."""
    subject, envelope, _ = published(topic_arn)[-1]
    print(f"--- E-mail ---\nSubject: {subject}\n\n{envelope['email']}")
    print(f"--- SMS ---\n{envelope['sms']}\n")
    sqs = boto3.client("sqs", region_name=REGION)
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    for message in messages.get("Messages", []):
        document = json.loads(message["Body"])
        print("--- SQS subscriber (raw delivery): the JSON document ---")
        print(json.dumps(document, indent=2)[:2400] + "\n  ...")
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def run_cli(*args: str) -> int:
    command = " ".join(("python handle_expiring_certificates.py", *args))
    print(f"$ {command}\n")
    status = function.main(list(args))
    print(f"(exit status {status})")
    return status


def main() -> int:
    with strict_moto():
        now = datetime.now(timezone.utc)
        arns = seed(now)
        boto3.client("securityhub", region_name=REGION).enable_security_hub()
        # The SQS queue stands for a ticketing system, subscribed with raw message delivery.
        topic_arn, queue_url = create_topic_with_queue(REGION, raw=True)
        channel = "https://chat.example.com/sns/certificates"
        subscribe_https(topic_arn, channel)
        os.environ.update(SNS_TOPIC_ARN=topic_arn, EXPIRY_DAYS="45")

        banner("1. Before deploying: a dry run writes nothing and sends nothing")
        run_cli("--dry-run")

        banner("2. Option 2, the weekly scan: findings in Security Hub and one digest")
        run_cli()
        print()
        show_findings()
        print()
        show_last_message(topic_arn, queue_url)
        show_chat(channel)

        banner("3. Option 1: ACM's daily event for shop.example.com (3 days left)")
        event = load_event("acm-approaching-expiration", resources=[arns["shop.example.com"]])
        event["detail"] = {"DaysToExpiry": 3, "CommonName": "shop.example.com"}
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "event.json"
            path.write_text(json.dumps(event))
            run_cli("--event", str(path))
        show_last_message(topic_arn, queue_url)
        show_chat(channel)

        banner("4. intranet.example.com is renewed (re-imported); the next scan archives it")
        certificate, key = make_certificate(
            "intranet.example.com",
            not_after=now.replace(microsecond=0).replace(year=now.year + 1),
        )
        boto3.client("acm", region_name=REGION).import_certificate(
            CertificateArn=arns["intranet.example.com"], Certificate=certificate, PrivateKey=key
        )
        run_cli()
        print()
        show_findings()

        banner("5. The organisation: the Security Hub administrator's digest of every account")
        seed_members(now)
        os.environ["DIGEST_SCOPE"] = "organization"
        run_cli()
        subject, envelope, _ = published(topic_arn)[-1]
        print(f"\n--- E-mail ---\nSubject: {subject}\n\n{envelope['email']}")

        banner("6. In Lambda, each invocation also prints one metrics line (EMF) to its log")
        function.lambda_handler(load_event("scheduled-event"), None, environ=dict(os.environ))
    return 0


if __name__ == "__main__":
    sys.exit(main())
