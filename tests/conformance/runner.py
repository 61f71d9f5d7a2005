"""Running the corpus: the Python API behind ``python -m tests.conformance``.

``await run(Options(corpus=...))`` starts the environment, then for each folder: resets the
database, clears the metadata, applies the folder's setup (see corpus.py for the plans) and
runs its cases through the transports, and returns a :class:`RunResult`.

A folder whose setup fails has every runnable case reported ``errored`` with the reason. A
server that stops answering is checked for an exit: if it crashed, every case left is
reported ``errored``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tests.conformance.corpus import Case, CaseKind, Folder, SetupFile, SetupScope, discover
from tests.conformance.environment import open_environment
from tests.conformance.results import CaseResult, Outcome, RunResult
from tests.conformance.transport import (
    DEFAULT_TIMEOUT,
    SKIP_REASONS,
    CaseContext,
    HttpClient,
    Reply,
    TimedOut,
    Transport,
    Unreachable,
    default_transports,
    pick_transport,
)

POSTGIS_REASON = "needs PostGIS, not available on this PostgreSQL"
XML_REASON = "needs a PostgreSQL built with XML support (the setup stores xml values), not this one"


@dataclass
class Options:
    corpus: Path
    folders: Sequence[str] = ()  # substrings; a folder runs if its path contains one
    admin_url: str | None = None  # superuser URL; default DATABASE_URL, else embedded
    strict: bool = False
    timeout: float = DEFAULT_TIMEOUT
    transports: Sequence[Transport] = field(default_factory=default_transports)
    environ: Mapping[str, str] | None = None  # for {{VAR}} placeholders; default os.environ
    on_result: Callable[[CaseResult], None] | None = None  # called as each case finishes


async def run(options: Options) -> RunResult:
    """Run the selected folders of the corpus against a fresh server; see the module docstring.

    Raises ``CorpusMissing`` when the corpus folder does not exist, and ``ServerStartError``
    when the server does not start."""
    started = time.monotonic()
    folders = discover(options.corpus, options.folders, options.environ)
    result = RunResult(options.corpus, [f.path for f in folders], partial=bool(options.folders), strict=options.strict)
    async with open_environment(options.admin_url, timeout=options.timeout) as env:
        await run_folders(env, folders, options, result)
    result.seconds = time.monotonic() - started
    return result


class Target(Protocol):
    """The server under test, as the runner uses it (``environment.Environment`` in practice)."""

    http: HttpClient

    @property
    def server_url(self) -> str: ...

    @property
    def has_postgis(self) -> bool: ...

    @property
    def has_xml(self) -> bool: ...

    async def reset(self, *, postgis: bool = False) -> None: ...

    async def clear_metadata(self) -> Reply: ...

    async def wait_exit(self, grace: float = 0.5) -> int | None: ...

    def log_tail(self, lines: int = 30) -> str: ...


async def run_folders(target: Target, folders: Sequence[Folder], options: Options, result: RunResult) -> None:
    """Run ``folders`` against ``target``, adding each case's result to ``result``."""
    runner = _Runner(target, options, result)
    for folder in folders:
        await runner.run_folder(folder)


