"""The test kit shared by the tests, ``demo.py`` and the benchmark, organised by service.

- ``testkit.strict``: ``install_strictness`` (the one install function: each service module's
  patches and the one call hook), ``StrictAws``, ``World``, ``ApiCall``, the fixture bodies.
- One module per AWS service, each saying which AWS behaviour each piece mirrors, with the
  helpers that seed that service and read it back: ``testkit.acm``, ``testkit.acmpca``
  (Private CA), ``testkit.apigateway`` (client certificates), ``testkit.cloudwatch``,
  ``testkit.dms``, ``testkit.ds`` (Directory Service), ``testkit.iam`` (server certificates,
  SAML providers), ``testkit.iot`` (CA certificates), ``testkit.rds``, ``testkit.securityhub``,
  ``testkit.sns`` (and SQS, its subscriber; platform applications), ``testkit.transfer``.
- ``testkit.sources``: ``seed_source``, one certificate of any source beyond ACM through its
  service's helper, and the ARN a scan reports it by.
- ``testkit.faults``: throttling, an ACM endpoint without ``SearchCertificates``, a service not
  offered in a region, an IAM denial, any other error answer, what happens in the account
  meanwhile (``after``).
- ``testkit.policies``: IAM policies enforced as AWS enforces them (``enforce_as_aws``,
  ``enforced``).
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

from testkit.acmpca import create_private_ca
from testkit.apigateway import add_client_certificates, create_client_certificate
from testkit.calls import (
    OTHER_SOURCES_OF_A_REGION,
    OTHER_SOURCES_OF_AN_ACCOUNT,
    DigestEntry,
    Scenario,
    as_pairs,
    digest_parts,
    minimum_calls,
)
from testkit.certificates import (
    KEY_TYPES,
    Imported,
    import_certificate,
    import_fleet,
    import_many,
    make_ca_certificate,
    make_certificate,
    set_in_use_by,
    upload_server_certificate,
)
from testkit.clock import FakeContext, RealClockContext
from testkit.cloudwatch import put_days_to_expiry_metric, put_days_to_expiry_metrics
from testkit.dms import import_dms_certificate
from testkit.ds import create_directory, create_directory_with_certificate
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
from testkit.iam import create_saml_provider
from testkit.iot import register_iot_ca
from testkit.rds import create_db_instance
from testkit.securityhub import (
    add_member_finding,
    enable_hub,
    finding_by_id,
    finding_of,
    findings_by_arn,
    get_findings,
    member_certificate,
    member_db_certificate,
    member_finding,
    member_monitor,
    monitor_finding,
    record_states,
    set_workflow,
)
from testkit.sns import (
    Published,
    create_apns_application,
    create_topic_with_queue,
    messaged_arns,
    published,
    receive_messages,
)
from testkit.sources import seed_source
from testkit.strict import (
    ApiCall,
    StrictAws,
    World,
    install_strictness,
    strict_mock_aws,
    strict_moto,
)
from testkit.transfer import add_transfer_certificates, import_transfer_certificate

__all__ = [
    "ACCOUNT_ID",
    "DEFAULT_REGION",
    "EVENTS_DIR",
    "KEY_TYPES",
    "NOT_EMULATED",
    "OTHER_SOURCES_OF_AN_ACCOUNT",
    "OTHER_SOURCES_OF_A_REGION",
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
    "add_client_certificates",
    "add_member_finding",
    "add_transfer_certificates",
    "as_pairs",
    "certificate_event",
    "client",
    "create_apns_application",
    "create_client_certificate",
    "create_db_instance",
    "create_directory",
    "create_directory_with_certificate",
    "create_private_ca",
    "create_saml_provider",
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
    "import_dms_certificate",
    "import_fleet",
    "import_many",
    "import_transfer_certificate",
    "install_strictness",
    "invoke",
    "invoke_outcome",
    "load_event",
    "make_ca_certificate",
    "make_certificate",
    "member_certificate",
    "member_db_certificate",
    "member_finding",
    "member_monitor",
    "messaged_arns",
    "minimum_calls",
    "monitor_finding",
    "published",
    "put_days_to_expiry_metric",
    "put_days_to_expiry_metrics",
    "receive_messages",
    "record_states",
    "register_iot_ca",
    "scan",
    "scan_outcome",
    "seed_source",
    "set_fake_environment",
    "set_in_use_by",
    "set_workflow",
    "shared_session",
    "strict_mock_aws",
    "strict_moto",
    "upload_server_certificate",
]
