"""Everything derived from the pydantic contract: JSON Schema, OpenAPI, Glue columns.

The derived documents are committed under ``schemas/generated/`` so reviewers can read them and the
template can quote the Glue columns; ``python -m schemas.derive`` rewrites them and a test fails
when the committed copies, the template and the models disagree.
"""

from __future__ import annotations

import json
import sys
import types
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from schemas.engagement import SCHEMA_VERSION, EngagementEvent, LakeRecord
from schemas.features import FEATURE_TABLES, FEATURES_PREFIX, PARTITION_KEY
from schemas.lake_tables import LAKE_TABLES
from schemas.personalize import avro_schemas
from schemas.social import RESULT_TABLES, SOCIAL_POSTS_PREFIX, SocialLakeRecord, SocialPost

GENERATED = Path(__file__).parent / "generated"

LAKE_PARTITION_KEYS: tuple[tuple[str, str], ...] = (
    ("year", "string"),
    ("month", "string"),
    ("day", "string"),
)
"""Partition columns of the events table: Firehose's arrival-time prefix ``year=/month=/day=``."""


def record_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """JSON Schema (2020-12) of one record of a contract, as the API validates it."""
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def record_batch_json_schema(
    model: type[BaseModel], title: str, field: str, max_items: int
) -> dict[str, Any]:
    """JSON Schema of a request body ``{field: [record, ...]}`` (1 to ``max_items`` records), with the
    record's schema inlined under ``$defs`` by the model's name."""
    record = record_json_schema(model)
    defs = record.pop("$defs", {})
    record.pop("$schema", None)
    defs[model.__name__] = record
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "additionalProperties": False,
        "required": [field],
        "properties": {
            field: {
                "type": "array",
                "minItems": 1,
                "maxItems": max_items,
                "items": {"$ref": f"#/$defs/{model.__name__}"},
            }
        },
        "$defs": defs,
    }


def event_json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of one event, as the API validates it."""
    return record_json_schema(EngagementEvent)


def batch_json_schema(max_events: int = 500) -> dict[str, Any]:
    """JSON Schema of the events request body, with the event schema inlined under ``$defs``."""
    return record_batch_json_schema(EngagementEvent, "EventBatch", "events", max_events)


def social_post_json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of one social post, as ``POST /social/posts`` validates it."""
    return record_json_schema(SocialPost)


def social_batch_json_schema(max_posts: int = 500) -> dict[str, Any]:
    """JSON Schema of the social posts request body."""
    return record_batch_json_schema(SocialPost, "SocialPostBatch", "posts", max_posts)


def social_glue_document() -> dict[str, Any]:
    """The ``social-posts`` lake table: columns from :class:`SocialLakeRecord`, arrival-date partitions."""
    return {
        "location": f"{SOCIAL_POSTS_PREFIX}/",
        "columns": glue_columns(SocialLakeRecord),
        "partition_keys": [{"Name": n, "Type": t} for n, t in LAKE_PARTITION_KEYS],
        "results": {
            name: {
                "location": f"influencers/{name}/",
                "columns": glue_columns(model),
                "partition_keys": [{"Name": "as_of", "Type": "string"}],
            }
            for name, model in RESULT_TABLES.items()
        },
    }


