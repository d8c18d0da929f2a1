"""The engagement data generator: determinism, the contract, labelled defects and planted structure."""

from __future__ import annotations

import statistics
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from audience.datagen import (
    GENRES,
    SEGMENTS,
    ContentItem,
    Defect,
    GeneratedEvent,
    GeneratorConfig,
    UserProfile,
    catalog,
    generate,
    users,
)
from audience.datagen.__main__ import main
from audience.datagen.reference import COUNTRIES, SURFACES
from audience.datagen.writers import CATALOG_FILE, USERS_FILE, reference_mismatch, write_reference_tables
from audience.ingest.service import IngestLimits
from schemas.engagement import EngagementEvent

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
CONFIG = GeneratorConfig(seed=3, n_users=1_000, n_content=500, target_events=40_000, now=NOW)


@pytest.fixture(scope="module")
def stream() -> list[GeneratedEvent]:
    return list(generate(CONFIG))


@pytest.fixture(scope="module")
def people() -> dict[str, UserProfile]:
    return {p.user_id: p for p in users(CONFIG)}


@pytest.fixture(scope="module")
def items() -> dict[str, ContentItem]:
    return {c.content_id: c for c in catalog(CONFIG)}


def parse(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def valid(stream: list[GeneratedEvent]) -> list[dict[str, object]]:
    """The valid events, without retries."""
    return [e.payload for e in stream if e.defect is None and not e.is_retry]


def test_generate_is_deterministic_for_a_seed_and_now() -> None:
    # GIVEN two identical configs, one with another seed and one with a later now
    config = GeneratorConfig(seed=11, n_users=200, n_content=100, target_events=3_000, now=NOW)
    other_seed = GeneratorConfig(seed=12, n_users=200, n_content=100, target_events=3_000, now=NOW)
    later = GeneratorConfig(
        seed=11, n_users=200, n_content=100, target_events=3_000, now=NOW + timedelta(hours=5)
    )

    # WHEN each is generated
    first, second = list(generate(config)), list(generate(config))
    reseeded, shifted = list(generate(other_seed)), list(generate(later))

    # THEN the same config gives the same items, and a different seed or now gives different ones
    assert first == second
    assert [e.payload for e in reseeded] != [e.payload for e in first]
    assert [e.payload.get("timestamp") for e in shifted] != [e.payload.get("timestamp") for e in first]
    assert catalog(config) == catalog(later) and users(config) == users(later)


def test_generate_yields_exactly_the_target_with_configured_shares(stream: list[GeneratedEvent]) -> None:
    # GIVEN the stream of a config asking for 2% bad events and 1% retries

    # WHEN its items are tallied
    defects = sum(1 for e in stream if e.defect is not None)
    retries = sum(1 for e in stream if e.is_retry)

    # THEN the count is exact and so are the shares
    assert len(stream) == CONFIG.target_events
    assert defects == round(CONFIG.target_events * CONFIG.bad_share)
    assert retries == round(CONFIG.target_events * CONFIG.duplicate_share)
    assert not any(e.is_retry and e.defect for e in stream)


def test_generate_valid_events_match_the_contract_and_the_window(
    stream: list[GeneratedEvent], people: dict[str, UserProfile], items: dict[str, ContentItem]
) -> None:
    # GIVEN the valid events (retries included) and the reference tables
    good = [e.payload for e in stream if e.defect is None]
    surfaces = {(s.platform, s.device_type) for s in SURFACES}

    for payload in good:
        # WHEN each is validated against the contract
        event = EngagementEvent.model_validate(payload)

        # THEN it lies in the window and agrees with the user and the content it names
        assert CONFIG.window_start <= event.timestamp <= CONFIG.window_end
        assert str(payload["timestamp"]).endswith("Z")
        assert uuid.UUID(str(event.event_id)).version == 4
        person, item = people[event.user_id], items[event.content_id]
        assert (event.location.country, event.location.region, event.location.city) == (
            person.country,
            person.region,
            person.city,
        )
        assert (event.platform, event.device_type.value) in surfaces
        assert (event.platform, event.device_type.value) in {
            (s.platform, s.device_type) for s, _ in person.surfaces
        }
        meta = event.metadata
        assert meta.completion_rate is not None and 0 <= meta.completion_rate <= 1
        assert meta.interaction_count is not None and 0 <= meta.interaction_count <= 4
        if event.event_type == "view":
            assert meta.view_duration is not None and 0 < meta.view_duration <= item.duration_seconds
            assert meta.completion_rate == pytest.approx(meta.view_duration / item.duration_seconds, abs=1e-4)
        else:
            assert meta.view_duration is None
        if event.event_type == "complete":
            assert meta.completion_rate == 1.0


def test_generate_emits_valid_events_in_time_order_with_unique_ids(stream: list[GeneratedEvent]) -> None:
    # GIVEN the valid events that are not retries
    events = valid(stream)

    # WHEN their timestamps and ids are read
    times = [parse(str(p["timestamp"])) for p in events]
    ids = [p["event_id"] for p in events]

    # THEN time never goes backwards and every id is new
    assert times == sorted(times)
    assert len(set(ids)) == len(ids)


def test_generate_retries_repeat_an_earlier_event_exactly(stream: list[GeneratedEvent]) -> None:
    # GIVEN the stream, with the position of each event id's first appearance
    first_seen: dict[object, tuple[int, dict[str, object]]] = {}
    retries = 0
    for index, item in enumerate(stream):
        event_id = item.payload.get("event_id")
        # WHEN a retry arrives
        if item.is_retry:
            retries += 1
            # THEN it is the same body as an earlier valid event, sent shortly after it
            assert event_id in first_seen
            position, original = first_seen[event_id]
            assert item.payload == original and item.payload is not original
            assert 0 < index - position <= 1_100
        elif item.defect is None:
            first_seen[event_id] = (index, item.payload)
    assert retries > 0


def _error_fields(payload: dict[str, object]) -> set[tuple[str, str]]:
    try:
        EngagementEvent.model_validate(payload)
    except ValidationError as exc:
        return {(".".join(str(p) for p in err["loc"]), err["type"]) for err in exc.errors()}
    return set()


def test_generate_defects_fail_for_their_labelled_reason(stream: list[GeneratedEvent]) -> None:
    # GIVEN the API's time window and the bad events, by kind
    limits = IngestLimits()
    by_kind: dict[Defect, list[dict[str, object]]] = defaultdict(list)
    for item in stream:
        if item.defect is not None:
            by_kind[item.defect].append(item.payload)

    # THEN every kind is present
    assert set(by_kind) == set(Defect)
    for kind, payloads in by_kind.items():
        for payload in payloads:
            # WHEN each is validated
            errors = _error_fields(payload)
            fields = {f for f, _ in errors}
            codes = {c for _, c in errors}

            # THEN it fails for its labelled reason, or lies outside the accepted window
            match kind:
                case Defect.TIMESTAMP_IN_FUTURE:
                    assert not errors
                    assert parse(str(payload["timestamp"])) > NOW + limits.max_future + timedelta(minutes=5)
                case Defect.TIMESTAMP_TOO_OLD:
                    assert not errors
                    assert parse(str(payload["timestamp"])) < NOW - limits.max_event_age
                case Defect.MISSING_FIELD:
                    assert codes == {"missing"}
                case Defect.UNKNOWN_EVENT_TYPE:
                    assert errors == {("event_type", "enum")}
                case Defect.NAIVE_TIMESTAMP:
                    assert errors == {("timestamp", "timezone_aware")}
                case Defect.INVALID_COUNTRY:
                    assert fields == {"location.country"}
                case Defect.NEGATIVE_VIEW_DURATION:
                    assert errors == {("metadata.view_duration", "greater_than_equal")}
                case Defect.COMPLETION_RATE_ABOVE_ONE:
                    assert errors == {("metadata.completion_rate", "less_than_equal")}
                case Defect.WRONG_TYPE:
                    assert errors <= {
                        ("metadata.view_duration", "float_type"),
                        ("metadata.interaction_count", "int_type"),
                    }
                    assert len(errors) == 1
                case Defect.UNKNOWN_FIELD:
                    assert codes == {"extra_forbidden"} and len(errors) == 1
                case Defect.OVERLONG_STRING:
                    assert errors == {("platform", "string_too_long")}
                    assert len(str(payload["platform"])) == 500


def test_generate_segments_over_index_on_their_genres_and_types(
    stream: list[GeneratedEvent], people: dict[str, UserProfile], items: dict[str, ContentItem]
) -> None:
    # GIVEN the views, counted by segment and genre and by segment and content type
    genres: dict[str, Counter[str]] = defaultdict(Counter)
    types: dict[str, Counter[str]] = defaultdict(Counter)
    overall: Counter[str] = Counter()
    for payload in valid(stream):
        if payload["event_type"] != "view":
            continue
        name, item = people[str(payload["user_id"])].segment, items[str(payload["content_id"])]
        types[name][item.content_type] += 1
        for genre in item.genres:
            genres[name][genre] += 1
            overall[genre] += 1
    total = sum(overall.values())

    for segment in SEGMENTS:
        # WHEN the segment's favourite genre is compared with everyone's appetite for it
        top = max(GENRES, key=segment.genre_weight)
        share = genres[segment.name][top] / sum(genres[segment.name].values())
        index = share / (overall[top] / total)

        # THEN the segment over-indexes on it and mostly consumes its favourite content type
        assert index > 1.2, (segment.name, top, index)
        favourite_type = max(segment.types, key=lambda t: segment.types[t])
        assert types[segment.name].most_common(1)[0][0] == favourite_type


def test_generate_users_play_their_taste_community_beyond_genre_and_type(
    stream: list[GeneratedEvent], people: dict[str, UserProfile], items: dict[str, ContentItem]
) -> None:
    # GIVEN the views, and for each the share of the catalogue's items of the same type and first
    # genre that are in the viewer's own taste community (what genre and type alone would predict)
    cell: dict[tuple[str, str], Counter[int]] = defaultdict(Counter)
    for item in items.values():
        cell[(item.content_type, item.genres[0])][item.taste_community] += 1
    own, expected, views = 0, 0.0, 0
    for payload in valid(stream):
        if payload["event_type"] != "view":
            continue
        person, item = people[str(payload["user_id"])], items[str(payload["content_id"])]
        mine = person.taste_affinity.index(1.0)
        counts = cell[(item.content_type, item.genres[0])]
        views += 1
        own += item.taste_community == mine
        expected += counts[mine] / sum(counts.values())

    # WHEN the share of views in the viewer's own community is compared with that expectation
    observed, baseline = own / views, expected / views

    # THEN users play their own community far beyond what their genres and types explain: the
    # item-level taste a collaborative recommender can learn from the events, and no catalogue
    # column reveals
    assert observed > 0.6 and observed > 3 * baseline, (observed, baseline)


def test_generate_daily_rhythm_peaks_in_the_evening(
    stream: list[GeneratedEvent], people: dict[str, UserProfile]
) -> None:
    # GIVEN the valid events by the user's local hour, and podcast commuters' weekday events
    by_hour: Counter[int] = Counter()
    commute: Counter[int] = Counter()
    for payload in valid(stream):
        person = people[str(payload["user_id"])]
        local = parse(str(payload["timestamp"])) + timedelta(hours=person.utc_offset)
        by_hour[local.hour] += 1
        if person.segment == "podcast_commuters" and local.weekday() < 5:
            commute[local.hour] += 1

    # WHEN the busiest hours are compared with the night and with mid-morning
    peak = max(range(24), key=lambda h: by_hour[h])
    evening = sum(by_hour[h] for h in range(19, 23))
    night = sum(by_hour[h] for h in range(2, 6))

    # THEN the peak is in the evening, and commuters listen on the way to and from work
    assert 18 <= peak <= 22
    assert evening > 3 * night
    assert commute[7] + commute[8] > 1.5 * (commute[10] + commute[11])
    assert commute[17] + commute[18] > 1.5 * (commute[14] + commute[15])


def test_generate_churners_go_quiet_before_the_window_ends(
    stream: list[GeneratedEvent], people: dict[str, UserProfile]
) -> None:
    # GIVEN each active user's last event
    last: dict[str, datetime] = {}
    for payload in valid(stream):
        last[str(payload["user_id"])] = parse(str(payload["timestamp"]))
    span = CONFIG.window_end - CONFIG.window_start

    # WHEN churners are compared with the others
    quiet_churners = [
        (CONFIG.window_end - t).total_seconds()
        for u, t in last.items()
        if people[u].churn_point and people[u].churn_point < 0.8  # the others are still lapsing
    ]
    quiet_others = [
        (CONFIG.window_end - t).total_seconds() for u, t in last.items() if not people[u].churn_point
    ]

    # THEN no churner acts after their churn point (bar a session running on), and they have been
    # silent far longer than the others
    for user_id, at in last.items():
        point = people[user_id].churn_point
        if point is not None:
            assert at <= CONFIG.window_start + span * point + timedelta(hours=8)
    assert len(quiet_churners) > 30
    assert min(quiet_churners) > timedelta(days=1).total_seconds()
    assert statistics.median(quiet_churners) > 2 * statistics.median(quiet_others)


def test_catalog_durations_and_genres_are_realistic() -> None:
    # GIVEN the default catalog
    content = catalog(GeneratorConfig(now=NOW))

    # WHEN durations are grouped by content type
    durations = {
        t: statistics.median(c.duration_seconds for c in content if c.content_type == t)
        for t in ("article", "video", "podcast")
    }

    # THEN articles are short and podcasts long, and every item has 1-3 known genres and a Zipf rank
    assert durations["article"] < 600 < durations["video"] < durations["podcast"]
    assert all(1 <= len(c.genres) <= 3 and set(c.genres) <= set(GENRES) for c in content)
    assert all(len(set(c.genres)) == len(c.genres) for c in content)
    assert sorted(c.popularity_rank for c in content) == list(range(1, len(content) + 1))
    assert all(c.published_at.date() < date(2026, 11, 1) for c in content)


def test_users_places_are_consistent_and_the_mix_is_us_heavy() -> None:
    # GIVEN the default users
    people = users(GeneratorConfig(now=NOW))

    # WHEN their places and segments are tallied
    countries = Counter(p.country for p in people)
    segments = Counter(p.segment for p in people)

    # THEN each city lies in its region and country, the US leads, and every segment is populated
    for person in people:
        cities = {(c.region, c.city, c.utc_offset) for c in COUNTRIES[person.country][1]}
        assert (person.region, person.city, person.utc_offset) in cities
        assert person.signup_date < date(2026, 11, 1)
    assert countries.most_common(1)[0][0] == "US" and countries["US"] > 0.45 * len(people)
    assert set(segments) == {s.name for s in SEGMENTS}
    assert all(count > 0.08 * len(people) for count in segments.values())


def test_reference_files_equal_a_fresh_regeneration(tmp_path: Path) -> None:
    # GIVEN the default configuration (the tables do not depend on now)
    config = GeneratorConfig(now=NOW)

    # WHEN the tables are written afresh
    write_reference_tables(config, tmp_path)

    # THEN the committed files are byte-for-byte the same
    for name in (CATALOG_FILE, USERS_FILE):
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes(), f"data/{name} is stale"


def test_main_writes_tables_and_the_requested_events(tmp_path: Path) -> None:
    # GIVEN a small configuration on the command line

    # WHEN the entry point runs
    code = main(
        [
            "--out",
            str(tmp_path),
            "--users",
            "40",
            "--content",
            "30",
            "--events",
            "250",
            "--now",
            "2026-11-21T12:00:00Z",
        ]
    )

    # THEN both tables and exactly the requested events are written
    assert code == 0
    assert len((tmp_path / USERS_FILE).read_text().splitlines()) == 41
    assert len((tmp_path / CATALOG_FILE).read_text().splitlines()) == 31
    assert len((tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()) == 250


@pytest.mark.parametrize(
    "overrides",
    [
        {"now": datetime(2026, 11, 21, 12, 0)},
        {"now": datetime(2026, 10, 25, tzinfo=UTC)},
        {"bad_share": 0.4, "duplicate_share": 0.2},
        {"n_users": 0},
    ],
)
def test_config_rejects_what_would_make_inconsistent_data(overrides: dict[str, object]) -> None:
    # GIVEN a naive now, a window before the reference date, too many faults or no users
    # WHEN the config is built
    # THEN it is refused
    with pytest.raises(ValueError):
        GeneratorConfig(**{"now": NOW, **overrides})  # type: ignore[arg-type]


def test_reference_mismatch_accepts_the_demo_configuration() -> None:
    # GIVEN the demo's generator sizes (its users are a prefix of data/users.csv, its items all of the catalogue)
    from devhost.demo import DemoConfig

    demo = DemoConfig()
    config = GeneratorConfig(seed=demo.seed, n_users=demo.users, n_content=demo.content, now=NOW)

    # WHEN the reference tables are checked against it
    problem = reference_mismatch(config, DATA_DIR)

    # THEN they describe exactly the users and items its events are drawn over
    assert problem is None


@pytest.mark.parametrize(
    ("config", "named"),
    [
        (GeneratorConfig(n_users=2_000, n_content=1_500, now=NOW), CATALOG_FILE),
        (GeneratorConfig(seed=3, n_users=2_000, now=NOW), CATALOG_FILE),
        (GeneratorConfig(n_users=6_000, now=NOW), USERS_FILE),
    ],
    ids=["fewer-items", "other-seed", "more-users"],
)
def test_reference_mismatch_names_the_table_that_differs(config: GeneratorConfig, named: str) -> None:
    # GIVEN a configuration whose catalogue or users are not data/'s (a 1,500-item catalogue shares
    # the ids of the 2,000-item one, not its items: only a handful keep their type and genres)

    # WHEN the reference tables are checked against it
    problem = reference_mismatch(config, DATA_DIR)

    # THEN the table that does not match is named
    assert problem is not None and named in problem
