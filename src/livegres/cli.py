"""The ``livegres`` command: ``serve`` (and, later, metadata tools).

Startup failures print one line, ``livegres: error: ...``, and exit non-zero; shutdown on
SIGINT/SIGTERM is graceful: stop listening, close the pools, stop the embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import signal
import socket
import sys
import textwrap
from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import NoReturn

import uvicorn

import livegres
from livegres import log
from livegres.config import OPTIONS, ConfigError, Settings, load_settings
from livegres.db import DatabaseUnavailable
from livegres.embedded import EmbeddedError, EmbeddedPostgres
from livegres.events import cleanup as events_cleanup
from livegres.metadata import cli as metadata_cli


class StartupError(Exception):
    """A failure to start, reported as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Wraps help text without breaking a long word (an environment variable name) in two."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_long_words=False, break_on_hyphens=False)


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="livegres", description=livegres.__doc__)
    parser.add_argument("--version", action="version", version=f"livegres {livegres.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    serve = commands.add_parser(
        "serve",
        help="start the GraphQL server",
        description="Start the GraphQL server. Every option can also be set by the environment "
        "variable(s) named in its help; a flag wins over the environment.",
        formatter_class=_HelpFormatter,
    )
    for option in OPTIONS:
        default = option.default
        if option.name == "database_url":
            default = "none: an embedded PostgreSQL"
        elif option.name == "metadata_database_url":
            default = "the database URL"
        serve.add_argument(
            option.flag,
            dest=option.name,
            metavar=option.metavar,
            default=None,
            help=f"{option.help} [env: {', '.join(option.envs)}] [default: {default}]",
        )
    metadata = commands.add_parser(
        "metadata",
        help="export or apply the metadata of a running server",
        description="Export or apply the metadata of a running Livegres (or Hasura) server over HTTP.",
    )
    metadata_cli.add_arguments(metadata)
    events = commands.add_parser(
        "events",
        help="maintain the event log (cleanup)",
        description="Maintain hdb_catalog's event tables.",
    )
    events_cleanup.add_arguments(events)
    commands.add_parser("version", help="print the version")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "version":
        print(livegres.__version__)
        return 0
    if args.command == "metadata":
        return metadata_cli.main(args)
    if args.command == "events":
        return events_cleanup.main(args)
    if args.command != "serve":
        parser.print_help()
        return 2
    try:
        settings = load_settings({o.name: getattr(args, o.name) for o in OPTIONS})
    except ConfigError as exc:
        print(f"livegres: error: {exc}", file=sys.stderr)
        return 2
    log.setup_logging(settings.log_level)
    try:
        serve(settings)
    except (StartupError, EmbeddedError, DatabaseUnavailable) as exc:
        log.error(str(exc))
        print(f"livegres: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(f"port {port} on {host} is already in use") from None
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """Uvicorn, minus its signal handling: ``serve()`` below owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def serve(settings: Settings) -> None:
    sock = _bind(settings.host, settings.port)
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(_serve(settings, sock))
    finally:
        sock.close()


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        return None
    return uvloop.new_event_loop


async def _serve(settings: Settings, sock: socket.socket) -> None:
    # Imported here so that `livegres --help` stays fast.
    from livegres.app import create_app
    from livegres.runtime import Runtime

    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    server: _Server | None = None
    signals_seen = 0

    def on_signal() -> None:
        nonlocal signals_seen
        signals_seen += 1
        stopping.set()
        if server is not None:
            server.should_exit = True
            if signals_seen > 1:
                server.force_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)

    async def until_stopped(coro: Awaitable[object], what: str) -> None:
        """Run a startup step, abandoning it if a signal arrives first."""
        task = asyncio.ensure_future(coro)
        waiter = asyncio.ensure_future(stopping.wait())
        done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if task not in done:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            raise _Stopped(what)
        task.result()

    embedded: EmbeddedPostgres | None = None
    runtime: Runtime | None = None
    try:
        if settings.embedded:
            embedded = EmbeddedPostgres(settings.data_path)
            # Shielded: a signal during initdb waits for it, then the server is stopped below.
            start = asyncio.ensure_future(asyncio.to_thread(embedded.start))
            try:
                await until_stopped(asyncio.shield(start), "starting the embedded PostgreSQL")
            except _Stopped:
                with contextlib.suppress(BaseException):
                    await start
                raise
            settings = settings.with_database(start.result())
        if settings.admin_secret is None:
            log.warn("no admin secret is set: every request is treated as admin")
        runtime = Runtime(settings)
        await until_stopped(runtime.start(), "connecting to the database")
        config = uvicorn.Config(
            create_app(runtime, manage_runtime=False),
            lifespan="off",
            access_log=False,
            log_config=None,
            proxy_headers=True,
            ws="websockets-sansio",
        )
        server = _Server(config)
        log.info(
            "server listening",
            host=settings.host,
            port=sock.getsockname()[1],
            version=livegres.__version__,
        )
        if not stopping.is_set():
            await server.serve(sockets=[sock])
    except _Stopped as stopped:
        log.info(f"stopped by a signal while {stopped}")
    finally:
        if runtime is not None:
            await runtime.stop()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
        log.info("shutdown complete")


class _Stopped(Exception):
    pass
