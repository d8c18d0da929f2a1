"""A value checked against a botocore service model: what AWS validates and botocore does not.

botocore's own parameter validation (which a Stubber-backed client runs) checks member names,
required members, types and minimum lengths, but not maximum lengths, patterns or enums: those
AWS checks on its side, and moto mostly does not. ``violations`` walks a value through its shape and
reports every breach of ``required``, unknown members, types, ``min``/``max`` (lengths, counts and
numbers), ``pattern`` and ``enum``. Patterns are searched like AWS's (Java regex semantics, anchored
only where the pattern says so); the few Java-only constructs Python cannot compile are counted
in ``UNCHECKED_PATTERNS`` rather than silently passed.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

UNCHECKED_PATTERNS: set[str] = set()


@cache
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def operation(service: str, name: str) -> OperationModel:
    """An operation by its API name (``CreateDatasetImportJob``) or camelCase (``createDatasetImportJob``)."""
    model = service_model(service)
    by_lower = {op.lower(): op for op in model.operation_names}
    return model.operation_model(by_lower[name.lower()])


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    translated = (
        pattern.replace(r"\p{L}", "a-zA-Z").replace(r"\p{N}", "0-9").replace(r"\p{P}", r"!-/:-@\[-`{-~")
    )
    try:
        return re.compile(translated, re.DOTALL)
    except re.error:
        UNCHECKED_PATTERNS.add(pattern)
        return None


def member_named(shape: StructureShape, name: str) -> str | None:
    """The member ``name`` refers to: exact, else the one with the same lower-case spelling
    (Step Functions' aws-sdk tasks take PascalCase names for camelCase members)."""
    if name in shape.members:
        return name
    by_lower = {m.lower(): m for m in shape.members}
    return by_lower.get(name.lower())


def violations(shape: Shape, value: Any, path: str = "$", *, case_insensitive: bool = False) -> list[str]:
    """Every way ``value`` breaks ``shape`` (empty: AWS would accept it as far as the model says)."""
    out: list[str] = []
    meta = shape.metadata
    kind = shape.type_name
    if meta.get("document"):  # a document type: any JSON value (e.g. a tool's JSON Schema)
        return out
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            return [f"{path}: expected a structure, got {type(value).__name__}"]
        seen = set()
        for key, item in value.items():
            member = member_named(shape, key) if case_insensitive else (key if key in shape.members else None)
            if member is None:
                out.append(f"{path}.{key}: not a member of {shape.name} ({sorted(shape.members)})")
                continue
            seen.add(member)
            out += violations(
                shape.members[member], item, f"{path}.{member}", case_insensitive=case_insensitive
            )
        for required in shape.required_members:
            if required not in seen:
                out.append(f"{path}.{required}: required by {shape.name}, missing")
        return out
    if isinstance(shape, ListShape):
        if not isinstance(value, list | tuple):
            return [f"{path}: expected a list, got {type(value).__name__}"]
        out += _bounds(meta, len(value), path, "items")
        for i, item in enumerate(value):
            out += violations(shape.member, item, f"{path}[{i}]", case_insensitive=case_insensitive)
        return out
    if isinstance(shape, MapShape):
        if not isinstance(value, dict):
            return [f"{path}: expected a map, got {type(value).__name__}"]
        out += _bounds(meta, len(value), path, "entries")
        for key, item in value.items():
            out += violations(shape.key, key, f"{path}<key {key!r}>", case_insensitive=case_insensitive)
            out += violations(shape.value, item, f"{path}[{key!r}]", case_insensitive=case_insensitive)
        return out
    if kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected a string, got {type(value).__name__}"]
        out += _bounds(meta, len(value), path, "characters")
        pattern = meta.get("pattern")
        if pattern and (compiled := _compiled(pattern)) is not None and not compiled.search(value):
            out.append(f"{path}: {value!r} does not match {pattern}")
        if shape.enum and value not in shape.enum:
            out.append(f"{path}: {value!r} is not one of {shape.enum}")
        return out
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{path}: expected an integer, got {type(value).__name__}"]
        return _bounds(meta, value, path, "")
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [f"{path}: expected a number, got {type(value).__name__}"]
        return _bounds(meta, value, path, "")
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{path}: expected a boolean, got {type(value).__name__}"]
    if kind == "timestamp":
        ok = isinstance(value, dt.datetime | str | int | float)
        return [] if ok else [f"{path}: expected a timestamp, got {type(value).__name__}"]
    if kind == "blob":
        ok = isinstance(value, bytes | bytearray | str) or hasattr(value, "read")
        return [] if ok else [f"{path}: expected bytes, got {type(value).__name__}"]
    return out


def _bounds(meta: dict[str, Any], size: float, path: str, unit: str) -> list[str]:
    out = []
    if "min" in meta and size < meta["min"]:
        out.append(f"{path}: {size} {unit} is below the minimum {meta['min']}".replace("  ", " "))
    if "max" in meta and size > meta["max"]:
        out.append(f"{path}: {size} {unit} is above the maximum {meta['max']}".replace("  ", " "))
    return out


def input_violations(service: str, operation_name: str, params: dict[str, Any], **kw: Any) -> list[str]:
    """``violations`` of an operation's request parameters."""
    return violations(operation(service, operation_name).input_shape, params, **kw)
