"""The inbox: what waits for each person in every trial they are a member of.

- ``items``: :class:`Inbox` (built once in :mod:`server.bootstrap`, ``services.inbox``)
  gathers each trial's states from the state cache and the directory and lets
  :mod:`domain.inbox` say what waits; it adds the erasures awaiting the person's approval,
  the web link of each item and since when it waits.
- ``routes``: ``GET /api/inbox``.

Nothing here but the route knows HTTP (``docs/api.md``, ``docs/web.md``).
"""
