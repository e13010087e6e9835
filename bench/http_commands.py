"""Commands over HTTP: ``concord serve`` beside a bare Starlette endpoint under the same server.

    python -m bench.http_commands [--seconds 30] [--clients 32] [--trials 1] [--db URL]
                                  [--profile FILE] [--cpu auto|all|N]

Each of ``--clients`` concurrent HTTP clients on 127.0.0.1 revises its own sections of one
trial's drafted (unpublished) protocol with ``PUT /api/trials/{t}/protocol/sections/{n}``
as its own sponsor-lead user (an API token each), always sending the ``base_revision`` the
last answer gave, so every command should succeed with 200. The same clients then send
the same requests for the same time to a bare Starlette app with one PUT endpoint that
reads the JSON body and answers a small JSON document, served by uvicorn with the flags
``concord serve`` uses: the framework's limit here. Each server runs in its own process
and the load generator in another (a minimal keep-alive HTTP/1.1 client on asyncio
streams), so on a small machine the load generator competes with the server for the CPU:
the table shows both processes' CPU use.

The database is a fresh SQLite file (WAL, synchronous=FULL) in a temporary folder unless
``--db`` names another; the trial and its users get fresh names, so a reused database
works. ``--trials K`` spreads the clients over K trials (K protocol streams instead of
one), which shows what the one stream's serialization costs. ``--profile FILE`` runs the
Concord server under cProfile and prints where its event-loop thread spends its time.
``--cpu`` runs each server where ``concord serve --cpu`` would (server/affinity.py); by
default (auto) on one CPU when Concord's database is SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import dataclasses
import multiprocessing
import os
import secrets
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.http_load import SECTION_PATH, TIMEOUT, ClientWork, LoadResult, run_load
from bench.serving import HOST, free_port, print_profile, running_server, tail
from domain import m11, protocol, workspace
from domain.actor import Actor
from domain.charter import GCP_TRAINING
from domain.event import Command
from domain.roles import OrganizationKind, Role
from domain.workspace import TrainingRecord
from server.accounts.account_log import operator_actor
from server.affinity import AUTO, cpu_for, parse_cpu_choice, pin_to_cpu
from server.bootstrap import open_services
from server.commands.aggregates import PROTOCOL
from server.commands.invitations import Answerer, accept_invitation
from server.commands.targets import protocol_target, workspace_target

CLIENTS = 32
SECONDS = 30.0
WARMUP = 2.0
TARGET_RATE = 1_000.0
TARGET_P99_MS = 50.0


# --- the bare endpoint: the framework's limit ---------------------------------------------


async def _bare_revise(request: Request) -> Response:
    body = await request.json()
    revision = int(body["base_revision"]) + 1
    number = request.path_params["number"]
    data = {"number": number, "revision": revision, "based_on": revision - 1}
    return JSONResponse(
        {"position": None, "version": revision, "events": [{"type": "Revised", "data": data}]}
    )


async def _bare_ready(request: Request) -> Response:
    return JSONResponse({})


bare_app = Starlette(
    routes=[
        Route("/openapi.json", _bare_ready, methods=["GET"]),
        Route(SECTION_PATH, _bare_revise, methods=["PUT"]),
    ]
)


def _serve_bare(port: int) -> None:
    import uvicorn

    # The same call as ``concord serve`` (server/cli.py) makes.
    uvicorn.run(bare_app, host=HOST, port=port, log_level="warning")


# --- setup: a trial with a drafted protocol and one editor per client ------------------------


C = TypeVar("C", bound=Command)


def _acting(command: C) -> Callable[[Actor], C]:
    """Builds ``command`` for whichever actor the command service resolves."""
    return lambda actor: dataclasses.replace(command, actor=actor)


async def prepare(url: str, clients: int, trials: int = 1) -> list[ClientWork]:
    """Create the trials, one editor per client and their tokens in ``url``; client ``k``
    edits trial ``k % trials`` and shares its sections with that trial's other clients."""
    suffix = secrets.token_hex(3)
    numbers = [s.number for s in m11.OUTLINE if s.number != m11.LAY_SUMMARY]
    texts = {number: f"Section {number} as first drafted." for number in numbers}
    meta = {"via": "bench"}
    async with open_services(url) as services:
        trained = services.clock().date() - timedelta(days=30)
        attested = TrainingRecord(
            course=GCP_TRAINING, completed_on=trained, attested_by=operator_actor("bench")
        )
        training = TrainingRecord(course=GCP_TRAINING, completed_on=trained)

        async def user(name: str) -> str:
            password = secrets.token_urlsafe(16)
            created = await services.accounts.create_user(f"{name}-{suffix}", name, password)
            return created.user_id

        admin = await user("admin")
        founder = Actor(
            user_id=admin,
            printed_name="admin",
            organization_id="bench-sponsor",
            organization_kind=OrganizationKind.SPONSOR,
        )
        editors = [await user(f"editor{k}") for k in range(clients)]
        work: list[ClientWork] = []
        for t in range(trials):
            trial_id = f"bench-{suffix}-{t}"
            found = workspace.CreateTrial(
                actor=founder,
                trial_id=trial_id,
                title="Benchmark trial",
                organization_name="Bench Sponsor",
                founder_training=(attested,),
                founded_at=services.clock(),
            )
            await services.commands.create_trial(founder, found, meta)
            trial = workspace_target(trial_id)
            mine = [k for k in range(clients) if k % trials == t]
            for k in mine:
                editor = editors[k]
                invited = workspace.InviteMember(
                    actor=founder,
                    invitation_id=f"invite-{k}",
                    username=f"editor{k}-{suffix}",
                    organization_id="bench-sponsor",
                    invited_at=services.clock(),
                )
                await services.commands.execute(trial, admin, _acting(invited), meta=meta)
                answerer = Answerer(editor, f"editor{k}-{suffix}", f"editor{k}")
                await accept_invitation(
                    services.commands, services.states, trial_id, f"invite-{k}", answerer, meta=meta
                )
                commands: list[Command] = [
                    workspace.AttestTraining(
                        actor=founder,
                        user_id=editor,
                        training=training,
                        attested_at=services.clock(),
                    ),
                    workspace.GrantRole(
                        actor=founder,
                        user_id=editor,
                        role=Role.SPONSOR_LEAD,
                        reason="edits the benchmark",
                    ),
                ]
                for command in commands:
                    await services.commands.execute(trial, admin, _acting(command), meta=meta)
            draft = protocol_target(trial_id)
            drafted = protocol.DraftProtocol(
                actor=founder, trial_id=trial_id, title="Benchmark protocol", texts=texts
            )
            await services.commands.execute(draft, editors[mine[0]], _acting(drafted), meta=meta)
            state = (await services.states.load(PROTOCOL, draft.stream_id)).state
            for i, k in enumerate(mine):
                token = await services.tokens.issue(editors[k], "http benchmark")
                owned = numbers[i :: len(mine)] or [numbers[i % len(numbers)]]
                sections = tuple((n, state.sections[n].head.revision) for n in owned)
                work.append(ClientWork(token.token, trial_id, sections))
    return work


