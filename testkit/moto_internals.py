"""Every place the test kit reaches into moto: the only module of the kit that imports it.

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
- ``moto.backends.list_of_moto_modules`` (the server lists moto's folder on every request).

Upgrading moto means reading this file again, and only this one: the service modules
(``testkit.acm``, ``testkit.securityhub`` ...) see moto through what it offers, in plain values:

- ``Patcher(monkeypatch)``: the one way the kit changes moto (undone by ``monkeypatch``):
  ``on_every_call`` (``call_action``, patched once), ``answer`` (serve an operation),
  ``amend`` (change moto's answer), and one hook per backend method the kit wraps.
- ``Request``: one request as an operation sees it (service, operation, region, account,
  parameters) and the state of its region (``acm()``, ``hub()``, ``server_certificates()``).
- Views of moto's state: ``AcmRegion`` / ``AcmCertificate``, ``HubRegion``, ``Datum``
  (a CloudWatch data point), ``ServerCertificate``, ``sent_notifications``,
  ``SnsSubscription``.
- Running moto: ``mock_aws``, ``start_server``, ``reset_server``.
"""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import moto
import moto.acm.models
import moto.backends
import pytest
from cryptography import x509
from moto import mock_aws
from moto.acm.models import AWSCertificateManagerBackend, CertBundle, acm_backends
from moto.acm.responses import AWSCertificateManagerResponse
from moto.cloudwatch.models import CloudWatchBackend
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse
from moto.iam.models import IAMBackend
from moto.iam.responses import IamResponse
from moto.securityhub.models import Finding, securityhub_backends
from moto.securityhub.responses import SecurityHubResponse
from moto.sns.models import SNSBackend, Subscription, sns_backends
from moto.sns.utils import FilterPolicyMatcher

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
    "installed_version",
    "mock_aws",
    "reset_server",
    "sent_notifications",
    "start_server",
]

# Response classes whose operation methods ``Patcher.answer`` may replace, by boto3 service
# name; IAM speaks the query protocol (an ``ActionResult``), the others JSON.
_RESPONSES: dict[str, type[BaseResponse]] = {
    "acm": AWSCertificateManagerResponse,
    "iam": IamResponse,
    "securityhub": SecurityHubResponse,
}
_QUERY_PROTOCOL = {"iam"}


def installed_version() -> str:
    return str(moto.__version__)


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


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

    def on_every_call(self, hook: Callable[[Request], ServiceException | None]) -> None:
        """``hook`` sees every request before moto serves it (helpers' requests too); an error
        it returns is the answer instead, serialised with the service's error shape (its
        ``http_status`` attribute, if set, is the HTTP status). The one patch of
        ``BaseResponse.call_action``: call it once."""
        original = BaseResponse.call_action

        def call_action(self: BaseResponse) -> Any:
            error = hook(Request(self))
            if error is not None:
                status, headers, body = self.serialized(ActionResult(error))
                status = getattr(error, "http_status", None) or status
                headers["status"] = status
                return status, headers, body
            return original(self)

        self.monkeypatch.setattr(BaseResponse, "call_action", call_action)

    def answer(
        self, service: str, operation: str, handler: Callable[[Request], Mapping[str, Any]]
    ) -> None:
        """Serve ``operation`` with what ``handler`` returns (the response's members as botocore
        parses them; timestamps as epoch seconds for JSON protocols), even one moto lacks."""
        response_class = _RESPONSES[service]
        query = service in _QUERY_PROTOCOL

        def method(self: BaseResponse) -> Any:
            result = handler(Request(self))
            return ActionResult(dict(result)) if query else json.dumps(result)

        self.monkeypatch.setattr(response_class, _snake(operation), method, raising=False)

    def amend(
        self, service: str, operation: str, amend: Callable[[Request, dict[str, Any]], None]
    ) -> None:
        """Let moto answer ``operation`` (a JSON protocol), then ``amend`` its parsed answer."""
        response_class = _RESPONSES[service]
        original = getattr(response_class, _snake(operation))

        def method(self: BaseResponse) -> Any:
            body = original(self)
            if not isinstance(body, str):
                return body
            data: dict[str, Any] = json.loads(body)
            amend(Request(self), data)
            return json.dumps(data)

        self.monkeypatch.setattr(response_class, _snake(operation), method)

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

    def quiet_server(self) -> None:
        """moto's server lists its package folder (about 170 stat calls) on every request; the
        list never changes while it runs."""
        modules = tuple(moto.backends.list_of_moto_modules())
        self.monkeypatch.setattr(moto.backends, "list_of_moto_modules", lambda: modules)


# ACM ############################################################################################


_MEMO = "_testkit_memo_"


class AcmCertificate:
    """One certificate in moto's ACM (a ``CertBundle``)."""

    __slots__ = ("_bundle",)

    def __init__(self, bundle: CertBundle) -> None:
        self._bundle = bundle

    @property
    def arn(self) -> str:
        return str(self._bundle.arn)

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
        for name in [name for name in vars(bundle) if name.startswith(_MEMO)]:
            delattr(bundle, name)

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
        """``compute()``, once per imported certificate: what AWS keeps stored with it."""
        name = f"{_MEMO}{key}"
        if not hasattr(self._bundle, name):
            setattr(self._bundle, name, compute())
        return getattr(self._bundle, name)


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

    @classmethod
    def of(cls, point: Any) -> Datum:
        return cls(
            point.namespace,
            point.name,
            tuple((d.name, d.value) for d in point.dimensions),
            point.timestamp,
            point.value,
            point,
        )


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


# Running moto ###################################################################################


def start_server() -> Iterator[str]:
    """A ``ThreadedMotoServer`` on 127.0.0.1 (a free port) while the generator runs: its URL."""
    from moto.server import ThreadedMotoServer

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
