"""Live co-editing: editors typing into one section while readers watch it, then opening a
section whose shared text has a long history.

    python -m bench.coediting [--editors 20] [--readers 200] [--rate 5] [--seconds 30]
                              [--history 100000] [--client-processes 1]

``concord serve`` runs in its own process on a fresh SQLite file holding the demo and the
draft trial (``copd-202``). Figures only: nothing here asserts a timing.

**Typing.** ``--readers`` websocket listeners (alex's token: he reads, may not edit) watch
``/api/live?trial=copd-202`` from ``--client-processes`` other processes. ``--editors``
editors, each a pycrdt document with its own client id, open section 5.2's shared text
(``GET .../text``), listen on their own websocket and apply everyone's updates to their
document as they arrive, as a browser does. Editors share the two people who may edit
(Ivy and Omar, alternately): several editors per person are several browser tabs, and the
server tells them apart by nothing but the document's client id. Each types ``--rate``
characters a second for ``--seconds``, each at a random place in the first paragraph's
text, and sends what it typed as ``POST .../text/updates`` with an ``Idempotency-Key``:
one request in flight per editor, what piles up meanwhile merged into the next one
(``pycrdt.merge_updates``), as ``web/js/shared-text.js`` does.

The report gives, over every update and every listener other than its sender, the time
from the POST being sent to the event carrying it arriving on that listener's websocket
(one machine, one clock; target p99 <= 100 ms), and from the keystroke to that arrival
(which adds the wait behind the request in flight); updates lost (acknowledged, never
received by a listener) and repeated (received twice by one); whether every editor's text
is the server's and holds every acknowledged character; events logged per second; the
server's CPU and resident memory.

**A long history.** ``--history`` updates are typed by Ivy and Omar into section 5.3 (two
pycrdt documents kept in step, each update one transaction: a character typed, now and
then a backspace, the caret jumping now and then), and appended to the log as the command
records them (``SharedTextEdited`` events, in batches straight through the event store:
the route's checks are not what this measures). Then ``GET .../sections/5.3/text`` is
timed on a freshly started server (no snapshot yet: it folds the whole history, and
should save a snapshot), and again after a restart (from the snapshot; target <= 200 ms),
each time with the slowest answer to a cheap request sent meanwhile (is the event loop
free?); then the same open in this process, split into the state cache's fold and the
document's. The memory an open document takes is estimated from the server's RSS: the
long one's, and that of the other sections' (small) texts, opened one after another.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import functools
import multiprocessing
import os
import random
import resource
import sqlite3
import string
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvloop
from pycrdt import Doc, TransactionEvent, XmlElement, XmlFragment, XmlText, merge_updates

from bench.live_fanout import Listener, ListenerStats, percentile, rss_kib
from bench.serving import HOST, free_port, process_cpu, running_server
from domain.catalog import to_data
from domain.m11 import OUTLINE
from domain.shared_text import SharedTextEdited, StartSharedText
from domain.streams import protocol_stream, shared_text_stream
from events import NewEvent, StreamAppend
from server.bootstrap import open_services
from server.coediting.rich_text import FIELD, first_state
from server.commands.aggregates import PROTOCOL, TEXT
from server.commands.targets import shared_text_target
from server.demo import DRAFT_TRIAL, load_demo, load_draft_trial

EDITORS = 20
READERS = 200
RATE = 5.0
SECONDS = 30.0
HISTORY = 100_000
TYPED = "5.2"
HISTORY_SECTION = "5.3"
TARGET_P99_MS = 100.0
TARGET_OPEN_MS = 200.0
CONNECT_TIMEOUT = 120.0
DRAIN_TIMEOUT = 30.0
"""Longest the listeners wait, after the last update, for it to reach them all."""
OPEN_TIMEOUT = 900.0
"""Longest a GET of the long history may take (the first open folds all of it)."""
SNAPSHOT_TIMEOUT = 60.0
APPEND_BATCH = 1_000
SECTION_PATH = f"/api/trials/{DRAFT_TRIAL}/protocol/sections"
EDITED = SharedTextEdited.event_type


@dataclass(frozen=True, slots=True)
class People:
    """API tokens and user ids of the draft trial's people."""

    editor_tokens: tuple[str, ...]
    reader_token: str
    user_ids: dict[str, str]


