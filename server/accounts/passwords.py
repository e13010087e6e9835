"""Password rules and argon2id hashing.

Hashing uses argon2-cffi's :class:`argon2.PasswordHasher` with its default (RFC 9106
"low memory") argon2id parameters. Hashing and verifying take on the order of 100 ms of CPU
and 64 MiB, so they run on threads of their own and never block the event loop; those
threads may use every CPU even when the process keeps itself on one (server/affinity.py).
"""

from __future__ import annotations

import asyncio
import functools
import os
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.accounts.tables import username_key
from server.affinity import run_anywhere

T = TypeVar("T")

HASHING_THREADS = "concord-hash"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


class PasswordTooWeak(ValueError):
    """The password breaks a password rule; the message says which, for the user."""


def check_password_rules(password: str, *, username: str) -> None:
    """Raise :class:`PasswordTooWeak` unless ``password`` has at least 12 characters, at
    most 1024, is not only spaces and differs from ``username`` (ignoring case)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooWeak(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters "
            f"(it has {len(password)})"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordTooWeak(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    if not password.strip():
        raise PasswordTooWeak("the password must not consist of spaces only")
    if username_key(password) == username_key(username):
        raise PasswordTooWeak("the password must not be the username")


@functools.cache
def _hashing_threads() -> ThreadPoolExecutor:
    """The process's threads for hashing, one per CPU it may use, each free to use any."""
    return ThreadPoolExecutor(
        max_workers=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2,
        thread_name_prefix=HASHING_THREADS,
        initializer=run_anywhere,
        initargs=(HASHING_THREADS,),
    )


class Passwords:
    """argon2id hashing with a dummy hash for users that do not exist.

    ``hasher`` defaults to ``PasswordHasher()`` (argon2id, argon2-cffi's defaults); tests may
    pass a cheaper one. :meth:`verify_missing` spends the same work as a real verification
    so that an unknown username cannot be told apart by timing.
    """

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher if hasher is not None else PasswordHasher()
        self._dummy_hash: str | None = None

    async def _off_the_loop(self, work: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(_hashing_threads(), work, *args)

    async def hash(self, password: str) -> str:
        """The encoded argon2id hash (``$argon2id$v=19$m=...``) of ``password``."""
        return await self._off_the_loop(self.hasher.hash, password)

    async def verify(self, encoded_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``encoded_hash``. A malformed hash never matches."""
        return await self._off_the_loop(self._verify, encoded_hash, password)

    def _verify(self, encoded_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(encoded_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, encoded_hash: str) -> bool:
        """Whether ``encoded_hash`` was made with other parameters than the hasher's."""
        try:
            return self.hasher.check_needs_rehash(encoded_hash)
        except InvalidHashError:
            return True

    async def verify_missing(self, password: str) -> None:
        """Verify ``password`` against a dummy hash (always fails): the time an unknown
        user costs is the time a known one costs."""
        if self._dummy_hash is None:
            # The first time, making the dummy costs what a verification costs.
            self._dummy_hash = await self.hash(password + secrets.token_urlsafe(16))
            return
        await self.verify(self._dummy_hash, password)
