"""Every API request has a timeout: a server that answers ``/version`` (so the probe says "live") and then
stalls makes the live commands fail with a one-line error, not hang (issue #15).

The fake API server is plain HTTP on 127.0.0.1, started by the test; a stalled request is released
(and the connection closed) when the test ends or after :data:`STALL_LIMIT` seconds, so nothing here
can hang the suite either. A client without a timeout would get that closed connection instead of a
timeout, and the assertions on the message would fail.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kslab.cli.main import main

STALL_LIMIT = 20.0
VERSION = {"major": "1", "minor": "36", "gitVersion": "v1.36.0", "gitCommit": "0" * 40, "gitTreeState": "clean",
           "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.25", "compiler": "gc", "platform": "linux/amd64"}


class _Stalling(BaseHTTPRequestHandler):
    release: threading.Event
    seen: list[str]

    def _answer(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path.split("?")[0].rstrip("/") == "/version":
            body = json.dumps(VERSION).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.release.wait(STALL_LIMIT)  # never answers in time
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass


@pytest.fixture()
def stalling_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A kubeconfig whose only context, ``stall``, points at a server that answers /version and stalls."""
    release = threading.Event()
    seen: list[str] = []
    handler = type("Handler", (_Stalling,), {"release": release, "seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: stall\n"
        f"clusters: [{{name: stall, cluster: {{server: 'http://127.0.0.1:{server.server_port}'}}}}]\n"
        "users: [{name: u, user: {token: not-a-real-token}}]\n"
        "contexts: [{name: stall, context: {cluster: stall, user: u, namespace: default}}]\n")
    monkeypatch.setenv("KUBECONFIG", str(config))
    monkeypatch.setenv("KSLAB_CONTEXT", "stall")
    monkeypatch.setenv("KSLAB_REQUEST_TIMEOUT", "1")
    monkeypatch.delenv("KSLAB_MODE", raising=False)
    monkeypatch.delenv("BINDER_LAUNCH_HOST", raising=False)
    monkeypatch.delenv("BINDER_REPO_URL", raising=False)
    try:
        yield seen
    finally:
        release.set()
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("argv", [
    ["rbac", "can-i", "get", "pods", "--live"],
    ["cluster", "check"],
    ["audit", "apiserver", "--live"],
    ["cluster", "clean", "03"],
], ids=lambda argv: " ".join(argv[:2]))
def test_a_server_that_stalls_after_version_fails_within_the_timeout(argv: list[str], stalling_cluster: list[str],
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"kslab {argv[0]}: error: "), err
    assert "timed out" in lines[0].lower(), lines[0]
    # The hint names the setting with the value in force, so the student knows what to raise.
    assert "KSLAB_REQUEST_TIMEOUT=1 s" in lines[0], lines[0]
    assert "internal error" not in lines[0]
    assert any(r.startswith("GET /version") for r in stalling_cluster)  # the probe got its answer: this was live mode
    assert len(stalling_cluster) > 1  # and a real request was sent, and timed out


def test_the_request_timeout_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from kslab import settings

    monkeypatch.setenv("KSLAB_REQUEST_TIMEOUT", "7.5")
    assert settings.request_timeout() == 7.5
    monkeypatch.setenv("KSLAB_REQUEST_TIMEOUT", "forever")
    assert settings.request_timeout() == settings.DEFAULT_REQUEST_TIMEOUT


def test_a_timeout_wrapped_by_the_client_retries_still_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, ProtocolError

    from kslab.cluster.api_errors import api_error

    monkeypatch.setenv("KSLAB_REQUEST_TIMEOUT", "4.5")
    wrapped = MaxRetryError(None, "/api/v1/pods", reason=ConnectTimeoutError("connect timed out"))  # type: ignore[arg-type]
    assert "KSLAB_REQUEST_TIMEOUT=4.5 s" in api_error(wrapped, "listing pods").one_line()
    # A refused or reset connection is not a timeout: raising the setting would not help, so it is not named.
    refused = MaxRetryError(None, "/api/v1/pods", reason=ProtocolError("Connection reset by peer"))  # type: ignore[arg-type]
    assert "KSLAB_REQUEST_TIMEOUT" not in api_error(refused, "listing pods").one_line()
    assert "KSLAB_REQUEST_TIMEOUT" not in api_error(ConnectionRefusedError("refused"), "listing pods").one_line()