def measure(
    command: list[str], port: int, log: Path, work: list[ClientWork], seconds: float
) -> LoadResult:
    """Start the server, run the load against it from a separate process, stop it."""
    with running_server(command, port, log) as process:
        spawn = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
            future = pool.submit(run_load, port, work, seconds, WARMUP, process.pid)
            return future.result(timeout=WARMUP + seconds + 2 * TIMEOUT + 60)


# --- report -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figures:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu: float | None
    client_cpu: float


def figures(result: LoadResult) -> Figures:
    latencies = sorted(result.latencies)
    if len(latencies) >= 2:
        cuts = statistics.quantiles(latencies, n=100, method="inclusive")
        p50, p99 = cuts[49], cuts[98]
    else:
        p50 = p99 = latencies[0] if latencies else float("nan")
    return Figures(
        rate=len(latencies) / result.seconds,
        p50_ms=p50 * 1000,
        p99_ms=p99 * 1000,
        errors=sum(result.errors.values()),
        server_cpu=None if result.server_cpu is None else result.server_cpu / result.seconds,
        client_cpu=result.client_cpu / result.seconds,
    )


def _row(name: str, f: Figures) -> str:
    server = f"{f.server_cpu:>12.0%}" if f.server_cpu is not None else f"{'-':>12}"
    return (f"{name:<28}{f.rate:>12,.0f}{f.p50_ms:>9.1f}{f.p99_ms:>9.1f}{f.errors:>8}"
            f"{server}{f.client_cpu:>12.0%}")  # fmt: skip


