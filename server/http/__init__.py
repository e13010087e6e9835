"""Concord over HTTP: the Starlette app, its route tables, and problem+json for every error.

- ``problems``: RFC 9457 problems and the one table from domain and command errors to
  statuses (the app itself, with the live and audit routes, is put together in
  ``server/app.py``).
- Commands: ``command_routes`` (every command as a route), ``command_fields`` (where each
  field of a command comes from), ``command_endpoint`` (body -> command -> service ->
  response), ``founding`` (the first command of a trial), ``targets`` (a path's aggregate),
  ``idempotency_header``, ``request_id`` (``X-Request-ID``, bounded, into each event's meta).
- Reads: ``query_routes`` (states and lists), ``views`` (the JSON of each state).
- Requests: ``authentication`` (session cookie or API token), ``authorization`` (Casbin's
  decision for the caller), ``identifiers`` (ids in paths), ``numbers`` (whole numbers in
  paths, headers and queries, bounded), ``json_body``, ``session_routes`` (sign in and
  out, tokens).
- Description: ``openapi`` and ``json_schema``; ``web``: the browser front end's files.

Routes call ``server.commands`` and ``server.accounts``; neither calls back. The live
feed (``server.live``) and the audit (``server.audit``) build on this package; it knows
neither.
"""
