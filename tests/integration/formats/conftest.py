"""The formats' integration tests use the server's fixtures: the app on a real database
(SQLite and PostgreSQL), the demo trial, its people's tokens and the CLI."""

from tests.integration.server.conftest import (  # noqa: F401 (fixtures)
    app_client,
    as_user,
    concord,
    demo,
    services,
    settings,
    signing_key,
    trial,
)
