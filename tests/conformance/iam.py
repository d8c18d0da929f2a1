"""A small IAM policy evaluator: does a set of statements allow this action on this resource?

Allow if some Allow statement matches action, resource and conditions, and no Deny does (IAM's
wildcards: ``*`` and ``?``, actions case-insensitive). Conditions: the String*/Arn* operators and
Bool, with ...IfExists, evaluated against the request's context keys; an unknown operator fails
loudly instead of passing.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from typing import Any


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _match(pattern: str, value: str, *, case: bool = True) -> bool:
    if not case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern)


def _condition(block: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    for operator, tests in block.items():
        base, if_exists = operator.removesuffix("IfExists"), operator.endswith("IfExists")
        for key, expected in tests.items():
            actual = context.get(key)
            if actual is None:
                if if_exists:
                    continue
                return False
            wanted = [str(e) for e in as_list(expected)]
            if base in ("StringEquals", "ArnEquals"):
                ok = actual in wanted
            elif base in ("StringLike", "ArnLike"):
                ok = any(_match(w, actual) for w in wanted)
            elif base == "StringEqualsIgnoreCase" or base == "Bool":
                ok = actual.lower() in [w.lower() for w in wanted]
            elif base == "StringNotEquals":
                ok = actual not in wanted
            else:
                raise NotImplementedError(operator)
            if not ok:
                return False
    return True


def _applies(statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str]) -> bool:
    actions = as_list(statement.get("Action", []))
    if not any(_match(a, action, case=False) for a in actions):
        return False
    resources = as_list(statement.get("Resource", "*"))
    if not any(_match(str(r), resource) for r in resources):
        return False
    return _condition(statement.get("Condition", {}), context)


def allowed(
    statements: Iterable[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Mapping[str, str] | None = None,
) -> bool:
    statements = list(statements)
    context = context or {}
    if any(s["Effect"] == "Deny" and _applies(s, action, resource, context) for s in statements):
        return False
    return any(s["Effect"] == "Allow" and _applies(s, action, resource, context) for s in statements)


def role_statements(
    role: Mapping[str, Any], managed: Mapping[str, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Every statement of a (resolved) AWS::IAM::Role: inline policies and the stack's managed ones."""
    props = role["Properties"]
    out: list[dict[str, Any]] = []
    for policy in props.get("Policies", []):
        out += as_list(policy["PolicyDocument"]["Statement"])
    for arn in props.get("ManagedPolicyArns", []):
        out += managed.get(str(arn), [])
    return out
