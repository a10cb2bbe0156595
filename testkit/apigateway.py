"""API Gateway client certificates, which moto 5.2 lacks, as AWS answers them; each piece names
the AWS behaviour it mirrors.

- ``GenerateClientCertificate`` (``description``, ``tags``): AWS makes a self-signed
  certificate valid for 365 days (the private key never leaves AWS) and answers with the
  ``ClientCertificate``: ``clientCertificateId``, ``description``, ``pemEncodedCertificate``,
  ``createdDate``, ``expirationDate`` (the certificate's ``NotAfter``), ``tags``.
- ``GetClientCertificates``: ``limit`` 1..500, default 25 ("The default value is 25 and the
  maximum value is 500"; ``BadRequestException`` outside), ``position`` pages; ``items`` in
  the ``ClientCertificate`` shape (here in the order they were generated).
- ``GetClientCertificate`` and ``DeleteClientCertificate`` of an unknown id:
  ``NotFoundException`` ("Invalid Client Certificate identifier specified").

moto routes no ``/clientcertificates`` path: ``testkit.moto_internals`` adds the routes.

Helper (boto3, both fixtures): ``create_client_certificate(region, *, expiration,
description="", tags=None)`` -> id: a client certificate generated through the API, then aged
so that it expires at ``expiration`` (generated 365 days before, or now if that is later), its
PEM signed again with that validity. ``add_client_certificates(region, count, *, expiration)``
puts many straight into the emulator (no API call), for paging tests.
"""

from __future__ import annotations

import functools
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from testkit import paging
from testkit.environment import ACCOUNT_ID, DEFAULT_REGION, client
from testkit.errors import AwsError
from testkit.moto_internals import Patcher, Request, kit_state

MAX_LIMIT = 500
DEFAULT_LIMIT = 25
LIFETIME = timedelta(days=365)


@dataclass(frozen=True)
class ClientCertificate:
    id: str
    description: str
    created: datetime
    expiration: datetime
    tags: dict[str, str] = field(default_factory=dict)
    pem: str = ""

    def item(self) -> dict[str, Any]:
        """The ``ClientCertificate`` shape."""
        item: dict[str, Any] = {
            "clientCertificateId": self.id,
            "pemEncodedCertificate": self.pem,
            "createdDate": self.created,
            "expirationDate": self.expiration,
        }
        if self.description:
            item["description"] = self.description
        if self.tags:
            item["tags"] = dict(self.tags)
        return item


def install(patch: Patcher) -> None:
    """API Gateway's client certificates, undone with the patcher's monkeypatch."""
    patch.answer("apigateway", "GenerateClientCertificate", generate_client_certificate)
    patch.answer("apigateway", "GetClientCertificates", get_client_certificates)
    patch.answer("apigateway", "GetClientCertificate", get_client_certificate)
    patch.answer("apigateway", "DeleteClientCertificate", delete_client_certificate)


def certificates(account: str, region: str) -> dict[str, ClientCertificate]:
    """The client certificates of one account and region, by id, oldest first."""
    store: dict[str, ClientCertificate] = kit_state("apigateway", account, region).setdefault(
        "client_certificates", {}
    )
    return store


@functools.cache
def _key() -> rsa.RSAPrivateKey:
    # One RSA key per process: AWS keeps each certificate's key to itself, and RSA keys are slow.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(identifier: str, created: datetime, expiration: datetime) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"ClientCertificate {identifier}")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(_key().public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(created)
        .not_valid_after(expiration)
        .sign(_key(), hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _new_id(taken: Mapping[str, Any]) -> str:
    while True:
        identifier = "".join(
            secrets.choice(string.ascii_lowercase + string.digits) for _ in range(6)
        )
        if identifier not in taken:
            return identifier


def _make(
    store: dict[str, ClientCertificate],
    description: str,
    tags: Mapping[str, str],
    created: datetime,
    expiration: datetime,
) -> ClientCertificate:
    identifier = _new_id(store)
    made = ClientCertificate(
        identifier,
        description,
        created,
        expiration,
        dict(tags),
        _pem(identifier, created, expiration),
    )
    store[identifier] = made
    return made


def generate_client_certificate(request: Request) -> dict[str, Any]:
    created = datetime.now(timezone.utc).replace(microsecond=0)
    made = _make(
        certificates(request.account, request.region),
        request.param("description") or "",
        request.param("tags") or {},
        created,
        created + LIFETIME,
    )
    return made.item()


def get_client_certificates(request: Request) -> dict[str, Any]:
    limit = request.param("limit")
    if limit is not None and not 1 <= int(limit) <= MAX_LIMIT:
        raise AwsError("BadRequestException", f"Limit must be between 1 and {MAX_LIMIT}")
    size = int(limit or DEFAULT_LIMIT)
    start = paging.offset(
        request.param("position"), lambda: AwsError("BadRequestException", "Invalid position")
    )
    listed = list(certificates(request.account, request.region).values())
    result: dict[str, Any] = {"items": [c.item() for c in listed[start : start + size]]}
    if start + size < len(listed):
        result["position"] = paging.token(start + size)
    return result


def _identified(request: Request) -> tuple[dict[str, ClientCertificate], str]:
    store = certificates(request.account, request.region)
    identifier = request.param("clientcertificate_id") or request.path.rstrip("/").split("/")[-1]
    if identifier not in store:
        raise AwsError("NotFoundException", "Invalid Client Certificate identifier specified")
    return store, identifier


def get_client_certificate(request: Request) -> dict[str, Any]:
    store, identifier = _identified(request)
    return store[identifier].item()


def delete_client_certificate(request: Request) -> dict[str, Any]:
    store, identifier = _identified(request)
    del store[identifier]
    return {}


# Helpers ########################################################################################


def _aged(expiration: datetime) -> tuple[datetime, datetime]:
    expiration = expiration.astimezone(timezone.utc).replace(microsecond=0)
    created = min(datetime.now(timezone.utc).replace(microsecond=0), expiration - LIFETIME)
    return created, expiration


def create_client_certificate(
    region: str = DEFAULT_REGION,
    *,
    expiration: datetime,
    description: str = "",
    tags: Mapping[str, str] | None = None,
    account_id: str = ACCOUNT_ID,
) -> str:
    """A client certificate that expires at ``expiration``; its id."""
    kwargs: dict[str, Any] = {"description": description}
    if tags:
        kwargs["tags"] = dict(tags)
    identifier: str = client("apigateway", region).generate_client_certificate(**kwargs)[
        "clientCertificateId"
    ]
    store = certificates(account_id, region)
    created, expiration = _aged(expiration)
    store[identifier] = replace(
        store[identifier],
        created=created,
        expiration=expiration,
        pem=_pem(identifier, created, expiration),
    )
    return identifier


def add_client_certificates(
    region: str = DEFAULT_REGION,
    count: int = 1,
    *,
    expiration: datetime,
    account_id: str = ACCOUNT_ID,
) -> list[str]:
    """``count`` client certificates straight into the emulator, expiring at ``expiration``;
    their ids, oldest first."""
    store = certificates(account_id, region)
    created, expiration = _aged(expiration)
    return [_make(store, "", {}, created, expiration).id for _ in range(count)]
