"""Snapshots of a filled database, one per release, for the upgrade test.

A snapshot is every table's rows as JSON, taken from a database filled through
the real command line at a release, and kept as ``releases/<version>.json`` with
the revisions that release shipped as its heads. ``test_upgrade`` creates an
empty database at those heads, loads the rows with plain inserts into the table
shapes of THAT release (reflected from the database, never today's models),
upgrades to today's head and checks every row is still there.

Add one at each release, before tagging (so the next release's migrations are
tested against real data of this one), from the repository root, with no
``ARCHIVE_*`` variables set and no ``.env`` there:

    .venv/bin/python -m tests.migrations.snapshot /tmp/release-data tests/migrations/releases/X.Y.Z.json

That fills a fresh data directory on the embedded stack (``fill``: samples,
import, the worker's results, an API key, the retention schedule, a grant, a legal
hold, a disposition run, fixity) and dumps it at its current heads. A release that adds tables should
extend ``fill`` so its rows are in the next snapshot. Keep the older snapshots:
each one is a release someone may still upgrade from.
"""

from __future__ import annotations

import base64
import csv
import json
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

RELEASES = Path(__file__).with_name("releases")
SKIPPED = {"alembic_version"}

Row = dict[str, Any]


def release_files() -> list[Path]:
    return sorted(RELEASES.glob("*.json"))


def dump(engine: Engine) -> dict[str, list[Row]]:
    """Every table's rows (except Alembic's own), JSON-ready, in a stable order."""
    metadata = _reflect(engine)
    with engine.connect() as connection:
        return {
            table.name: sorted(
                (_encode_row(row._mapping) for row in connection.execute(sa.select(table))),
                key=lambda row: json.dumps(row, sort_keys=True),
            )
            for table in metadata.sorted_tables
            if table.name not in SKIPPED
        }


def load(engine: Engine, tables: Mapping[str, list[Row]]) -> None:
    """Replace the rows of each table named in ``tables`` (seed rows included) by the
    snapshot's, converting JSON values by the column types the database has now."""
    metadata = _reflect(engine)
    ordered = [t for t in metadata.sorted_tables if t.name in tables]
    with engine.begin() as connection:
        for table in reversed(ordered):
            connection.execute(sa.delete(table))
        for table in ordered:
            rows = [_decode_row(table, row) for row in tables[table.name]]
            if rows:
                connection.execute(sa.insert(table), rows)
        if engine.dialect.name == "postgresql":
            _advance_sequences(connection, ordered)


def _reflect(engine: Engine) -> sa.MetaData:
    metadata = sa.MetaData()
    metadata.reflect(engine)
    return metadata


def _encode_row(row: Mapping[str, Any]) -> Row:
    return {name: _encode(value) for name, value in row.items()}


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):  # SQLite gives stored UTC back without its zone
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decode_row(table: sa.Table, row: Row) -> Row:
    return {name: _decode(table.c[name].type, value) for name, value in row.items()}


def _decode(kind: sa.types.TypeEngine[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(kind, sa.DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, sa.Date):
        return date.fromisoformat(value)
    if isinstance(kind, sa.LargeBinary):
        return base64.b64decode(value)
    return value


def _advance_sequences(connection: sa.Connection, tables: list[sa.Table]) -> None:
    """Explicit ids do not move PostgreSQL's sequences; a database that really lived
    through the release has them past its ids, so the app's next insert must not collide."""
    for table in tables:
        for column in table.primary_key.columns:
            sequence = connection.execute(
                sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
            ).scalar()
            if sequence is not None:
                top = connection.execute(sa.select(sa.func.max(column))).scalar()
                if top is not None:
                    connection.execute(sa.text("SELECT setval(:s, :v)"), {"s": sequence, "v": top})


# --- filling a database at a release, through the command line --------------------------


def fill(data_dir: Path) -> Engine:
    """A data directory filled through the CLI on the embedded stack (the worker, a
    grant and a legal hold through their services); returns an engine on its database."""
    import asyncio
    import os

    from typer.testing import CliRunner

    from archive.cli import app
    from archive.db.engine import create_db_engine

    os.environ["ARCHIVE_DATA_DIR"] = str(data_dir)
    incoming = data_dir.parent / f"{data_dir.name}-incoming"
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, (args, result.output)
        return result.stdout

    run("samples", str(incoming), "--count", "3", "--seed", "5")
    _prepare(incoming, data_dir / "trust-roots")
    run("import", str(incoming))
    run("apikey", "create", "--name", "Cổng dịch vụ công", "--agency", "UBND-HG", "--role", "reader")
    schedule = Path(__file__).resolve().parents[2] / "examples" / "retention-schedule.json"
    run("retention", "load", str(schedule))
    asyncio.run(_process_grant_and_hold(data_dir))
    batch = json.loads(run("retention", "plan", "--json"))["batch"]
    run("retention", "approve", batch["id"], "--decision", "QĐ 5/QĐ-UBND")
    run("retention", "run")
    run("fixity")
    return create_db_engine(f"sqlite:///{data_dir / 'archive.db'}")


async def _process_grant_and_hold(data_dir: Path) -> None:
    """What the worker writes (pages, thumbnails, outcomes), a grant, and a hold on a
    record that is not due (a held record would leave the disposition batch empty)."""
    from archive.factory import build_services
    from archive.services.holds import place_hold
    from archive.services.worker import drain
    from archive.settings import Settings

    services = build_services(Settings(_env_file=None, data_dir=data_dir))  # type: ignore[call-arg]
    try:
        await services.index.ensure_ready()
        assert await drain(services) == 3
        kept = sorted(r.id for r in services.records.iter_all() if r.metadata.document_type != "Giấy mời")
        services.records.set_grant(kept[0], "user:alice", present=True)
        place_hold(
            services, name="Thanh tra 2025", reason="thanh tra", authority="QĐ 12/QĐ-TTr",
            actor="cli:records-manager", record_ids=[kept[1]],
        )  # fmt: skip
    finally:
        await services.close()


def _prepare(incoming: Path, trust_roots: Path) -> None:
    """The first sample becomes an invitation issued in 2001 (five years: long due);
    the second is signed by a trusted CA, so the signatures table has a row."""
    from tests.support.signing import make_pki, sign_pdf, write_trust_roots

    manifest = incoming / "manifest.csv"
    with manifest.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0].update(document_type="Giấy mời", issue_date="2001-01-01")
    with manifest.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    pki = make_pki()
    write_trust_roots(trust_roots, pki.root.certificate)
    signed = incoming / rows[1]["file"]
    signed.write_bytes(sign_pdf(signed.read_bytes(), pki.signer, pki))


def _heads(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())


def _main(argv: Iterator[str]) -> None:
    data_dir, out = (Path(a) for a in argv)
    engine = fill(data_dir)
    snapshot = {"release": out.stem, "heads": _heads(engine), "tables": dump(engine)}
    out.write_text(json.dumps(snapshot, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    engine.dispose()


if __name__ == "__main__":
    _main(iter(sys.argv[1:]))
