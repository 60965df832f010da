"""A port-forward to a pod, as ``kubectl port-forward`` makes one: a listener on 127.0.0.1 only.

Each connection accepted on the local port gets a stream of its own to the pod's port through the API
server (the official client's ``portforward``: a websocket to ``pods/portforward``, which the API
server passes to the kubelet). Nothing listens on any other address, every wait has a timeout, and
:meth:`PortForward.close` stops the listener and every open connection — the lab's clean-up calls it.

The forwarding itself does not depend on Kubernetes: :class:`PortForward` takes a function that opens
the far end, so it can be exercised against any socket.
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kslab.errors import ApiError

if TYPE_CHECKING:
    from kslab.cluster.lab import Lab

#: Only ever bind here: a port-forward must not expose the pod to the network.
LOOPBACK = "127.0.0.1"
#: Seconds a connection may sit idle before the forward closes it.
IDLE_SECONDS = 60.0


class PortForward:
    """Listen on 127.0.0.1 and forward every connection to whatever ``open_remote()`` returns.

    ``open_remote`` returns a connected socket-like object (``recv``/``sendall``/``fileno``/``close``)
    or raises; ``describe`` says where it goes (shown to the student). ``timeout`` bounds opening the
    far end.
    """

    def __init__(self, open_remote: Callable[[], Any], *, describe: str, timeout: float = 10.0,
                 local_port: int = 0) -> None:
        self._open_remote = open_remote
        self.describe = describe
        self.timeout = timeout
        self.errors: list[str] = []
        self._closed = threading.Event()
        self._open: set[Any] = set()
        self._lock = threading.Lock()
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind((LOOPBACK, local_port))
        self._server.listen(8)
        self._server.settimeout(0.5)
        self.local_port = int(self._server.getsockname()[1])
        self._thread = threading.Thread(target=self._accept, name=f"kslab port-forward {describe}", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/``: open it in the browser."""
        return f"http://{LOOPBACK}:{self.local_port}/"

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"PortForward({self.url} -> {self.describe}, {state})"

    def close(self) -> None:
        """Stop listening and close every forwarded connection (idempotent)."""
        self._closed.set()
        try:
            self._server.close()
        except OSError:
            pass
        with self._lock:
            for sock in list(self._open):
                try:
                    sock.close()
                except OSError:
                    pass
            self._open.clear()
        self._thread.join(timeout=2)

    # ---- the machinery ---------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _track(self, *socks: Any) -> None:
        with self._lock:
            self._open.update(socks)

    def _untrack(self, *socks: Any) -> None:
        with self._lock:
            for sock in socks:
                self._open.discard(sock)
                try:
                    sock.close()
                except OSError:
                    pass

    def _serve(self, client: socket.socket) -> None:
        self._track(client)
        remote = self._open_within_timeout()
        if remote is None:
            self._untrack(client)
            return
        self._track(remote)
        try:
            pump(client, remote, idle=IDLE_SECONDS, stop=self._closed)
        finally:
            self._untrack(client, remote)
            said = getattr(remote, "error", None)
            if callable(said) and said():
                self.errors.append(f"{self.describe}: {str(said())[:300]}")

    def _open_within_timeout(self) -> Any:
        """Open the far end in a helper thread, so a silent API server cannot hold us forever."""
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["remote"] = self._open_remote()
            except Exception as exc:  # noqa: BLE001 - recorded for the student, then the connection closes
                box["error"] = exc

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(self.timeout)
        if "remote" in box:
            return box["remote"]
        message = str(box.get("error") or f"no answer in {self.timeout:.0f}s")
        self.errors.append(f"opening the forward to {self.describe}: {message[:300]}")
        return None


def pump(a: Any, b: Any, *, idle: float, stop: threading.Event | None = None) -> None:
    """Copy bytes both ways between two sockets until either side closes, ``idle`` seconds pass with
    no traffic, or ``stop`` is set."""
    ends = {a: b, b: a}
    while ends and not (stop and stop.is_set()):
        try:
            readable, _, _ = select.select(list(ends), [], [], min(idle, 0.5))
        except (OSError, ValueError):
            return  # a socket was closed under us (close())
        if not readable:
            idle -= 0.5
            if idle <= 0:
                return
            continue
        for sock in readable:
            try:
                data = sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            try:
                ends[sock].sendall(data)
            except OSError:
                return


def to_pod(lab: Lab, namespace: str, pod: str, port: int, *, timeout: float = 10.0) -> PortForward:
    """A :class:`PortForward` from 127.0.0.1 to ``port`` of a pod, through the lab's API server."""
    from kubernetes import client
    from kubernetes.stream import portforward

    from kslab.cluster.api_errors import api_error
    from kslab.cluster.client import api_client_for

    def open_remote() -> Any:
        api = api_client_for(lab.context or "")  # portforward() swaps the client's request method
        try:
            forward = portforward(client.CoreV1Api(api).connect_get_namespaced_pod_portforward,
                                  pod, namespace, ports=str(port), _request_timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - the stream's failures (HTTP or websocket) become one line
            raise api_error(exc, f"port-forward to pod {namespace}/{pod}") from None
        if not forward.connected:
            raise ApiError(f"port-forward to pod {namespace}/{pod}: the API server closed the stream")
        return _ForwardSocket(forward, port)

    return PortForward(open_remote, describe=f"pod {namespace}/{pod} port {port}", timeout=timeout)


class _ForwardSocket:
    """The client's forwarded port as a socket; closing it ends that port's stream."""

    def __init__(self, forward: Any, port: int) -> None:
        self._forward = forward
        self._port = port
        self._sock = forward.socket(port)

    def fileno(self) -> int:
        return int(self._sock.fileno())

    def recv(self, n: int) -> bytes:
        return bytes(self._sock.recv(n))

    def sendall(self, data: bytes) -> None:
        self._sock.sendall(data)

    def error(self) -> str:
        """What the kubelet said on the port's error channel (e.g. nothing listens there), or ''."""
        return str(self._forward.error(self._port) or "")

    def close(self) -> None:
        try:
            self._forward.close()
        except Exception:  # noqa: BLE001 - already closed
            pass
