"""The test kit shared by the tests, ``demo.py`` and the benchmark, organised by service.

- ``testkit.strict``: ``install_strictness`` (the one install function: each service module's
  patches and the one call hook), ``StrictAws``, ``World``, ``ApiCall``, the fixture bodies.
- One module per AWS service, each saying which AWS behaviour each piece mirrors, with the
  helpers that read that service back: ``testkit.acm``, ``testkit.cloudwatch``,
  ``testkit.iam``, ``testkit.securityhub``, ``testkit.sns`` (and SQS, its subscriber).
- ``testkit.faults``: throttling and an ACM endpoint without ``SearchCertificates``.
- ``testkit.moto_internals``: every access to moto's internals, and only there (moto 5.2.1).
- ``testkit.errors``: ``AwsError`` and ``NotEmulated``. ``testkit.paging``: paging tokens.
- ``testkit.environment``: account, region, fake credentials, ``client``.
- ``testkit.certificates``: real X.509 certificates, imported into ACM or uploaded to IAM.
- ``testkit.clock``: Lambda contexts (``FakeContext``, ``RealClockContext``).
- ``testkit.handler``: sample events, ``invoke`` (the one place that runs ``lambda_handler``),
  ``scan``, ``Requests``.
- ``testkit.calls``: the fewest calls a scan can make (the benchmark's and the tests' formula).
- ``testkit.fixtures``: the pytest plugin (``aws``, ``aws_server``, ``now``).

The names below are re-exported for ``from testkit import ...``.
"""

from testkit.calls import DigestEntry, Scenario, digest_parts, minimum_calls
from testkit.certificates import (
    KEY_TYPES,
    Imported,
    import_certificate,
    import_fleet,
    import_many,
    make_certificate,
    set_in_use_by,
    upload_server_certificate,
)
from testkit.clock import FakeContext, RealClockContext
from testkit.cloudwatch import put_days_to_expiry_metric, put_days_to_expiry_metrics
from testkit.environment import ACCOUNT_ID, DEFAULT_REGION, client, set_fake_environment
from testkit.errors import NOT_EMULATED, AwsError, NotEmulated
from testkit.faults import Faults
from testkit.handler import (
    EVENTS_DIR,
    Requests,
    acm_event,
    certificate_event,
    current_finding_id,
    fresh_clients,
    human,
    invoke,
    invoke_outcome,
    load_event,
    scan,
    scan_outcome,
    shared_session,
)
from testkit.securityhub import (
    add_member_finding,
    enable_hub,
    finding_by_id,
    finding_of,
    findings_by_arn,
    get_findings,
    monitor_finding,
    record_states,
    set_workflow,
)
from testkit.sns import (
    Published,
    create_topic_with_queue,
    messaged_arns,
    published,
    receive_messages,
)
from testkit.strict import (
    ApiCall,
    StrictAws,
    World,
    install_strictness,
    strict_mock_aws,
    strict_moto,
)

__all__ = [
    "ACCOUNT_ID",
    "DEFAULT_REGION",
    "EVENTS_DIR",
    "KEY_TYPES",
    "NOT_EMULATED",
    "ApiCall",
    "AwsError",
    "DigestEntry",
    "FakeContext",
    "Faults",
    "Imported",
    "NotEmulated",
    "Published",
    "RealClockContext",
    "Requests",
    "Scenario",
    "StrictAws",
    "World",
    "acm_event",
    "add_member_finding",
    "certificate_event",
    "client",
    "create_topic_with_queue",
    "current_finding_id",
    "digest_parts",
    "enable_hub",
    "finding_by_id",
    "finding_of",
    "findings_by_arn",
    "fresh_clients",
    "get_findings",
    "human",
    "import_certificate",
    "import_fleet",
    "import_many",
    "install_strictness",
    "invoke",
    "invoke_outcome",
    "load_event",
    "make_certificate",
    "messaged_arns",
    "minimum_calls",
    "monitor_finding",
    "published",
    "put_days_to_expiry_metric",
    "put_days_to_expiry_metrics",
    "receive_messages",
    "record_states",
    "scan",
    "scan_outcome",
    "set_fake_environment",
    "set_in_use_by",
    "set_workflow",
    "shared_session",
    "strict_mock_aws",
    "strict_moto",
    "upload_server_certificate",
]
