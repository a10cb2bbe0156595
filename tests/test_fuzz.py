"""Bad input, fuzzed: the handler works, or refuses with one of its errors, saying what is wrong.

Events (random JSON, and the six sample events with fields removed, retyped, emptied, or given
foreign ARNs, another service's ARN or another partition's) and settings (random values for every
variable) go through ``lambda_handler`` under strict moto. The property: it returns a summary, or
raises ``ConfigurationError`` / ``UnsupportedEventError`` (before any AWS call, with a message
naming the variable or the problem) or ``IncompleteRunError`` (only for what AWS refused); never
``KeyError``, ``TypeError``, ``IndexError``, ``AttributeError`` or a ``ValueError`` of someone else.

Hypothesis runs derandomised (the same examples on every machine) with few examples, so the
file stays fast; ``@example`` pins the inputs that once got through.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import botocore.httpsession
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from handle_expiring_certificates import (
    ACM_DETAIL_TYPES,
    PARTITIONS,
    SCHEDULED_DETAIL_TYPE,
    CertificateMonitorError,
    ConfigurationError,
    IncompleteRunError,
    UnsupportedEventError,
)
from testkit import EVENTS_DIR, StrictAws, client, enable_hub, invoke, load_event
from testkit.certificates import import_certificate

REGION = "us-east-1"
ACCOUNT = "123456789012"
SAMPLES = sorted(path.stem for path in EVENTS_DIR.glob("*.json"))
# Regions whose endpoints moto answers in-process (*.amazonaws.com); a region of another
# partition would send the request to the network.
SAFE_REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2", "us-gov-west-1"]
FUZZ = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OUR_ERRORS = (ConfigurationError, UnsupportedEventError, IncompleteRunError)


class NetworkUsed(AssertionError):
    pass


@pytest.fixture
def world(aws: StrictAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[StrictAws, str]]:
    """Strict moto with the hub enabled and one certificate in the window; its ARN.

    A request moto does not answer would go to the network: that fails the test instead.
    """

    def send(*_: Any, **__: Any) -> Any:
        raise NetworkUsed("a request left the process: moto does not answer this endpoint")

    monkeypatch.setattr(botocore.httpsession.URLLib3Session, "send", send)
    enable_hub()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    arn = import_certificate(client("acm"), common_name="fuzz.example.com", days_left=5, now=now)
    yield aws, arn


# Strategies #################################################################################

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
EMPTY = st.sampled_from(["", [], {}, None, 0, " "])


def acm_arn(partition: str, region: str, account: str, resource: str) -> str:
    return f"arn:{partition}:acm:{region}:{account}:{resource}"


arns = st.one_of(
    # ACM-like ARNs, some well-formed (foreign account, other partition), some broken.
    st.builds(
        acm_arn,
        st.sampled_from([*PARTITIONS, "aws-foo", "AWS", ""]),
        st.sampled_from([*SAFE_REGIONS, "", "US-EAST-1", "us-east", "us-east-1 "]),
        st.sampled_from([ACCOUNT, "210987654321", "1234", "", "12345678901a"]),
        st.sampled_from(
            [
                "certificate/61f50cd4-45b9-4259-b049-d0a53682fa4b",
                "certificate/",
                "certificate/a b",
                "certificate/abc/def",
                "certificate-authority/abc",
                "",
            ]
        ),
    ),
    # Other services' ARNs, and things that are not ARNs.
    st.sampled_from(
        [
            f"arn:aws:acm-pca:us-east-1:{ACCOUNT}:certificate-authority/abc",
            f"arn:aws:iam::{ACCOUNT}:server-certificate/abc",
            f"arn:aws:sns:us-east-1:{ACCOUNT}:certificate/abc",
            f"arn:aws:events:us-east-1:{ACCOUNT}:rule/weekly",
            "arn:aws:s3:::bucket/certificate/abc",
            "arn:aws:acm:us-east-1",
            f"urn:aws:acm:us-east-1:{ACCOUNT}:certificate/abc",
            "arn",
        ]
    ),
    st.text(max_size=40),
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path (keys and indexes) to a value inside ``value``."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in items:
        yield (*prefix, key)
        if isinstance(child, (dict, list)):
            yield from paths(child, (*prefix, key))


def parent(event: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        event = event[key]
    return event


@st.composite
def mutated_samples(draw: st.DrawFn) -> Any:
    """A sample event with one to three fields removed, retyped, emptied or re-pointed."""
    event: Any = copy.deepcopy(load_event(draw(st.sampled_from(SAMPLES))))
    for _ in range(draw(st.integers(1, 3))):
        operation = draw(st.sampled_from(["remove", "retype", "empty", "arn", "swap"]))
        if operation == "arn":
            event["resources"] = [draw(arns), *draw(st.lists(arns, max_size=1))]
            continue
        if operation == "swap":
            key = draw(st.sampled_from(["detail-type", "source"]))
            event[key] = draw(
                st.sampled_from(
                    [*ACM_DETAIL_TYPES, SCHEDULED_DETAIL_TYPE, "aws.acm", "aws.events", "aws.s3"]
                )
            )
            continue
        candidates = sorted(paths(event), key=repr)
        if not candidates:
            return event
        path = draw(st.sampled_from(candidates))
        container = parent(event, path)
        if operation == "remove":
            del container[path[-1]]
        else:
            container[path[-1]] = draw(json_values if operation == "retype" else EMPTY)
    return event


random_events = st.one_of(
    json_values,
    st.dictionaries(
        st.sampled_from(["detail-type", "source", "resources", "detail", "region", "account"])
        | st.text(max_size=8),
        json_values,
        max_size=5,
    ),
)


def setting_values(valid: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(valid), st.text(max_size=24), st.sampled_from(["", " "]))


def topic_arn(partition: str, service: str, region: str, account: str, name: str) -> str:
    return f"arn:{partition}:{service}:{region}:{account}:{name}"


topic_arns = st.builds(
    topic_arn,
    st.sampled_from([*PARTITIONS, "aws-foo", ""]),
    st.sampled_from(["sns", "sqs", "SNS"]),
    st.sampled_from([*SAFE_REGIONS, "", "eu-west"]),
    st.sampled_from([ACCOUNT, "210987654321", "12"]),
    st.sampled_from(["cert-alerts", "cert-alerts.fifo", "a b", "", "x" * 257]),
)

environments = st.fixed_dictionaries(
    {"AWS_REGION": setting_values(SAFE_REGIONS)},
    optional={
        "EXPIRY_DAYS": setting_values(["1", "30", "45", "3650", "0", "3651", "-1", "1.5"]),
        "SNS_TOPIC_ARN": st.one_of(topic_arns, st.text(max_size=30)),
        "SECURITY_HUB_REGION": setting_values(SAFE_REGIONS),
        "SCAN_REGIONS": setting_values(["us-east-1,eu-west-1", "eu-west-1", ",", "us-east-1,,"]),
        "NOTIFY_DAYS": setting_values(["30,14,7,3,1", "0", "7", "a,b", ","]),
        "DRY_RUN": setting_values(["true", "false", "TRUE", "yes", "1"]),
        "IGNORE_TAG": setting_values(["monitor=ignore", "monitor", "=x", "k=", "k" * 129]),
    },
)


# The property ###############################################################################


def error_of(aws: StrictAws, event: Any, environ: dict[str, str]) -> CertificateMonitorError | None:
    """Run the handler; return our error (None on success); re-raise anything else."""
    aws.calls.clear()
    try:
        invoke(event, environ=environ)
    except OUR_ERRORS as error:
        return error
    return None


def rejected_before_any_call(aws: StrictAws, error: CertificateMonitorError) -> None:
    assert [] == aws.calls, f"{type(error).__name__} after AWS calls: {error}"


def names_the_problem(error: UnsupportedEventError, event: Any) -> None:
    message = str(error)
    assert message.startswith("Unsupported event: ")
    assert all(repr(t) in message for t in (*ACM_DETAIL_TYPES, SCHEDULED_DETAIL_TYPE))
    if not isinstance(event, dict):
        assert f"the event is a {type(event).__name__}, not a JSON object" in message
        return
    detail_type = event.get("detail-type")
    if detail_type not in (*ACM_DETAIL_TYPES, SCHEDULED_DETAIL_TYPE):
        assert f"detail-type is {detail_type!r}" in message
    elif event.get("source") != (
        "aws.events" if detail_type == SCHEDULED_DETAIL_TYPE else "aws.acm"
    ):
        assert "must come from" in message
    else:
        assert "resources[0]" in message


def check_event(aws: StrictAws, event: Any) -> None:
    error = error_of(aws, event, {"AWS_REGION": REGION})
    if isinstance(error, UnsupportedEventError):
        rejected_before_any_call(aws, error)
        names_the_problem(error, event)
    elif isinstance(error, ConfigurationError):
        pytest.fail(f"the settings are valid, yet: {error}")
    elif isinstance(error, IncompleteRunError):
        # Nothing in this world fails for an accepted event: an error means the event's ARN
        # was accepted although AWS cannot use it.
        pytest.fail(f"an accepted event failed at AWS: {error}")


@FUZZ
@given(event=random_events)
@example(event=None)
@example(event=[load_event("scheduled-event")])
@example(event={"detail-type": ["Scheduled Event"], "source": "aws.events"})
def test_random_json_events_are_handled_or_refused_before_any_call(
    world: tuple[StrictAws, str], event: Any
):
    check_event(world[0], event)


@FUZZ
@given(event=mutated_samples())
@example(event=load_event("acm-approaching-expiration", resources=[]))
@example(event=load_event("acm-approaching-expiration", resources=[None]))
@example(event=load_event("acm-approaching-expiration", resources="arn:aws:acm"))
# Not ARNs, yet split into six parts by botocore's ArnParser.
@example(
    event=load_event(
        "acm-approaching-expiration",
        resources=[f"urn:aws:acm:us-east-1:{ACCOUNT}:certificate/61f50cd4-45b9"],
    )
)
# A region boto3 cannot use: "$" matches before a final newline, "\d" any Unicode digit.
@example(
    event=load_event(
        "acm-approaching-expiration",
        resources=[f"arn:aws:acm:us-east-1\n:{ACCOUNT}:certificate/61f50cd4-45b9"],
    )
)
@example(
    event=load_event(
        "acm-approaching-expiration",
        resources=[f"arn:aws:acm:us-east-\u0661:{ACCOUNT}:certificate/61f50cd4-45b9"],
    )
)
@example(
    event=load_event(
        "acm-certificate-expired",
        resources=[f"arn:aws:acm:us-west-2:{ACCOUNT}:certificate/61f50cd4-45b9\n"],
    )
)
def test_mutated_sample_events_are_handled_or_refused_before_any_call(
    world: tuple[StrictAws, str], event: Any
):
    check_event(world[0], event)


@FUZZ
@given(environ=environments, option=st.sampled_from(["scan", "certificate"]))
# A value must fail as a ConfigurationError naming its own variable.
@example(environ={"AWS_DEFAULT_REGION": "nowhere"}, option="scan")
# Values that pass a "$" / "\d" check yet are no region boto3 can use.
@example(environ={"AWS_REGION": REGION, "SECURITY_HUB_REGION": "us-east-\u0661"}, option="scan")
@example(environ={"AWS_REGION": REGION, "SCAN_REGIONS": "eu-west-\u0661"}, option="scan")
@example(
    environ={"AWS_REGION": REGION, "SNS_TOPIC_ARN": f"arn:aws:sns:us-east-1\n:{ACCOUNT}:alerts"},
    option="scan",
)
def test_random_settings_work_or_fail_first_naming_the_variable(
    world: tuple[StrictAws, str], environ: dict[str, str], option: str
):
    aws, arn = world
    event = (
        load_event("scheduled-event")
        if option == "scan"
        else load_event("acm-approaching-expiration", resources=[arn])
    )
    error = error_of(aws, event, environ)
    if isinstance(error, ConfigurationError):
        rejected_before_any_call(aws, error)
        given = environ.get(error.variable, "")
        given_value = given.strip() or given  # whitespace alone is reported as given
        assert (given_value, True) == (error.value, error.variable in str(error))
        assert f"{error.variable}={error.value!r} is not valid: expected " in str(error)
    elif isinstance(error, UnsupportedEventError):
        pytest.fail(f"the event is valid, yet: {error}")
    elif isinstance(error, IncompleteRunError):
        # The only thing AWS refuses here: publishing to a topic that does not exist. Anything
        # else is a setting that was accepted although AWS cannot use it.
        topic = environ.get("SNS_TOPIC_ARN", "").strip()
        expected = f"Publish to {topic} failed (NotFound): "
        assert [] == [e for e in error.summary["errors"] if not e.startswith(expected)]


# Settings, case by case #####################################################################


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SNS_TOPIC_ARN", "cert-alerts"),
        ("SNS_TOPIC_ARN", f"arn:aws:sqs:us-east-1:{ACCOUNT}:cert-alerts"),
        ("SNS_TOPIC_ARN", f"arn:aws-foo:sns:us-east-1:{ACCOUNT}:cert-alerts"),
        ("SNS_TOPIC_ARN", f"arn:aws:sns:us-east-1:{ACCOUNT}:cert alerts"),
        ("SNS_TOPIC_ARN", f"arn:aws:sns::{ACCOUNT}:cert-alerts"),
        ("SNS_TOPIC_ARN", f"arn:aws:sns:us-east-1\n:{ACCOUNT}:cert-alerts"),
        ("SNS_TOPIC_ARN", f"urn:aws:sns:us-east-1:{ACCOUNT}:cert-alerts"),
        ("SECURITY_HUB_REGION", "Ireland"),
        ("SECURITY_HUB_REGION", "eu-west"),
        ("SECURITY_HUB_REGION", "eu-west-\u0661"),
        ("SCAN_REGIONS", "us-east-1;eu-west-1"),
        ("SCAN_REGIONS", "eu-west-\u0661"),
        ("EXPIRY_DAYS", "0"),
        ("EXPIRY_DAYS", "4000"),
    ],
)
def test_a_bad_setting_is_refused_before_any_call_naming_variable_and_value(
    aws: StrictAws, variable: str, value: str
):
    aws.calls.clear()

    with pytest.raises(ConfigurationError) as raised:
        invoke(load_event("scheduled-event"), environ={"AWS_REGION": REGION, variable: value})

    assert (variable, value) == (raised.value.variable, raised.value.value)
    assert str(raised.value).startswith(f"{variable}={value!r} is not valid: expected ")
    assert [] == aws.calls


def test_the_console_test_event_is_refused_saying_which_events_are_accepted(aws: StrictAws):
    aws.calls.clear()

    with pytest.raises(UnsupportedEventError) as raised:
        invoke(load_event("console-default-test-event"))

    assert str(raised.value).startswith(
        "Unsupported event: detail-type is None (event keys: key1, key2, key3). Accepted: "
    )
    assert [] == aws.calls


def test_the_fuzzer_starts_from_the_six_sample_events():
    samples = {name: json.loads((EVENTS_DIR / f"{name}.json").read_text()) for name in SAMPLES}

    assert [
        "acm-approaching-expiration",
        "acm-certificate-expired",
        "acm-renewal-action-required",
        "console-default-test-event",
        "eventbridge-scheduler-default",
        "scheduled-event",
    ] == SAMPLES
    assert all(isinstance(event, dict) for event in samples.values())
