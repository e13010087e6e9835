"""The shared-text documents this process has open, kept current as events commit.

A :class:`SharedDocuments` is one of the log follower's projections. It opens a document
only when someone asks for it (:meth:`SharedDocuments.open`): from the newest snapshot
plus the updates after it, applied in slices of :data:`SLICE` so that no other request
waits long for a long history (pycrdt holds the interpreter while it works, so a thread
would not free the event loop, and merging many updates at once costs more than
applying them one by one); from then on the follower hands it every event of its stream
as it commits. Applying an update twice changes nothing (a CRDT), so the updates a load
reads and those the follower hands it meanwhile may overlap: none is missed.

With the document, each keeps the domain's fold of its stream (``SharedText``: who wrote
since the last recorded revision), saved in the same snapshot, so that the command
service need not fold a long stream either (:meth:`SharedDocuments.starting_point`).

At most :data:`DOCUMENTS_KEPT` documents stay open (the least recently used close); a
document that has taken :data:`SNAPSHOT_EVERY` updates since its last snapshot saves a
new one in the background.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections import OrderedDict
from typing import Any

from pycrdt import Doc, XmlFragment

from domain.catalog import from_data
from domain.shared_text import NEW_SHARED_TEXT, SharedText, SharedTextEdited, SharedTextStarted
from events.envelope import RecordedEvent
from events.store import EventStore
from server.coediting.rich_text import FIELD, document_markup
from server.coediting.snapshots import Snapshot, TextSnapshots
from server.commands.aggregates import TEXT
from server.commands.state_cache import Loaded

DOCUMENTS_KEPT = 256
SNAPSHOT_EVERY = 1_000
"""Updates after which an open document saves a snapshot."""
READ_PAGE = 5_000
"""Updates read from the log at a time when a document opens."""
SLICE = 500
"""Updates applied between two turns of the event loop when a document opens."""

_UPDATES = frozenset({SharedTextStarted.event_type, SharedTextEdited.event_type})

logger = logging.getLogger(__name__)


class SharedDocument:
    """One section's shared text as this process has folded it."""

    def __init__(self, stream_id: str) -> None:
        self.stream_id = stream_id
        self.doc: Doc[Any] = Doc()
        self.version = 0
        """The stream version of the newest event applied."""
        self.fold: SharedText = NEW_SHARED_TEXT
        """The domain's state of the stream at ``version``."""
        self.snapshot_version = 0
        self._ready = asyncio.get_running_loop().create_future()
        self._waiting: list[RecordedEvent] = []

    @property
    def fragment(self) -> XmlFragment:
        fragment: XmlFragment = self.doc.get(FIELD, type=XmlFragment)
        return fragment

    def state(self) -> bytes:
        """The whole document as one update."""
        return self.doc.get_update()

    def markup(self) -> str:
        """The document's content as section markup."""
        return document_markup(self.fragment)

    def take_loaded(self, event: RecordedEvent) -> None:
        """Apply an event read while the document opens."""
        if event.type in _UPDATES:
            self.doc.apply_update(base64.b64decode(event.data["update"]))
        self.fold = TEXT.evolve(self.fold, from_data(event.type, event.data, event.schema_version))
        self.version = event.stream_version

    async def ready(self) -> None:
        await asyncio.shield(self._ready)

    def take(self, event: RecordedEvent) -> None:
        """Apply one committed event of the stream (kept for later while the document
        loads): an update changes the text, every event the version."""
        if not self._ready.done():
            self._waiting.append(event)
            return
        if event.stream_version <= self.version:
            return  # read by the load already
        if event.type in _UPDATES:
            self.doc.apply_update(base64.b64decode(event.data["update"]))
        self.fold = TEXT.evolve(self.fold, from_data(event.type, event.data, event.schema_version))
        self.version = event.stream_version


