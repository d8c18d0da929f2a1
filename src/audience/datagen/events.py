"""The event stream: sessions placed by each user's rhythm, plays chosen by interest, a realistic funnel.

How a run works (``data/README.md`` has the planted structure in prose):

1. The window is cut into one-hour chunks. Each chunk gets an exact share of the events, in
   proportion to how many events its users are expected to produce then: segment activity by local
   hour and weekday, each user's activity level, and churners fading out.
2. Within a chunk, sessions are drawn (a user in proportion to their current rate, a start time, a
   number of events) until the chunk's share is used up. A session is a run of plays on one device:
   content chosen by the user's interests (type, genre and latent taste community: see
   :meth:`~audience.datagen.users.UserProfile.interest`) and by popularity, then ``view`` and, by
   interest and duration, ``skip``, ``complete``, ``like``, ``share`` or ``comment``.
3. Events are emitted in time order (a chunk's events are sorted with those still pending from
   sessions that started earlier). Chosen events are then corrupted into labelled bad events, and
   chosen good events are sent again later as exact client retries.

Only one chunk of events is held in memory at a time.
"""

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from itertools import accumulate
from operator import itemgetter
from typing import Any, Final

from audience.datagen.catalog import TASTE_COMMUNITIES, ContentItem, catalog
from audience.datagen.config import GeneratorConfig
from audience.datagen.defects import DEFECTS, Defect, corrupt
from audience.datagen.reference import CONTENT_TYPES, GENRES, SEGMENTS
from audience.datagen.users import UserProfile, users

CHUNK_SECONDS: Final = 3600.0
EXPLORE_SHARE: Final = 0.08
"""Share of plays picked by popularity alone, whatever the user's interests (the source of most skips)."""
TASTE_SHARPNESS: Final = 5
"""Exponent on a user's taste-community interest when a session picks what to play: about two
thirds of the plays are in the user's own community, the rest spread over the others."""
MAX_SESSION_EVENTS: Final = 80
MAX_SESSION_SECONDS: Final = 4 * 3600.0
"""No new play starts this long after a session began (the session then ends short of its events)."""
RETRY_DELAY_MEAN: Final = 50.0
"""A retry is emitted on average this many items after its original."""

_SEGMENT_INDEX: Final = {s.name: i for i, s in enumerate(SEGMENTS)}
_N_GENRES: Final = len(GENRES)
_N_CELLS: Final = len(CONTENT_TYPES) * _N_GENRES * TASTE_COMMUNITIES
_BY_TIME: Final = itemgetter(0)


@dataclass(frozen=True, slots=True)
class GeneratedEvent:
    """One item of the stream: the JSON body a client would send, and what it is."""

    payload: dict[str, Any]
    defect: Defect | None = None
    """Set on a deliberately bad event: the rule it breaks."""
    is_retry: bool = False
    """An exact resend of an earlier event (same ``event_id``), as a client retry produces."""


def _uuid4(bits: int) -> str:
    bits = (bits & ~(0xF000 << 64) & ~(0xC000 << 48)) | (0x4000 << 64) | (0x8000 << 48)
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class _Clock:
    """Fast ISO-8601 text for epoch seconds, millisecond precision, ``Z`` suffix."""

    def __init__(self) -> None:
        self._minutes: dict[int, str] = {}

    def iso(self, ts: float) -> str:
        ms = int(ts * 1000)
        minute, rest = divmod(ms, 60_000)
        prefix = self._minutes.get(minute)
        if prefix is None:
            t = minute * 60
            days, secs = divmod(t, 86_400)
            y, m, d = _civil(days)
            prefix = f"{y:04d}-{m:02d}-{d:02d}T{secs // 3600:02d}:{secs % 3600 // 60:02d}:"
            self._minutes[minute] = prefix
        return f"{prefix}{rest // 1000:02d}.{rest % 1000:03d}Z"


