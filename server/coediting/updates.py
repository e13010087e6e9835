"""Whether bytes are a Yjs update, before anything is recorded.

An update the server could not read would stop every server that folds it, so each is
decoded once on its way in (into an empty document: an update that refers to text it
does not carry is still well formed, it waits for that text). The domain checks the
base64 and the size (``domain.shared_text.require_update``).
"""

from __future__ import annotations

from pycrdt import Doc

from domain.errors import MalformedUpdate


def check_update(update: bytes) -> None:
    """Refuse bytes that are not a Yjs update (v1 encoding) with :class:`MalformedUpdate`."""
    try:
        Doc().apply_update(update)
    except ValueError as refused:
        raise MalformedUpdate(f"the update cannot be read: {str(refused)[:120]}") from None
