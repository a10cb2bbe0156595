"""Every place the test kit reaches into moto: the only module of the kit that imports it.

Written against **moto==5.2.1** (``requirements-demo.txt``; ``MOTO_VERSION`` below, which
``tests/test_strict_aws.py`` compares with the installed moto). moto's public API is
``mock_aws`` and ``ThreadedMotoServer``; everything else used here is moto's own business and
may change in any release:

- ``BaseResponse.call_action``, ``_get_action``, ``_get_param``, ``serialized``, ``body``,
  ``boto3_service_name``, ``current_account`` (every request);
- the response classes of ACM, Security Hub and IAM, whose operation methods are replaced;
- the backends dicts (``acm_backends``, ``securityhub_backends``, ``sns_backends``), ACM's
  ``_certificates`` and ``CertBundle`` (``_cert``, ``check()``, ``status``, ``in_use_by``,
  ``tags``, ``cert_options``, ``describe()``), ``moto.acm.models.utcnow``;
- CloudWatch's ``get_filtered_metrics``, ``get_metric_data``, ``get_all_metrics`` and its
  metric data points; Security Hub's ``Finding`` list; SNS's ``publish`` and
  ``sent_notifications``; IAM's server ``Certificate`` objects and ``upload_server_certificate``;
- ``moto.backends.list_of_moto_modules`` (the server lists moto's folder on every request).

Upgrading moto means reading this file again, and only this one: the service modules
(``testkit.acm``, ``testkit.securityhub`` ...) see moto through what it offers, in plain values:

- ``Patcher(monkeypatch)``: the one way the kit changes moto (undone by ``monkeypatch``):
  ``on_every_call`` (``call_action``, patched once), ``answer`` (serve an operation),
  ``amend`` (change moto's answer), and one hook per backend method the kit wraps.
- ``Request``: one request as an operation sees it (service, operation, region, account,
  parameters) and the state of its region (``acm()``, ``hub()``, ``server_certificates()``).
- Views of moto's state: ``AcmRegion`` / ``AcmCertificate``, ``HubRegion``, ``Datum``
  (a CloudWatch data point), ``ServerCertificate``, ``sent_notifications``.
- Running moto: ``mock_aws``, ``start_server``, ``reset_server``.
"""

from __future__ import annotations

import contextlib
import functools
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
from moto.sns.models import SNSBackend, sns_backends

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
    "acm_clock",
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
        it returns is the answer instead, serialised with the service's error shape. The one
        patch of ``BaseResponse.call_action``: call it once."""
        original = BaseResponse.call_action

        def call_action(self: BaseResponse) -> Any:
            error = hook(Request(self))
            if error is not None:
                status, headers, body = self.serialized(ActionResult(error))
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
    def export_option(self) -> str:
        return str(self._bundle.cert_options.get("Export", "DISABLED"))

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


# SNS ############################################################################################


def sent_notifications(topic_arn: str) -> list[tuple[str | None, str]]:
    """(subject, message) of every publish to the topic, as SNS received them."""
    _, _, _, region, account, _ = topic_arn.split(":", 5)
    topic = sns_backends[account][region].topics[topic_arn]
    return [(subject, message) for _, message, subject, _, _ in topic.sent_notifications]


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
