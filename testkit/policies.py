"""IAM policies enforced as AWS enforces them: moto's IAM enforcement, made as strict as AWS.

``enforced()``: moto checks every call made meanwhile against the IAM policies of its caller's
access key; before and after, calls are not authenticated (so a test creates the user, its key
and the test data first). As AWS does, it lets ``sts:GetCallerIdentity`` through whatever the
policy says ("No permissions are required to perform this operation").

``enforce_as_aws(monkeypatch)`` (undone by ``monkeypatch``) makes that enforcement as strict
as AWS where moto's differs, in four ways:

- moto authorises most calls against the resource ``*``, so a statement scoped to ARNs would
  never match. The kit gives moto the resource AWS checks (``resource_of``): the certificate
  ARN, the topic ARN, the findings' product ARN, the log group / log stream ARN, the queue;
  and for the certificate sources, the resource of each describe (``SOURCE_RESOURCES``: the
  client certificates of API Gateway, an IoT CA certificate, a SAML provider, a Transfer
  certificate, a directory; RDS's DB instances).
- moto names actions after the signing name and the operation: ``monitoring:ListMetrics``
  where IAM says ``cloudwatch:ListMetrics``, ``apigateway:GetClientCertificates`` where IAM
  authorises API Gateway's management API by HTTP verb, ``apigateway:GET``. The kit
  translates the name (``action_of``, ``testkit.faults.iam_action``) before moto checks the
  policy, so a policy is used exactly as written.
- moto answers a denied call in the XML of the query protocol (``AccessDenied``, HTTP 403) for
  every service, so botocore reads the error code of a denied ACM call as "403". AWS answers
  as each service's model says: ``AccessDeniedException`` in a JSON body, HTTP 400 for the
  ``awsJson`` services (ACM, Private CA, Transfer, Directory Service, DMS, SQS, CloudWatch Logs)
  and 403 for the ``restJson1`` ones (Security Hub, API Gateway, IoT); SNS
  ``AuthorizationError`` (HTTP 403). The kit answers so (``denial``), with moto's message
  ("User: <arn> is not authorized to perform: <action>"); IAM and RDS answer ``AccessDenied``
  as moto does. (CloudWatch's CBOR protocol is left as moto answers it.)
- moto's signature check signs a GET that has no body with the request's query parameters (or
  headers) as its body, where the client signed an empty one, so every such request fails with
  ``SignatureDoesNotMatch``: API Gateway's ``GetClientCertificates``, IoT's
  ``ListCACertificates`` and ``DescribeCACertificate`` (and Security Hub's ``DescribeHub``).
  The kit checks the signature of the body that was sent.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable

import botocore.session
import pytest

from testkit.environment import partition
from testkit.errors import AwsError
from testkit.faults import iam_action
from testkit.moto_internals import Patcher, Request, iam_enforced

__all__ = [
    "SOURCE_RESOURCES",
    "action_of",
    "denial",
    "enforce_as_aws",
    "enforced",
    "resource_of",
]

# The certificate sources' calls that AWS authorises against a resource (the Service
# Authorization Reference's resource type of each action), built from the request and the
# partition. Their listings have no resource type but RDS's (db): AWS authorises those
# against "*".
SOURCE_RESOURCES: dict[tuple[str, str], Callable[[Request, str], str]] = {
    ("rds", "DescribeDBInstances"): lambda r, p: (
        f"arn:{p}:rds:{r.region}:{r.account}:db:{r.param('DBInstanceIdentifier') or '*'}"
    ),
    ("apigateway", "GetClientCertificates"): lambda r, p: (
        f"arn:{p}:apigateway:{r.region}::/clientcertificates"
    ),
    ("iot", "DescribeCACertificate"): lambda r, p: (
        f"arn:{p}:iot:{r.region}:{r.account}:cacert/{r.path.rstrip('/').rsplit('/', 1)[1]}"
    ),
    ("iam", "GetSAMLProvider"): lambda r, p: str(r.param("SAMLProviderArn")),
    ("transfer", "DescribeCertificate"): lambda r, p: (
        f"arn:{p}:transfer:{r.region}:{r.account}:certificate/{r.param('CertificateId')}"
    ),
    ("ds", "ListCertificates"): lambda r, p: (
        f"arn:{p}:ds:{r.region}:{r.account}:directory/{r.param('DirectoryId')}"
    ),
}
# The service of each signing name that is not the service's own name.
SERVICE_OF_SIGNING_NAME = {"monitoring": "cloudwatch"}


def _securityhub_resource(request: Request) -> str:
    # BatchImportFindings is authorised against the product the findings are imported into.
    if request.operation != "BatchImportFindings":
        return "*"
    findings = request.body().get("Findings") or [{}]
    return str(findings[0].get("ProductArn", "*"))


def _logs_resource(request: Request) -> str:
    # As AWS names them in AccessDenied messages: CreateLogGroup on
    # "...:log-group:<name>:log-stream:", stream operations on "...:log-stream:<stream>".
    group = request.param("logGroupName")
    if not group:
        return "*"
    stream = request.param("logStreamName") or ""
    return f"arn:aws:logs:{request.region}:{request.account}:log-group:{group}:log-stream:{stream}"


def _sqs_resource(request: Request) -> str:
    # SendMessage acts on the queue.
    url = request.param("QueueUrl")
    if not url:
        return "*"
    return f"arn:aws:sqs:{request.region}:{request.account}:{url.rsplit('/', 1)[1]}"


def resource_of(request: Request) -> str | None:
    """The resource AWS authorises ``request`` against; None where moto's own is AWS's (``*``,
    or a role's ARN for IAM's role operations)."""
    service = request.service
    if service == "acm":
        # DescribeCertificate and ListTagsForCertificate act on the certificate;
        # ListCertificates on "*".
        return str(request.param("CertificateArn") or "*")
    if service == "sns":
        return str(request.param("TopicArn") or "*")
    if service == "securityhub":
        return _securityhub_resource(request)
    if service == "logs":
        return _logs_resource(request)
    if service == "sqs":
        return _sqs_resource(request)
    resource = SOURCE_RESOURCES.get((service, request.operation))
    return None if resource is None else resource(request, partition(request.region))


def action_of(signing_name: str, operation: str) -> tuple[str, str]:
    """(the service as boto3 names it, IAM's action) of a request signed for ``signing_name``."""
    service = SERVICE_OF_SIGNING_NAME.get(signing_name, signing_name)
    return service, iam_action(service, operation)


@functools.cache
def _protocol(service: str) -> str:
    return str(botocore.session.get_session().get_service_model(service).protocol)


def denial(service: str, message: str) -> AwsError | None:
    """What ``service`` (boto3's name) answers a call the policy does not allow, with moto's
    ``message``; None where moto's answer is AWS's (the query protocol's ``AccessDenied``,
    HTTP 403: IAM, RDS)."""
    if service == "sns":
        return AwsError("AuthorizationError", message, status=403)
    protocol = _protocol(service)
    if protocol not in ("json", "rest-json"):
        return None
    return AwsError(
        "AccessDeniedException", message, status=403 if protocol == "rest-json" else 400
    )


def enforce_as_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's IAM enforcement checks with the resources, action names, answers and signatures
    AWS uses (module docstring); undone by ``monkeypatch``."""
    patch = Patcher(monkeypatch)
    patch.iam_resources(resource_of)
    patch.iam_actions(action_of, denial)
    patch.iam_signatures_as_sent()


def enforced() -> contextlib.AbstractContextManager[None]:
    """moto checks every call made meanwhile against its caller's IAM policies (module
    docstring); calls before and after are not authenticated."""
    return iam_enforced()
