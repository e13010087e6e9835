"""Witness cosigning at scale: how long a witness takes to check and cosign a checkpoint
of a log of a million events.

```
.venv/bin/python -m bench.witness --events 1000000 [--db PATH] [--rounds 5] [--grow 1000]
```

writes (or reuses) a durable SQLite log of that many events (a trial whose charter names
the witness, then ``Noted`` events in bulk streams), opens the server's services on it
(the Merkle tree is built from the log the first time and saved beside it), serves them
with uvicorn on a loopback port, and has a witness cosign the head once. Then, each round,
the log grows by ``--grow`` events, the server signs the new head, and the witness runs
as ``concord witness`` does (over HTTP: the checkpoint, the consistency proof from the
size it cosigned, the checks, its cosignature posted and checked by the server). Prints
each part's time.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import socket
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.catalog import to_data
from domain.charter import DEFAULT_CHARTER, Witness
from domain.streams import trial_stream
from domain.workspace_events import TrialCreated
from events import NewEvent, StreamAppend, open_store
from events.merkle import verify_consistency
from server.app import create_app
from server.audit.server_client import ConcordServer
from server.audit.signed_note import raw_public_key
from server.audit.witness import CONSISTENCY_PATH, cosign_latest
from server.bootstrap import open_services
from server.services import Services, Settings

WITNESS = "bench.example/witness"
TRIAL = "witness-bench"
BATCH = 5000
T = TypeVar("T")


async def write_log(url: str, events: int, witness_key: Ed25519PrivateKey) -> None:
    """A trial requiring the witness, then ``Noted`` events up to ``events`` in all."""
    store = await open_store(url)
    try:
        head = await store.head_position()
        if head == 0:
            public = base64.b64encode(raw_public_key(witness_key.public_key())).decode()
            charter = replace(
                DEFAULT_CHARTER, witnesses=(Witness(name=WITNESS, public_key=public),)
            )
            created = TrialCreated(
                trial_id=TRIAL, title="Witness bench", charter=charter, created_by="u-bench"
            )
            data = NewEvent(created.event_type, to_data(created), created.schema_version)
            await store.append(StreamAppend(trial_stream(TRIAL), [data]))
            head = 1
        batch = head // BATCH
        while head < events:
            count = min(BATCH, events - head)
            notes = [NewEvent("Noted", {"batch": batch, "n": n}) for n in range(count)]
            await store.append(StreamAppend(f"bulk/{batch}", notes))
            head += count
            batch += 1
            if batch % 20 == 0:
                print(f"  written {head:,} events", flush=True)
    finally:
        await store.close()


@asynccontextmanager
async def served(services: Services) -> AsyncIterator[str]:
    """uvicorn serving the app on a loopback socket; its base URL."""

    @asynccontextmanager
    async def given() -> AsyncIterator[Services]:
        yield services

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    config = uvicorn.Config(create_app(given), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        listener.close()


class TimedServer(ConcordServer):
    """The witness's HTTP client, timing each request by what it asks for."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(url, token)
        self.times: dict[str, list[float]] = {}

    def get(self, path: str, query: dict[str, int] | None = None) -> Any:
        return self._timed("GET " + path, lambda: super(TimedServer, self).get(path, query))

    def post(self, path: str, body: dict[str, Any]) -> Any:
        what = "POST /api/log/checkpoints/{size}/cosignatures"
        return self._timed(what, lambda: super(TimedServer, self).post(path, body))

    def _timed(self, what: str, request: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return request()
        finally:
            self.times.setdefault(what, []).append(time.perf_counter() - started)


async def timed(work: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    started = time.perf_counter()
    result = await work()
    return result, time.perf_counter() - started


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def run(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="witness-bench-"))
    key_file = args.db.with_suffix(".witness.pem")
    if key_file.exists():
        loaded = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        assert isinstance(loaded, Ed25519PrivateKey)
        witness_key = loaded
    else:
        witness_key = Ed25519PrivateKey.generate()
        key_file.write_bytes(
            witness_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    url = f"sqlite+aiosqlite:///{args.db}"
    _, written = await timed(lambda: write_log(url, args.events, witness_key))
    print(f"log ready: {args.events:,} events ({written:.1f} s to write what was missing)")
    settings = Settings(signing_key=args.db.with_suffix(".server.pem"))
    started = time.perf_counter()
    async with open_services(url, settings=settings) as services:
        head = await services.store.head_position()
        await services.merkle.wait_for(head)
        print(f"services open, Merkle tree at {head:,}: {time.perf_counter() - started:.1f} s")
        user = await services.accounts.create_user(
            f"witness{int(time.time())}", "Bench Witness", "a long enough password for it"
        )
        token = (await services.tokens.issue(user.user_id, "bench")).token
        state = folder / "state.json"
        async with served(services) as http:
            server = TimedServer(http, token)

            def witness() -> str:
                return cosign_latest(server, witness_key, state, name=WITNESS)

            await services.checkpoints.sign_head()
            print("first cosignature:", await asyncio.to_thread(witness))
            server.times.clear()
            following: list[float] = []
            signing, cosigning, proving, checking = [], [], [], []
            for _ in range(args.rounds):
                old = await services.store.head_position()
                await write_log(url, old + args.grow, witness_key)
                grown = await services.store.head_position()
                _, seconds = await timed(lambda: services.merkle.wait_for(grown))  # noqa: B023
                following.append(seconds)
                signed, seconds = await timed(services.checkpoints.sign_head)
                signing.append(seconds)
                outcome, seconds = await timed(lambda: asyncio.to_thread(witness))
                cosigning.append(seconds)
                query = {"from": old, "to": signed.position}
                answer, seconds = await timed(
                    lambda: asyncio.to_thread(ConcordServer.get, server, CONSISTENCY_PATH, query)  # noqa: B023
                )
                proving.append(seconds)
                proof = [base64.b64decode(h) for h in answer["proof"]]
                old_root = await services.merkle.root(old)
                new_root = await services.merkle.root(signed.position)
                started = time.perf_counter()
                assert verify_consistency(old, signed.position, old_root, new_root, proof)
                checking.append(time.perf_counter() - started)
                print(f"  {outcome} ({len(proof)} hashes in the proof)", flush=True)
    report = {
        "the tree follows the appended events (before signing)": following,
        "server signs the head (root from the tree)": signing,
        "witness run: checkpoint, proof, checks, cosignature posted and stored": cosigning,
        **{f"  of which {what}": values for what, values in server.times.items()},
        "consistency proof over HTTP alone": proving,
        "consistency proof verified alone": checking,
    }
    print(f"\n{args.rounds} rounds, the log growing by {args.grow:,} events each:")
    for what, values in report.items():
        print(f"  {what}: median {ms(statistics.median(values))}, worst {ms(max(values))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/witness-1m.sqlite"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--grow", type=int, default=1000)
    args: Any = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
