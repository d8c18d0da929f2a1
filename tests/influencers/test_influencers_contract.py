"""The social post contract: the derived documents agree with the model, and the Glue job's result
columns with the result models."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi
from pydantic import ValidationError

from schemas import derive
from schemas.social import InfluencerCascadeRow, InfluencerScoreRow, SocialLakeRecord, SocialPost

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from glue_jobs.influencer_scoring import CASCADE_RESULT_DDL, SCORE_RESULT_DDL

GOOD = {
    "post_id": "at://did:plc:x/app.bsky.feed.post/3k",
    "platform": "bluesky",
    "created_at": "2026-01-05T12:00:00+01:00",
    "author": {"id": "did:plc:x", "followers": 3, "country": "au"},
    "hashtags": ["launch"],
}
BAD = [
    {**GOOD, "platform": "myspace"},
    {**GOOD, "created_at": "2026-01-05T12:00:00"},
    {**GOOD, "author": {"id": "x", "followers": "3"}},
    {**GOOD, "author": {"id": "x", "followers": -1}},
    {**GOOD, "author": {"id": "x", "country": "XX"}},
    {**GOOD, "unknown": 1},
    {k: v for k, v in GOOD.items() if k != "post_id"},
]


@pytest.mark.parametrize("post", [GOOD, *BAD])
def test_json_schema_and_model_agree_on_good_and_bad_posts(post: dict[str, object]) -> None:
    # GIVEN the JSON Schema derived from the model
    validator = jsonschema.Draft202012Validator(
        derive.social_post_json_schema(), format_checker=jsonschema.FormatChecker()
    )
    # WHEN the same post is checked by both
    try:
        SocialPost.model_validate(post)
        model_ok = True
    except ValidationError:
        model_ok = False
    # THEN they agree (ISO membership of a country code is the model's own check)
    author = post["author"]
    if isinstance(author, dict) and author.get("country") == "XX":
        assert not model_ok and validator.is_valid(post)
    else:
        assert validator.is_valid(post) == model_ok == (post is GOOD)


def test_openapi_has_the_social_posts_path_and_is_valid() -> None:
    doc = derive.openapi_document()
    validate_openapi(doc)
    body = doc["paths"]["/social/posts"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/SocialPostBatch"}
    committed = json.loads((derive.GENERATED / "openapi.json").read_text())
    assert committed == json.loads(json.dumps(doc))


def test_glue_columns_cover_the_lake_record_and_round_trip() -> None:
    columns = {c["Name"]: c["Type"] for c in derive.glue_columns(SocialLakeRecord)}
    assert columns["hashtags"] == "array<string>" and columns["author"].startswith("struct<id:string")
    assert set(columns) == set(SocialLakeRecord.model_fields)
    post = SocialPost.model_validate(GOOD)
    from datetime import UTC, datetime

    record = SocialLakeRecord.from_post(
        post, ingested_at=datetime.now(UTC), request_id="r", ingest_source="t"
    )
    again = SocialLakeRecord.from_json_line(record.to_json_line())
    assert again.to_post() == post and again.event_id == "bluesky:" + GOOD["post_id"]


@pytest.mark.parametrize(
    ("ddl", "model"), [(CASCADE_RESULT_DDL, InfluencerCascadeRow), (SCORE_RESULT_DDL, InfluencerScoreRow)]
)
def test_glue_job_result_columns_match_the_result_models(ddl: str, model: type) -> None:
    columns = [tuple(c.split(" ", 1)) for c in ddl.split(", ")]
    assert columns == [(c["Name"], c["Type"]) for c in derive.glue_columns(model)]
