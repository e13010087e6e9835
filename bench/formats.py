"""USDM v4 export and import of a large trial: seconds and peak memory.

    python -m bench.formats [--sections 500] [--amendments 50] [--repeat 3] [--db PATH]

Builds (or reuses, with --db naming an existing file) the demo trial taken to
``--sections`` sections of the M11 outline and ``--amendments`` merged amendments, all
through the command service (``tests/integration/server/formats/amended.py``: A-2 adds
the subsections with paragraphs and lists, the others revise sections), then measures:

- export: the trial's states replayed at the head (the audit's history, built once and
  timed apart) and the USDM ``Wrapper`` built and serialized; its size, and its
  validation against CDISC's schema (as the tests do; not part of an export);
- import: the file read (parsed, validated, the narrative placed) and the trial founded
  from it through the command service.

Seconds are the best of ``--repeat`` runs; peak memory is traced (``tracemalloc``: Python
allocations during that step alone) in a run of its own, and the process's peak RSS is
printed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from domain import m11
from domain.actor import Actor
from domain.charter import GCP_TRAINING
from domain.roles import OrganizationKind
from domain.streams import protocol_stream
from domain.workspace import TrainingRecord
from server.accounts.account_log import operator_actor
from server.bootstrap import open_services
from server.demo import DEMO_TRIAL, load_demo
from server.formats import usdm_import
from server.formats.usdm_export import usdm_json
from server.formats.usdm_import import read_usdm
from server.formats.usdm_importing import Founding, import_trial
from server.formats.usdm_source import export_source
from server.formats.usdm_validation import schema_errors
from server.services import Services, Settings
from tests.integration.server.formats.amended import RICH_TEXT, merge_amendments

T = TypeVar("T")
OUTLINE_SECTIONS = len(m11.OUTLINE)
"""The demo protocol's sections: the M11 outline and the lay summary."""
TEXT = "\n\n".join([RICH_TEXT] * 3)
"""About 1,300 characters a section: three paragraphs, three lists."""


async def _build(services: Services, sections: int, amendments: int) -> None:
    people = {person.username: person for person in await load_demo(services)}
    await merge_amendments(
        services,
        people,
        amendments,
        subsections=max(0, sections - OUTLINE_SECTIONS + 1),  # A-3 removes one
        text=TEXT,
    )


async def _timed(step: Callable[[], Awaitable[T]], repeat: int) -> tuple[float, T]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = await step()
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return best, result


async def _peak(step: Callable[[], Awaitable[Any]]) -> int:
    tracemalloc.start()
    try:
        await step()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MiB"


async def run(db: Path, sections: int, amendments: int, repeat: int) -> None:
    url = f"sqlite:///{db}"
    settings = Settings(signing_key=db.with_suffix(".pem"))
    async with open_services(url, settings=settings) as services:
        if services.directory.trial(DEMO_TRIAL) is None:
            started = time.perf_counter()
            await _build(services, sections, amendments)
            print(f"built the trial in {time.perf_counter() - started:.1f} s")
        protocol = (await services.store.read_stream(protocol_stream(DEMO_TRIAL)))[-1]
        history_started = time.perf_counter()
        await services.history.positions(DEMO_TRIAL)
        history = time.perf_counter() - history_started

        async def export() -> bytes:
            source = await export_source(services.store, services.history.at, DEMO_TRIAL)
            return usdm_json(source)

        export_seconds, raw = await _timed(export, repeat)
        export_peak = await _peak(export)
        document = msgspec.json.decode(raw)
        versions = document["study"]["versions"]
        contents = sum(len(v["contents"]) for v in document["study"]["documentedBy"][0]["versions"])
        started = time.perf_counter()
        errors = schema_errors(document)
        validation = time.perf_counter() - started
        print(
            f"trial: {len(versions[-1]['narrativeContentItems'])} sections,"
            f" {len(versions) - 1} merged amendments, {len(versions)} study versions,"
            f" {contents:,} narrative contents; log head {protocol.position:,}"
        )
        print(f"export: {export_seconds:.2f} s (best of {repeat}), peak {_mib(export_peak)};"
              f" file {_mib(len(raw))}; history built first in {history:.2f} s")  # fmt: skip
        print(f"        valid USDM v4: {not errors} (schema check {validation:.2f} s)")

        founder = await services.accounts.create_user(
            f"bench-{time.time_ns()}", "Bench Importer", "a long bench password"
        )
        actor = Actor(
            user_id=founder.user_id,
            printed_name=founder.printed_name,
            organization_id="northwind",
            organization_kind=OrganizationKind.SPONSOR,
        )
        attested_by = operator_actor("bench")
        trained = (
            TrainingRecord(
                course=GCP_TRAINING, completed_on=date(2026, 1, 5), attested_by=attested_by
            ),
        )
        counter = iter(range(10**6))
        if len(raw) > usdm_import.MAX_FILE_BYTES:
            print(f"the file is over the import's bound of {_mib(usdm_import.MAX_FILE_BYTES)}")
            return

        async def read() -> Any:
            return await asyncio.to_thread(read_usdm, raw)

        async def found() -> Any:
            plan = read_usdm(raw)
            founding = Founding(f"bench-import-{time.time_ns()}-{next(counter)}", actor,
                                "Northwind", trained, services.clock())  # fmt: skip
            return await import_trial(services.commands, plan, founding, {"actor": actor.user_id})

        read_seconds, plan = await _timed(read, repeat)
        import_seconds, imported = await _timed(found, repeat)
        import_peak = await _peak(found)
        print(
            f"import: {import_seconds:.2f} s (best of {repeat}: read, validate, place, found),"
            f" peak {_mib(import_peak)}; of which reading {read_seconds:.2f} s;"
            f" {len(plan.texts)} outline texts, {len(plan.subsections)} subsections,"
            f" {len(plan.record.amendments)} amendments as history"
        )
        print(f"        recorded at log position {imported.position:,}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"process peak RSS {rss / 1024:,.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", type=int, default=500)
    parser.add_argument("--amendments", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, help="an SQLite file to build in, or reuse")
    args = parser.parse_args()
    if args.db is not None:
        asyncio.run(run(args.db, args.sections, args.amendments, args.repeat))
        return
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(
            run(Path(folder) / "formats.sqlite", args.sections, args.amendments, args.repeat)
        )


if __name__ == "__main__":
    main()