class SharedDocuments:
    """The open documents, one per shared-text stream (a log follower projection)."""

    def __init__(
        self,
        store: EventStore,
        snapshots: TextSnapshots,
        *,
        kept: int = DOCUMENTS_KEPT,
        snapshot_every: int = SNAPSHOT_EVERY,
    ) -> None:
        self._store = store
        self._snapshots = snapshots
        self._kept = kept
        self._snapshot_every = snapshot_every
        self._open: OrderedDict[str, SharedDocument] = OrderedDict()
        self._saving: set[asyncio.Task[None]] = set()

    @property
    def name(self) -> str:
        return "shared texts"

    async def catch_up(self, head: int) -> None:
        """Nothing to read: documents open when asked for."""

    def apply(self, event: RecordedEvent) -> None:
        document = self._open.get(event.stream_id)
        if document is None:
            return
        try:
            document.take(event)
        except ValueError:  # checked on the way in; never let one stream stop the others
            logger.exception("closing %s: an update could not be applied", event.stream_id)
            del self._open[event.stream_id]
            return
        self._snapshot_if_due(document)

    def stopped(self, failure: BaseException | None) -> None:
        self._open.clear()

    async def open(self, stream_id: str) -> SharedDocument:
        """The stream's document, current with what this process's follower applied."""
        document = self._open.get(stream_id)
        if document is not None:
            self._open.move_to_end(stream_id)
            await document.ready()
            return document
        document = SharedDocument(stream_id)
        self._open[stream_id] = document
        self._close_the_oldest()
        try:
            await self._load(document)
        except BaseException as failure:
            if self._open.get(stream_id) is document:
                del self._open[stream_id]
            document._ready.set_exception(failure)
            document._ready.exception()  # retrieved: waiters get it through ready()
            raise
        return document

    async def close(self) -> None:
        """Wait for the snapshots being saved."""
        if self._saving:
            await asyncio.gather(*self._saving, return_exceptions=True)

    async def _load(self, document: SharedDocument) -> None:
        stream_id = document.stream_id
        version = await self._store.stream_version(stream_id)
        snapshot = await self._snapshots.newest(stream_id, stream_version=version)
        if snapshot is not None:
            document.doc.apply_update(snapshot.state)
            document.fold = snapshot.fold
            document.version = document.snapshot_version = snapshot.version
        while True:
            start = document.version + 1
            page = await self._store.read_stream(stream_id, from_version=start, limit=READ_PAGE)
            for first in range(0, len(page), SLICE):
                for event in page[first : first + SLICE]:
                    document.take_loaded(event)
                await asyncio.sleep(0)  # let other requests in between slices
            if len(page) < READ_PAGE:
                break
        document._ready.set_result(None)
        for event in document._waiting:
            document.take(event)
        document._waiting.clear()
        self._snapshot_if_due(document)

    async def starting_point(self, stream_id: str) -> Loaded[SharedText]:
        """The stream's fold as the open document has it (opening it if need be): where
        the state cache starts instead of folding the stream from its first event."""
        document = await self.open(stream_id)
        return Loaded(document.fold, document.version)

    def _close_the_oldest(self) -> None:
        while len(self._open) > self._kept:
            oldest = next(iter(self._open))
            if not self._open[oldest]._ready.done():
                return
            del self._open[oldest]

    def _snapshot_if_due(self, document: SharedDocument) -> None:
        if document.version - document.snapshot_version < self._snapshot_every:
            return
        snapshot = Snapshot(document.version, document.state(), document.fold)
        document.snapshot_version = document.version
        task = asyncio.get_running_loop().create_task(self._save(document.stream_id, snapshot))
        self._saving.add(task)
        task.add_done_callback(self._saving.discard)

    async def _save(self, stream_id: str, snapshot: Snapshot) -> None:
        try:
            await self._snapshots.save(stream_id, snapshot)
        except Exception:  # a snapshot is an optimisation: the next one will do
            logger.exception("could not save the snapshot of %s", stream_id)