async def prepare(url: str) -> People:
    async with open_services(url) as services:
        people = await load_demo(services)
        await load_draft_trial(services, people)
        by_name = {p.username: p for p in people}

        async def token(username: str) -> str:
            user_id = by_name[username].user_id
            return (await services.tokens.issue(user_id, "co-editing bench")).token

        return People(
            (await token("ivy"), await token("omar")),
            await token("alex"),
            {name: p.user_id for name, p in by_name.items()},
        )


# --- listening: every listener notes when each update of the typed section arrives --------


class TextListener(Listener):
    """A websocket listener that notes the arrival of each update of one shared text (and
    hands it on: an editor applies it to its document)."""

    def __init__(
        self,
        path: str,
        token: str,
        stats: ListenerStats,
        ready: asyncio.Event,
        stream: str,
        on_update: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(path, token, stats, ready)
        self._stream = stream
        self._on_update = on_update
        self.arrivals: dict[int, float] = {}
        """Position of each update received -> when it first arrived."""
        self.repeated = 0

    def _message(self, message: dict[str, Any], now: float) -> None:
        kind = message["type"]
        if kind == "events":
            for event in message["events"]:
                position = event["position"]
                self.last = max(self.last, position)
                if event["stream"] != self._stream or event["type"] != EDITED:
                    continue
                if position in self.arrivals:
                    self.repeated += 1
                    continue
                self.arrivals[position] = now
                if self._on_update is not None:
                    self._on_update(event["data"]["update"])
            if self.last >= self.awaited and not self.arrived.done():
                self.arrived.set_result(None)
        elif kind == "ready":
            self._stats.ready += 1
            self._ready.set()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def connect(
    port: int, token: str, stats: ListenerStats, on_update: Callable[[str], None] | None = None
) -> TextListener:
    loop = asyncio.get_running_loop()
    ready = asyncio.Event()
    path = f"/api/live?trial={DRAFT_TRIAL}"
    stream = shared_text_stream(DRAFT_TRIAL, TYPED)
    _, listener = await loop.create_connection(
        functools.partial(TextListener, path, token, stats, ready, stream, on_update), HOST, port
    )
    async with asyncio.timeout(CONNECT_TIMEOUT):
        await ready.wait()
    return listener


@dataclass
class ReadersSeen:
    """What one process of readers saw."""

    arrivals: list[dict[int, float]] = field(default_factory=list)
    repeated: int = 0
    closed: dict[int, int] = field(default_factory=dict)


def watch(port: int, token: str, count: int, go: Any, done: Any, last: Any) -> ReadersSeen:
    """Open ``count`` readers, report ready, and listen until each has the event at
    position ``last.value`` (set when the editors are done) or the drain timeout."""
    return uvloop.run(_watch(port, token, count, go, done, last))


async def _watch(port: int, token: str, count: int, go: Any, done: Any, last: Any) -> ReadersSeen:
    stats = ListenerStats()
    readers = [await connect(port, token, stats) for _ in range(count)]
    go.release()
    await asyncio.to_thread(done.wait)
    for reader in readers:
        reader.expect(last.value)
    await asyncio.wait([r.arrived for r in readers], timeout=DRAIN_TIMEOUT)
    for reader in readers:
        reader.close()
    return ReadersSeen(
        [r.arrivals for r in readers], sum(r.repeated for r in readers), stats.closed
    )


# --- the editors ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Keystroke:
    typed_at: float
    update: bytes
    character: str


@dataclass(frozen=True, slots=True)
class Sent:
    """One acknowledged request: what it carried and when."""

    editor: int
    position: int
    sent_at: float
    acknowledged_at: float
    keystrokes: tuple[Keystroke, ...]


class Editor:
    """One person's browser tab: a document, its websocket, typing, one request at a time."""

    def __init__(
        self, number: int, client_id: int, token: str, http: httpx.AsyncClient, character: str
    ) -> None:
        self.number = number
        self.doc: Doc[Any] = Doc(client_id=client_id)
        self._token = token
        self._http = http
        self.character = character
        self._applying = False
        self._transactions: list[bytes] = []
        self._subscription = self.doc.observe(self._transaction)
        self._unsent: list[Keystroke] = []
        self._sending: asyncio.Task[None] | None = None
        self.sent: list[Sent] = []
        self.errors: list[str] = []
        self.listener: TextListener | None = None

    @property
    def fragment(self) -> XmlFragment:
        fragment: XmlFragment = self.doc.get(FIELD, type=XmlFragment)
        return fragment

    def apply(self, update: str) -> None:
        """Someone's update (base64), as it arrives on the websocket."""
        self._applying = True
        try:
            self.doc.apply_update(base64.b64decode(update))
        finally:
            self._applying = False

    def _transaction(self, event: TransactionEvent) -> None:
        if not self._applying:
            self._transactions.append(event.update)

    async def type(self, start: float, rate: float, count: int, rng: random.Random) -> None:
        """Type ``count`` characters at ``rate`` a second from monotonic time ``start``,
        then wait until all of it is sent."""
        text = _first_text(self.doc)
        for k in range(count):
            delay = start + k / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            typed_at = time.time()
            text.insert(rng.randint(0, len(text)), self.character)
            (update,) = self._transactions
            self._transactions.clear()
            self._unsent.append(Keystroke(typed_at, update, self.character))
            if self._sending is None or self._sending.done():
                self._sending = asyncio.create_task(self._send())
        if self._sending is not None:
            await self._sending

    async def _send(self) -> None:
        path = f"{SECTION_PATH}/{TYPED}/text/updates"
        while self._unsent:
            keystrokes, self._unsent = tuple(self._unsent), []
            updates = [k.update for k in keystrokes]
            update = updates[0] if len(updates) == 1 else merge_updates(*updates)
            body = {"update": base64.b64encode(update).decode("ascii")}
            headers = {
                "Authorization": f"Bearer {self._token}",
                "Idempotency-Key": uuid.uuid4().hex,
            }
            sent_at = time.time()
            answer = await self._post(path, body, headers)
            if isinstance(answer, str):
                self.errors.append(answer)
                continue
            position = answer.json()["position"]
            self.sent.append(Sent(self.number, position, sent_at, time.time(), keystrokes))

    async def _post(
        self, path: str, body: dict[str, str], headers: dict[str, str]
    ) -> httpx.Response | str:
        """The answer, or what went wrong: a refusal, or the connection three times (the
        retries carry the same key, so nothing is recorded twice)."""
        failure = ""
        for _ in range(3):
            try:
                response = await self._http.post(path, json=body, headers=headers)
            except httpx.TransportError as error:
                failure = f"{type(error).__name__}: {error}"
                continue
            if response.status_code != 200:
                return f"{response.status_code} {response.text[:400]}"
            return response
        return failure


@dataclass
class Typed:
    """What the editors did and saw, and the server's text after."""

    editors: list[Editor]
    started: float
    """Wall-clock time the typing started."""
    seconds: float
    closed: dict[int, int]
    """Close codes the server sent the editors' websockets, and how often."""
    server_text: str
    server_version: int
    initial_text: str


async def type_together(
    port: int, people: People, editors: int, rate: float, seconds: float, done: Any, last: Any
) -> Typed:
    limits = httpx.Limits(max_connections=editors + 4, max_keepalive_connections=editors + 4)
    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{port}", limits=limits, timeout=60
    ) as http:
        text_path = f"{SECTION_PATH}/{TYPED}/text"
        first = await open_text(http, people.editor_tokens[0], text_path)  # starts it
        initial: Doc[Any] = Doc()
        initial.apply_update(base64.b64decode(first["state"]))
        initial_text = str(_first_text(initial))
        rng = random.Random(17)
        client_ids = rng.sample(range(1, 2**32), editors)
        letters = string.ascii_letters
        typists: list[Editor] = []
        stats = ListenerStats()
        for k in range(editors):
            token = people.editor_tokens[k % len(people.editor_tokens)]
            editor = Editor(k, client_ids[k], token, http, letters[k % len(letters)])
            editor.listener = await connect(port, token, stats, editor.apply)
            editor.apply((await open_text(http, token, text_path))["state"])
            typists.append(editor)
        started = time.monotonic() + 0.5
        count = int(rate * seconds)
        await asyncio.gather(
            *(
                e.type(started + rng.random() / rate, rate, count, random.Random(e.number))
                for e in typists
            )
        )
        typed_seconds = time.monotonic() - started
        acknowledged = [s.position for e in typists for s in e.sent]
        last.value = max(acknowledged, default=0)
        done.set()
        for editor in typists:
            assert editor.listener is not None
            editor.listener.expect(last.value)
        await asyncio.wait(
            [e.listener.arrived for e in typists if e.listener], timeout=DRAIN_TIMEOUT
        )
        final = await open_text(http, people.editor_tokens[0], text_path)
        server: Doc[Any] = Doc()
        server.apply_update(base64.b64decode(final["state"]))
        for editor in typists:
            assert editor.listener is not None
            editor.listener.close()
        return Typed(
            typists,
            time.time() - (time.monotonic() - started),
            typed_seconds,
            stats.closed,
            str(server.get(FIELD, type=XmlFragment)),
            final["version"],
            initial_text,
        )


