"""RDS (one API for RDS, Aurora, DocumentDB and Neptune) as AWS answers where moto 5.2 does not;
each piece names the AWS behaviour it mirrors.

- ``DescribeDBInstances``: ``MaxRecords`` 20..100, default 100 (``InvalidParameterValue``
  "Invalid value 19 for MaxRecords. Must be between 20 and 100"), ``Marker`` pages (moto takes
  any ``MaxRecords``); ``DBInstanceIdentifier`` and ``Filters`` as moto applies them. Every
  instance has ``CACertificateIdentifier`` and ``CertificateDetails`` ``{CAIdentifier,
  ValidTill}``, the DB server certificate (moto: no ``CertificateDetails``).
- A DB instance created without ``CACertificateIdentifier`` gets AWS's default CA,
  ``rds-ca-rsa2048-g1`` (moto: ``rds-ca-default``, which is none of AWS's CAs). Its server
  certificate is valid for a year from creation (AWS rotates it before it lapses), never past
  its CA (``rds-ca-2019`` lapsed on 2024-08-22). ``ModifyDBInstance`` to another CA gives the
  instance a new server certificate from that CA.
- DocumentDB: moto knows no ``docdb`` engine; here clusters and instances of it are created
  through the ``docdb`` API (the RDS endpoint) and listed by RDS ``DescribeDBInstances`` with
  ``Engine`` ``docdb``, as AWS lists them beside RDS, Aurora and Neptune instances. Aurora,
  DocumentDB and Neptune instances belong to a cluster (``CreateDBCluster``, then
  ``CreateDBInstance`` with ``DBClusterIdentifier``), as on AWS.

Helper (boto3, both fixtures): ``create_db_instance(region, identifier, *, valid_till,
engine="postgres", ca="rds-ca-rsa2048-g1", tags=None)`` -> the instance's ARN, its server
certificate valid until ``valid_till`` (what AWS would show at that point of its life).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from testkit import paging
from testkit.environment import ACCOUNT_ID, DEFAULT_REGION, client
from testkit.errors import AwsError
from testkit.moto_internals import Patcher, RdsInstance, RdsRegion, Request

MIN_RECORDS = 20
MAX_RECORDS = 100
DEFAULT_CA = "rds-ca-rsa2048-g1"
SERVER_CERTIFICATE_LIFETIME = timedelta(days=365)
# CAs that lapsed (or will) before the server certificates they would sign.
CA_EXPIRY = {"rds-ca-2019": datetime(2024, 8, 22, 17, 8, 50, tzinfo=timezone.utc)}
# Engines whose instances belong to a cluster, by the API boto3 names for them.
CLUSTER_ENGINES = {
    "aurora-postgresql": "rds",
    "aurora-mysql": "rds",
    "docdb": "docdb",
    "neptune": "neptune",
}


def install(patch: Patcher) -> None:
    """RDS's strictness, undone with the patcher's monkeypatch."""
    patch.rds_engine("docdb", port=27017, version="5.0.0")
    patch.after_db_instance_change(_server_certificate)
    patch.answer("rds", "DescribeDBInstances", describe_db_instances)


def _server_certificate(instance: RdsInstance) -> None:
    if instance.ca_identifier == "rds-ca-default":
        instance.ca_identifier = DEFAULT_CA
    details = instance.certificate_details
    if details is not None and details["CAIdentifier"] == instance.ca_identifier:
        return
    issued = datetime.now(timezone.utc) if details is not None else instance.created
    valid_till = issued.replace(microsecond=0) + SERVER_CERTIFICATE_LIFETIME
    ca_expiry = CA_EXPIRY.get(instance.ca_identifier)
    if ca_expiry is not None:
        valid_till = min(valid_till, ca_expiry)
    instance.certificate_details = {"CAIdentifier": instance.ca_identifier, "ValidTill": valid_till}


def describe_db_instances(request: Request) -> dict[str, Any]:
    max_records = request.param("MaxRecords")
    if max_records is not None and not MIN_RECORDS <= int(max_records) <= MAX_RECORDS:
        raise AwsError(
            "InvalidParameterValue",
            f"Invalid value {max_records} for MaxRecords. Must be between {MIN_RECORDS} and "
            f"{MAX_RECORDS}",
        )
    size = int(max_records or MAX_RECORDS)
    start = paging.offset(
        request.param("Marker"), lambda: AwsError("InvalidParameterValue", "Invalid Marker")
    )
    filters = {f["Name"]: f["Values"] for f in request.param("Filters") or []}
    instances = RdsRegion.of(request.account, request.region).describe(
        request.param("DBInstanceIdentifier"), filters
    )
    page = instances[start : start + size]
    for instance in page:
        _server_certificate(instance)
    result: dict[str, Any] = {"DBInstances": [instance.source for instance in page]}
    if start + size < len(instances):
        result["Marker"] = paging.token(start + size)
    return result


# Helpers ########################################################################################


def create_db_instance(
    region: str = DEFAULT_REGION,
    identifier: str = "orders-db",
    *,
    valid_till: datetime,
    engine: str = "postgres",
    ca: str = DEFAULT_CA,
    tags: Mapping[str, str] | None = None,
    account_id: str = ACCOUNT_ID,
) -> str:
    """A DB instance of ``engine`` (in a cluster of its own where the engine has clusters)
    whose server certificate from ``ca`` is valid until ``valid_till``; its ARN."""
    tag_list = [{"Key": key, "Value": value} for key, value in (tags or {}).items()]
    instance: dict[str, Any] = {
        "DBInstanceIdentifier": identifier,
        "DBInstanceClass": "db.r6g.large",
        "Engine": engine,
        "CACertificateIdentifier": ca,
        "Tags": tag_list,
    }
    api = CLUSTER_ENGINES.get(engine)
    if api is None:
        instance.update(AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="x" * 16)
        arn: str = client("rds", region).create_db_instance(**instance)["DBInstance"][
            "DBInstanceArn"
        ]
    else:
        cluster: dict[str, Any] = {"DBClusterIdentifier": f"{identifier}-cluster", "Engine": engine}
        if engine != "neptune":  # Neptune has no master user
            cluster.update(MasterUsername="admin", MasterUserPassword="x" * 16)
        client(api, region).create_db_cluster(**cluster)
        if engine == "neptune":  # Neptune's CreateDBInstance takes no CA: ModifyDBInstance does
            del instance["CACertificateIdentifier"]
        arn = client(api, region).create_db_instance(
            DBClusterIdentifier=cluster["DBClusterIdentifier"], **instance
        )["DBInstance"]["DBInstanceArn"]
        if engine == "neptune":
            client(api, region).modify_db_instance(
                DBInstanceIdentifier=identifier, CACertificateIdentifier=ca, ApplyImmediately=True
            )
    stored = RdsRegion.of(account_id, region).get(identifier)
    stored.certificate_details = {
        "CAIdentifier": ca,
        "ValidTill": valid_till.astimezone(timezone.utc).replace(microsecond=0),
    }
    return arn