def report(args: argparse.Namespace, database: str, bare: LoadResult, concord: LoadResult) -> None:
    b, c = figures(bare), figures(concord)
    cores = os.cpu_count() or 1
    trials = "one trial's protocol" if args.trials == 1 else f"{args.trials} trials' protocols"
    print(
        f"{args.clients} HTTP client{'s' * (args.clients != 1)} on {HOST} revising sections"
        f" of {trials},"
        f" {args.seconds:g} s per server after a {WARMUP:g} s warm-up"
    )
    print(f"PUT {SECTION_PATH} (revise_section); Concord's database: {database}")
    print(f"servers' CPUs: --cpu {args.cpu}, as concord serve --cpu (server/affinity.py)")
    print(
        f"load generator: its own process (asyncio streams, keep-alive HTTP/1.1), sharing"
        f" this machine's {cores} cores with the server (load average before the run"
        f" {args.load_before:.2f}); CPU columns: share of one core"
    )
    print()
    print(f"{'server':<28}{'commands/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
          f"{'server CPU':>12}{'client CPU':>12}")  # fmt: skip
    print(_row("bare Starlette (uvicorn)", b))
    print(_row("Concord (concord serve)", c))
    ratio = c.rate / b.rate if b.rate else float("nan")
    print(f"{'Concord / bare':<28}{ratio:>11.2f}x")
    for name, result in (("bare", bare), ("Concord", concord)):
        if result.errors:
            print(f"{name}: non-200 or failed requests by kind: {dict(result.errors)}")
            for sample in result.error_samples:
                print(f"  {sample}")
    print()
    rate_met = "met" if c.rate >= TARGET_RATE else "MISSED"
    p99_met = "met" if c.p99_ms <= TARGET_P99_MS else "MISSED"
    print(
        f"targets (set for SQLite): >= {TARGET_RATE:,.0f} commands/s ({rate_met});"
        f" p99 <= {TARGET_P99_MS:.0f} ms ({p99_met})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=SECONDS, help="measured time per server")
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument(
        "--trials", type=int, default=1, help="spread the clients over this many trials"
    )
    parser.add_argument("--db", help="Concord's database URL (default: a fresh SQLite file)")
    parser.add_argument("--profile", type=Path, help="run Concord under cProfile, save here")
    parser.add_argument(
        "--cpu",
        type=parse_cpu_choice,
        default=AUTO,
        metavar="auto|all|N",
        help="where each server runs, as concord serve --cpu (default auto)",
    )
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--sqlite", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        if (cpu := cpu_for(args.cpu, on_sqlite=args.sqlite)) is not None:
            pin_to_cpu(cpu)
        _serve_bare(args.serve_bare)
        return
    if args.clients < 1 or args.seconds <= 0 or not 1 <= args.trials <= args.clients:
        parser.error("--clients and --seconds must be positive, --trials 1 to --clients")
    args.load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="concord-http-bench-") as tmp:
        folder = Path(tmp)
        url = args.db or f"sqlite:///{folder / 'concord.sqlite'}"
        work = asyncio.run(prepare(url, args.clients, args.trials))
        port = free_port()
        pinned = ["--cpu", str(args.cpu)]
        bare_command = [sys.executable, "-m", "bench.http_commands", "--serve-bare", str(port)]
        # The bare server runs where concord serve will: on one CPU beside SQLite.
        bare_command += [*pinned, *(["--sqlite"] if url.startswith("sqlite") else [])]
        bare = measure(bare_command, port, folder / "bare.log", work, args.seconds)
        port = free_port()
        profiler: list[str] = []
        if args.profile:
            profiler = ["-m", "cProfile", "-o", str(args.profile.resolve())]
        concord_command = [sys.executable, *profiler, "-m", "server.cli", "--db", url]
        concord_command += ["serve", "--host", HOST, "--port", str(port), *pinned]
        concord = measure(concord_command, port, folder / "concord.log", work, args.seconds)
        shown = url if args.db else "a fresh SQLite file (WAL, synchronous=FULL)"
        report(args, shown, bare, concord)
        if concord.errors:
            print(f"\nthe Concord server's log ends:\n{tail(folder / 'concord.log')}")
    if args.profile:
        print_profile(args.profile)


if __name__ == "__main__":
    main()
