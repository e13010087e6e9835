"""What a notification mail says: plain text and HTML, a subject naming the trial and what
waits, and a link to each item."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class WaitingItem(Protocol):
    """One thing waiting in a person's inbox (``server.inbox``'s ``InboxItem``)."""

    @property
    def kind(self) -> str: ...
    @property
    def trial_id(self) -> str: ...
    @property
    def trial_title(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def link(self) -> str: ...
    @property
    def since(self) -> object: ...


def item_key(item: WaitingItem) -> str:
    """The item's identity for "was the person told of it": what waits, where, and since
    when (an item that went away and came back later, such as a signature asked again after
    a revision, is a new item)."""
    parts = (item.kind, item.trial_id, item.link, str(item.since))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def utc_text(moment: object) -> str:
    """A moment as Concord writes it everywhere: ``2026-12-04 16:20:45 UTC``."""
    if isinstance(moment, str):
        try:
            parsed = datetime.fromisoformat(moment)
        except ValueError:
            return moment
        return utc_text(parsed)
    if isinstance(moment, datetime):
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(moment)


def item_url(public_url: str, link: str) -> str:
    """The item's address: its link (``#/t/...``) under the public URL."""
    if link.startswith(("http://", "https://")):
        return link
    return public_url.rstrip("/") + "/" + link.lstrip("/")


def _where(item: WaitingItem) -> str:
    """The trial an item waits in (an erasure to approve waits outside any trial)."""
    return item.trial_title or "Accounts"


@dataclass(frozen=True, slots=True)
class Composed:
    subject: str
    text: str
    html: str


def _count(n: int) -> str:
    return "1 thing awaits you" if n == 1 else f"{n} things await you"


def immediate_mail(
    name: str, trial_title: str, items: Sequence[WaitingItem], public_url: str
) -> Composed:
    """The mail for items that just appeared in one trial's inbox of a person."""
    first = items[0]
    more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
    subject = f"[Concord] {trial_title}: {first.title}{more}"
    intro = f"In {trial_title}, {'this awaits' if len(items) == 1 else 'these await'} you:"
    return _mail(subject, name, intro, items, public_url)


def digest_mail(name: str, items: Sequence[WaitingItem], public_url: str) -> Composed:
    """The daily digest: everything waiting for the person, in every trial."""
    trials = sorted({_where(item) for item in items})
    where = trials[0] if len(trials) == 1 else f"{len(trials)} trials"
    subject = f"[Concord] {_count(len(items))} in {where}"
    return _mail(subject, name, "Waiting for you today:", items, public_url)


def _mail(
    subject: str, name: str, intro: str, items: Sequence[WaitingItem], public_url: str
) -> Composed:
    lines = [f"Hello {name},", "", intro, ""]
    rows: list[str] = []
    for item in items:
        url = item_url(public_url, item.link)
        since = "" if item.since is None else f"waiting since {utc_text(item.since)}"
        lines += [f"- {_where(item)}: {item.title}", *([f"  {since}"] if since else []), f"  {url}"]
        rows.append(
            f'<li><a href="{html.escape(url)}">{html.escape(item.title)}</a>'
            f" ({html.escape(_where(item))}){', ' + html.escape(since) if since else ''}</li>"
        )
    footer = (
        'You get these mails because you chose them on Concord\'s "Your account" page,'
        " where you can change or stop them: " + item_url(public_url, "#/account")
    )
    lines += ["", footer, ""]
    body_html = (
        f"<p>Hello {html.escape(name)},</p><p>{html.escape(intro)}</p><ul>{''.join(rows)}</ul>"
        f"<p>{html.escape(footer)}</p>"
    )
    return Composed(" ".join(subject.split())[:400], "\n".join(lines), body_html)