def _civil(days: int) -> tuple[int, int, int]:
    """Year, month, day of a day count since 1970-01-01 (Howard Hinnant's algorithm)."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (m <= 2), m, d


class _Catalog:
    """The catalog in the shapes the inner loop needs: per-(type, genre, taste community) cells with
    popularity (an item with several genres is in one cell per genre)."""

    def __init__(self, items: list[ContentItem]) -> None:
        type_index = {t: i for i, t in enumerate(CONTENT_TYPES)}
        genre_index = {g: i for i, g in enumerate(GENRES)}
        self.ids = [item.content_id for item in items]
        self.published = [item.published_at.timestamp() for item in items]
        self.durations = [float(item.duration_seconds) for item in items]
        self.types = [type_index[item.content_type] for item in items]
        self.genres = [tuple(genre_index[g] for g in item.genres) for item in items]
        self.tastes = [item.taste_community for item in items]
        popularity = [item.popularity for item in items]
        self.cum = list(accumulate(popularity))
        self.cell_items: list[list[int]] = [[] for _ in range(_N_CELLS)]
        for index in range(len(items)):
            for g in self.genres[index]:
                self.cell_items[cell_of(self.types[index], g, self.tastes[index])].append(index)
        self.cell_cum = [list(accumulate(popularity[i] for i in cell)) for cell in self.cell_items]
        self.cell_mass = [cum[-1] if cum else 0.0 for cum in self.cell_cum]


def cell_of(content_type: int, genre: int, taste_community: int) -> int:
    return (content_type * _N_GENRES + genre) * TASTE_COMMUNITIES + taste_community


class _Audience:
    """Users in the shapes the session planner needs: stable groups and individual churners."""

    def __init__(self, people: list[UserProfile], content: _Catalog) -> None:
        self.people = people
        self.content = content
        self.signups = [datetime.combine(p.signup_date, time(), tzinfo=UTC).timestamp() for p in people]
        self.segments = [_SEGMENT_INDEX[p.segment] for p in people]
        self.offsets = [p.utc_offset * 3600.0 for p in people]
        self.locations = [(p.country, p.region, p.city) for p in people]
        self.surfaces = [tuple(s for s, _ in p.surfaces) for p in people]
        self.surface_cum = [list(accumulate(w for _, w in p.surfaces)) for p in people]
        self._cells: list[list[float] | None] = [None] * len(people)
        groups: dict[tuple[int, float], list[int]] = {}
        self.churners: list[int] = []
        for index, person in enumerate(people):
            if person.churn_point is None:
                groups.setdefault((self.segments[index], person.utc_offset), []).append(index)
            else:
                self.churners.append(index)
        self.group_keys = sorted(groups)
        self.group_members = [groups[key] for key in self.group_keys]
        self.group_cum = [
            list(accumulate(people[i].activity for i in members)) for members in self.group_members
        ]

    def cells(self, user: int) -> list[float]:
        """Cumulative weights over (type, genre, taste) cells: interest (type squared, genre cubed, taste
        to :data:`TASTE_SHARPNESS`, to sharpen it) times the square root of the cell's supply (its
        items' total popularity)."""
        cum = self._cells[user]
        if cum is None:
            person = self.people[user]
            mass = self.content.cell_mass
            weights = [
                person.type_affinity[t] ** 2
                * person.genre_affinity[g] ** 3
                * person.taste_affinity[c] ** TASTE_SHARPNESS
                * math.sqrt(mass[cell_of(t, g, c)])
                for t in range(len(CONTENT_TYPES))
                for g in range(_N_GENRES)
                for c in range(TASTE_COMMUNITIES)
            ]
            cum = self._cells[user] = list(accumulate(weights))
        return cum


def _rhythm(segment: int, local_ts: float) -> float:
    """Relative session rate of a segment at a local time (hour of day x weekend uplift)."""
    days, secs = divmod(int(local_ts), 86_400)
    hour = secs // 3600
    spec = SEGMENTS[segment]
    if (days + 3) % 7 >= 5:  # 1970-01-01 was a Thursday
        return spec.weekend_hours[hour] * spec.weekend_factor
    return spec.weekday_hours[hour]