def _glue_type(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _glue_type(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        if len(inner) != 1:
            raise TypeError(f"cannot map union {annotation!r} to a Glue type")
        return _glue_type(inner[0])
    if origin is Literal:
        return "string"
    if origin is list:
        (item,) = get_args(annotation)
        return f"array<{_glue_type(item)}>"
    if origin is dict:
        key, value = get_args(annotation)
        return f"map<{_glue_type(key)},{_glue_type(value)}>"
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            fields = ",".join(f"{n}:{_glue_type(f.annotation)}" for n, f in annotation.model_fields.items())
            return f"struct<{fields}>"
        if issubclass(annotation, bool):
            return "boolean"
        if issubclass(annotation, (str, Enum)):
            return "string"
        if issubclass(annotation, int):
            return "bigint"
        if issubclass(annotation, float):
            return "double"
        if issubclass(annotation, datetime):
            return "timestamp"
        if issubclass(annotation, date):
            return "date"
    raise TypeError(f"no Glue type for {annotation!r}")


def glue_columns(model: type[BaseModel] = LakeRecord) -> list[dict[str, str]]:
    """The Glue table's columns (Name/Type, CloudFormation casing) for a lake record model."""
    return [{"Name": name, "Type": _glue_type(f.annotation)} for name, f in model.model_fields.items()]


def _required(annotation: Any) -> bool:
    """A column that is never null: its annotation does not admit ``None``."""
    return get_origin(annotation) not in (Union, types.UnionType) or type(None) not in get_args(annotation)


def feature_tables_document() -> dict[str, Any]:
    """The feature tables the Glue jobs write, per table: location, key, columns (Glue's Name/Type), the
    columns that are never null, and the partition key."""
    return {
        table.name: {
            "description": (table.model.__doc__ or "").strip(),
            "job": table.job,
            "location": f"{FEATURES_PREFIX}/{table.name}/",
            "key": list(table.key),
            "columns": glue_columns(table.model),
            "required": [name for name, f in table.model.model_fields.items() if _required(f.annotation)],
            "partition_keys": [{"Name": PARTITION_KEY[0], "Type": PARTITION_KEY[1]}],
        }
        for table in FEATURE_TABLES
    }


def lake_tables_document() -> dict[str, Any]:
    """The tables shared between stages (predictions, segments): location, columns, partition key."""
    return {
        table.name: {
            "description": (table.model.__doc__ or "").strip(),
            "writer": table.writer,
            "location": table.location,
            "columns": glue_columns(table.model),
            "partition_keys": [{"Name": PARTITION_KEY[0], "Type": PARTITION_KEY[1]}],
        }
        for table in LAKE_TABLES
    }


def openapi_document(max_events: int = 500) -> dict[str, Any]:
    """OpenAPI 3.1 description of the ingestion endpoint (3.1 embeds JSON Schema 2020-12 as is)."""
    batch = batch_json_schema(max_events)
    defs = batch.pop("$defs")
    batch.pop("$schema")
    batch = json.loads(json.dumps(batch).replace("#/$defs/", "#/components/schemas/"))
    defs = json.loads(json.dumps(defs).replace("#/$defs/", "#/components/schemas/"))
    social = social_batch_json_schema(max_events)
    social_defs = social.pop("$defs")
    social.pop("$schema")
    social = json.loads(json.dumps(social).replace("#/$defs/", "#/components/schemas/"))
    social_defs = json.loads(json.dumps(social_defs).replace("#/$defs/", "#/components/schemas/"))
    clash = {k for k in set(defs) & set(social_defs) if defs[k] != social_defs[k]}
    if clash:
        raise ValueError(f"component names used by both contracts with different shapes: {sorted(clash)}")
    defs = {**defs, **social_defs}
    rejection = {
        "type": "object",
        "required": ["index", "field", "message"],
        "properties": {
            "index": {"type": "integer", "description": "Position of the event in the request."},
            "event_id": {"type": ["string", "null"]},
            "field": {
                "type": "string",
                "description": "Dotted path of the offending field, or '' for the event.",
            },
            "code": {"type": "string", "description": "Machine-readable reason."},
            "message": {"type": "string"},
        },
    }
    result = {
        "type": "object",
        "required": ["request_id", "received", "accepted", "duplicates", "rejected"],
        "properties": {
            "request_id": {"type": "string"},
            "received": {"type": "integer"},
            "accepted": {"type": "integer", "description": "New events stored and counted."},
            "duplicates": {"type": "integer", "description": "Events whose event_id was already received."},
            "rejected": {"type": "array", "items": {"$ref": "#/components/schemas/Rejection"}},
            "failed": {"type": "integer", "description": "Events not stored this time; retry the request."},
        },
    }
    error = {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "request_id": {"type": "string"},
        },
    }
    responses = {
        "200": ("Every event was accepted or was a duplicate.", "IngestResult"),
        "207": ("Some events were rejected; the others were accepted.", "IngestResult"),
        "400": ("The body is not JSON, is empty, has the wrong shape, or is badly base64-encoded.", "Error"),
        "403": ("Missing or wrong API key (API Gateway's answer).", "Error"),
        "413": ("Too many events or too large a body.", "Error"),
        "415": ("The body is not application/json.", "Error"),
        "422": ("Every event was rejected; see the per-event reasons.", "IngestResult"),
        "503": ("Storage was unavailable; retry the same request after Retry-After.", "IngestResult"),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Audience platform ingestion API",
            "version": SCHEMA_VERSION,
            "description": (
                "Collects engagement events and social posts. Generated from schemas/engagement.py "
                "and schemas/social.py."
            ),
        },
        "components": {
            "schemas": {
                **defs,
                "EventBatch": batch,
                "SocialPostBatch": social,
                "Rejection": rejection,
                "IngestResult": result,
                "Error": error,
            },
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}},
        },
        "security": [{"ApiKey": []}],
        "paths": {
            "/events": {
                "post": {
                    "operationId": "postEvents",
                    "summary": "Send a batch of engagement events",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/EventBatch"}}
                        },
                    },
                    "responses": {
                        code: {
                            "description": text,
                            "content": {
                                "application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}
                            },
                        }
                        for code, (text, ref) in responses.items()
                    },
                }
            },
            "/social/posts": {
                "post": {
                    "operationId": "postSocialPosts",
                    "summary": "Send a batch of social posts (deduplicated by platform and post_id)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/SocialPostBatch"}}
                        },
                    },
                    "responses": {
                        code: {
                            "description": text.replace("event", "post"),
                            "content": {
                                "application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}
                            },
                        }
                        for code, (text, ref) in responses.items()
                    },
                }
            },
            "/health": {
                "get": {"operationId": "health", "security": [], "responses": {"200": {"description": "OK"}}}
            },
        },
    }


def documents() -> dict[str, Any]:
    return {
        "engagement_event.schema.json": event_json_schema(),
        "event_batch.schema.json": batch_json_schema(),
        "openapi.json": openapi_document(),
        "glue_columns.json": {
            "columns": glue_columns(),
            "partition_keys": [{"Name": n, "Type": t} for n, t in LAKE_PARTITION_KEYS],
        },
        "feature_tables.json": feature_tables_document(),
        "lake_tables.json": lake_tables_document(),
        "personalize_schemas.json": avro_schemas(),
        "social_post.schema.json": social_post_json_schema(),
        "social_post_batch.schema.json": social_batch_json_schema(),
        "social_glue_columns.json": social_glue_document(),
    }


def render(doc: Any) -> str:
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the derived documents, or with ``--check`` exit 1 if any committed copy is stale."""
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    GENERATED.mkdir(exist_ok=True)
    stale = []
    for name, doc in documents().items():
        path = GENERATED / name
        text = render(doc)
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print(f"stale derived schemas: {', '.join(stale)}; run `python -m schemas.derive`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
