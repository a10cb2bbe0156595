"""Every place the test kit reaches into moto: the only module that imports it (of the kit, the
tests, the benchmark and the demo, which reach moto through the kit).

Written against **moto==5.2.1** (``requirements-demo.txt``; ``MOTO_VERSION`` below, which
``tests/test_strict_aws.py`` compares with the installed moto). moto's public API is
``mock_aws`` and ``ThreadedMotoServer``; everything else used here is moto's own business and
may change in any release:

- ``BaseResponse.call_action``, ``_get_action``, ``_get_param``, ``serialized``, ``body``,
  ``boto3_service_name``, ``current_account`` (every request);
- the response classes of ACM, Security Hub and IAM, whose operation methods are replaced;
- the backends dicts (``acm_backends``, ``securityhub_backends``, ``sns_backends``), ACM's
  ``_certificates``, ``export_certificate`` and ``CertBundle`` (``_cert``, ``_key``, ``cert``,
  ``key``, ``validate_pk()``, ``check()``, ``status``, ``type``, ``common_name``,
  ``in_use_by``, ``tags``, ``cert_options``, ``describe()``), ``moto.acm.models.utcnow``;
- CloudWatch's ``get_filtered_metrics``, ``get_metric_data``, ``get_all_metrics`` and its
  metric data points; Security Hub's ``Finding`` list and ``members``; SNS's ``publish``,
  ``sent_notifications``, ``subscriptions``, ``Subscription.publish`` (``protocol``,
  ``endpoint``, ``attributes``, ``_filter_policy_matcher``, ``_parse_message_structure``,
  ``get_post_data``) and ``FilterPolicyMatcher`` (``matches``, ``filter_policy``,
  ``filter_policy_scope``); IAM's server ``Certificate`` objects and ``upload_server_certificate``;
- Directory Service's ``Directory.CLOUDONLY_MICROSOFT_AD_LIMIT`` (moto's hard-coded quota of
  Managed Microsoft AD directories a region);
- ``moto.backends.list_of_moto_modules`` (the server lists moto's folder on every request);
- ``moto.events.models.EventPattern`` (``load``, ``matches_event``);
- IAM enforcement: ``enable_iam_authentication``, ``_determine_resource`` of the response
  classes (and IAM's and SQS's own), ``IAMRequest.check_action_permitted`` and its
  ``_action``, ``AccessDeniedError`` (``message``), ``JsonRESTError`` and ``_RESTError`` (the
  HTTP errors its check may raise), ``IAMRequestBase._create_aws_request`` and ``_body``.

Upgrading moto means reading this file again, and only this one: the service modules
(``testkit.acm``, ``testkit.securityhub`` ...) see moto through what it offers, in plain values:

- ``Patcher(monkeypatch)``: the one way the kit changes moto (undone by ``monkeypatch``):
  ``on_every_call`` (``call_action``, patched once: before and after moto answers),
  ``answer`` (serve an operation), ``amend`` (change moto's answer), one hook per backend
  method the kit wraps, ``raise_managed_microsoft_ad_quota`` (a quota AWS lets an account
  raise), and ``iam_resources``, ``iam_actions`` and ``iam_signatures_as_sent`` (how moto's IAM
  enforcement checks a request, for ``testkit.policies``).
- ``Request``: one request as an operation sees it (service, operation, region, account,
  parameters) and the state of its region (``acm()``, ``hub()``, ``server_certificates()``).
- Views of moto's state: ``AcmRegion`` / ``AcmCertificate``, ``HubRegion``, ``Datum``
  (a CloudWatch data point), ``ServerCertificate``, ``sent_notifications``,
  ``SnsSubscription``.
- Running moto: ``mock_aws``, ``start_server``, ``reset_server``.
- ``iam_enforced()``: moto checks every request against its caller's IAM policies meanwhile.
- ``event_matches(pattern, event)``: EventBridge's matching of an event pattern, as moto's
  ``EventPattern`` does it (moto's ``TestEventPattern`` API is a stub that matches anything).
"""

from __future__ import annotations

import contextlib
import functools
import json
import types
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import botocore.httpsession
import moto
import moto.acm.models
import moto.acmpca.models
import moto.apigateway.urls
import moto.backends
import moto.ds.models
import moto.iot.models
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import mock_aws
from moto.acm.models import AWSCertificateManagerBackend, CertBundle, acm_backends
from moto.acm.responses import AWSCertificateManagerResponse
from moto.acmpca.models import ACMPCABackend, CertificateAuthority, acmpca_backends
from moto.acmpca.responses import ACMPCAResponse
from moto.apigateway.responses import APIGatewayResponse
from moto.cloudwatch.models import CloudWatchBackend
from moto.core import enable_iam_authentication
from moto.core.exceptions import AccessDeniedError, JsonRESTError, ServiceException, _RESTError
from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import camelcase_to_underscores, get_service_model
from moto.dms.responses import DatabaseMigrationServiceResponse
from moto.ds.models import ds_backends
from moto.ds.responses import DirectoryServiceResponse
from moto.events.models import EventPattern
from moto.iam.access_control import IAMRequest, IAMRequestBase
from moto.iam.models import IAMBackend
from moto.iam.responses import IamResponse
from moto.iot.models import FakeCaCertificate, IoTBackend, iot_backends
from moto.iot.responses import IoTResponse
from moto.logs.responses import LogsResponse
from moto.rds.models import DBCluster, DBInstance, RDSBackend, rds_backends
from moto.rds.responses import RDSResponse
from moto.rds.utils import ClusterEngine, DbInstanceEngine
from moto.securityhub.models import Finding, securityhub_backends
from moto.securityhub.responses import SecurityHubResponse
from moto.sns.models import SNSBackend, Subscription, sns_backends
from moto.sns.responses import SNSResponse
from moto.sns.utils import FilterPolicyMatcher
from moto.sqs.responses import SQSResponse
from moto.transfer.responses import TransferResponse

MOTO_VERSION = "5.2.1"

__all__ = [
    "MOTO_VERSION",
    "AcmCertificate",
    "AcmRegion",
    "Datum",
    "HubRegion",
    "Patcher",
    "Request",
    "ServerCertificate",
    "ServiceException",
    "SnsSubscription",
    "acm_clock",
    "event_matches",
    "iam_enforced",
    "installed_version",
    "mock_aws",
    "reset_server",
    "sent_notifications",
    "start_server",
]