def _allocate(total: int, expected: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``expected`` exactly (largest remainder)."""
    mass = sum(expected)
    if total and mass <= 0:
        raise ValueError("no user is active in the window: cannot place any event")
    if not total:
        return [0] * len(expected)
    shares = [total * e / mass for e in expected]
    counts = [int(s) for s in shares]
    order = sorted(range(len(shares)), key=lambda i: (counts[i] - shares[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


class _Simulation:
    def __init__(self, config: GeneratorConfig) -> None:
        self.config = config
        self.content = _Catalog(catalog(config))
        self.audience = _Audience(users(config), self.content)
        self.rng = random.Random(f"{config.seed}:events")
        self.clock = _Clock()
        self.start = config.window_start.timestamp()
        self.end = config.window_end.timestamp()
        self.seq = 0

    def share(self, ts: float) -> float:
        return (ts - self.start) / (self.end - self.start)

    # --- planning -------------------------------------------------------------------------------

    def chunk_bounds(self) -> list[tuple[float, float]]:
        n = max(1, math.ceil((self.end - self.start) / CHUNK_SECONDS))
        return [
            (self.start + i * CHUNK_SECONDS, min(self.end, self.start + (i + 1) * CHUNK_SECONDS))
            for i in range(n)
        ]

    def proposal(self, c0: float, c1: float) -> tuple[list[float], list[float]]:
        """Per chunk: session-rate weights of each stable group then each churner (an upper bound for
        churners, whose rate only falls), and the expected events of each."""
        mid = (c0 + c1) / 2
        people, audience = self.audience.people, self.audience
        rates: list[float] = []
        events: list[float] = []
        for (segment, offset), cum in zip(audience.group_keys, audience.group_cum, strict=True):
            rate = _rhythm(segment, mid + offset * 3600.0) * cum[-1]
            rates.append(rate)
            events.append(rate * SEGMENTS[segment].events_per_session)
        for user in audience.churners:
            person, segment = people[user], audience.segments[user]
            rhythm = _rhythm(segment, mid + audience.offsets[user]) * person.activity
            rates.append(rhythm * person.activity_multiplier(self.share(c0)))
            events.append(
                rhythm * person.activity_multiplier(self.share(mid)) * SEGMENTS[segment].events_per_session
            )
        return rates, events

    def pick_user(self, c0: float, c1: float, cum_rates: list[float]) -> tuple[int, float]:
        rng, audience = self.rng, self.audience
        n_groups = len(audience.group_keys)
        for _ in range(100_000):
            slot = bisect_right(cum_rates, rng.random() * cum_rates[-1])
            start = c0 + rng.random() * (c1 - c0)
            if slot < n_groups:
                cum = audience.group_cum[slot]
                member = audience.group_members[slot][bisect_right(cum, rng.random() * cum[-1])]
                if start < audience.signups[member]:
                    continue  # not signed up yet
                return member, start
            user = audience.churners[slot - n_groups]
            if start < audience.signups[user]:
                continue
            person = audience.people[user]
            bound = person.activity_multiplier(self.share(c0))
            if rng.random() * bound < person.activity_multiplier(self.share(start)):
                return user, start
        raise RuntimeError("could not place a session in this hour: no active user")  # pragma: no cover

    # --- one session ----------------------------------------------------------------------------

    def session(self, user: int, t0: float, budget: int) -> list[tuple[float, int, dict[str, Any]]]:
        rng, content, audience = self.rng, self.content, self.audience
        person = audience.people[user]
        segment = SEGMENTS[audience.segments[user]]
        random_ = rng.random
        surface = audience.surfaces[user][
            bisect_right(audience.surface_cum[user], random_() * audience.surface_cum[user][-1])
        ]
        cells = audience.cells(user)
        patience, social = segment.patience_seconds, segment.social
        keen = person.engagement_multiplier(self.share(t0))
        if keen < 1.0:  # a lapsing user's sessions are shorter too
            budget = max(1, round(budget * keen))
        published = content.published

        raw: list[tuple[float, str, int, float | None, float, int]] = []
        t = t0
        while len(raw) < budget and t - t0 < MAX_SESSION_SECONDS:
            for _ in range(8):  # nothing is played before it is published
                if random_() < EXPLORE_SHARE or cells[-1] <= 0:
                    item = bisect_right(content.cum, random_() * content.cum[-1])
                else:
                    cell = bisect_right(cells, random_() * cells[-1])
                    cell_cum = content.cell_cum[cell]
                    item = content.cell_items[cell][bisect_right(cell_cum, random_() * cell_cum[-1])]
                if published[item] <= t:
                    break
            else:
                break  # only unpublished picks: the session ends here
            duration = content.durations[item]
            interest = keen * person.interest(content.types[item], content.genres[item], content.tastes[item])

            if random_() < 0.75 * (1.0 - interest) ** 2:
                watched = round(min(duration, 2.0 + random_() * min(28.0, 0.15 * duration)), 1)
                rate = round(watched / duration, 4)
                raw.append((t, "view", item, watched, rate, 0))
                raw.append((t + watched, "skip", item, None, rate, 0))
                t += watched + 1.0 + random_() * 8.0
                continue

            completed = random_() < (0.1 + 0.75 * interest) * math.exp(-duration / patience)
            fraction = 1.0 if completed else max(0.02, random_() * (0.3 + 0.65 * interest))
            watched = round(duration * fraction, 1)
            rate = round(watched / duration, 4)
            raw.append((t, "view", item, watched, rate, 0))
            engaged = interest * interest * social * (1.0 if completed else 0.4)
            interactions = 0
            if random_() < 0.02 + 0.3 * engaged:
                interactions += 1
                raw.append((t + watched * (0.3 + 0.7 * random_()), "like", item, None, rate, interactions))
            if completed:
                raw.append((t + watched, "complete", item, None, rate, interactions))
            after = 0.0
            if random_() < 0.004 + 0.07 * engaged:
                interactions += 1
                after = 3.0 + random_() * 27.0
                raw.append((t + watched + after, "share", item, None, rate, interactions))
            if random_() < 0.003 + 0.05 * engaged:
                interactions += 1 + (random_() < 0.3)
                after = max(after, 10.0 + random_() * 110.0)
                raw.append((t + watched + after, "comment", item, None, rate, interactions))
            t += watched + after + 3.0 + random_() * 40.0
        del raw[budget:]
        if not raw:
            return []
        return self.payloads(person, user, surface.platform, surface.device_type, raw)

    def payloads(
        self,
        person: UserProfile,
        user: int,
        platform: str,
        device_type: str,
        raw: list[tuple[float, str, int, float | None, float, int]],
    ) -> list[tuple[float, int, dict[str, Any]]]:
        t0 = raw[0][0]
        last = max(r[0] for r in raw)
        squeeze = (self.end - t0) / (last - t0) if last > self.end else 1.0
        getrandbits, iso, ids = self.rng.getrandbits, self.clock.iso, self.content.ids
        session_id = f"s-{getrandbits(64):016x}"
        country, region, city = self.audience.locations[user]
        out = []
        for ts, event_type, item, watched, rate, interactions in raw:
            at = t0 + (ts - t0) * squeeze
            metadata: dict[str, Any] = (
                {"view_duration": watched, "completion_rate": rate, "interaction_count": interactions}
                if watched is not None
                else {"completion_rate": rate, "interaction_count": interactions}
            )
            payload = {
                "event_id": _uuid4(getrandbits(128)),
                "user_id": person.user_id,
                "content_id": ids[item],
                "event_type": event_type,
                "timestamp": iso(at),
                "platform": platform,
                "device_type": device_type,
                "location": {"country": country, "region": region, "city": city},
                "session_id": session_id,
                "metadata": metadata,
            }
            self.seq += 1
            out.append((at, self.seq, payload))
        return out

    # --- the stream -----------------------------------------------------------------------------

    def base_events(self, total: int) -> Iterator[dict[str, Any]]:
        """Exactly ``total`` valid events in time order."""
        rng = self.rng
        chunks = self.chunk_bounds()
        proposals = [self.proposal(c0, c1) for c0, c1 in chunks]
        counts = _allocate(total, [sum(events) for _, events in proposals])
        pending: list[tuple[float, int, dict[str, Any]]] = []
        for (c0, c1), (rates, _), count in zip(chunks, proposals, counts, strict=True):
            cum_rates = list(accumulate(rates))
            remaining = count
            while remaining > 0:
                user, t0 = self.pick_user(c0, c1, cum_rates)
                mean = SEGMENTS[self.audience.segments[user]].events_per_session
                size = min(remaining, MAX_SESSION_EVENTS, 1 + int(rng.expovariate(1.0 / (mean - 1.0))))
                events = self.session(user, t0, size)
                pending.extend(events)
                remaining -= len(events)
            pending.sort(key=_BY_TIME)
            ready = bisect_left(pending, c1, key=_BY_TIME) if c1 < self.end else len(pending)
            for _, _, payload in pending[:ready]:
                yield payload
            del pending[:ready]  # the last chunk ends at the window's end and flushes everything


def generate(config: GeneratorConfig) -> Iterator[GeneratedEvent]:
    """Stream exactly ``config.target_events`` items.

    ``round(target_events * duplicate_share)`` of them are retries: exact copies of an earlier valid
    event, sent on average 50 items later (so their timestamps are behind the stream's). Of the rest,
    ``round(target_events * bad_share)`` are bad events, each labelled with the :class:`Defect` it
    carries. Everything else is a valid event, in time order, inside the config's window.
    """
    target = config.target_events
    n_dup = min(round(target * config.duplicate_share), target // 2)
    n_base = target - n_dup
    n_bad = min(round(target * config.bad_share), n_base - n_dup)
    faults = random.Random(f"{config.seed}:faults")
    picked = faults.sample(range(n_base), n_bad + n_dup)
    bad, duplicated = set(picked[:n_bad]), set(picked[n_bad:])
    now = config.now.astimezone(UTC)

    retries: list[tuple[int, int, dict[str, Any]]] = []
    emitted = 0
    for index, payload in enumerate(_Simulation(config).base_events(n_base)):
        while retries and retries[0][0] <= emitted:
            yield GeneratedEvent(heapq.heappop(retries)[2], is_retry=True)
            emitted += 1
        if index in bad:
            defect = DEFECTS[faults.randrange(len(DEFECTS))]
            yield GeneratedEvent(corrupt(payload, defect, faults, now), defect=defect)
        else:
            yield GeneratedEvent(payload)
            if index in duplicated:
                delay = 1 + min(1000, int(faults.expovariate(1.0 / RETRY_DELAY_MEAN)))
                heapq.heappush(retries, (emitted + delay, index, _copy(payload)))
        emitted += 1
    while retries:
        yield GeneratedEvent(heapq.heappop(retries)[2], is_retry=True)


def _copy(payload: dict[str, Any]) -> dict[str, Any]:
    return {**payload, "location": dict(payload["location"]), "metadata": dict(payload["metadata"])}
