"""The backup manifest: canonical JSON that round-trips, refuses what it does not know,
and snapshot ids that sort by time even within one second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from archive.domain.backup import (
    DatabaseEntry,
    FileEntry,
    Kind,
    Manifest,
    ObjectEntry,
    copy_name,
    finished_snapshots,
    manifest_hash,
    new_snapshot_id,
)

SHA = "ab" + "0" * 62


def _manifest() -> Manifest:
    return Manifest(
        id="20261130T010000.000001Z-abcdef",
        created="2026-11-30T01:00:00+00:00",
        kind=Kind.INCREMENTAL,
        database=DatabaseEntry("postgresql", "snapshots/x/database.dump", SHA, 10),
        objects=(
            ObjectEntry(
                "records/ab/1",
                "v1",
                SHA,
                3,
                "application/pdf",
                "GOVERNANCE",
                "2030-01-01T00:00:00+00:00",
                True,
            ),
        ),
        copied=1,
        extra={"previous": "y"},
        files=(FileEntry("certificates/b.json", SHA, 3),),
    )


def test_the_manifest_round_trips_and_its_hash_is_stable() -> None:
    data = _manifest().to_json()
    assert Manifest.from_json(data) == _manifest()
    assert manifest_hash(data) == manifest_hash(_manifest().to_json())
    assert data.endswith(b"\n") and b"records-archive-backup/1" in data


def test_a_file_that_is_not_a_manifest_is_refused() -> None:
    with pytest.raises(ValueError, match="manifest"):
        Manifest.from_json(b'{"format": "something-else/9"}')


def test_snapshot_ids_sort_by_time_within_one_second() -> None:
    now = datetime(2026, 11, 30, 1, 0, 0, tzinfo=UTC)
    ids = [new_snapshot_id(now + timedelta(microseconds=n)) for n in (5, 1, 900_000, 3)]
    names = [f"snapshots/{i}/manifest.json" for i in ids] + ["snapshots/unfinished/database.dump"]
    assert finished_snapshots(iter(names)) == sorted(ids)
    assert finished_snapshots(iter(names))[-1] == ids[2]


def test_copies_are_named_by_content() -> None:
    assert copy_name(SHA) == f"objects/sha256/ab/{SHA}"
