"""The test kit shared by the tests, ``demo.py`` and the benchmark.

- ``testkit.strict_aws``: moto made as strict as AWS, and helpers to seed and read it back.
- ``testkit.certificates``: real X.509 certificates, imported into moto's ACM.
- ``testkit.handler``: sample events, a fake Lambda context, and ``invoke``, the one place
  that runs ``lambda_handler``.
- ``testkit.fixtures``: the pytest plugin (``aws``, ``aws_server``, ``now``).

The names below are re-exported for ``from testkit import ...``.
"""

from testkit.certificates import (
    KEY_TYPES,
    import_certificate,
    import_many,
    make_certificate,
    set_in_use_by,
)
from testkit.handler import (
    EVENTS_DIR,
    FakeContext,
    fresh_clients,
    invoke,
    invoke_outcome,
    load_event,
    shared_session,
)
from testkit.strict_aws import (
    ACCOUNT_ID,
    DEFAULT_REGION,
    NOT_EMULATED,
    ApiCall,
    NotEmulated,
    StrictAws,
    client,
    create_topic_with_queue,
    enable_hub,
    get_findings,
    install_strictness,
    put_days_to_expiry_metric,
    receive_messages,
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
    "FakeContext",
    "NotEmulated",
    "StrictAws",
    "client",
    "create_topic_with_queue",
    "enable_hub",
    "fresh_clients",
    "get_findings",
    "import_certificate",
    "import_many",
    "install_strictness",
    "invoke",
    "invoke_outcome",
    "load_event",
    "make_certificate",
    "put_days_to_expiry_metric",
    "receive_messages",
    "set_in_use_by",
    "shared_session",
    "strict_mock_aws",
    "strict_moto",
]
