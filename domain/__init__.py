"""The trial's language and governance rules, as pure decisions.

Every aggregate has commands, events, an immutable state, ``decide(state, command[,
context]) -> list[event]`` (which raises a ``domain.errors.DomainError`` naming the rule
a command breaks) and ``evolve(state, event) -> state`` (which never fails); ``fold``
rebuilds a state from its events, at any position. Nothing here reads a clock, a file,
a database or the network: the server loads states and context, decides, and appends.

- ``workspace`` / ``workspace_events``: organizations, members, training, roles, charter.
- ``protocol`` / ``protocol_state`` / ``protocol_events``: the ICH M11 document, section
  revisions with three-way merge and edit conflicts, published versions.
- ``amendment`` (front door), ``amendment_commands``, ``amendment_events``,
  ``amendment_state``, ``amendment_details``, ``amendment_signing``, ``amendment_rules``,
  ``approval_policy``: amendments from draft to approval; ``merging``: approval to a new
  protocol version.
- ``motion``: decisions by vote; ``dispute``: disputes and their escalation ladder;
  ``engagement``: comment threads and dispositions of patient advocates' feedback.
- ``shared_text``: a draft section's text written together (updates recorded in order,
  recorded as a revision with a reason); ``proposal_text``: an amendment's text of a
  section, proposed as its change.
- ``catalog``: every event type by name, ``to_data`` / ``from_data`` for the log;
  ``streams``: stream names.
- ``visible_text``: text may hold no character nobody can see (bidi controls, zero-width
  characters, other control and format characters).
- Shared: ``roles``, ``actor``, ``charter``, ``m11``, ``errors``, ``event``, ``codec``,
  ``content_hash``, ``text_merge``, ``timestamps``, ``frozen``.

See ``docs/domain.md`` for the model and how the server uses it.
"""