async def open_text(http: httpx.AsyncClient, token: str, path: str) -> dict[str, Any]:
    response = await http.get(path, headers={"Authorization": f"Bearer {token}"})
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:400]}")
    answer: dict[str, Any] = response.json()
    return answer


def _first_text(doc: Doc[Any]) -> XmlText:
    """The text of the document's first paragraph (up to its first line break)."""
    paragraph = doc.get(FIELD, type=XmlFragment).children[0]
    assert isinstance(paragraph, XmlElement)
    text = paragraph.children[0]
    assert isinstance(text, XmlText)
    return text


# --- the typing run and its report --------------------------------------------------------


def run_typing(args: argparse.Namespace, url: str, folder: Path, people: People) -> None:
    port = free_port()
    command = [sys.executable, "-m", "server.cli", "--db", url]
    command += ["serve", "--host", HOST, "--port", str(port)]
    log = folder / "typing.log"
    with running_server(command, port, log) as server:
        rss_before = rss_kib(server.pid)
        spawn = multiprocessing.get_context("spawn")
        manager = spawn.Manager()
        go, done = manager.Semaphore(0), manager.Event()
        last = manager.Value("q", 2**62)
        shares = [args.readers // args.client_processes] * args.client_processes
        shares[0] += args.readers - sum(shares)
        shares = [s for s in shares if s > 0]
        with concurrent.futures.ProcessPoolExecutor(max(1, len(shares)), mp_context=spawn) as pool:
            futures = [
                pool.submit(watch, port, people.reader_token, share, go, done, last)
                for share in shares
            ]
            for _ in shares:
                if not go.acquire(timeout=CONNECT_TIMEOUT):
                    failed = [f.exception() for f in futures if f.done()]
                    raise RuntimeError(f"the readers did not connect: {failed}")
            rss_readers = rss_kib(server.pid)
            pids = list(pool._processes)  # the readers' CPU counts too: two cores are shared
            cpu_server, cpu_readers = _cpu([server.pid]), _cpu(pids)
            own = resource.getrusage(resource.RUSAGE_SELF)
            typed = uvloop.run(
                type_together(port, people, args.editors, args.rate, args.seconds, done, last)
            )
            own_after = resource.getrusage(resource.RUSAGE_SELF)
            load_after = os.getloadavg()[0]
            cpu_server = _cpu([server.pid]) - cpu_server
            cpu_readers = _cpu(pids) - cpu_readers
            rss_after = rss_kib(server.pid)
            seen = [f.result(timeout=DRAIN_TIMEOUT + 60) for f in futures]
        # The other sections' texts (small: most are empty), opened one after another.
        numbers = [s.number for s in OUTLINE if s.number not in (TYPED, HISTORY_SECTION)]
        opened = uvloop.run(open_sections(port, people.editor_tokens[0], numbers))
        rss_documents = rss_kib(server.pid)
    own_cpu = own_after.ru_utime + own_after.ru_stime - own.ru_utime - own.ru_stime
    print(
        f"Co-editing: {args.editors} editors typing {args.rate:g} characters/s each for"
        f" {args.seconds:g} s into section {TYPED} of {DRAFT_TRIAL}, {args.readers} readers"
        f" watching, on a fresh SQLite file; load average {args.load_before:.2f} before,"
        f" {load_after:.2f} after"
    )
    print(
        "editors: a pycrdt document each (own client id) on Ivy's and Omar's tokens"
        " alternately; readers on Alex's token"
    )
    report_typing(typed, seen)
    span = max(typed.seconds, 1e-9)
    print(
        f"CPU while typing ({span:.1f} s): server {cpu_server / span:.0%} of one core,"
        f" readers' processes {cpu_readers / span:.0%}, editors' process {own_cpu / span:.0%}"
    )
    print(
        f"server RSS: {rss_before / 1024:.0f} MiB at start, {rss_readers / 1024:.0f} MiB with"
        f" {args.readers} readers, {rss_after / 1024:.0f} MiB after typing"
    )
    print(
        f"memory per open document: {(rss_documents - rss_after) / max(1, opened):+.1f} KiB"
        f" for each of {opened} more sections' shared texts opened (small: most are empty)"
    )
    print_log_problems(log)


def _cpu(pids: list[int]) -> float:
    return sum(process_cpu(pid) or 0.0 for pid in pids)


def report_typing(typed: Typed, seen: list[ReadersSeen]) -> None:
    editors = typed.editors
    sent = sorted((s for e in editors for s in e.sent), key=lambda s: s.position)
    keystrokes = sum(len(s.keystrokes) for s in sent)
    typed_count = keystrokes + sum(len(e._unsent) for e in editors)
    listeners: list[tuple[int | None, dict[int, float]]] = [
        (e.number, e.listener.arrivals) for e in editors if e.listener is not None
    ]
    listeners += [(None, arrivals) for r in seen for arrivals in r.arrivals]
    send_latency: list[float] = []
    typed_latency: list[float] = []
    lost = 0
    worst: list[tuple[float, Sent]] = []
    for update in sent:
        slowest = 0.0
        for owner, arrivals in listeners:
            if owner == update.editor:
                continue
            arrived = arrivals.get(update.position)
            if arrived is None:
                lost += 1
                continue
            send_latency.append(arrived - update.sent_at)
            slowest = max(slowest, arrived - update.sent_at)
            typed_latency.extend(arrived - k.typed_at for k in update.keystrokes)
        worst.append((slowest, update))
    acknowledged = {s.position for s in sent}
    unacknowledged = set().union(*(a.keys() for _, a in listeners)) - acknowledged
    repeated = sum(e.listener.repeated for e in editors if e.listener) + sum(
        r.repeated for r in seen
    )
    closed: Counter[int] = Counter(typed.closed)
    for r in seen:
        closed.update(r.closed)
    round_trips = [s.acknowledged_at - s.sent_at for s in sent]
    print(
        f"keystrokes: {typed_count} typed, {keystrokes} acknowledged in {len(sent)} updates"
        f" ({keystrokes / max(1, len(sent)):.2f} keystrokes per update);"
        f" log: {len(sent) / max(typed.seconds, 1e-9):.1f} events/s"
    )
    errors = [error for e in editors for error in e.errors]
    print(f"refused or failed requests: {len(errors)}")
    for error in Counter(errors).most_common(5):
        print(f"  {error[1]} x {error[0]}")
    if round_trips:
        print("POST sent -> answered:", _spread(round_trips))
    if send_latency:
        p99 = percentile(send_latency, 0.99) * 1000
        print(
            f"POST sent -> another screen ({len(send_latency)} deliveries):"
            f" {_spread(send_latency)} (target p99 <= {TARGET_P99_MS:g} ms:"
            f" {'met' if p99 <= TARGET_P99_MS else 'NOT met'})"
        )
        print("keystroke -> another screen (each keystroke):", _spread(typed_latency))
    print(
        f"updates lost: {lost} (acknowledged, not received by a listener); repeated: {repeated};"
        f" received but never acknowledged: {len(unacknowledged)};"
        f" listeners closed by the server: {dict(closed) or 0}"
    )
    worst.sort(key=lambda pair: pair[0], reverse=True)
    if worst and worst[0][0] > TARGET_P99_MS / 1000:
        print("slowest updates (to their last listener):")
        for slowest, update in worst[:5]:
            print(
                f"  position {update.position}: sent {update.sent_at - typed.started:.2f} s"
                f" into the run, answered after"
                f" {(update.acknowledged_at - update.sent_at) * 1000:.0f} ms,"
                f" last arrival after {slowest * 1000:.0f} ms"
            )
    report_texts(typed, sent)


def report_texts(typed: Typed, sent: list[Sent]) -> None:
    texts = {str(e.fragment) for e in typed.editors}
    same = len(texts) == 1 and texts == {typed.server_text}
    final = str(_first_text(typed.editors[0].doc)) if typed.editors else ""
    added = Counter(final) - Counter(typed.initial_text)
    acknowledged = Counter(k.character for s in sent for k in s.keystrokes)
    missing = acknowledged - added
    print(
        f"texts: {len(texts)} distinct among {len(typed.editors)} editors;"
        f" {'identical to' if same else 'NOT the same as'} the server's"
        f" (version {typed.server_version}); the first paragraph's text grew by"
        f" {sum(added.values())} characters for {sum(acknowledged.values())} acknowledged,"
        f" {sum(missing.values())} of them missing"
    )


def _spread(seconds: list[float]) -> str:
    p50, p99 = percentile(seconds, 0.50) * 1000, percentile(seconds, 0.99) * 1000
    return f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(seconds) * 1000:.1f} ms"


