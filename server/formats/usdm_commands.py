"""USDM on the command line: ``concord export --format usdm`` and ``concord import FILE``."""

from __future__ import annotations

import asyncio
import re
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from domain.account_events import SystemRole
from domain.actor import Actor
from domain.errors import DomainError
from domain.roles import OrganizationKind
from events import EventStore
from server.accounts.account_training import founder_training
from server.audit.history import TrialHistory
from server.bootstrap import open_services
from server.commands.errors import CommandNotRecorded
from server.formats.usdm_export import usdm_json
from server.formats.usdm_import import MAX_FILE_BYTES, ImportPlan, ImportRefused, read_usdm
from server.formats.usdm_importing import Founding, counts, import_trial
from server.formats.usdm_source import NothingToExport, export_source
from server.services import Settings


async def write_usdm(store: EventStore, trial_id: str | None, out: Path, at: str | None) -> None:
    """Write the trial as a USDM v4 file to ``out``, at ``at``: a log position, an ISO 8601
    time or ``vN`` (as protocol version N was published); now without it. A ``ValueError``
    says why there is nothing to write."""
    if trial_id is None:
        raise ValueError("name the trial (--trial) to export it as USDM")
    position, version = await _moment(store, at)
    try:
        source = await export_source(
            store, TrialHistory(store).at, trial_id, position=position, version=version
        )
    except NothingToExport as missing:
        raise ValueError(str(missing)) from None
    await asyncio.to_thread(out.write_bytes, usdm_json(source))


async def _moment(store: EventStore, at: str | None) -> tuple[int | None, int | None]:
    """``(position, version)`` from ``--at``."""
    if at is None:
        return None, None
    if at.isascii() and at.isdigit():
        return int(at), None
    if at[:1] == "v" and at[1:].isascii() and at[1:].isdigit() and int(at[1:]) > 0:
        return None, int(at[1:])
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError(f"--at {at!r} is no log position, vN or ISO 8601 time with its offset")
    return await store.position_at(moment.astimezone(UTC)), None


def read_file(path: Path) -> ImportPlan | int:
    """The plan of ``path``, or the exit status after saying why it is refused."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            print(f"not imported: {path} is larger than {MAX_FILE_BYTES} bytes", file=sys.stderr)
            return 2
        raw = path.read_bytes()
    except OSError as failed:
        print(f"not imported: {failed}", file=sys.stderr)
        return 2
    try:
        return read_usdm(raw, file_name=path.name)
    except ImportRefused as refused:
        print(f"not imported: {refused.reason}", file=sys.stderr)
        for error in refused.errors:
            print(f"  {error.path}: {error.message}", file=sys.stderr)
        return 2


async def import_file(
    url: str,
    settings: Settings,
    path: Path,
    *,
    username: str,
    trial_id: str,
    organization_id: str,
    organization_kind: OrganizationKind,
    organization_name: str | None = None,
    title: str | None = None,
) -> int:
    """Found trial ``trial_id`` from the USDM file at ``path``, as ``username``, who must
    hold the system role trial_creator; their training is what a system administrator
    attested for their account."""
    plan = read_file(path)
    if isinstance(plan, int):
        return plan
    async with open_services(url, settings=settings) as services:
        user = await services.accounts.by_username(username)
        if user is None:
            print(f"not imported: there is no user {username}", file=sys.stderr)
            return 1
        account = await services.account_log.state(user.user_id)
        if SystemRole.TRIAL_CREATOR not in account.system_roles:
            print(
                f"not imported: {username} does not hold the system role trial_creator"
                f" (concord user grant {username} trial_creator --reason ...)",
                file=sys.stderr,
            )
            return 1
        founder = Actor(
            user_id=user.user_id,
            printed_name=user.printed_name,
            organization_id=organization_id,
            organization_kind=organization_kind,
        )
        founding = Founding(
            trial_id=trial_id,
            founder=founder,
            organization_name=organization_name or organization_id,
            training=founder_training(user.user_id, account),
            founded_at=services.clock(),
            title=title,
        )
        try:
            imported = await import_trial(
                services.commands, plan, founding, {"actor": user.user_id, "via": "cli"}
            )
        except (DomainError, CommandNotRecorded) as refused:
            print(f"not imported: {refused}", file=sys.stderr)
            return 1
    record = imported.record
    print(
        f"imported {path} (SHA-256 {record.file_sha256}) as trial {trial_id} at log position"
        f" {imported.position}: {len(plan.texts)} outline sections with text,"
        f" {len(plan.subsections)} subsections, {len(record.amendments)} amendments as history"
    )
    print("placed: " + ", ".join(f"{rule} {n}" for rule, n in counts(record)))
    for placement in record.placements:
        if placement.rule.value in ("by_title", "unplaced") or placement.notes:
            source = " ".join(x for x in (placement.source_number, placement.source_title) if x)
            where = f"-> {placement.number}" if placement.number else "left out"
            notes = f" ({'; '.join(placement.notes)})" if placement.notes else ""
            print(f"  {source}: {placement.rule.value} {where}{notes}")
    return 0


def run_import(url: str, settings: Settings, args: Any) -> int:
    """``concord import``, from the parsed arguments."""
    trial_id = args.trial
    if trial_id is None:
        plan = read_file(args.file)
        if isinstance(plan, int):
            return plan
        trial_id = trial_id_for(plan.study_name)
    return asyncio.run(
        import_file(
            url,
            settings,
            args.file,
            username=args.user,
            trial_id=trial_id,
            organization_id=args.organization,
            organization_kind=OrganizationKind(args.organization_kind),
            organization_name=args.organization_name,
            title=args.title,
        )
    )


def trial_id_for(study_name: str) -> str:
    """A trial id made of a study's name: letters, digits, '.', '_' and '-', up to 64."""
    plain = unicodedata.normalize("NFKD", study_name.casefold()).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", "-", plain.decode()).strip("-")
    return slug[:64].rstrip("-") or "imported"
