"""One substantial modification under evaluation at a time (EU CTR Art. 15-17 practice).

A substantial amendment (``AmendmentDetails.is_substantial``) is under evaluation from its
submission until it is merged, rejected or withdrawn (``amendment_state.UNDER_EVALUATION``).
By default a second one is not submitted meanwhile, nor is a submitted amendment's details
revised to make it substantial: :class:`domain.errors.SubstantialModificationPending`
names the one under evaluation. A charter that allows concurrent substantial
modifications (``Charter.concurrent_substantial_modifications``) lets it through, and the
amendment records ``ConcurrentModificationNoted`` naming the others; the server then has
each of the others note it back (``CheckForConcurrentModifications``), so every one of
them links to every other.
"""

from __future__ import annotations

from domain.amendment_commands import AmendmentContext
from domain.amendment_events import AmendmentEvent, ConcurrentModificationNoted
from domain.amendment_state import AmendmentState
from domain.errors import SubstantialModificationPending


def entering_evaluation(after: AmendmentState, context: AmendmentContext) -> list[AmendmentEvent]:
    """What an amendment that becomes a substantial one under evaluation (``after``, the
    state it will then have) records besides: nothing when no other is under evaluation,
    a link to the others when the charter allows concurrency; refused otherwise."""
    others = _others(after, context)
    if not others:
        return []
    if not context.charter.concurrent_substantial_modifications:
        pending = ", ".join(sorted(others))
        raise SubstantialModificationPending(
            f"substantial amendment {pending} is under evaluation; amendment"
            f" {after.amendment_id} is substantial too and may go to review once"
            f" {pending} is merged, rejected or withdrawn (the charter allows one"
            " substantial modification under evaluation at a time)"
        )
    return _noted(after, others)


def check_for_concurrent_modifications(
    state: AmendmentState, context: AmendmentContext
) -> list[AmendmentEvent]:
    """A link to the substantial amendments under evaluation alongside this one that it
    does not link to yet; nothing when there are none or this one is not a substantial
    one under evaluation. Never refused: it records what is the case."""
    if not (state.is_substantial and state.is_under_evaluation):
        return []
    return _noted(state, _others(state, context))


def _others(state: AmendmentState, context: AmendmentContext) -> frozenset[str]:
    if not state.is_substantial:
        return frozenset()
    return context.substantial_under_evaluation - {state.amendment_id}


def _noted(state: AmendmentState, others: frozenset[str]) -> list[AmendmentEvent]:
    new = others - state.concurrent_with
    if not new:
        return []
    return [
        ConcurrentModificationNoted(
            amendment_id=state.amendment_id, concurrent_with=tuple(sorted(new))
        )
    ]