# --- a long history -------------------------------------------------------------------------


def typed_history(count: int, writers: list[str], seed: int = 5) -> Iterator[tuple[str, bytes]]:
    """``count`` updates as two people type into one paragraph, each document kept in step
    with the other's: (who, update). Each update is one transaction: a character typed at
    the caret, or now and then a backspace; the caret jumps now and then."""
    rng = random.Random(seed)
    docs: list[Doc[Any]] = [Doc(client_id=rng.randrange(1, 2**32)) for _ in writers]
    outboxes: list[list[bytes]] = [[] for _ in docs]
    subscriptions = [
        doc.observe(functools.partial(_keep_update, outbox))
        for doc, outbox in zip(docs, outboxes, strict=True)
    ]
    paragraph = docs[0].get(FIELD, type=XmlFragment).children.append(XmlElement("paragraph"))
    paragraph.children.append(XmlText(""))
    turn, caret, letters = 0, 0, "abcdefghijklmnopqrstuvwxyz  ,."
    for k in range(count):
        if k and k % 200 == 0:  # the other one types for a while
            turn, caret = rng.randrange(len(docs)), -1
        if k:
            text = _first_text(docs[turn])
            if caret < 0 or k % 60 == 0:
                caret = rng.randint(0, len(text))
            if caret > 0 and rng.random() < 0.06:
                del text[caret - 1]
                caret -= 1
            else:
                text.insert(caret, rng.choice(letters))
                caret += 1
        update = merge_updates(*outboxes[turn]) if len(outboxes[turn]) > 1 else outboxes[turn][0]
        for other, doc in enumerate(docs):
            if other != turn:
                doc.apply_update(update)
        for outbox in outboxes:
            outbox.clear()
        yield writers[turn], update
    for doc, subscription in zip(docs, subscriptions, strict=True):
        doc.unobserve(subscription)


