"""The three Amazon Personalize datasets the platform exports: interactions, items, users.

Personalize reads CSV files whose header names the fields of an Avro schema registered with the
dataset. The pydantic models here are the single source: ``schemas/derive.py`` writes the Avro
schemas into ``schemas/generated/personalize_schemas.json``, the export writes its CSV header from
the field order, and a test checks both against the reference sample's fixture (bingewatch).

Field names are Personalize's reserved upper-case names where they exist (``USER_ID``,
``ITEM_ID``, ``EVENT_TYPE``, ``EVENT_VALUE``, ``TIMESTAMP``, ``CREATION_TIMESTAMP``). Text metadata
fields used for segmentation queries are *categorical* (several values joined by ``|``), which is
what lets a batch segment job ask for ``ITEMS.genres = "Action"``.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

AVRO_NAMESPACE: Final = "com.amazonaws.personalize.schema"
CATEGORICAL: Final[dict[str, Any]] = {"categorical": True}
MULTI_VALUE_SEPARATOR: Final = "|"


class PersonalizeInteraction(BaseModel):
    """One interaction of a user with an item (the Item interactions dataset)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    USER_ID: str = Field(min_length=1, max_length=256)
    ITEM_ID: str = Field(min_length=1, max_length=256)
    EVENT_TYPE: str = Field(min_length=1, max_length=256, description="view, like, share, ...")
    EVENT_VALUE: float | None = Field(
        default=None, description="Completion rate of a view or complete; empty for other events."
    )
    TIMESTAMP: int = Field(ge=0, description="Unix epoch seconds (Personalize's unit).")


class PersonalizeItem(BaseModel):
    """One catalogue item with the attributes segmentation queries filter on (the Items dataset)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ITEM_ID: str = Field(min_length=1, max_length=256)
    GENRES: str = Field(json_schema_extra=CATEGORICAL, description="Genres joined by '|'.")
    CONTENT_TYPE: str = Field(json_schema_extra=CATEGORICAL)
    CREATION_TIMESTAMP: int = Field(ge=0, description="Publication time, Unix epoch seconds.")


class PersonalizeUser(BaseModel):
    """One user with categorical profile attributes (the Users dataset); no personal data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    USER_ID: str = Field(min_length=1, max_length=256)
    AGE_GROUP: str = Field(json_schema_extra=CATEGORICAL)
    COUNTRY: str = Field(json_schema_extra=CATEGORICAL)
    SUBSCRIPTION_TIER: str = Field(json_schema_extra=CATEGORICAL)


DATASETS: Final[dict[str, tuple[str, type[BaseModel]]]] = {
    # dataset type (Personalize's name) -> (Avro record name, model)
    "INTERACTIONS": ("Interactions", PersonalizeInteraction),
    "ITEMS": ("Items", PersonalizeItem),
    "USERS": ("Users", PersonalizeUser),
}


def csv_header(model: type[BaseModel]) -> list[str]:
    """The CSV header Personalize expects for ``model``: its field names, in order."""
    return list(model.model_fields)


def _avro_type(name: str, model: type[BaseModel]) -> Any:
    field = model.model_fields[name]
    annotation = field.annotation
    nullable = False
    args = getattr(annotation, "__args__", ())
    if type(None) in args:
        nullable = True
        annotation = next(a for a in args if a is not type(None))
    if annotation is str:
        base = "string"
    elif annotation is int:
        base = "long"
    elif annotation is float:
        base = "float"
    else:  # pragma: no cover - a new field type must be mapped here deliberately
        raise TypeError(f"no Avro type for {model.__name__}.{name}: {annotation!r}")
    return ["null", base] if nullable else base


def avro_schema(record: str, model: type[BaseModel]) -> dict[str, Any]:
    """The Avro record schema Personalize's CreateSchema takes for ``model``."""
    fields: list[dict[str, Any]] = []
    for name, field in model.model_fields.items():
        entry: dict[str, Any] = {"name": name, "type": _avro_type(name, model)}
        extra = field.json_schema_extra
        if isinstance(extra, dict) and extra.get("categorical"):
            entry["categorical"] = True
        fields.append(entry)
    return {"type": "record", "name": record, "namespace": AVRO_NAMESPACE, "fields": fields, "version": "1.0"}


def avro_schemas() -> dict[str, dict[str, Any]]:
    """Dataset type -> Avro schema, for every dataset the export writes."""
    return {dataset: avro_schema(record, model) for dataset, (record, model) in DATASETS.items()}
