"""The event store benchmark's workload, shared by every subject it measures."""

from __future__ import annotations

CALLERS = 16
BATCH = 100
PAYLOAD = {"section": "5.2", "text": "Participants aged 18 to 65 with a confirmed diagnosis."}


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


async def fresh_postgres_database(admin_url: str, name: str) -> str | None:
    """The URL of a new, empty PostgreSQL database ``name`` (dropped first if it exists)
    on the server of ``admin_url``; None, saying why, when the server is not reachable."""
    try:
        import asyncpg
        from sqlalchemy.engine import make_url

        dsn = make_url(admin_url).set(drivername="postgresql")
        connection = await asyncpg.connect(dsn.render_as_string(False), timeout=3)
        await connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await connection.execute(f"CREATE DATABASE {name}")
        await connection.close()
        return dsn.set(database=name).render_as_string(False)
    except (OSError, TimeoutError, ImportError) as error:
        print(f"PostgreSQL not reachable ({error}); skipping its figures")
        return None
