"""A small asyncio HTTP/1.1 client for the load bench: one keep-alive connection per simulated user,
or a new connection per request (as nginx talks to the app by default).

Cheap on purpose (no library, no thread): the driver must leave the machine's CPU to the server it
measures. Enough of HTTP/1.1 for this app behind gunicorn: Content-Length and chunked bodies,
keep-alive, and a reconnection when the server closed an idle connection before reading a request.
"""
import asyncio
import json


class HttpError(Exception):
    """The connection failed or the answer could not be read (no HTTP status to report)."""


class Connection:
    """One persistent connection to host:port; `request` sends one request and reads its answer."""

    def __init__(self, host: str, port: int, timeout: float = 60.0, per_request: bool = False):
        self.host, self.port, self.timeout, self.per_request = host, port, timeout, per_request
        self.reader = self.writer = None
        self.reconnects = 0

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
            self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: dict | None = None,
                      body: dict | None = None) -> tuple[int, bytes]:
        """(status, body). A connection the server closed while idle is reopened once: nothing was
        read from it, so the request was not handled."""
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Accept: application/json",
                 f"Content-Length: {len(payload)}"]
        if body is not None:
            lines.append("Content-Type: application/json")
        if self.per_request:
            lines.append("Connection: close")
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
        for attempt in (1, 2):
            reused = self.writer is not None
            if not reused:
                await self._open()
            try:
                self.writer.write(raw)
                await self.writer.drain()
                return await asyncio.wait_for(self._read_response(), self.timeout)
            except _ClosedBeforeAnswer:
                await self.close()
                if not reused or attempt == 2:
                    raise HttpError("connexion fermée par le serveur avant toute réponse")
                self.reconnects += 1
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as exc:
                await self.close()
                raise HttpError(f"{type(exc).__name__}: {exc}") from exc
        raise HttpError("unreachable")

    async def _read_response(self) -> tuple[int, bytes]:
        try:
            status_line = await self.reader.readline()
        except ConnectionResetError as exc:
            raise _ClosedBeforeAnswer() from exc
        if not status_line:
            raise _ClosedBeforeAnswer()
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close = None, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            data = b"".join(parts)
        elif length is not None:
            data = await self.reader.readexactly(length)
        else:
            data = await self.reader.read()
            close = True
        if close:
            await self.close()
        return status, data


class _ClosedBeforeAnswer(Exception):
    pass
