"""CloudWatch as AWS answers where moto 5.2 does not; and ACM's ``DaysToExpiry`` metrics.

- ``ListMetrics`` returns only metrics with a data point in the last 14 days (AWS: "metrics
  that have not had any new data points in the past two weeks" are not listed; moto: all).
  It already pages at 500 with ``NextToken``. moto's own de-duplication is quadratic (the
  benchmark's 10,000 metrics would take minutes); a set keeps it linear.
- ``GetMetricData``: at most 500 ``MetricDataQueries`` a request (AWS's limit; ``NotEmulated``
  beyond it, as for metric math and Metrics Insights expressions); ``EndTime`` after
  ``StartTime`` (``ValidationError``). moto scans every data point for every query and period;
  an index by metric keeps it linear.

Helpers (boto3, so both the in-process and the server mode):

- ``put_days_to_expiry_metric(region, arn, days, *, timestamp=None)``: one ``DaysToExpiry``
  data point (namespace ``AWS/CertificateManager``, dimension ``CertificateArn``), as ACM
  publishes daily.
- ``put_days_to_expiry_metrics(region, days_by_arn, *, timestamp=None)``: one for each
  certificate, 1,000 a ``PutMetricData`` call (AWS's limit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from testkit.environment import client
from testkit.errors import AwsError, NotEmulated
from testkit.moto_internals import Datum, Patcher

NAMESPACE = "AWS/CertificateManager"
METRIC_NAME = "DaysToExpiry"
METRIC_RETENTION_FOR_LISTING = timedelta(days=14)
MAX_METRIC_DATA_QUERIES = 500
MAX_PUT_METRIC_DATA = 1000

MetricKey = tuple[str, str, frozenset[tuple[str, str]]]


def install(patch: Patcher) -> None:
    """CloudWatch's strictness, undone with the patcher's monkeypatch."""
    patch.serve_metric_listing(recent_metrics)
    patch.serve_metric_data(indexed_metric_data)


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _has_dimensions(datum: Datum, wanted: Iterable[Mapping[str, str]]) -> bool:
    # A filter names a dimension and, optionally, its value.
    return all(
        any(
            name == condition["Name"] and condition.get("Value") in (None, value)
            for name, value in datum.dimensions
        )
        for condition in wanted
    )


def recent_metrics(
    data: Sequence[Datum], metric_name: str, namespace: str, dimensions: list[dict[str, str]]
) -> list[Datum]:
    cutoff = datetime.now(timezone.utc) - METRIC_RETENTION_FOR_LISTING
    seen: set[MetricKey] = set()
    listed: list[Datum] = []
    for datum in data:
        if (namespace and datum.namespace != namespace) or (
            metric_name and datum.name != metric_name
        ):
            continue
        if _as_utc(datum.timestamp) < cutoff or not _has_dimensions(datum, dimensions):
            continue
        key = datum.key
        if datum.dimensions and key in seen:
            continue
        seen.add(key)
        listed.append(datum)
    return listed


def _statistic(values: list[float], stat: str) -> float:
    return {
        "Minimum": min(values),
        "Maximum": max(values),
        "Sum": sum(values),
        "Average": sum(values) / len(values),
        "SampleCount": float(len(values)),
    }[stat]


def indexed_metric_data(
    data: Sequence[Datum],
    queries: list[dict[str, Any]],
    start_time: datetime,
    end_time: datetime,
    scan_by: str,
) -> list[dict[str, Any]]:
    if len(queries) > MAX_METRIC_DATA_QUERIES:
        raise NotEmulated(f"GetMetricData takes at most {MAX_METRIC_DATA_QUERIES} queries")
    if any("MetricStat" not in query for query in queries):
        raise NotEmulated("testkit.cloudwatch: GetMetricData expressions are not emulated")
    start_time, end_time = start_time.replace(microsecond=0), end_time.replace(microsecond=0)
    if start_time >= end_time:
        raise AwsError("ValidationError", "The parameter EndTime must be greater than StartTime.")

    def metric_of(query: dict[str, Any]) -> MetricKey:
        metric = query["MetricStat"]["Metric"]
        dimensions = frozenset((d["Name"], d["Value"]) for d in metric.get("Dimensions", []))
        return (metric["Namespace"], metric["MetricName"], dimensions)

    index: dict[MetricKey, list[Datum]] = {metric_of(query): [] for query in queries}
    for datum in data:
        points = index.get(datum.key)
        if points is not None and start_time <= datum.timestamp < end_time:
            points.append(datum)
    results = []
    for query in queries:
        stat = query["MetricStat"]
        metric = stat["Metric"]
        points = index[metric_of(query)]
        period = timedelta(seconds=int(stat["Period"]))
        values: list[float] = []
        timestamps: list[datetime] = []
        moment = start_time
        while moment < end_time:
            in_period = [p.value for p in points if moment <= p.timestamp < moment + period]
            if in_period:
                values.append(_statistic(in_period, stat["Stat"]))
                timestamps.append(moment)
            moment += period
        if scan_by == "TimestampDescending":
            values.reverse()
            timestamps.reverse()
        if query.get("ReturnData", True):
            results.append(
                {
                    "id": query["Id"],
                    "label": query.get("Label") or f"{metric['MetricName']} {stat['Stat']}",
                    "values": values,
                    "timestamps": timestamps,
                    "status_code": "Complete",
                }
            )
    return results


# Helpers ########################################################################################


def _datum(arn: str, days: float, timestamp: datetime | None) -> dict[str, Any]:
    datum: dict[str, Any] = {
        "MetricName": METRIC_NAME,
        "Dimensions": [{"Name": "CertificateArn", "Value": arn}],
        "Value": days,
        "Unit": "None",
    }
    if timestamp is not None:
        datum["Timestamp"] = timestamp
    return datum


def put_days_to_expiry_metric(
    region: str, arn: str, days: float, *, timestamp: datetime | None = None
) -> None:
    """A ``DaysToExpiry`` data point for ``arn``, as ACM publishes daily."""
    put_days_to_expiry_metrics(region, {arn: days}, timestamp=timestamp)


def put_days_to_expiry_metrics(
    region: str, days_by_arn: Mapping[str, float], *, timestamp: datetime | None = None
) -> None:
    """A ``DaysToExpiry`` data point for each certificate, 1,000 a call."""
    data = [_datum(arn, days, timestamp) for arn, days in days_by_arn.items()]
    cloudwatch = client("cloudwatch", region)
    for start in range(0, len(data), MAX_PUT_METRIC_DATA):
        cloudwatch.put_metric_data(
            Namespace=NAMESPACE, MetricData=data[start : start + MAX_PUT_METRIC_DATA]
        )
