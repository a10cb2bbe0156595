"""IAM policy evaluation and CloudFormation rendering, small enough to read, for the tests of
``template.yaml``, ``iam_policy.json`` and the policies the docs tell people to write.

moto never evaluates a topic policy, a key policy or a condition on a service principal, so
"may CloudWatch alarms of a member account publish to this topic?" has to be answered here,
the way AWS answers it:

- ``decide(statements, request)``: an explicit ``Deny`` wins, then any ``Allow``, else the
  implicit deny ("Policy evaluation logic", IAM User Guide). A statement applies when its
  ``Principal`` (resource policies only), ``Action``, ``Resource`` and every ``Condition``
  match. Only what our policies use is supported; anything else raises ``NotImplementedError``
  rather than being answered wrongly.
- Conditions ("IAM JSON policy elements: Condition operators"): condition key names are
  case-insensitive, values are not (``StringEquals``, ``StringLike``, ``ArnLike``, ``Bool``,
  and their ``Not`` and ``IfExists`` forms). The operators of one block must all match, and a key
  matches when any of its values does. A key missing from the request context fails the
  condition, except with ``...IfExists`` and the negated operators.
- ARNs ("IAM JSON policy elements: Resource"; ``ArnLike``): ``*`` and ``?`` match within each of
  the six colon-separated parts separately. AWS also lets a ``*`` at the end of a part run
  past a colon; keeping each part separate is stricter, so an ``Allow`` found here holds on AWS.
- Principals: ``"*"`` and ``{"AWS": "*"}`` match every caller, service principals included;
  ``{"Service": name}`` that service; ``{"AWS": arn}`` that principal, and an account's
  ``...:root`` (or its id) every principal of the account (the key policy's delegation to IAM).

``render(template, parameters, physical)`` resolves a template's conditions and intrinsic
functions (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::If``, ``Fn::Join``, ``Fn::Equals``,
``Fn::Not``, ``Fn::And``, ``Fn::Or``) for given parameter values, as CloudFormation does, into
the resources a stack would have; ``accepts(template, name, value)`` says whether
CloudFormation takes that value for the parameter.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

# Policy evaluation ############################################################################


@dataclass(frozen=True)
class Request:
    """One call: who (``principal_type`` ``"AWS"`` or ``"Service"``, ``principal`` an ARN or a
    service name), what, on which resource, and the request context's condition keys."""

    action: str
    resource: str
    principal_type: str
    principal: str
    context: Mapping[str, str] = field(default_factory=dict)

    @property
    def account(self) -> str | None:
        parts = self.principal.split(":")
        return parts[4] if self.principal_type == "AWS" and len(parts) > 5 else None


def _glob(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def arn_like(pattern: str, arn: str) -> bool:
    """``pattern`` matches ``arn`` as a policy's Resource or ``ArnLike`` does (module docstring)."""
    if pattern == "*":
        return True
    wanted, given = pattern.split(":", 5), arn.split(":", 5)
    if len(wanted) != 6 or len(given) != 6:
        return False
    return all(_glob(w, g) for w, g in zip(wanted, given, strict=True))


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _principal_matches(principal: Any, request: Request) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping) or not set(principal) <= {"AWS", "Service"}:
        raise NotImplementedError(f"Principal {principal!r}")
    if request.principal_type == "Service":
        return request.principal in _as_list(principal.get("Service", [])) or "*" in _as_list(
            principal.get("AWS", [])
        )
    for given in _as_list(principal.get("AWS", [])):
        if given == "*" or given == request.principal:
            return True
        account = given if re.fullmatch(r"\d{12}", given) else None
        if re.fullmatch(r"arn:[a-z-]+:iam::\d{12}:root", given):
            account = given.split(":")[4]
        if account is not None and account == request.account:
            return True
    return False


