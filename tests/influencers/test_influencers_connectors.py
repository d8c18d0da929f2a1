"""Each connector on its fixture: Twitter v1.1 (the real auspol sample), v2, Jetstream frames with a
cursor resume, and the Twitter15 / SEISMIC replays."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from social_builders import shared_data

from audience.influencers.adapters.local.sources import JsonlSink, RecordedFrames
from audience.influencers.adapters.local.store import FileCursorStore
from audience.influencers.connectors import jetstream, replay, twitter
from audience.influencers.stream import run_stream
from schemas.social import SocialPost

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = shared_data()
V1_SAMPLE = SHARED / "cascades-auspol" / "tweets_v1_sample.jsonl"
TWITTER15 = SHARED / "cascades-twitter15" / "twitter15.tar.gz"
AUSPOL = SHARED / "cascades-auspol" / "cascades.csv"


def _valid(posts: list[dict[str, Any]]) -> list[SocialPost]:
    return [SocialPost.model_validate(p) for p in posts]


@pytest.mark.skipif(not V1_SAMPLE.exists(), reason=f"reference data absent: {V1_SAMPLE}")
def test_twitter_v1_sample_becomes_valid_posts_with_retweet_links() -> None:
    # GIVEN the real v1.1 sample (359 tweets, 47 retweets)
    lines = V1_SAMPLE.read_text().splitlines()
    # WHEN converted
    posts = _valid(list(twitter.iter_lines(lines)))
    # THEN every tweet and every embedded original is a valid post; each retweet points at its original
    retweets = [p for p in posts if p.reshare_of]
    assert len(retweets) == 47 and len(posts) == 359 + 47
    originals = {p.post_id for p in posts}
    assert all(r.reshare_of in originals for r in retweets)
    assert all(p.author.followers is not None for p in posts)
    assert all(p.lang is None or len(p.lang) <= 8 for p in posts)  # encrypted language codes are dropped


def test_twitter_v2_response_joins_users_and_referenced_tweets() -> None:
    body = json.loads((FIXTURES / "twitter_v2_response.json").read_text())
    posts = _valid(twitter.from_any(body))
    original, retweet = posts
    assert (original.post_id, original.author.handle, original.author.followers) == (
        "1900000000000000001",
        "brand",
        5000,
    )
    assert original.hashtags == ["launch"] and original.like_count == 30 and original.author.verified is True
    assert retweet.reshare_of == original.post_id and retweet.author.following == 300


def test_jetstream_frames_become_posts_reposts_and_quotes() -> None:
    frames = (FIXTURES / "jetstream_frames.jsonl").read_text().splitlines()
    posts = [p for _, p in jetstream.read_frames(frames) if p is not None]
    valid = _valid(posts)
    root = "at://did:plc:alice7x3k2m/app.bsky.feed.post/3lroot1"
    assert [p.post_id.rsplit("/", 1)[1] for p in valid] == ["3lroot1", "3lrp1", "3lquote", "3lreply", "3lrp2"]
    assert valid[0].hashtags == ["launch", "bluesky"] and valid[0].lang == "en"
    assert valid[1].reshare_of == root and valid[2].quote_of == root and valid[3].reply_to == root
    assert all(p.platform == "bluesky" for p in valid)


def test_jetstream_stream_resumes_from_its_cursor(tmp_path: Path) -> None:
    # GIVEN recorded frames, a cursor store and a file sink
    source = RecordedFrames(FIXTURES / "jetstream_frames.jsonl")
    cursors = FileCursorStore(tmp_path / "cursors")
    sink = JsonlSink(tmp_path / "posts.jsonl")
    # WHEN a first run stops after two posts
    first = run_stream(source, sink, cursors, max_posts=2, batch_size=1)
    # THEN the cursor is the second post's time and two posts were sent
    assert first.posts == 2 and first.stopped_by == "max posts"
    assert cursors.load("bluesky") == 1767614400000000 + 3_000_000
    # WHEN a second run resumes (the source replays from the start, as Jetstream does from cursor - margin)
    second = run_stream(source, sink, cursors, batch_size=2)
    # THEN it continues to the end: the margin re-sends only frames inside the 5 s rewind (deduplicated
    # by the API), the malformed frame is counted, and the cursor is the last frame's time
    assert second.start_cursor == first.cursor and second.malformed == 1
    assert cursors.load("bluesky") == 1767614400000000 + 8_000_000
    sent = [
        json.loads(line)["post_id"].rsplit("/", 1)[1]
        for line in (tmp_path / "posts.jsonl").read_text().splitlines()
    ]
    assert set(sent) == {"3lroot1", "3lrp1", "3lquote", "3lreply", "3lrp2"}


def test_jetstream_resume_url_rewinds_by_the_margin() -> None:
    url = jetstream.subscribe_url("wss://example/subscribe", 10_000_000)
    assert "cursor=5000000" in url and "wantedCollections=app.bsky.feed.repost" in url
    assert "cursor" not in jetstream.subscribe_url("wss://example/subscribe", None)


def test_twitter15_tree_lines_become_a_reshare_tree() -> None:
    lines = [
        "['ROOT', 'ROOT', '0.0']->['10', '500', '0.0']",
        "['10', '500', '0.0']->['20', '500', '1.5']",
        "['20', '500', '1.5']->['30', '500', '2.0']",
        "['10', '500', '0.0']->['30', '500', '3.0']",  # a later appearance of 30: the first wins
        "['10', '500', '0.0']->['10', '500', '4.0']",  # the root retweeting itself is dropped
    ]
    posts = _valid(replay.twitter15_posts("500", lines))
    assert [(p.post_id, p.reshare_of) for p in posts] == [
        ("500", None),
        ("500-rt-20", "500"),
        ("500-rt-30", "500-rt-20"),
    ]
    assert (posts[2].created_at - posts[0].created_at).total_seconds() == 120


def test_twitter15_line_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="not a tree edge"):
        replay.parse_tree_line("garbage")


@pytest.mark.skipif(not TWITTER15.exists(), reason=f"reference data absent: {TWITTER15}")
def test_twitter15_archive_replays_real_trees() -> None:
    first = next(iter(replay.twitter15_archive(TWITTER15)))
    tree_id, posts = first
    assert posts[0]["post_id"] == tree_id and len(_valid(posts)) == len(posts) > 1


def test_seismic_csv_replays_roots_and_reshares() -> None:
    csv_text = "cascade_id,time_s,followers,user_id\n0,0.0,58,2984\n1,0.0,298956,630\n1,1124.0,10414,1901\n"
    posts = _valid(list(replay.seismic_posts(io.StringIO(csv_text))))
    assert [p.reshare_of for p in posts] == [None, None, "auspol-1"]
    assert posts[1].author.followers == 298956


@pytest.mark.skipif(not AUSPOL.exists(), reason=f"reference data absent: {AUSPOL}")
def test_seismic_real_file_is_valid() -> None:
    with AUSPOL.open() as handle:
        posts = list(replay.seismic_posts(handle))
    assert len(_valid(posts[:2000])) == 2000
