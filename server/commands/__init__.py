"""Running a command: load the states it needs, let the domain decide, append the events.

- ``service``: :class:`CommandService`, the one way anything (HTTP, the CLI, the demo)
  changes a trial; ``targets``: which aggregate a command is about; ``errors``: what it
  refuses with besides the domain's own rules.
- ``aggregates``: each kind of aggregate with its fold, its decide and the context it
  decides in; ``reactions``: commands the service runs after certain events (a merge
  puts other amendments to the conflict check).
- ``state_cache``: the latest state of each stream, folded once; ``decision_basis``: the
  states one attempt read; ``pending_states``: the states queued appends will leave;
  ``stream_locks``: one decision per stream at a time.
- ``idempotency``: a retried request recognised and answered as the first was.
- ``directory``: the trials, their members, and the ids of what happened in each.

Nothing here knows HTTP: ``server.http`` maps these errors to problems. See ``docs/design.md``.
"""
