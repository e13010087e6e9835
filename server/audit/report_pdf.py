"""The human-readable audit report of a trial, as PDF: the document an inspector reads.

A summary first (versions, amendments, decisions, disputes, comments, the integrity
result), then the detail: each protocol version with the superseded text of each section
it changed (and, for the original, the sections changed since first entered), each
amendment with its proposed text tracked against its base, signatures manifested,
committee votes, comments with dispositions and its history; decisions (the latest
``SHOWN_MOTIONS``); disputes with their escalation ladder; the patient advocates'
feedback on sections; and last the integrity page (server/audit/report/).

What it costs follows the trial, not the log: the server signs the head; the states there
come from the audit checkpoints saved beside the log (``TrialHistory``: no fold of the
whole trial once they exist), those of the workspace, the protocol, the amendments, the
disputes and the latest motions alone; the trial's streams are read up to the head, a
page at a time, checked against the signed Merkle tree and their comment threads counted
on the event loop in slices (server/audit/report/facts.py, integrity.py,
comment_counts.py). What the report prints is recorded as plain data and laid out by
ReportLab in a process of its own (server/audit/report/layout_process.py), one report
at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AsyncExitStack

from events import EventStore
from events.merkle import Node
from events.merkle_store import MerkleTree
from server.audit.checkpoint_store import StoredCheckpoints
from server.audit.checkpoints import Checkpoints
from server.audit.history import Streams, TrialHistory
from server.audit.progress import Progress
from server.audit.report.amendment_part import amendments
from server.audit.report.comments_part import section_comments
from server.audit.report.facts import SHOWN_MOTIONS, ReportFacts, StatesAt, gather
from server.audit.report.governance_part import decisions, disputes
from server.audit.report.integrity import InclusionProofs, IntegrityCheck
from server.audit.report.integrity_part import integrity
from server.audit.report.layout_process import laid_out, report_turn
from server.audit.report.script import ReportScript
from server.audit.report.summary_part import summary
from server.audit.report.versions_part import versions
from server.audit.report.wording import Names
from server.audit.trial_fold import TrialStates

__all__ = ["SHOWN_MOTIONS", "audit_report", "report_script"]


async def audit_report(
    store: EventStore,
    checkpoints: Checkpoints,
    trial_id: str,
    *,
    proofs: InclusionProofs | None = None,
    states_at: StatesAt | None = None,
    progress: Progress | None = None,
) -> bytes:
    """The trial's audit report as of a checkpoint signed for it, as PDF bytes, once it is
    its turn (:func:`report_turn`: ``ReportsBusy`` if too many wait).

    ``proofs`` is the Merkle tree the server keeps (``services.merkle``) and ``states_at``
    its audit history (``services.history``); without them (the CLI) the tree and the
    audit checkpoints saved beside the log are opened, and brought up to the head. A
    layout that fails raises ``ReportLayoutFailed``."""
    async with report_turn(), AsyncExitStack() as stack:
        if proofs is None:
            tree = MerkleTree(store, checkpoints.engine)
            stack.push_async_callback(tree.close)
            proofs = _SavedTree(tree)
        if states_at is None:
            history = TrialHistory(store, checkpoints=StoredCheckpoints(checkpoints.engine))
            stack.push_async_callback(history.close)
            states_at = _history_states(history, trial_id, progress)
        check = IntegrityCheck(checkpoints, proofs)
        facts = await gather(store, trial_id, check, states_at, progress=progress)
        # tracked changes of long sections take a while to mark: off the event loop
        script = await asyncio.to_thread(report_script, facts)
        del facts  # the states: the layout's child gets what the report prints alone
        await stack.aclose()
        return await laid_out(script)


def _history_states(history: TrialHistory, trial_id: str, progress: Progress | None) -> StatesAt:
    async def states_at(position: int, streams: Streams) -> TrialStates:
        replayed = await history.at(trial_id, position, progress=progress, streams=streams)
        return replayed.states

    return states_at


class _SavedTree:
    """The tree saved beside the log, for the CLI: brought up to the checkpoint's size
    when first asked (as the JSON Lines export does)."""

    def __init__(self, tree: MerkleTree) -> None:
        self._tree = tree

    async def _reach(self, size: int) -> None:
        if self._tree.size < size:
            await self._tree.catch_up(size)

    async def root(self, size: int) -> bytes:
        await self._reach(size)
        return await self._tree.root(size)

    async def inclusions(self, positions: Sequence[int], size: int) -> dict[int, list[bytes]]:
        await self._reach(size)
        return await self._tree.inclusions(positions, size)

    async def nodes(self, wanted: Sequence[Node], size: int) -> dict[Node, bytes]:
        await self._reach(size)
        return await self._tree.nodes(wanted, size)


def report_script(facts: ReportFacts) -> ReportScript:
    """What the report prints of what :func:`gather` found, in reading order."""
    workspace = facts.workspace
    title = workspace.title if workspace is not None else facts.trial_id
    names = Names(workspace)
    pdf = ReportScript(f"Audit report: {title}")
    summary(pdf, facts)
    versions(pdf, facts, names)
    amendments(pdf, facts, names)
    decisions(pdf, facts, names)
    disputes(pdf, facts, names)
    section_comments(pdf, facts, names)
    integrity(pdf, facts)
    return pdf
