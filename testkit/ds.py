"""AWS Directory Service as AWS answers where moto 5.2 does not; each piece names the AWS
behaviour it mirrors.

- ``DescribeDirectories`` (moto's, paged by ``Limit`` and ``NextToken``): a Managed Microsoft AD
  has ``DesiredNumberOfDomainControllers`` 2, AWS's minimum; other directories have none (moto
  gives 0, which botocore's model refuses: minimum 2).
- Certificates for secure LDAP and client certificate authentication, which moto lacks:
  ``RegisterCertificate`` (``CertificateData`` PEM, ``Type`` ``ClientLDAPS`` by default or
  ``ClientCertAuth``) reads the certificate: id ``c-`` and 10 hex digits, ``CommonName`` and
  ``ExpiryDateTime`` (its ``NotAfter``), ``State`` ``Registered`` (AWS passes through
  ``Registering`` for a while), ``StateReason`` "Certificate registered successfully.". The
  same certificate twice: ``CertificateAlreadyExistsException``; bad PEM:
  ``InvalidCertificateException``.
- ``ListCertificates`` (``DirectoryId``): ``Limit`` 1..50 (``InvalidParameterException``
  outside), ``NextToken``; items ``{CertificateId, CommonName, State, ExpiryDateTime, Type}``.
  ``DescribeCertificate``: the ``Certificate`` shape. ``DeregisterCertificate`` removes it
  (AWS shows ``Deregistering`` first). An unknown directory: ``DirectoryDoesNotExistException``;
  an unknown certificate: ``CertificateDoesNotExistException``.
- A Simple AD (or a directory shared from another account) has no LDAPS certificates: the
  certificate operations answer ``UnsupportedOperationException`` "LDAPS operations are not
  supported for this Directory Type." (what AWS answers; e.g. Steampipe's AWS plugin skips
  directories on exactly that error). A Managed Microsoft AD (server-side LDAPS) and an AD
  Connector (client-side LDAPS) keep certificates.

Helpers (boto3, both fixtures): ``create_directory(region, *, microsoft_ad=True)`` ->
directory id (a Managed Microsoft AD, or a Simple AD, in a new VPC);
``create_directory_with_certificate(region, *, common_name, not_after, state="Registered")`` ->
``(directory id, certificate id)``, the state set as AWS would show it in the middle of a
registration (``Registering``, ``RegisterFailed``, ``Deregistering``, ...).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from testkit import paging
from testkit.certificates import make_certificate
from testkit.environment import ACCOUNT_ID, DEFAULT_REGION, client
from testkit.errors import AwsError
from testkit.moto_internals import Patcher, Request, directories, kit_state

MAX_LIMIT = 50
LDAPS_DIRECTORY_TYPES = ("MicrosoftAD", "ADConnector")
STATES = (
    "Registering",
    "Registered",
    "RegisterFailed",
    "Deregistering",
    "Deregistered",
    "DeregisterFailed",
)


@dataclass(frozen=True)
class DirectoryCertificate:
    id: str
    pem: str
    common_name: str
    expiry: datetime
    registered: datetime
    type: str
    state: str = "Registered"
    state_reason: str = "Certificate registered successfully."
    ocsp_url: str | None = None

    def info(self) -> dict[str, Any]:
        """The ``CertificateInfo`` shape of ``ListCertificates``."""
        return {
            "CertificateId": self.id,
            "CommonName": self.common_name,
            "State": self.state,
            "ExpiryDateTime": self.expiry,
            "Type": self.type,
        }

    def described(self) -> dict[str, Any]:
        """The ``Certificate`` shape of ``DescribeCertificate``."""
        described = {
            **self.info(),
            "StateReason": self.state_reason,
            "RegisteredDateTime": self.registered,
        }
        if self.ocsp_url:
            described["ClientCertAuthSettings"] = {"OCSPUrl": self.ocsp_url}
        return described


def install(patch: Patcher) -> None:
    """Directory Service's strictness and certificates, undone with the patcher's monkeypatch."""
    patch.amend("ds", "DescribeDirectories", _domain_controllers)
    patch.answer("ds", "RegisterCertificate", register_certificate)
    patch.answer("ds", "ListCertificates", list_certificates)
    patch.answer("ds", "DescribeCertificate", describe_certificate)
    patch.answer("ds", "DeregisterCertificate", deregister_certificate)


def _domain_controllers(request: Request, data: dict[str, Any]) -> None:
    for directory in data["DirectoryDescriptions"]:
        if directory["Type"] == "MicrosoftAD":
            directory["DesiredNumberOfDomainControllers"] = max(
                2, directory.get("DesiredNumberOfDomainControllers") or 0
            )
        else:
            directory.pop("DesiredNumberOfDomainControllers", None)


def certificates(account: str, region: str, directory_id: str) -> dict[str, DirectoryCertificate]:
    """The certificates registered in one directory, by id, in registration order."""
    by_directory: dict[str, dict[str, DirectoryCertificate]] = kit_state(
        "ds", account, region
    ).setdefault("certificates", {})
    return by_directory.setdefault(directory_id, {})


def _directory(request: Request) -> dict[str, DirectoryCertificate]:
    directory_id = request.param("DirectoryId")
    directory = directories(request.account, request.region).get(directory_id)
    if directory is None:
        raise AwsError(
            "DirectoryDoesNotExistException", f"Directory {directory_id} does not exist."
        )
    if directory.type not in LDAPS_DIRECTORY_TYPES:
        raise AwsError(
            "UnsupportedOperationException",
            "LDAPS operations are not supported for this Directory Type.",
        )
    return certificates(request.account, request.region, directory_id)


def register_certificate(request: Request) -> dict[str, Any]:
    store = _directory(request)
    pem = str(request.param("CertificateData") or "")
    try:
        certificate = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as error:
        raise AwsError("InvalidCertificateException", "The certificate is not valid.") from error
    if any(c.pem.strip() == pem.strip() for c in store.values()):
        raise AwsError(
            "CertificateAlreadyExistsException",
            "The certificate has already been registered into the system.",
        )
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    identifier = "c-" + hashlib.sha256(f"{pem}{secrets.token_hex(4)}".encode()).hexdigest()[:10]
    store[identifier] = DirectoryCertificate(
        id=identifier,
        pem=pem,
        common_name=str(names[0].value) if names else "",
        expiry=certificate.not_valid_after_utc,
        registered=datetime.now(timezone.utc),
        type=request.param("Type") or "ClientLDAPS",
        ocsp_url=(request.param("ClientCertAuthSettings") or {}).get("OCSPUrl"),
    )
    return {"CertificateId": identifier}


def list_certificates(request: Request) -> dict[str, Any]:
    store = _directory(request)
    limit = request.param("Limit")
    if limit is not None and not 1 <= int(limit) <= MAX_LIMIT:
        raise AwsError("InvalidParameterException", f"Limit must be between 1 and {MAX_LIMIT}.")
    size = int(limit or MAX_LIMIT)
    start = paging.offset(
        request.param("NextToken"),
        lambda: AwsError("InvalidNextTokenException", "The NextToken value is not valid."),
    )
    listed = list(store.values())
    result: dict[str, Any] = {"CertificatesInfo": [c.info() for c in listed[start : start + size]]}
    if start + size < len(listed):
        result["NextToken"] = paging.token(start + size)
    return result


def _certificate(request: Request) -> tuple[dict[str, DirectoryCertificate], str]:
    store = _directory(request)
    identifier = request.param("CertificateId")
    if identifier not in store:
        raise AwsError(
            "CertificateDoesNotExistException", f"Certificate {identifier} does not exist."
        )
    return store, identifier


def describe_certificate(request: Request) -> dict[str, Any]:
    store, identifier = _certificate(request)
    return {"Certificate": store[identifier].described()}


def deregister_certificate(request: Request) -> dict[str, Any]:
    store, identifier = _certificate(request)
    del store[identifier]
    return {}


# Helpers ########################################################################################


def create_directory(region: str = DEFAULT_REGION, *, microsoft_ad: bool = True) -> str:
    """A Managed Microsoft AD (or a Simple AD) in a VPC of its own, two subnets; its id."""
    ec2 = client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(zones)
    ]
    ds = client("ds", region)
    name = f"corp{secrets.token_hex(3)}.example.com"
    settings = {"VpcId": vpc, "SubnetIds": subnets}
    if microsoft_ad:
        created = ds.create_microsoft_ad(
            Name=name, Password="Passw0rd!Example", Edition="Standard", VpcSettings=settings
        )
    else:
        created = ds.create_directory(
            Name=name, Password="Passw0rd!Example", Size="Small", VpcSettings=settings
        )
    directory_id: str = created["DirectoryId"]
    return directory_id


def create_directory_with_certificate(
    region: str = DEFAULT_REGION,
    *,
    common_name: str,
    not_after: datetime,
    state: str = "Registered",
    account_id: str = ACCOUNT_ID,
) -> tuple[str, str]:
    """A Managed Microsoft AD with an LDAPS certificate for ``common_name`` that expires at
    ``not_after``, in ``state``; the directory's id and the certificate's."""
    if state not in STATES:
        raise ValueError(f"state is one of {', '.join(STATES)}, not {state!r}")
    directory_id = create_directory(region)
    certificate, _ = make_certificate(common_name, not_after=not_after)
    certificate_id: str = client("ds", region).register_certificate(
        DirectoryId=directory_id, CertificateData=certificate.decode()
    )["CertificateId"]
    if state != "Registered":
        store = certificates(account_id, region, directory_id)
        reason = f"Certificate state: {state}."
        store[certificate_id] = replace(store[certificate_id], state=state, state_reason=reason)
    return directory_id, certificate_id