# Response classes whose operation methods ``Patcher.answer`` may replace, by boto3 service
# name; IAM, RDS and SNS speak the query protocol (an ``ActionResult``), the others JSON.
_RESPONSES: dict[str, type[BaseResponse]] = {
    "acm": AWSCertificateManagerResponse,
    "acm-pca": ACMPCAResponse,
    "apigateway": APIGatewayResponse,
    "dms": DatabaseMigrationServiceResponse,
    "ds": DirectoryServiceResponse,
    "iam": IamResponse,
    "iot": IoTResponse,
    "rds": RDSResponse,
    "securityhub": SecurityHubResponse,
    "sns": SNSResponse,
    "transfer": TransferResponse,
}
_QUERY_PROTOCOL = {"iam", "rds", "sns"}
# Response classes whose requests moto's IAM enforcement authorises against the resource the
# kit names (``Patcher.iam_resources``): those above, and CloudWatch Logs and SQS, which Lambda
# calls with the function's role.
_AUTHORISED: dict[str, type[BaseResponse]] = {
    **_RESPONSES,
    "logs": LogsResponse,
    "sqs": SQSResponse,
}

# Paths moto does not route, by the module whose ``url_paths`` must hold them: API Gateway's
# client certificates. The server builds a service's routing table on that service's first
# request, so ``start_server`` adds them before it starts; in-process ``Patcher.routes`` adds
# them for one test. A route alone changes nothing: the operation is still to be answered.
_KIT_ROUTES: dict[Any, dict[str, Any]] = {
    moto.apigateway.urls: {
        "{0}/clientcertificates$": APIGatewayResponse.dispatch,
        "{0}/clientcertificates/(?P<clientcertificate_id>[^/]+)/?$": (APIGatewayResponse.dispatch),
    },
}


def installed_version() -> str:
    return str(moto.__version__)


def _snake(operation: str) -> str:
    """moto's method name for an operation (``ListCACertificates`` -> ``list_ca_certificates``),
    as moto derives it."""
    return str(camelcase_to_underscores(operation))


def _to_wire(value: Any, shape: Any) -> Any:
    """``value`` with each member under its name on the wire (API Gateway's ``items`` travel
    as ``item``), as botocore's parser expects it."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, Mapping):
        return {
            shape.members[key].serialization.get("name", key) if key in shape.members else key: (
                _to_wire(member, shape.members.get(key))
            )
            for key, member in value.items()
        }
    if shape.type_name == "list" and isinstance(value, list):
        return [_to_wire(member, shape.member) for member in value]
    if shape.type_name == "map" and isinstance(value, Mapping):
        return {key: _to_wire(member, shape.value) for key, member in value.items()}
    return value


def _json_value(value: Any) -> Any:
    """What ``json.dumps`` writes for a timestamp: epoch seconds, as the JSON protocols do."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=value.tzinfo or timezone.utc).timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# A request ######################################################################################


class Request:
    """One request, as the operation that serves it sees it."""

    def __init__(self, response: BaseResponse) -> None:
        self._response = response

    @property
    def service(self) -> str:
        """The service as boto3 names it: "acm", "securityhub", ..."""
        return str(self._response.boto3_service_name)

    @property
    def operation(self) -> str:
        return str(self._response._get_action())

    @property
    def region(self) -> str:
        return str(self._response.region)

    @property
    def account(self) -> str:
        return str(self._response.current_account)

    @property
    def path(self) -> str:
        """The request's path (REST protocols name resources in it)."""
        return str(self._response.path)

    def param(self, name: str) -> Any:
        return self._response._get_param(name)

    def body(self) -> dict[str, Any]:
        """The JSON body of the request (JSON protocols)."""
        raw = self._response.body
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        parsed: dict[str, Any] = json.loads(text or "{}")
        return parsed

    def acm(self) -> AcmRegion:
        return AcmRegion.of(self.account, self.region)

    def hub(self) -> HubRegion:
        return HubRegion.of(self.account, self.region)

    def server_certificates(self) -> list[ServerCertificate]:
        backend: IAMBackend = self._response.backend  # type: ignore[attr-defined]
        return [ServerCertificate(c) for c in backend.list_server_certificates()]


# Changing moto ##################################################################################


