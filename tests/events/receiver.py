"""A real webhook receiver for event tests and benchmarks: an HTTP/1.1 server (asyncio, in its
own thread) that records every POST.

Behaviour per path: ``/fail`` answers 500, ``/retry-after`` answers 503 with ``Retry-After: 1``,
``/slow`` waits ``slow_seconds`` before answering, ``/big`` answers 5 MB, ``/loop`` redirects
to itself; anything else answers 200. ``status`` overrides the answer of every path.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.server import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any
    at: float


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    status: int | None = None
    slow_seconds: float = 2.0
    received: list[Received] = field(default_factory=list)
    on_receive: Callable[[Received], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loop: asyncio.AbstractEventLoop | None = None
    _server: asyncio.Server | None = None
    _thread: threading.Thread | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Receiver:
        loop = asyncio.new_event_loop()
        started = threading.Event()
        problem: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._connection, "127.0.0.1", self.port, backlog=1024, reuse_address=True)
                )
            except OSError as exc:
                problem.append(exc)
                started.set()
                return
            started.set()
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        started.wait(10)
        if problem:
            raise problem[0]
        return self

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                method, path, _ = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    header = await reader.readline()
                    if header in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = header.decode("latin-1").partition(":")
                    headers[name.strip()] = value.strip()
                length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), "0"))
                raw = await reader.readexactly(length) if length else b""
                if method == "POST":
                    try:
                        body: Any = json.loads(raw)
                    except ValueError:
                        body = raw.decode(errors="replace")
                    item = Received(path, headers, body, time.time())
                    with self._lock:
                        self.received.append(item)
                    if self.on_receive is not None:
                        self.on_receive(item)
                await self._answer(path, writer)
        except (OSError, ValueError, asyncio.IncompleteReadError):
            return
        except asyncio.CancelledError:
            return  # stopping the receiver: the connection just ends
        finally:
            if task is not None:
                self._tasks.discard(task)
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _answer(self, path: str, writer: asyncio.StreamWriter) -> None:
        status = self.status or (500 if path.startswith("/fail") else 200)
        headers: list[tuple[str, str]] = []
        body = b'{"ok": true}'
        if path.startswith("/retry-after") and self.status is None:
            status = 503
            headers.append(("Retry-After", "1"))
        elif path.startswith("/slow"):
            await asyncio.sleep(self.slow_seconds)
        elif path.startswith("/big"):
            body = b"x" * (5 * 1024 * 1024)
        elif path.startswith("/loop"):
            status = 302
            headers.append(("Location", path))
        head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Content-Type: application/json"]
        head += [f"{name}: {value}" for name, value in headers]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await writer.drain()

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is None:
            return

        async def close() -> None:
            if server is not None:
                server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            tasks = [t for t in self._tasks if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            loop.stop()

        with contextlib.suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(close(), loop)
        if self._thread is not None:
            self._thread.join(10)
        with contextlib.suppress(RuntimeError):
            loop.close()
        self._loop = self._server = self._thread = None

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- inspection ---------------------------------------------------------------------------

    def bodies(self, trigger: str | None = None) -> list[Any]:
        with self._lock:
            items = list(self.received)
        return [r.body for r in items if trigger is None or _trigger(r.body) == trigger]

    def ids(self, trigger: str | None = None) -> Counter[str]:
        return Counter(b["id"] for b in self.bodies(trigger) if isinstance(b, dict))

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return bool(predicate())


def _trigger(body: Any) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("trigger"), dict):
        name = body["trigger"].get("name")
        return name if isinstance(name, str) else None
    return None
