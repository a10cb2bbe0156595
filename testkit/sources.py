"""One certificate of any source beyond ACM, seeded through its service's helper, and the
resource a scan's finding names it by (issue 18).

``seed_source(source, region=DEFAULT_REGION, *, name, not_after, **options)`` -> the ARN a scan
reports: ``source`` is the handler's name for it (``SOURCE_NAMES`` but ``acm``), ``region``
where it is made (IAM and SAML are global: the region is not used), ``not_after`` when its
certificate expires, ``options`` what the helper takes beyond that (a Private CA's or an IoT
CA certificate's ``status``; an APNs application's ``enabled``, and ``not_after=None`` for one
that is token-based). ``name`` is, by source:

- ``iam``: the server certificate's name (``upload_server_certificate``);
- ``private-ca``: the CA's common name (``create_private_ca``);
- ``rds``: the DB instance's identifier (``create_db_instance``);
- ``api-gateway``: the client certificate's description, which may be empty
  (``create_client_certificate``);
- ``iot``: the CA certificate's common name (``register_iot_ca``);
- ``saml``: the provider's name (``create_saml_provider``);
- ``transfer``: the certificate's common name (``import_transfer_certificate``);
- ``directory-service``: the LDAPS certificate's common name, in a Managed Microsoft AD of its
  own (``create_directory_with_certificate``);
- ``dms``: the certificate's identifier (``import_dms_certificate``);
- ``sns-apns``: the platform application's name (``create_apns_application``).

The ARN is the service's, or, where the service gives none (API Gateway client certificates,
Directory Service certificates), the one AWS's ARN format gives and the handler builds:
``client_certificate_arn(region, id)``, ``directory_certificate_arn(region, directory,
certificate)``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from testkit.acmpca import create_private_ca
from testkit.apigateway import create_client_certificate
from testkit.certificates import upload_server_certificate
from testkit.dms import import_dms_certificate
from testkit.ds import create_directory_with_certificate
from testkit.environment import ACCOUNT_ID, DEFAULT_REGION, client, partition
from testkit.iam import create_saml_provider
from testkit.iot import register_iot_ca
from testkit.rds import create_db_instance
from testkit.sns import create_apns_application
from testkit.transfer import certificate_arn, import_transfer_certificate


def client_certificate_arn(region: str, identifier: str) -> str:
    """An API Gateway client certificate's ARN (API Gateway's resource path; no account)."""
    return f"arn:{partition(region)}:apigateway:{region}::/clientcertificates/{identifier}"


def directory_certificate_arn(
    region: str, directory: str, certificate: str, account: str = ACCOUNT_ID
) -> str:
    """A Directory Service certificate's id as the handler builds it from its directory's."""
    return (
        f"arn:{partition(region)}:ds:{region}:{account}:directory/{directory}"
        f"/certificate/{certificate}"
    )


def _iam(region: str, name: str, not_after: datetime, **options: Any) -> str:
    return upload_server_certificate(
        client("iam"), name=name, days_left=0, now=not_after, offset=timedelta(0), **options
    )


def _private_ca(region: str, name: str, not_after: datetime, **options: Any) -> str:
    return create_private_ca(region, common_name=name, not_after=not_after, **options)


def _rds(region: str, name: str, not_after: datetime, **options: Any) -> str:
    return create_db_instance(region, name, valid_till=not_after, **options)


def _api_gateway(region: str, name: str, not_after: datetime, **options: Any) -> str:
    identifier = create_client_certificate(
        region, expiration=not_after, description=name, **options
    )
    return client_certificate_arn(region, identifier)


def _iot(region: str, name: str, not_after: datetime, **options: Any) -> str:
    return register_iot_ca(region, common_name=name, not_after=not_after, **options)[0]


def _saml(region: str, name: str, not_after: datetime, **options: Any) -> str:
    return create_saml_provider(name, signing_not_after=not_after, **options)


def _transfer(region: str, name: str, not_after: datetime, **options: Any) -> str:
    identifier = import_transfer_certificate(
        region, common_name=name, not_after=not_after, **options
    )
    return certificate_arn(region, ACCOUNT_ID, identifier)


def _directory(region: str, name: str, not_after: datetime, **options: Any) -> str:
    directory, certificate = create_directory_with_certificate(
        region, common_name=name, not_after=not_after, **options
    )
    return directory_certificate_arn(region, directory, certificate)


def _dms(region: str, name: str, not_after: datetime, **options: Any) -> str:
    return import_dms_certificate(region, name, not_after=not_after, **options)


def _apns(region: str, name: str, not_after: datetime | None, **options: Any) -> str:
    return create_apns_application(region, name, not_after=not_after, **options)


SEEDERS: dict[str, Callable[..., str]] = {
    "iam": _iam,
    "private-ca": _private_ca,
    "rds": _rds,
    "api-gateway": _api_gateway,
    "iot": _iot,
    "saml": _saml,
    "transfer": _transfer,
    "directory-service": _directory,
    "dms": _dms,
    "sns-apns": _apns,
}


def seed_source(
    source: str,
    region: str = DEFAULT_REGION,
    *,
    name: str,
    not_after: datetime | None,
    **options: Any,
) -> str:
    """One certificate of ``source`` (see the module docstring); the ARN a scan reports."""
    if source not in SEEDERS:
        raise ValueError(f"no source {source!r} beyond ACM; one of {', '.join(SEEDERS)}")
    if not_after is None and source != "sns-apns":
        raise ValueError(f"a {source} certificate needs its not_after")
    return SEEDERS[source](region, name, not_after, **options)
