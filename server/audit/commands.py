"""The audit commands of the CLI: verify (the database or a file), export, replay, key."""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path

from domain.streams import trial_stream
from events import EventStore, open_store
from server.accounts.tables import utc_now
from server.audit.checkpoint_store import StoredCheckpoints
from server.audit.checkpoints import Checkpoints
from server.audit.exports import write_export
from server.audit.history import TrialHistory
from server.audit.log_file import verify_log_file
from server.audit.moment import moment, position_of
from server.audit.progress import progress_bar
from server.audit.replay_view import replay_view
from server.audit.report.layout_process import ReportLayoutFailed
from server.audit.signing import SigningKey, load_public_key
from server.audit.verification import verify_log
from server.database import create_engine_for
from server.http.problems import Problem
from server.services import Settings


async def verify_database(url: str, settings: Settings) -> int:
    """Recompute the chain, then check every signed checkpoint against it."""
    async with AsyncExitStack() as stack:
        store = await open_store(url)
        stack.push_async_callback(store.close)
        engine = create_engine_for(url)
        stack.push_async_callback(engine.dispose)
        checkpoints = Checkpoints(store, engine, SigningKey(settings.signing_key), utc_now)
        with progress_bar("verifying") as progress:
            found = await verify_log(store, checkpoints, progress=progress)
    print(found.summary())
    return 0 if found.ok else 1


def verify_file(path: Path, public_key_file: Path | None) -> int:
    """Check an exported log offline: its chain and its signed checkpoint."""
    try:
        given = load_public_key(public_key_file.read_text()) if public_key_file else None
        with path.open(encoding="utf-8") as lines:
            total = sum(1 for _ in lines)
        with path.open(encoding="utf-8") as lines, progress_bar("verifying", "line") as progress:
            report = verify_log_file(lines, public_key=given, total=total, progress=progress)
    except (OSError, ValueError) as error:
        print(f"cannot verify {path}: {error}", file=sys.stderr)
        return 2
    signer = f"key {report.key_id}" + ("" if report.key_given else " (the key the file names)")
    if not report.ok:
        print(f"BROKEN at position {report.first_bad_position}: {report.problem}")
        return 1
    scope = f"trial {report.trial_id}" if report.trial_id else "the whole log"
    print(
        f"ok: {scope}, {report.checked} events ({report.redacted} of other trials redacted),"
        f" head {report.checkpoint.position} {report.checkpoint.hash},"
        f" signed at {report.checkpoint.signed_at} by {signer}"
    )
    return 0


def print_public_key(settings: Settings) -> int:
    key = SigningKey(settings.signing_key)
    print(f"# key id {key.key_id}")
    print(key.public_key_pem(), end="")
    return 0


async def replay(url: str, trial_id: str, at: str) -> int:
    """Print the trial as it was at a position or time, as the API's replay answers it:
    from the audit checkpoints saved beside the log (the server's, or an earlier
    replay's), folding only the trial's events after the last one (and saving the
    checkpoints it makes, for the next)."""
    async with AsyncExitStack() as stack:
        store = await open_store(url)
        stack.push_async_callback(store.close)
        engine = create_engine_for(url)
        stack.push_async_callback(engine.dispose)
        history = TrialHistory(store, checkpoints=StoredCheckpoints(engine))
        stack.push_async_callback(history.close)
        try:
            position = await position_of(store, moment(at))
            with progress_bar("replaying") as progress:
                replayed = await history.at(trial_id, position, progress=progress)
        except Problem as problem:
            print(problem.detail, file=sys.stderr)
            return 2
    if replayed.events == 0 and replayed.next is None:
        print(f"there is no trial {trial_id}", file=sys.stderr)
        return 1
    print(json.dumps(replay_view(replayed), indent=2, ensure_ascii=False))
    return 0


ExportWriter = Callable[[EventStore, Path], Awaitable[None]]
"""Writes an export of another room's (a USDM file, a protocol document) to a path."""


async def export(
    url: str,
    settings: Settings,
    trial_id: str | None,
    kind: str,
    out: Path,
    writer: ExportWriter | None = None,
) -> int:
    """Write the trial's log (JSON Lines), audit trail (CSV) or audit report (PDF), or,
    with ``writer``, what it writes (the CLI chooses it for the other rooms' formats).

    A file at ``out`` is always a whole export: it is written beside ``out`` under another
    name and renamed once complete (an export that fails or is interrupted leaves nothing
    at ``out``, and an earlier file there untouched until the new one is whole)."""
    async with AsyncExitStack() as stack:
        store = await open_store(url)
        stack.push_async_callback(store.close)
        engine = create_engine_for(url)
        stack.push_async_callback(engine.dispose)
        checkpoints = Checkpoints(store, engine, SigningKey(settings.signing_key), utc_now)
        if trial_id is not None and not await store.read_stream(trial_stream(trial_id), limit=1):
            print(f"there is no trial {trial_id}", file=sys.stderr)
            return 1
        try:
            with progress_bar(f"exporting {kind}") as progress, _whole_or_nothing(out) as part:
                if writer is not None:
                    await writer(store, part)
                else:
                    await write_export(store, checkpoints, trial_id, kind, part, progress)
        except ValueError as refused:
            print(f"not exported: {refused}", file=sys.stderr)
            return 2
        except (OSError, ReportLayoutFailed) as failed:
            print(f"not exported: {failed}", file=sys.stderr)
            return 2
    print(f"wrote {out} ({kind}) of {f'trial {trial_id}' if trial_id else 'the whole log'}")
    return 0


PARTIAL_SUFFIX = ".partial"


@contextmanager
def _whole_or_nothing(out: Path) -> Iterator[Path]:
    """A new file beside ``out`` (``.NAME.RANDOM.partial``, created as ``out`` would be)
    to write into: flushed to disk and renamed to ``out`` when the block ends, removed if
    it raises. Only a killed process (SIGKILL, a power cut) leaves it behind, never ``out``."""
    part = out.with_name(f".{out.name}.{secrets.token_hex(4)}{PARTIAL_SUFFIX}")
    os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield part
        descriptor = os.open(part, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(part, out)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