def _operator_matches(operator: str, keys: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    base, if_exists = (
        (operator[: -len("IfExists")], True)
        if operator.endswith("IfExists")
        else (
            operator,
            False,
        )
    )
    tests = {
        "StringEquals": lambda wanted, given: wanted == given,
        "StringLike": lambda wanted, given: _glob(wanted, given),
        "ArnEquals": arn_like,
        "ArnLike": arn_like,
        "Bool": lambda wanted, given: str(wanted).lower() == given.lower(),
    }
    negated = base in ("StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike")
    test = tests.get(base.replace("Not", "", 1) if negated else base)
    if test is None:
        raise NotImplementedError(f"condition operator {operator}")
    lowered = {key.lower(): value for key, value in context.items()}
    for key, wanted in keys.items():
        given = lowered.get(key.lower())
        if given is None:
            if not (if_exists or negated):
                return False
            continue
        matched = any(test(str(value), given) for value in _as_list(wanted))
        if matched == negated:
            return False
    return True


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    unsupported = {"NotAction", "NotResource", "NotPrincipal"} & set(statement)
    if unsupported:
        raise NotImplementedError(", ".join(sorted(unsupported)))
    if "Principal" in statement and not _principal_matches(statement["Principal"], request):
        return False
    if not any(_glob(a, request.action, ignore_case=True) for a in _as_list(statement["Action"])):
        return False
    if not any(arn_like(r, request.resource) for r in _as_list(statement["Resource"])):
        return False
    return all(
        _operator_matches(operator, keys, request.context)
        for operator, keys in statement.get("Condition", {}).items()
    )


def decide(statements: list[Mapping[str, Any]], request: Request) -> str:
    """``"Deny"`` (an explicit deny applies), ``"Allow"``, or ``"ImplicitDeny"``."""
    applying = [s["Effect"] for s in statements if statement_applies(s, request)]
    if "Deny" in applying:
        return "Deny"
    return "Allow" if "Allow" in applying else "ImplicitDeny"


def allows(statements: list[Mapping[str, Any]], *requests: Request) -> bool:
    """Whether the statements allow every one of ``requests``."""
    return all(decide(statements, request) == "Allow" for request in requests)


# CloudFormation rendering #####################################################################

NO_VALUE = object()


def accepts(template: Mapping[str, Any], name: str, value: str) -> bool:
    """Whether CloudFormation takes ``value`` for the parameter (AllowedValues, AllowedPattern,
    MinLength, MinValue, MaxValue)."""
    parameter = template["Parameters"][name]
    if "AllowedValues" in parameter and value not in [str(v) for v in parameter["AllowedValues"]]:
        return False
    pattern = parameter.get("AllowedPattern")
    if pattern is not None and re.fullmatch(pattern, value) is None:
        return False
    if len(value) < parameter.get("MinLength", 0):
        return False
    if parameter["Type"] == "Number":
        number = float(value)
        return parameter.get("MinValue", number) <= number <= parameter.get("MaxValue", number)
    return True


class Rendered:
    """The stack ``template`` makes from ``parameters`` (unset ones take their Default):
    ``conditions`` by name, and ``resources`` (those whose condition holds) with every
    intrinsic function resolved. A resource's ``Ref`` or ``Fn::GetAtt`` is looked up in
    ``physical`` (``"Topic"``, ``"TopicKey.Arn"``), else shown as ``<Topic>``/``<TopicKey.Arn>``."""

    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, str],
        physical: Mapping[str, str] | None = None,
        *,
        account: str = "111122223333",
        region: str = "us-east-1",
        partition: str = "aws",
    ) -> None:
        self.template = template
        self.physical = dict(physical or {})
        self.parameters = {
            name: str(parameters[name]) if name in parameters else str(spec.get("Default", ""))
            for name, spec in template["Parameters"].items()
        }
        unknown = set(parameters) - set(self.parameters)
        if unknown:
            raise KeyError(f"not parameters of the template: {sorted(unknown)}")
        self.pseudo = {
            "AWS::AccountId": account,
            "AWS::Region": region,
            "AWS::Partition": partition,
            "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
            "AWS::StackName": "handle-expiring-certificates",
        }
        self.conditions: dict[str, bool] = {}
        for name in template.get("Conditions", {}):
            self._condition(name)
        self.resources = {
            logical_id: self.resolve(resource)
            for logical_id, resource in template["Resources"].items()
            if self.conditions.get(resource.get("Condition", ""), True)
        }

    def _condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = bool(self.resolve(self.template["Conditions"][name]))
        return self.conditions[name]

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.template["Resources"]:
            return self.physical.get(name, f"<{name}>")
        raise KeyError(f"Ref to {name!r}")

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match[1]
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                return str(self.physical.get(name, f"<{name}>"))
            return str(self._ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(argument)
            if key == "Condition":
                return self._condition(argument)
            if key == "Fn::GetAtt":
                resource, attribute = (
                    argument if isinstance(argument, list) else (argument.split(".", 1))
                )
                return self.physical.get(f"{resource}.{attribute}", f"<{resource}.{attribute}>")
            if key == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                return self._sub(text, variables)
            if key == "Fn::If":
                condition, if_true, if_false = argument
                return self.resolve(if_true if self._condition(condition) else if_false)
            if key == "Fn::Join":
                separator, items = argument
                return separator.join(str(item) for item in self.resolve(items))
            if key == "Fn::Equals":
                left, right = (self.resolve(a) for a in argument)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self.resolve(argument[0])
            if key == "Fn::And":
                return all(self.resolve(a) for a in argument)
            if key == "Fn::Or":
                return any(self.resolve(a) for a in argument)
            if key.startswith("Fn::"):
                raise NotImplementedError(key)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def properties(self, logical_id: str) -> dict[str, Any]:
        properties: dict[str, Any] = self.resources[logical_id]["Properties"]
        return properties


def switch_combinations(template: Mapping[str, Any]) -> Iterator[dict[str, str]]:
    """Every combination of the template's ``"true"``/``"false"`` parameters."""
    switches = [
        name
        for name, spec in template["Parameters"].items()
        if sorted(str(v) for v in spec.get("AllowedValues", [])) == ["false", "true"]
    ]
    for values in itertools.product(["true", "false"], repeat=len(switches)):
        yield dict(zip(switches, values, strict=True))
