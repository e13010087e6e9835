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
from dataclasses import dataclass
from datetime import timedelta
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


STRENGTH_CHECKED_LENGTH = 100
"""How much of a password the guessability estimate reads (zxcvbn's cost grows with the
length; a password longer than this is long enough to resist guessing anyway)."""


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """What a password must be. ``min_strength`` is zxcvbn's score (0-4: 3 means "safely
    unguessable: moderate protection from offline slow-hash attacks", about 10^10 guesses);
    its estimate knows common and breached passwords, dictionary words, names, keyboard
    patterns, repeats, sequences, dates and l33t substitutions. ``max_age``: a password
    older than this must be changed at the next sign-in (None: passwords do not expire)."""

    min_length: int = MIN_PASSWORD_LENGTH
    min_strength: int = 3
    max_age: timedelta | None = None

    def __post_init__(self) -> None:
        if not 8 <= self.min_length <= MAX_PASSWORD_LENGTH:
            raise ValueError(f"min_length must be 8 to {MAX_PASSWORD_LENGTH}")
        if not 0 <= self.min_strength <= 4:
            raise ValueError("min_strength is a zxcvbn score: 0 to 4")
        if self.max_age is not None and self.max_age <= timedelta(0):
            raise ValueError("max_age must be positive (or None: passwords do not expire)")

    def check(self, password: str, *, username: str, printed_name: str = "") -> None:
        """Raise :class:`PasswordTooWeak`, saying which rule, unless ``password`` has
        ``min_length`` to 1024 characters, is not only spaces, is not the username and
        scores at least ``min_strength`` (the username and printed name count as guessable
        words)."""
        check_password_rules(password, username=username, min_length=self.min_length)
        if self.min_strength == 0:
            return
        # Imported at the first check, not with the server: its word lists take ~30-40 ms
        # to load, which every start would otherwise pay before it answers.
        from zxcvbn import zxcvbn  # type: ignore[import-untyped]

        estimate = zxcvbn(
            password[:STRENGTH_CHECKED_LENGTH],
            user_inputs=[username, *printed_name.split(), "concord"],
        )
        if estimate["score"] >= self.min_strength:
            return
        feedback = estimate["feedback"]
        hints = " ".join(filter(None, [feedback.get("warning"), *feedback.get("suggestions", [])]))
        raise PasswordTooWeak(
            "the password is too easy to guess"
            + (f": {hints}" if hints else ": use a longer phrase of uncommon words")
        )


def check_password_rules(
    password: str, *, username: str, min_length: int = MIN_PASSWORD_LENGTH
) -> None:
    """Raise :class:`PasswordTooWeak` unless ``password`` has at least ``min_length``
    characters, at most 1024, is not only spaces and differs from ``username`` (ignoring
    case)."""
    if len(password) < min_length:
        raise PasswordTooWeak(
            f"the password must have at least {min_length} characters (it has {len(password)})"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordTooWeak(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    if not password.strip():
        raise PasswordTooWeak("the password must not consist of spaces only")
    if username_key(password) == username_key(username):
        raise PasswordTooWeak("the password must not be the username")


def one_time_password() -> str:
    """A password for someone else to set (a reset, the CLI): 20 random URL-safe
    characters (120 bits), which the owner must replace at the first sign-in."""
    return secrets.token_urlsafe(15)


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
