"""The scoring command end to end on a small file, as the evaluation runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from social_builders import post

ROOT = Path(__file__).resolve().parents[2]


def _run(
    tmp_path: Path, posts: list[object], as_of: str = "2026-01-05T12:15:00Z"
) -> subprocess.CompletedProcess[str]:
    source = tmp_path / "posts.jsonl"
    source.write_text("".join((p if isinstance(p, str) else json.dumps(p)) + "\n" for p in posts))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "audience.influencers",
            "score",
            "--posts",
            str(source),
            "--as-of",
            as_of,
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={"AUDIENCE_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
    )


def test_score_command_writes_cascades_and_influencers(tmp_path: Path) -> None:
    # GIVEN a star cascade by "hub", a chain through "mid", a post after as_of and one bad line
    posts = [
        post("r1", "hub", 0, followers=100, text="Loving the new release, great work!", hashtags=["launch"]),
        *(post(f"s{i}", f"fan{i}", 1 + i, reshare_of="r1", followers=50) for i in range(5)),
        post("c1", "mid", 7, reshare_of="s0", followers=10),
        post("late", "fan9", 30, reshare_of="r1"),
        post("r2", "quiet", 2, followers=100000, text="ok"),
        {
            "post_id": "bad",
            "platform": "myspace",
            "created_at": "2026-01-05T12:00:00Z",
            "author": {"id": "x"},
        },
    ]
    # WHEN the command runs
    done = _run(tmp_path, posts)
    # THEN it succeeds and writes one line per original post seen by as_of
    assert done.returncode == 0, done.stderr
    cascades = [json.loads(line) for line in (tmp_path / "out" / "cascades.jsonl").read_text().splitlines()]
    by_root = {c["root_post_id"]: c for c in cascades}
    assert set(by_root) == {"r1", "r2"}
    r1 = by_root["r1"]
    assert (r1["author_id"], r1["size"], r1["depth"]) == ("hub", 7, 2)
    assert r1["predicted_final_size"] >= 7
    # pairwise distances (hub, 5 fans, c1 under fan0): Wiener = s(n-s) per edge = 2*5 + 4*(1*6) + 1*6 = 40
    assert abs(r1["structural_virality"] - 40 / 21) < 1e-6
    influencers = [
        json.loads(line) for line in (tmp_path / "out" / "influencers.jsonl").read_text().splitlines()
    ]
    assert [i["rank"] for i in influencers] == list(range(1, len(influencers) + 1))
    top = influencers[0]
    # unique resharers count every account in the cascades hub started (5 fans and mid, through fan0)
    assert top["author_id"] == "hub" and top["signals"]["unique_resharers"] == 6
    assert top["signals"]["reshares_received"] == 5  # direct reshares only
    assert abs(sum(top["score_shares"].values()) - 1) < 1e-3 and top["flags"] == []
    # the 100k-follower account nobody reshared ranks below the reshared one
    assert {i["author_id"]: i["rank"] for i in influencers}["quiet"] > 1
    rejected = [json.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").read_text().splitlines()]
    assert rejected[0]["line"] == 10 and rejected[0]["reasons"][0]["field"] == "platform"


def test_score_command_rejects_an_as_of_without_offset(tmp_path: Path) -> None:
    done = _run(tmp_path, [post("r", "a")], as_of="2026-01-05T12:15:00")
    assert done.returncode == 2 and "UTC offset" in done.stderr