class Patcher:
    """Every change the kit makes to moto goes through one of these methods; ``monkeypatch``
    undoes them all."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def on_every_call(
        self,
        hook: Callable[[Request], ServiceException | None],
        after: Callable[[Request], None] | None = None,
    ) -> None:
        """``hook`` sees every request before moto serves it (helpers' requests too); an error
        it returns is the answer instead, serialised with the service's error shape (its
        ``status`` attribute, if set, is the HTTP status); an exception it raises is raised
        where botocore sends the request in-process (a connection that fails). ``after`` sees
        every request moto answered (not one ``hook`` answered), before the answer is sent.
        The one patch of ``BaseResponse.call_action``: call it once."""
        original = BaseResponse.call_action

        def call_action(self: BaseResponse) -> Any:
            request = Request(self)
            error = hook(request)
            if error is not None:
                status, headers, body = self.serialized(ActionResult(error))
                status = getattr(error, "status", None) or status
                headers["status"] = status
                return status, headers, body
            answer = original(self)
            if after is not None:
                after(request)
            return answer

        self.monkeypatch.setattr(BaseResponse, "call_action", call_action)

    def answer(
        self, service: str, operation: str, handler: Callable[[Request], Mapping[str, Any]]
    ) -> None:
        """Serve ``operation`` with what ``handler`` returns (the response's members as botocore
        parses them; timestamps as ``datetime`` or, for JSON protocols, epoch seconds), even
        one moto lacks."""
        response_class = _RESPONSES[service]
        query = service in _QUERY_PROTOCOL

        def method(self: BaseResponse) -> Any:
            result = handler(Request(self))
            if query:
                return ActionResult(dict(result))
            shape = get_service_model(service).operation_model(operation).output_shape
            return json.dumps(_to_wire(result, shape), default=_json_value)

        self.monkeypatch.setattr(response_class, _snake(operation), method, raising=False)

    def amend(
        self, service: str, operation: str, amend: Callable[[Request, dict[str, Any]], None]
    ) -> None:
        """Let moto answer ``operation`` (a JSON protocol), then ``amend`` its parsed answer."""
        response_class = _RESPONSES[service]
        original = getattr(response_class, _snake(operation))

        def method(self: BaseResponse) -> Any:
            body = original(self)
            if isinstance(body, ActionResult) and isinstance(body.result, dict):
                amend(Request(self), body.result)
                return body
            if not isinstance(body, str):
                return body
            data: dict[str, Any] = json.loads(body)
            amend(Request(self), data)
            return json.dumps(data, default=_json_value)

        self.monkeypatch.setattr(response_class, _snake(operation), method)

    def before(self, service: str, operation: str, check: Callable[[Request], None]) -> None:
        """``check(request)`` runs before moto serves ``operation``; the ``AwsError`` it raises
        is the answer (what AWS refuses and moto accepts)."""
        response_class = _RESPONSES[service]
        original = getattr(response_class, _snake(operation))

        def method(self: BaseResponse) -> Any:
            check(Request(self))
            return original(self)

        self.monkeypatch.setattr(response_class, _snake(operation), method)

    def after(self, service: str, operation: str, after: Callable[[Request], None]) -> None:
        """``after(request)`` runs once moto served ``operation`` without an error (any
        protocol): what AWS keeps of a request that moto drops."""
        response_class = _RESPONSES[service]
        original = getattr(response_class, _snake(operation))

        def method(self: BaseResponse) -> Any:
            response = original(self)
            after(Request(self))
            return response

        self.monkeypatch.setattr(response_class, _snake(operation), method)

    def routes(self) -> None:
        """Route the paths moto lacks (``_KIT_ROUTES``) to their service, in-process."""
        for module, paths in _KIT_ROUTES.items():
            for path, handler in paths.items():
                self.monkeypatch.setitem(module.url_paths, path, handler)

    def raise_managed_microsoft_ad_quota(self, count: int) -> None:
        """Let a region hold ``count`` Managed Microsoft AD directories, as a Service Quotas
        increase would on AWS (20 a region by default). moto 5.2.1 hard-codes AWS's default as
        ``Directory.CLOUDONLY_MICROSOFT_AD_LIMIT`` (and counts the directories before it adds
        one: 21 pass); never lowered here."""
        directory = moto.ds.models.Directory
        limit = max(count, directory.CLOUDONLY_MICROSOFT_AD_LIMIT)
        self.monkeypatch.setattr(directory, "CLOUDONLY_MICROSOFT_AD_LIMIT", limit)

    def iam_resources(self, resource: Callable[[Request], str | None]) -> None:
        """The resource moto's IAM enforcement authorises each request against:
        ``resource(request)``, or moto's own where it gives None (``*`` but for IAM's role
        operations, a role's ARN, and SQS's queue operations). For the services of
        ``_AUTHORISED``; moto authorises the others against ``*``."""
        for response_class in _AUTHORISED.values():
            own = getattr(response_class, "_determine_resource", None)

            def determine_resource(
                self: BaseResponse, __own: Callable[[BaseResponse], Any] | None = own
            ) -> str:
                chosen = resource(Request(self))
                if chosen is not None:
                    return chosen
                return "*" if __own is None else str(__own(self))

            self.monkeypatch.setattr(
                response_class, "_determine_resource", determine_resource, raising=False
            )

    def iam_actions(
        self,
        action: Callable[[str, str], tuple[str, str]],
        denial: Callable[[str, str], ServiceException | None],
    ) -> None:
        """How moto's IAM enforcement names what it checks and answers a denial:
        ``action(signing name, operation)`` -> (the service as boto3 names it, IAM's action)
        (moto checks ``<signing name>:<operation>``); ``denial(service, moto's message)`` the
        error to answer instead of moto's (``code``, ``message``, and ``status``, the HTTP
        status), or None for moto's (the query protocol's ``AccessDenied``, HTTP 403)."""
        original = IAMRequest.check_action_permitted

        def check_action_permitted(self: IAMRequest, resource: str) -> None:
            signing_name, _, operation = self._action.partition(":")
            service, self._action = action(signing_name, operation)
            try:
                original(self, resource)
            except AccessDeniedError as denied:
                error = denial(service, denied.message)
                if error is None:
                    raise
                raise _http_error(service, error) from denied

        self.monkeypatch.setattr(IAMRequest, "check_action_permitted", check_action_permitted)

    def iam_signatures_as_sent(self) -> None:
        """moto's IAM enforcement checks a request's signature over the body it rebuilds: for
        a GET without a body, its query parameters (or headers), where the client signed an
        empty body, so every such request fails (``SignatureDoesNotMatch``). Check it over the
        body that was sent."""
        create_request = IAMRequestBase._create_aws_request

        def signed_as_sent(self: IAMRequestBase) -> Any:
            request = create_request(self)
            if not self._body:
                request.data = b""  # a GET without a body: what the client signed
            return request

        self.monkeypatch.setattr(IAMRequestBase, "_create_aws_request", signed_as_sent)

    def on_every_send(self, hook: Callable[[str, str, str], Exception | None]) -> None:
        """``hook(signing name, region, url)`` sees every request botocore sends over HTTP (the
        client side of the server mode; in-process, moto answers before anything is sent); an
        exception it returns is raised where the connection would have failed."""
        original = botocore.httpsession.URLLib3Session.send

        def send(self: Any, request: Any) -> Any:
            scope = _credential_scope(request.headers.get("Authorization"))
            if scope is not None:
                error = hook(scope[1], scope[0], str(request.url))
                if error is not None:
                    raise error
            return original(self, request)

        self.monkeypatch.setattr(botocore.httpsession.URLLib3Session, "send", send)

    def around_acm_import(
        self,
        wrapper: Callable[[AcmRegion, str | None, list[dict[str, str]], Callable[[], str]], str],
    ) -> None:
        """``wrapper(region, arn, tags, proceed)`` runs around every ACM import (the API's and
        the kit's own): ``arn`` is the certificate re-imported, or None; ``proceed()`` imports
        and returns the ARN."""
        original = AWSCertificateManagerBackend.import_certificate

        def import_certificate(
            self: AWSCertificateManagerBackend,
            certificate: bytes,
            private_key: bytes,
            chain: bytes | None,
            arn: str | None,
            tags: list[dict[str, str]],
        ) -> str:
            def proceed() -> str:
                return original(self, certificate, private_key, chain, arn, tags)

            return wrapper(AcmRegion(self), arn, tags, proceed)

        self.monkeypatch.setattr(
            AWSCertificateManagerBackend, "import_certificate", import_certificate
        )

    def check_sns_publish(self, check: Callable[[str, str | None, str | None], None]) -> None:
        """``check(message, subject, message_structure)`` runs before every SNS publish
        (``Publish`` and ``PublishBatch``); what it raises is the answer."""
        original = SNSBackend.publish

        def publish(
            self: SNSBackend, message: str, arn: str | None, *args: Any, **kwargs: Any
        ) -> str:
            check(message, kwargs.get("subject"), kwargs.get("message_structure"))
            return original(self, message, arn, *args, **kwargs)

        self.monkeypatch.setattr(SNSBackend, "publish", publish)

    def match_sns_filter_policies(
        self,
        matches: Callable[[Mapping[str, Any], str, Mapping[str, Any], str], bool],
    ) -> None:
        """``matches(policy, scope, message attributes, message)`` decides whether a message
        reaches a subscription with a filter policy (every protocol); attributes as SNS
        forwards them: ``{name: {"Type", "Value"}}``."""

        def method(
            matcher: FilterPolicyMatcher, attributes: dict[str, Any] | None, message: str
        ) -> bool:
            policy = matcher.filter_policy
            return matches(policy, matcher.filter_policy_scope, attributes or {}, message)

        self.monkeypatch.setattr(FilterPolicyMatcher, "matches", method)

    def deliver_sns_http(
        self, record: Callable[[SnsSubscription, str, dict[str, str]], None]
    ) -> None:
        """What an ``http`` / ``https`` subscriber gets is given to ``record(subscription, body,
        headers)`` instead of moto's ``requests.post`` to its URL (no network)."""
        original = Subscription.publish

        def publish(
            self: Subscription,
            message: str,
            message_id: str,
            subject: str | None = None,
            message_attributes: dict[str, Any] | None = None,
            group_id: str | None = None,
            deduplication_id: str | None = None,
            message_structure: str | None = None,
        ) -> None:
            if self.protocol not in ("http", "https"):
                original(
                    self,
                    message,
                    message_id,
                    subject=subject,
                    message_attributes=message_attributes,
                    group_id=group_id,
                    deduplication_id=deduplication_id,
                    message_structure=message_structure,
                )
                return
            matcher = self._filter_policy_matcher
            if matcher is not None and not matcher.matches(message_attributes, message):
                return
            if message_structure == "json":
                message = self._parse_message_structure(message, self.protocol)
            raw = str(self.attributes.get("RawMessageDelivery")).lower() == "true"
            headers = {
                "x-amz-sns-message-type": "Notification",
                "x-amz-sns-message-id": message_id,
                "x-amz-sns-topic-arn": self.topic.arn,
                "x-amz-sns-subscription-arn": self.arn,
                "Content-Type": "text/plain; charset=UTF-8",
                "User-Agent": "Amazon Simple Notification Service Agent",
            }
            if raw:
                headers["x-amz-sns-rawdelivery"] = "true"
                body = message
            else:
                envelope = self.get_post_data(message, message_id, subject, message_attributes)
                body = json.dumps(envelope)
            record(SnsSubscription(self), body, headers)

        self.monkeypatch.setattr(Subscription, "publish", publish)

    def serve_metric_listing(
        self, select: Callable[[Sequence[Datum], str, str, list[dict[str, str]]], list[Datum]]
    ) -> None:
        """``select(data points, metric name, namespace, dimension filters)`` picks the metrics
        ``ListMetrics`` lists (moto pages them)."""

        def get_filtered_metrics(
            self: CloudWatchBackend,
            metric_name: str,
            namespace: str,
            dimensions: list[dict[str, str]],
        ) -> list[Any]:
            data = [Datum.of(point) for point in self.get_all_metrics()]
            return [datum.source for datum in select(data, metric_name, namespace, dimensions)]

        self.monkeypatch.setattr(CloudWatchBackend, "get_filtered_metrics", get_filtered_metrics)

    def serve_metric_data(
        self,
        compute: Callable[
            [Sequence[Datum], list[dict[str, Any]], datetime, datetime, str],
            list[dict[str, Any]],
        ],
    ) -> None:
        """``compute(data points, queries, start, end, scan_by)`` answers ``GetMetricData``:
        one ``{"id", "label", "values", "timestamps", "status_code"}`` per query returned."""

        def get_metric_data(
            self: CloudWatchBackend,
            queries: list[dict[str, Any]],
            start_time: datetime,
            end_time: datetime,
            scan_by: str = "TimestampAscending",
        ) -> list[dict[str, Any]]:
            data = [Datum.of(point) for point in self.get_all_metrics()]
            return compute(data, queries, start_time, end_time, scan_by)

        self.monkeypatch.setattr(CloudWatchBackend, "get_metric_data", get_metric_data)

    def after_server_certificate_upload(self, after: Callable[[ServerCertificate], None]) -> None:
        """``after(certificate)`` runs once IAM stored an uploaded server certificate."""
        original = IAMBackend.upload_server_certificate

        def upload_server_certificate(self: IAMBackend, *args: Any, **kwargs: Any) -> Any:
            certificate = original(self, *args, **kwargs)
            after(ServerCertificate(certificate))
            return certificate

        self.monkeypatch.setattr(IAMBackend, "upload_server_certificate", upload_server_certificate)

    def fast_private_ca_keys(self) -> None:
        """moto generates an RSA-2048 key for every private CA (tens of milliseconds each); AWS
        keeps a CA's key in its HSM and never shows it, so one key per process serves them."""
        self.monkeypatch.setattr(moto.acmpca.models, "rsa", _ONE_RSA_KEY)

    def after_db_instance_change(self, after: Callable[[RdsInstance], None]) -> None:
        """``after(instance)`` runs once moto created or modified a DB instance."""
        for name in ("create_db_instance", "modify_db_instance"):
            original = getattr(RDSBackend, name)

            def changed(
                self: RDSBackend, *args: Any, __original: Any = original, **kwargs: Any
            ) -> Any:
                instance = __original(self, *args, **kwargs)
                after(RdsInstance(instance))
                return instance

            self.monkeypatch.setattr(RDSBackend, name, changed)

    def rds_engine(self, engine: str, *, port: int, version: str) -> None:
        """Let moto's RDS create clusters and instances of ``engine`` (moto knows no
        ``docdb``), listening on ``port``, of engine ``version`` unless one is asked for."""
        clusters = ClusterEngine.list_cluster_engines
        instances = DbInstanceEngine.valid_db_instance_engine
        cluster_port, instance_port = DBCluster.default_port, DBInstance.default_port
        cluster_version = DBCluster.default_engine_version
        cluster_storage = DBCluster.default_allocated_storage

        def cluster_engines(_: Any) -> list[str]:
            return [*clusters(), engine]

        def instance_engines(_: Any) -> list[str]:
            return [*instances(), engine]

        def default_cluster_port(name: str) -> int:
            return port if name == engine else int(cluster_port(name))

        def default_instance_port(name: str) -> int:
            return port if name == engine else int(instance_port(name))

        def default_version(name: str) -> str:
            return version if name == engine else str(cluster_version(name))

        def default_storage(engine: str, storage_type: str) -> int:
            # A cluster's storage grows by itself (Aurora, DocumentDB, Neptune).
            if engine == self_engine:
                return 1
            return int(cluster_storage(engine=engine, storage_type=storage_type))

        self_engine = engine
        patch = self.monkeypatch
        patch.setattr(ClusterEngine, "list_cluster_engines", classmethod(cluster_engines))
        patch.setattr(DbInstanceEngine, "valid_db_instance_engine", classmethod(instance_engines))
        patch.setattr(DBCluster, "default_port", staticmethod(default_cluster_port))
        patch.setattr(DBInstance, "default_port", staticmethod(default_instance_port))
        patch.setattr(DBCluster, "default_engine_version", staticmethod(default_version))
        patch.setattr(DBCluster, "default_allocated_storage", staticmethod(default_storage))
        patch.setitem(DBInstance.default_engine_versions, engine, version)

    def iot_certificate_ids_from_der(self) -> None:
        """moto's IoT names a certificate by the SHA-256 of its PEM text unless configured to
        use its DER encoding, as AWS does."""
        self.monkeypatch.setattr(moto.iot.models, "iot_use_valid_cert", lambda: True)

    def after_iot_ca_registration(self, after: Callable[[IotCaCertificate], None]) -> None:
        """``after(certificate)`` runs once moto's IoT registered a CA certificate."""
        original = IoTBackend.register_ca_certificate

        def register_ca_certificate(self: IoTBackend, *args: Any, **kwargs: Any) -> Any:
            certificate = original(self, *args, **kwargs)
            after(IotCaCertificate(certificate))
            return certificate

        self.monkeypatch.setattr(IoTBackend, "register_ca_certificate", register_ca_certificate)

    def quiet_server(self) -> None:
        """moto's server lists its package folder (about 170 stat calls) on every request; the
        list never changes while it runs."""
        modules = tuple(moto.backends.list_of_moto_modules())
        self.monkeypatch.setattr(moto.backends, "list_of_moto_modules", lambda: modules)


# ACM ############################################################################################


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


class AcmCertificate:
    """One certificate in moto's ACM (a ``CertBundle``)."""

    __slots__ = ("_bundle",)

    def __init__(self, bundle: CertBundle) -> None:
        self._bundle = bundle

    @property
    def arn(self) -> str:
        return str(self._bundle.arn)

    @property
    def pem(self) -> str:
        """The certificate, PEM, as moto keeps it."""
        return _text(self._bundle.cert)

    @property
    def private_key_pem(self) -> str:
        """Its private key, PEM, as moto keeps it."""
        return _text(self._bundle.key)

    @property
    def x509(self) -> x509.Certificate:
        """The parsed certificate moto keeps (a new object on every re-import)."""
        certificate: x509.Certificate = self._bundle._cert
        return certificate

    def status(self) -> str:
        """The status now: moto turns ISSUED into EXPIRED on the clock, when asked."""
        self._bundle.check()
        return str(self._bundle.status)

    @property
    def in_use_by(self) -> list[str]:
        return list(self._bundle.in_use_by)

    @in_use_by.setter
    def in_use_by(self, arns: Sequence[str]) -> None:
        self._bundle.in_use_by = list(arns)

    @property
    def type(self) -> str:
        return str(self._bundle.type)

    @property
    def options(self) -> dict[str, str]:
        """The options it was requested with (moto replaces its defaults with the request's)."""
        return dict(self._bundle.cert_options or {})

    @property
    def export_option(self) -> str:
        return str(self._bundle.cert_options.get("Export", "DISABLED"))

    @property
    def exported(self) -> bool:
        """Whether ExportCertificate gave it out (moto does not record it)."""
        return bool(getattr(self._bundle, "_testkit_exported", False))

    @exported.setter
    def exported(self, value: bool) -> None:
        self._bundle._testkit_exported = value

    def issue(self, certificate: bytes, private_key: bytes) -> None:
        """What the CA issues once a requested certificate is validated: ``certificate`` (PEM)
        and its key take the place of the one moto made (a fixed 365 days), status ISSUED."""
        bundle = self._bundle
        bundle.cert = certificate
        bundle.key = private_key
        bundle._key = bundle.validate_pk()
        bundle._cert = x509.load_pem_x509_certificate(certificate)
        names = bundle._cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        bundle.common_name = names[0].value
        bundle.status = "ISSUED"
        vars(bundle).pop("_testkit_memos", None)  # what was stored of the old certificate

    def described(self) -> dict[str, Any]:
        """What moto's DescribeCertificate gives (timestamps as moto holds them)."""
        certificate: dict[str, Any] = self._bundle.describe()["Certificate"]
        return certificate

    def inherit(self, previous: AcmCertificate) -> None:
        """Take the tags and users of the certificate this one re-imports over (moto drops
        them)."""
        self._bundle.tags.update(previous._bundle.tags)
        self._bundle.in_use_by = list(previous._bundle.in_use_by)

    def set_common_name(self, name: str) -> None:
        """What moto shows as ``DomainName`` (a certificate whose subject has no CN)."""
        self._bundle.common_name = name

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, once per imported certificate (a re-import is a new certificate):
        what AWS keeps stored with it."""
        memos: dict[str, Any] | None = getattr(self._bundle, "_testkit_memos", None)
        if memos is None:
            memos = {}
            setattr(self._bundle, "_testkit_memos", memos)  # noqa: B010
        if key not in memos:
            memos[key] = compute()
        return memos[key]


class AcmRegion:
    """moto's ACM in one account and region."""

    def __init__(self, backend: AWSCertificateManagerBackend) -> None:
        self._backend = backend

    @classmethod
    def of(cls, account: str, region: str) -> AcmRegion:
        return cls(acm_backends[account][region])

    def arns(self) -> list[str]:
        """Every certificate's ARN, in import order."""
        return list(self._backend._certificates)

    def get(self, arn: str | None) -> AcmCertificate | None:
        bundle = self._backend._certificates.get(arn) if arn else None
        return None if bundle is None else AcmCertificate(bundle)

    def __getitem__(self, arn: str) -> AcmCertificate:
        return AcmCertificate(self._backend._certificates[arn])

    def import_pem(self, certificate: bytes, private_key: bytes) -> str:
        """Import straight into the backend, as ``ImportCertificate`` without a chain or tags
        (the kit's patches apply); the ARN."""
        return str(self._backend.import_certificate(certificate, private_key, None, None, []))

    def delete(self, arn: str) -> None:
        self._backend.delete_certificate(arn)

    def export(self, arn: str, passphrase_base64: str) -> tuple[str, str, str]:
        """moto's ExportCertificate: (certificate, chain, encrypted private key), PEM."""
        certificate, chain, key = self._backend.export_certificate(arn, passphrase_base64)
        return str(certificate), str(chain), str(key)


@contextlib.contextmanager
def acm_clock(moment: datetime) -> Iterator[None]:
    """moto's ACM reads the time as ``moment`` (naive UTC) meanwhile: it refuses to import a
    certificate that is not valid at import time, as AWS does."""
    models: Any = moto.acm.models
    real = models.utcnow
    models.utcnow = lambda: moment
    try:
        yield
    finally:
        models.utcnow = real


# CloudWatch #####################################################################################


@dataclass(frozen=True)
class Datum:
    """A CloudWatch data point moto holds; ``source`` is moto's own object."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    timestamp: datetime
    value: float
    source: Any

    @functools.cached_property
    def key(self) -> tuple[str, str, frozenset[tuple[str, str]]]:
        """The metric the point belongs to: namespace, name and dimensions (in any order)."""
        return (self.namespace, self.name, frozenset(self.dimensions))

    @classmethod
    def of(cls, point: Any) -> Datum:
        """The view of moto's data point, made once per point: a data point never changes,
        and GetMetricData reads every one of them on every call (10,000 in the benchmark)."""
        datum: Datum | None = getattr(point, "_testkit_datum", None)
        if datum is None:
            datum = cls(
                point.namespace,
                point.name,
                tuple((d.name, d.value) for d in point.dimensions),
                point.timestamp,
                point.value,
                point,
            )
            point._testkit_datum = datum
        return datum


# Security Hub ###################################################################################


class HubRegion:
    """moto's Security Hub in one account and region: its findings as plain dicts."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    @classmethod
    def of(cls, account: str, region: str) -> HubRegion:
        return cls(securityhub_backends[account][region])

    @property
    def enabled(self) -> bool:
        return bool(self._backend.enabled)

    @property
    def region(self) -> str:
        return str(self._backend.region_name)

    def findings(self) -> list[dict[str, Any]]:
        """Every stored finding, in storage order (the dicts themselves)."""
        return [finding.data for finding in self._backend.findings]

    def add(self, data: dict[str, Any]) -> None:
        self._backend.findings.append(Finding(data["Id"], data))

    def replace(self, stored: dict[str, Any], data: dict[str, Any]) -> None:
        """Put ``data`` where the finding ``stored`` (a dict from ``findings()``) was."""
        for finding in self._backend.findings:
            if finding.data is stored:
                finding.data = data
                return
        raise KeyError(stored.get("Id"))

    def clear(self) -> None:
        self._backend.findings.clear()

    def members(self) -> dict[str, dict[str, Any]]:
        """The member accounts of this (administrator's) hub, by account ID (the dict itself:
        moto's own ``members``, emptied with the rest of the backend)."""
        members: dict[str, dict[str, Any]] = self._backend.members
        return members


# SNS ############################################################################################


def sent_notifications(topic_arn: str) -> list[tuple[str | None, str]]:
    """(subject, message) of every publish to the topic, as SNS received them."""
    _, _, _, region, account, _ = topic_arn.split(":", 5)
    topic = sns_backends[account][region].topics[topic_arn]
    return [(subject, message) for _, message, subject, _, _ in topic.sent_notifications]


class SnsSubscription:
    """One subscription in moto's SNS."""

    __slots__ = ("_subscription",)

    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription

    @classmethod
    def find(cls, arn_or_endpoint: str) -> list[SnsSubscription]:
        """The subscriptions with this ARN, or to this endpoint (a URL, a queue ARN)."""
        found = []
        for account_backends in list(sns_backends.values()):
            for backend in list(account_backends.values()):
                for subscription in list(backend.subscriptions.values()):
                    if arn_or_endpoint in (subscription.arn, subscription.endpoint):
                        found.append(cls(subscription))
        return found

    @property
    def arn(self) -> str:
        return str(self._subscription.arn)

    @property
    def endpoint(self) -> str:
        return str(self._subscription.endpoint)

    @property
    def deliveries(self) -> list[Any]:
        """What the kit recorded as delivered to it (kept with moto's state, reset with it)."""
        subscription = self._subscription
        if not hasattr(subscription, "_testkit_deliveries"):
            subscription._testkit_deliveries = []
        deliveries: list[Any] = subscription._testkit_deliveries
        return deliveries


# IAM ############################################################################################


class ServerCertificate:
    """An IAM server certificate in moto."""

    __slots__ = ("_certificate",)

    def __init__(self, certificate: Any) -> None:
        self._certificate = certificate

    @property
    def name(self) -> str:
        return str(self._certificate.cert_name)

    @property
    def path(self) -> str:
        return str(self._certificate.path)

    @property
    def arn(self) -> str:
        return str(self._certificate.arn)

    @property
    def body(self) -> str:
        return str(self._certificate.cert_body)

    @property
    def uploaded(self) -> datetime | None:
        """When it was uploaded, if the kit saw it (moto keeps no upload time)."""
        moment: datetime | None = getattr(self._certificate, "_testkit_uploaded", None)
        return moment

    @uploaded.setter
    def uploaded(self, moment: datetime) -> None:
        self._certificate._testkit_uploaded = moment


# The kit's own state ############################################################################


def kit_state(service: str, account: str, region: str) -> dict[str, Any]:
    """What the kit keeps for ``service`` in one account and region (resources moto lacks, and
    what AWS keeps about moto's): held by moto's backend for that service, so moto's reset (the
    server's ``/moto-api/reset``, the end of ``mock_aws``) clears it with the rest."""
    backend = moto.backends.get_backend(service)[account][region]  # type: ignore[call-overload]
    state: dict[str, Any] = backend.__dict__.setdefault("_testkit_state", {})
    return state


def _kept(source: Any, key: str, default: Any = None) -> Any:
    return getattr(source, f"_testkit_{key}", default)


def _keep(source: Any, key: str, value: Any) -> None:
    setattr(source, f"_testkit_{key}", value)


def _credential_scope(authorization: Any) -> tuple[str, str] | None:
    """(region, signing name) of a SigV4 ``Authorization`` header, if it is one."""
    if isinstance(authorization, bytes):
        authorization = authorization.decode()
    if not authorization or "Credential=" not in authorization:
        return None
    scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return (scope[2], scope[3]) if len(scope) >= 5 else None


# AWS Private CA #################################################################################


@functools.cache
def _one_rsa_key(public_exponent: int, key_size: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=public_exponent, key_size=key_size)


# What moto's Private CA sees as the ``rsa`` module: the same, with one key per size.
_ONE_RSA_KEY = types.SimpleNamespace(
    generate_private_key=lambda public_exponent, key_size, **_: _one_rsa_key(
        public_exponent, key_size
    ),
    RSAPrivateKey=rsa.RSAPrivateKey,
    RSAPublicKey=rsa.RSAPublicKey,
)


def _epoch_datetime(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, timezone.utc)


class PrivateCa:
    """One private certificate authority in moto."""

    __slots__ = ("_ca",)

    def __init__(self, ca: CertificateAuthority) -> None:
        self._ca = ca

    @property
    def arn(self) -> str:
        return str(self._ca.arn)

    @property
    def owner(self) -> str:
        return str(self._ca.account_id)

    @property
    def type(self) -> str:
        return str(self._ca.certificate_authority_type)

    @property
    def configuration(self) -> dict[str, Any]:
        configuration: dict[str, Any] = self._ca.certificate_authority_configuration
        return configuration

    @property
    def revocation_configuration(self) -> dict[str, Any]:
        configuration: dict[str, Any] = self._ca.revocation_configuration
        return configuration

    @property
    def key_storage_security_standard(self) -> str:
        return str(self._ca.security_standard)

    @property
    def created_at(self) -> datetime:
        created = _epoch_datetime(self._ca.created_at)
        assert created is not None
        return created

    @property
    def last_state_change_at(self) -> datetime | None:
        return _epoch_datetime(self._ca.updated_at)

    @property
    def status(self) -> str:
        """The status moto keeps (ACTIVE once a certificate is imported; no EXPIRED)."""
        return str(self._ca.status)

    def change_status(self, status: str, at: datetime) -> None:
        self._ca.status = status
        self._ca.updated_at = at.timestamp()

    @property
    def usage_mode(self) -> str | None:
        mode: str | None = _kept(self._ca, "usage_mode")
        return mode

    @usage_mode.setter
    def usage_mode(self, mode: str) -> None:
        _keep(self._ca, "usage_mode", mode)

    @property
    def restorable_until(self) -> datetime | None:
        moment: datetime | None = _kept(self._ca, "restorable_until")
        return moment

    @restorable_until.setter
    def restorable_until(self, moment: datetime) -> None:
        _keep(self._ca, "restorable_until", moment)

    @property
    def certificate(self) -> x509.Certificate | None:
        """The imported CA certificate, if any."""
        certificate: x509.Certificate | None = self._ca.certificate
        return certificate

    def public_key_der(self) -> bytes:
        """The CA's own public key (SubjectPublicKeyInfo, DER)."""
        return bytes(
            self._ca.key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def set_validity(self, certificate_arn: str, not_before: datetime, not_after: datetime) -> None:
        """Sign again the certificate issued as ``certificate_arn``, valid from ``not_before``
        to ``not_after`` (moto issues every certificate for 365 days from now)."""
        issued = x509.load_pem_x509_certificate(self._ca.issued_certificates[certificate_arn])
        builder = (
            x509.CertificateBuilder()
            .subject_name(issued.subject)
            .issuer_name(issued.issuer)
            .public_key(issued.public_key())  # type: ignore[arg-type]
            .serial_number(issued.serial_number)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
        )
        for extension in issued.extensions:
            builder = builder.add_extension(extension.value, extension.critical)
        pem = builder.sign(self._ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
        self._ca.issued_certificates[certificate_arn] = pem


class PcaRegion:
    """moto's AWS Private CA in one account and region."""

    def __init__(self, backend: ACMPCABackend) -> None:
        self._backend = backend

    @classmethod
    def of(cls, account: str, region: str) -> PcaRegion:
        return cls(acmpca_backends[account][region])

    def authorities(self) -> list[PrivateCa]:
        """Every CA of the account, in creation order."""
        return [PrivateCa(ca) for ca in self._backend.certificate_authorities.values()]

    def get(self, arn: str) -> PrivateCa | None:
        ca = self._backend.certificate_authorities.get(arn)
        return None if ca is None else PrivateCa(ca)


# RDS ############################################################################################


class RdsInstance:
    """One DB instance in moto's RDS; ``source`` is moto's own object (moto serialises it)."""

    __slots__ = ("source",)

    def __init__(self, instance: DBInstance) -> None:
        self.source = instance

    @property
    def identifier(self) -> str:
        return str(self.source.db_instance_identifier)

    @property
    def arn(self) -> str:
        return str(self.source.db_instance_arn)

    @property
    def engine(self) -> str:
        return str(self.source.engine)

    @property
    def created(self) -> datetime:
        created: datetime = self.source.created
        return created.replace(tzinfo=created.tzinfo or timezone.utc)

    @property
    def ca_identifier(self) -> str:
        return str(self.source.ca_certificate_identifier)

    @ca_identifier.setter
    def ca_identifier(self, identifier: str) -> None:
        self.source.ca_certificate_identifier = identifier

    @property
    def certificate_details(self) -> dict[str, Any] | None:
        """``CertificateDetails`` (``CAIdentifier``, ``ValidTill``), which moto serialises
        from the attribute of that name once it exists."""
        details: dict[str, Any] | None = getattr(self.source, "certificate_details", None)
        return details

    @certificate_details.setter
    def certificate_details(self, details: dict[str, Any]) -> None:
        self.source.certificate_details = details


class RdsRegion:
    """moto's RDS in one account and region."""

    def __init__(self, backend: RDSBackend) -> None:
        self._backend = backend

    @classmethod
    def of(cls, account: str, region: str) -> RdsRegion:
        return cls(rds_backends[account][region])

    def describe(
        self, identifier: str | None = None, filters: Mapping[str, list[str]] | None = None
    ) -> list[RdsInstance]:
        """The DB instances moto's ``DescribeDBInstances`` would give (its filters and
        errors), in creation order."""
        found = self._backend.describe_db_instances(identifier, filters=dict(filters or {}))
        return [RdsInstance(instance) for instance in found]

    def get(self, identifier: str) -> RdsInstance:
        return RdsInstance(self._backend.databases[identifier])


# IoT ############################################################################################


class IotCaCertificate:
    """A CA certificate registered in moto's IoT."""

    __slots__ = ("_certificate",)

    def __init__(self, certificate: FakeCaCertificate) -> None:
        self._certificate = certificate

    @property
    def id(self) -> str:
        return str(self._certificate.certificate_id)

    @property
    def arn(self) -> str:
        return str(self._certificate.arn)

    @arn.setter
    def arn(self, arn: str) -> None:
        self._certificate.arn = arn

    @property
    def status(self) -> str:
        return str(self._certificate.status)

    @property
    def pem(self) -> str:
        return str(self._certificate.certificate_pem)

    @property
    def owner(self) -> str:
        return str(self._certificate.owner)

    @property
    def created(self) -> datetime:
        created: datetime = self._certificate.creation_date
        return created.replace(tzinfo=created.tzinfo or timezone.utc)

    @property
    def last_modified(self) -> datetime:
        modified: datetime = self._certificate.last_modified_date
        return modified.replace(tzinfo=modified.tzinfo or timezone.utc)

    @property
    def registration_config(self) -> dict[str, str]:
        return dict(self._certificate.registration_config or {})

    def set_validity(self, not_before: datetime, not_after: datetime) -> None:
        """What moto shows as ``validity`` (moto: a day either side of the registration)."""
        self._certificate.validity_not_before = not_before
        self._certificate.validity_not_after = not_after

    def keep(self, **values: Any) -> None:
        """Keep what AWS keeps about the certificate and moto drops."""
        for key, value in values.items():
            _keep(self._certificate, key, value)

    def kept(self, key: str) -> Any:
        return _kept(self._certificate, key)


def iot_ca_certificates(account: str, region: str) -> list[IotCaCertificate]:
    """Every CA certificate registered in moto's IoT there, in registration order."""
    backend: IoTBackend = iot_backends[account][region]
    return [IotCaCertificate(certificate) for certificate in backend.ca_certificates.values()]


# IAM SAML providers #############################################################################


class SamlProvider:
    """A SAML identity provider in moto's IAM."""

    __slots__ = ("_provider",)

    def __init__(self, provider: Any) -> None:
        self._provider = provider

    @property
    def arn(self) -> str:
        return str(self._provider.arn)

    @property
    def document(self) -> str:
        return str(self._provider.saml_metadata_document or "")

    @property
    def created(self) -> datetime:
        created: datetime = self._provider.create_date
        return created.replace(tzinfo=created.tzinfo or timezone.utc)

    @property
    def tags(self) -> list[dict[str, str]]:
        return list(_kept(self._provider, "tags", []))

    @tags.setter
    def tags(self, tags: list[dict[str, str]]) -> None:
        _keep(self._provider, "tags", list(tags))


def saml_providers(request: Request) -> list[SamlProvider]:
    """The IAM SAML providers of the request's account, in creation order."""
    backend: IAMBackend = request._response.backend  # type: ignore[attr-defined]
    return [SamlProvider(provider) for provider in backend.list_saml_providers()]


# SNS platform applications ######################################################################


@dataclass(frozen=True)
class PlatformApplication:
    """An SNS platform application as moto holds it (its attributes as given)."""

    arn: str
    platform: str
    attributes: dict[str, str]


def platform_applications(account: str, region: str) -> list[PlatformApplication]:
    backend = sns_backends[account][region]
    return [
        PlatformApplication(app.arn, app.platform, app.attributes)
        for app in backend.list_platform_applications()
    ]


def platform_application(account: str, region: str, arn: str) -> PlatformApplication:
    """The application (moto's ``NotFound`` error when there is none)."""
    app = sns_backends[account][region].get_application(arn)
    return PlatformApplication(app.arn, app.platform, app.attributes)


def create_platform_application(
    account: str, region: str, name: str, platform: str, attributes: dict[str, str]
) -> str:
    """Create one in moto's SNS as ``CreatePlatformApplication`` does; its ARN."""
    backend = sns_backends[account][region]
    return str(backend.create_platform_application(name, platform, attributes).arn)


# Directory Service ##############################################################################


@dataclass(frozen=True)
class Directory:
    """A directory in moto's Directory Service."""

    id: str
    type: str
    name: str


def directories(account: str, region: str) -> dict[str, Directory]:
    """The directories there, by id."""
    backend = ds_backends[account][region]
    return {
        directory_id: Directory(directory_id, directory.directory_type, directory.name)
        for directory_id, directory in backend.directories.items()
    }


# IAM enforcement ################################################################################


def _http_error(service: str, error: ServiceException) -> Exception:
    """``error`` as moto's IAM check must raise it (an HTTP exception, which moto answers as
    it is): a JSON body for the JSON protocols, the query protocol's XML for the others."""
    http: _RESTError
    if get_service_model(service).protocol in ("json", "rest-json"):
        http = JsonRESTError(error.code, error.message)
    else:
        http = _RESTError(error.code, error.message)
    http.code = getattr(error, "status", None) or 400
    return http


@contextlib.contextmanager
def iam_enforced() -> Iterator[None]:
    """moto checks every request made meanwhile against the IAM policies of its caller's
    access key (``sts:GetCallerIdentity`` always passes, as on AWS); before and after,
    requests are not authenticated."""
    with enable_iam_authentication():
        yield


# EventBridge ####################################################################################


def event_matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether EventBridge would match ``event`` against the rule's ``pattern`` (moto's own
    matcher, which its stubbed ``TestEventPattern`` API does not use)."""
    message: Any = dict(event)  # moto's EventMessageType: an event as EventBridge sends it
    return bool(EventPattern.load(json.dumps(pattern)).matches_event(message))


# Running moto ###################################################################################


def start_server() -> Iterator[str]:
    """A ``ThreadedMotoServer`` on 127.0.0.1 (a free port) while the generator runs: its URL."""
    from moto.server import ThreadedMotoServer

    for module, paths in _KIT_ROUTES.items():
        module.url_paths.update(paths)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def reset_server(endpoint_url: str) -> None:
    """Empty every backend of the server (moto's reset API)."""
    request = urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
