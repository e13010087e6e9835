"""Who may sign in, and how: accounts, sessions, API tokens, and the tables they live in.

- ``users``: accounts (creation, look-up, passwords, re-authentication for signing,
  disabling); ``passwords``: the password rules and argon2id hashing.
- ``sessions``: browser sessions with their CSRF tokens; ``tokens``: personal API tokens.
- ``throttle``: failed sign-ins slowed per username and per client.
- ``credential_cache``: resolved credentials remembered for a moment.
- ``tables``: the account tables and what the modules above share (clock, ids).

Nothing here knows HTTP: ``server.http`` turns these into routes. See ``docs/accounts.md``.
"""