def _keep_update(outbox: list[bytes], event: TransactionEvent) -> None:
    outbox.append(event.update)


async def write_history(url: str, people: People, count: int) -> tuple[float, str]:
    """Start section 5.3's shared text and append ``count`` updates to it; the seconds
    it took and the text the updates leave."""
    writers = [people.user_ids["ivy"], people.user_ids["omar"]]
    started = time.monotonic()
    async with open_services(url) as services:
        protocol = (await services.states.load(PROTOCOL, protocol_stream(DRAFT_TRIAL))).state
        section = protocol.live_section(HISTORY_SECTION)
        assert section is not None
        head = section.head
        state = base64.b64encode(first_state(head.text)).decode("ascii")
        await services.commands.execute(
            shared_text_target(DRAFT_TRIAL, HISTORY_SECTION),
            writers[0],
            lambda actor: StartSharedText(
                actor=actor, number=HISTORY_SECTION, from_revision=head.revision, update=state
            ),
            meta={"actor": writers[0], "via": "bench"},
        )
        stream = shared_text_stream(DRAFT_TRIAL, HISTORY_SECTION)
        version = await services.store.stream_version(stream)
        mirror: Doc[Any] = Doc()
        mirror.apply_update(first_state(head.text))
        batch: list[NewEvent] = []
        for user_id, update in typed_history(count, writers):
            mirror.apply_update(update)
            edited = SharedTextEdited(
                trial_id=DRAFT_TRIAL,
                number=HISTORY_SECTION,
                update=base64.b64encode(update).decode("ascii"),
                edited_by=user_id,
            )
            meta = {"actor": user_id, "via": "bench"}
            batch.append(NewEvent(EDITED, to_data(edited), edited.schema_version, meta))
            if len(batch) == APPEND_BATCH:
                await services.store.append(StreamAppend(stream, batch, expected_version=version))
                version += len(batch)
                batch = []
        if batch:
            await services.store.append(StreamAppend(stream, batch, expected_version=version))
    return time.monotonic() - started, str(mirror.get(FIELD, type=XmlFragment))


