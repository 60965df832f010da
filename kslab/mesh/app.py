"""The application side of the local mesh: a bookinfo-like ``details`` service and its client.

``details`` answers ``GET /details/<id>`` with a book's details as JSON (like bookinfo's
details service) and ``GET /books?count=N`` with a list (a bigger response, for load). It speaks
plain HTTP/1.1 on 127.0.0.1 only: in a mesh, the application never sees TLS — the sidecars do.

>>> book(0)["author"]
'William Shakespeare'
"""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"
MAX_BOOKS = 1000


def book(book_id: int) -> dict[str, Any]:
    """The details of a book (the same shape bookinfo's details service returns)."""
    return {"id": book_id, "author": "William Shakespeare", "year": 1595, "type": "paperback",
            "pages": 200, "publisher": "PublisherA", "language": "English",
            "ISBN-10": "1234567890", "ISBN-13": "123-1234567890"}


class _DetailsHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, like a real service behind a sidecar
    disable_nagle_algorithm = True  # headers and body are two writes: do not wait between them
    server_version = "details/1.0"
    timeout = 10

    def version_string(self) -> str:
        return self.server_version  # no Python version in the Server header

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "details" and parts[1].isdigit():
            self._json(200, book(int(parts[1])))
        elif url.path == "/books":
            count = min(MAX_BOOKS, int((parse_qs(url.query).get("count") or ["10"])[0] or 10))
            self._json(200, {"books": [book(i) for i in range(count)]})
        elif url.path == "/health":
            self._json(200, {"status": "ok"})
        else:
            self._json(404, {"error": f"no such resource: {url.path}"})

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass


class DetailsService:
    """The details service on 127.0.0.1 (``port=0``: any free port); stop with :meth:`close`."""

    def __init__(self, port: int = 0) -> None:
        try:
            self.server = ThreadingHTTPServer((HOST, port), _DetailsHandler)
        except OSError:  # the preferred port is taken: any free one will do
            self.server = ThreadingHTTPServer((HOST, 0), _DetailsHandler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="details", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass(frozen=True)
class Response:
    """What the client got: a status and a body, or the error a client like curl would report."""

    status: int | None
    body: str
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def __str__(self) -> str:
        return f"{self.status} {self.body[:80]}" if self.status is not None else f"failed: {self.error}"


def get(port: int, paths: list[str], *, host_header: str = "details:9080", timeout: float = 10) -> list[Response]:
    """GET each path on one keep-alive connection to 127.0.0.1:port; errors become Responses."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    out: list[Response] = []
    try:
        for path in paths:
            conn.request("GET", path, headers={"Host": host_header, "User-Agent": "kslab-client/1.0",
                                               "Accept": "application/json"})
            resp = conn.getresponse()
            out.append(Response(resp.status, resp.read().decode("utf-8", "replace")))
    except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError) as exc:
        # What curl reports as exit code 56 ("Recv failure: Connection reset by peer").
        out.append(Response(None, "", f"connection reset by the server ({type(exc).__name__}); "
                                       "curl would exit with code 56"))
    except (OSError, http.client.HTTPException) as exc:
        out.append(Response(None, "", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()
    return out