class _Runner:
    def __init__(self, env: Target, options: Options, result: RunResult) -> None:
        self.env = env
        self.options = options
        self.result = result
        self.ctx = CaseContext(env.http, env.server_url, options.strict, options.timeout)
        self.fatal = ""  # once set (the server crashed), every case left is errored with it

    def record(self, folder: Folder, case: Case, outcome: Outcome) -> None:
        result = CaseResult(case.path, folder.path, outcome)
        self.result.add(result)
        if self.options.on_result is not None:
            self.options.on_result(result)

    async def run_folder(self, folder: Folder) -> None:
        runnable: list[tuple[Case, Transport]] = []
        for case in folder.cases:
            transport = pick_transport(case, self.options.transports)
            if case.kind is CaseKind.INVALID:
                self.record(folder, case, Outcome.errored(f"unusable case file: {case.detail}"))
            elif transport is None:
                detail = f": {case.detail}" if case.detail else ""
                self.record(folder, case, Outcome.skipped(SKIP_REASONS[case.kind] + detail))
            else:
                runnable.append((case, transport))
        if not runnable:
            return
        if folder.needs_postgis and not self.env.has_postgis:
            for case, _ in runnable:
                self.record(folder, case, Outcome.skipped(POSTGIS_REASON))
            return
        if folder.needs_xml and not self.env.has_xml:
            for case, _ in runnable:
                self.record(folder, case, Outcome.skipped(XML_REASON))
            return
        if folder.scope is SetupScope.CASE:
            for case, transport in runnable:
                problem = await self.prepare(folder)
                outcome = Outcome.errored(problem) if problem else await self.run_case(case, transport)
                self.record(folder, case, outcome)
            return
        problem = await self.prepare(folder)
        for case, transport in runnable:
            if problem:
                self.record(folder, case, Outcome.errored(problem))
                continue
            self.record(folder, case, await self.run_with_values(folder, case, transport))

    async def run_with_values(self, folder: Folder, case: Case, transport: Transport) -> Outcome:
        """A case, with the folder's values_setup before it and values_teardown after it."""
        if folder.values_setup is not None:
            problem = await self.apply(folder.values_setup)
            if problem:
                return Outcome.errored(f"values setup failed: {problem}")
        outcome = await self.run_case(case, transport)
        if folder.values_teardown is not None and not self.fatal:
            problem = await self.apply(folder.values_teardown)
            if problem and outcome.status == "passed":
                return Outcome.errored(f"values teardown failed: {problem}")
        return outcome

    async def prepare(self, folder: Folder) -> str:
        """Reset the database and metadata and apply the folder's setup; a problem, or ''."""
        if self.fatal:
            return self.fatal
        try:
            await self.env.reset(postgis=folder.needs_postgis)
        except Exception as exc:
            return f"database reset failed: {type(exc).__name__}: {exc}"
        try:
            await self.env.clear_metadata()  # failures are ignored, as Hasura's harness does
        except TimedOut:
            pass
        except Unreachable as exc:
            return await self.unreachable(exc)
        for setup in folder.setup:
            problem = await self.apply(setup)
            if problem:
                return f"setup failed: {problem}"
        return ""

    async def apply(self, setup: SetupFile) -> str:
        """Send a setup file to /v1/query; a problem, or ''."""
        if self.fatal:
            return self.fatal
        if setup.error:
            return setup.error
        name = setup.path.rsplit("/", 1)[-1]
        try:
            reply = await self.env.http.post_json("/v1/query", setup.body)
        except TimedOut as exc:
            return f"{name}: {exc}"
        except Unreachable as exc:
            return await self.unreachable(exc)
        if not 200 <= reply.status < 300:
            return f"{reply.summary()} ({name})"
        return ""

    async def run_case(self, case: Case, transport: Transport) -> Outcome:
        if self.fatal:
            return Outcome.errored(self.fatal)
        try:
            return await transport.run(case, self.ctx)
        except Unreachable as exc:
            problem = await self.unreachable(exc)
            return Outcome.errored(problem) if self.fatal else Outcome.failed(problem)
        except Exception as exc:
            return Outcome.errored(f"runner error in {transport.name} transport: {exc!r}")

    async def unreachable(self, exc: Exception) -> str:
        """The server gave no answer: find out whether it crashed (then ``fatal`` is set)."""
        code = await self.env.wait_exit()
        if code is None:
            return f"no answer from the server: {exc}"
        self.fatal = f"the server crashed (exit code {code}); later cases were not run"
        self.result.crash = f"livegres exited with code {code}; end of its log:\n{self.env.log_tail()}"
        return self.fatal