async def timed_open(port: int, token: str, number: str) -> tuple[float, dict[str, Any], float]:
    """GET section ``number``'s text: seconds, answer, and the slowest answer to a cheap
    request (``GET /api/session``) sent every 50 ms meanwhile (is the event loop free?)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{port}", headers=headers, timeout=OPEN_TIMEOUT
    ) as http:
        stalls: list[float] = []
        opening = asyncio.create_task(open_text(http, token, f"{SECTION_PATH}/{number}/text"))
        started = time.monotonic()
        while not opening.done():
            asked = time.monotonic()
            await http.get("/api/session")
            stalls.append(time.monotonic() - asked)
            await asyncio.wait([opening], timeout=0.05)
        seconds = time.monotonic() - started
        return seconds, await opening, max(stalls, default=0.0)


async def warm(port: int, token: str) -> float:
    """Open the trial's protocol (so the timed GET does not pay for the trial's fold)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", headers=headers) as http:
        started = time.monotonic()
        response = await http.get(f"/api/trials/{DRAFT_TRIAL}/protocol", timeout=60)
        response.raise_for_status()
        return time.monotonic() - started


async def open_sections(port: int, token: str, numbers: list[str]) -> int:
    """Open (and so start) the shared texts of ``numbers``, one at a time; how many opened."""
    opened = 0
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", headers=headers) as http:
        for number in numbers:
            response = await http.get(f"{SECTION_PATH}/{number}/text", timeout=60)
            opened += response.status_code == 200
    return opened


def snapshot_version(database: Path, stream: str) -> int | None:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        row = db.execute(
            "SELECT stream_version FROM shared_text_snapshots WHERE stream_id = ?", (stream,)
        ).fetchone()
    return None if row is None else int(row[0])


def text_of(answer: dict[str, Any]) -> str:
    doc: Doc[Any] = Doc()
    doc.apply_update(base64.b64decode(answer["state"]))
    return str(doc.get(FIELD, type=XmlFragment))


def run_history(args: argparse.Namespace, url: str, folder: Path, people: People) -> None:
    database = folder / "concord.sqlite"
    stream = shared_text_stream(DRAFT_TRIAL, HISTORY_SECTION)
    writing, expected = asyncio.run(write_history(url, people, args.history))
    print()
    print(
        f"A long history: {args.history:,} updates typed by Ivy and Omar into section"
        f" {HISTORY_SECTION} ({len(expected):,} characters of markup), appended in"
        f" {writing:.1f} s"
    )
    token = people.editor_tokens[0]
    for n, phase in enumerate(("first open", "after a restart")):
        log = folder / f"history-{n + 1}.log"
        port = free_port()
        command = [sys.executable, "-m", "server.cli", "--db", url]
        command += ["serve", "--host", HOST, "--port", str(port)]
        with running_server(command, port, log) as server:
            warming = uvloop.run(warm(port, token))
            rss_before = rss_kib(server.pid)
            seconds, answer, stall = uvloop.run(timed_open(port, token, HISTORY_SECTION))
            rss_open = rss_kib(server.pid)
            again, _, _ = uvloop.run(timed_open(port, token, HISTORY_SECTION))
            target = "" if phase == "first open" else _verdict(seconds)
            grown_mib = (rss_open - rss_before) / 1024
            state_kib = len(base64.b64decode(answer["state"])) / 1024
            print(
                f"{phase}: GET .../sections/{HISTORY_SECTION}/text {seconds * 1000:,.0f} ms{target}"
                f" (trial warmed first: {warming * 1000:.0f} ms); slowest /api/session"
                f" meanwhile {stall * 1000:,.0f} ms; again, open: {again * 1000:.0f} ms;"
                f" text {'as typed' if text_of(answer) == expected else 'NOT as typed'},"
                f" version {answer['version']}, {state_kib:,.0f} KiB as one update;"
                f" server RSS +{grown_mib:.1f} MiB"
            )
            if phase == "first open":
                deadline = time.monotonic() + SNAPSHOT_TIMEOUT
                saved = snapshot_version(database, stream)
                while saved is None and time.monotonic() < deadline:
                    time.sleep(0.2)
                    saved = snapshot_version(database, stream)
                print(
                    f"  snapshot in shared_text_snapshots: "
                    f"{'none' if saved is None else f'at version {saved:,}'}"
                )
        print_log_problems(log)
    folding, opening = asyncio.run(open_in_process(url, stream))
    print(
        f"the same open in this process, with the server's code: the state cache folds the"
        f" stream in {folding * 1000:,.0f} ms, the document opens in {opening * 1000:,.0f} ms"
    )


async def open_in_process(url: str, stream: str) -> tuple[float, float]:
    """Where an open's time goes, with the server's own code in this process: the
    stream's state folded by the state cache, then the document opened; seconds each."""
    async with open_services(url) as services:
        started = time.monotonic()
        await services.states.load(TEXT, stream)
        folded = time.monotonic()
        await services.texts.open(stream)
        return folded - started, time.monotonic() - folded


def _verdict(seconds: float) -> str:
    met = seconds * 1000 <= TARGET_OPEN_MS
    return f" (target <= {TARGET_OPEN_MS:g} ms: {'met' if met else 'NOT met'})"


def print_log_problems(log: Path, most: int = 40) -> None:
    """What the server logged beyond its start (it logs warnings and errors only)."""
    lines = [
        line
        for line in log.read_text(errors="replace").splitlines()
        if not line.startswith("Concord is running on ")
    ]
    print(f"server log ({log.name}): {len(lines) or 'no'} lines of warnings or errors")
    for line in lines[:most]:
        print(f"  | {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--editors", type=int, default=EDITORS)
    parser.add_argument("--readers", type=int, default=READERS)
    parser.add_argument("--rate", type=float, default=RATE, help="characters/s per editor")
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--history", type=int, default=HISTORY, help="updates (0: skip)")
    parser.add_argument("--client-processes", type=int, default=1)
    args = parser.parse_args()
    _, most = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (most, most))  # inherited by the processes
    args.load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="concord-coediting-bench-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'concord.sqlite'}"
        people = asyncio.run(prepare(url))
        if args.editors > 0:
            run_typing(args, url, folder, people)
        if args.history > 0:
            run_history(args, url, folder, people)


if __name__ == "__main__":
    main()
