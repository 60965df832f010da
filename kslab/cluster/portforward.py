"""A port-forward to a pod, as ``kubectl port-forward`` makes one: a listener on 127.0.0.1 only.

Each connection accepted on the local port gets a stream of its own to the pod's port through the API
server (the official client's ``portforward``: a websocket to ``pods/portforward``, which the API
server passes to the kubelet). Nothing listens on any other address, every wait has a timeout, and
:meth:`PortForward.close` stops the listener and every open connection — the lab's clean-up calls it.

The forwarding itself does not depend on Kubernetes: :class:`PortForward` takes a function that opens
the far end, so it can be exercised against any socket.
"""

from __future__ import annotations

import functools
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
#: Seconds a silent API server may take to send the rest of a websocket frame it has begun: the
#: stream's read timeout (an idle stream is the listener's business, see IDLE_SECONDS).
READ_SECONDS = 30.0


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
    """A :class:`PortForward` from 127.0.0.1 to ``port`` of a pod, through the lab's API server.

    Each connection's websocket connects (TCP, TLS, upgrade) within ``timeout`` seconds and each read
    waits at most :data:`READ_SECONDS`; a stream that fails either is closed, and so is the connection.
    """
    from kslab.cluster.api_errors import api_error
    from kslab.cluster.client import api_client_for

    def open_remote() -> Any:
        api = api_client_for(lab.context or "")
        try:
            forward = open_forward(api, namespace, pod, port, connect_timeout=timeout, read_timeout=READ_SECONDS)
        except Exception as exc:  # noqa: BLE001 - the stream's failures (HTTP or websocket) become one line
            raise api_error(exc, f"port-forward to pod {namespace}/{pod}") from None
        if not forward.connected:
            forward.websocket.shutdown()
            raise ApiError(f"port-forward to pod {namespace}/{pod}: the API server closed the stream")
        return _ForwardSocket(forward, port)

    return PortForward(open_remote, describe=f"pod {namespace}/{pod} port {port}", timeout=timeout)


def open_forward(api: Any, namespace: str, pod: str, port: int, *, connect_timeout: float,
                 read_timeout: float) -> Any:
    """The official client's port-forward stream (``kubernetes.stream.ws_client.PortForward``) to one
    port, over a websocket that connects within ``connect_timeout`` and reads within ``read_timeout``
    seconds — the client's own ``portforward()`` waits forever on both. On a failed connect the
    socket is closed; a read that times out closes the stream (its local ends see end-of-file).
    """
    from kubernetes import client
    from kubernetes.stream import ws_client
    from kubernetes.stream.stream import _websocket_request

    def call(configuration: Any, _method: str, url: str, **kwargs: Any) -> Any:
        websocket = _connect(configuration, ws_client.get_websocket_url(url, kwargs.get("query_params")),
                             kwargs.get("headers") or {}, connect_timeout)
        websocket.settimeout(read_timeout)
        return ws_client.PortForward(websocket, [port])

    # The same call portforward() makes (the generated method, over a websocket), with our transport.
    return _websocket_request(call, {"_preload_content": False},
                              client.CoreV1Api(api).connect_get_namespaced_pod_portforward,
                              pod, namespace, ports=str(port))


def _connect(configuration: Any, url: str, headers: dict[str, str], timeout: float) -> Any:
    """A websocket to ``url`` authenticated as the client configuration says, connected within
    ``timeout`` seconds (closed and raised otherwise)."""
    import ssl

    from kubernetes.stream import ws_client

    header = [f"authorization: {headers['authorization']}"] if "authorization" in headers else []
    protocols = headers.get("sec-websocket-protocol", f"{ws_client.V5_CHANNEL_PROTOCOL},{ws_client.V4_CHANNEL_PROTOCOL}")
    header.append(f"sec-websocket-protocol: {protocols}")
    if url.startswith("wss://") and configuration.verify_ssl:
        import certifi

        tls: dict[str, Any] = {"cert_reqs": ssl.CERT_REQUIRED, "ca_certs": configuration.ssl_ca_cert or certifi.where()}
        if configuration.assert_hostname is not None:
            tls["check_hostname"] = configuration.assert_hostname
    else:
        tls = {"cert_reqs": ssl.CERT_NONE}
    for key, value in (("certfile", configuration.cert_file), ("keyfile", configuration.key_file),
                       ("server_hostname", configuration.tls_server_name)):
        if value:
            tls[key] = value
    options: dict[str, Any] = {"header": header, "timeout": timeout}
    if configuration.proxy or configuration.proxy_headers:
        options = ws_client.websocket_proxycare(options, configuration, url, headers)
    websocket = _closing_websocket_class()(sslopt=tls, skip_utf8_validation=False)
    try:
        websocket.connect(url, **options)
    except BaseException:
        websocket.shutdown()  # a half-open socket to a silent server is not left behind
        raise
    return websocket


@functools.cache
def _closing_websocket_class() -> type:
    from websocket import WebSocket, WebSocketConnectionClosedException, WebSocketTimeoutException

    class ClosingWebSocket(WebSocket):
        """A websocket whose failed read closes it: the client's port-forward thread then closes the
        local ends (it handles a closed connection, not a timeout), instead of dying with them open."""

        failure = ""

        def recv_data_frame(self, control_frame: bool = False) -> Any:
            try:
                return super().recv_data_frame(control_frame)
            except (WebSocketTimeoutException, OSError) as exc:
                self.failure = f"no data from the API server in {self.gettimeout():.0f}s" \
                    if isinstance(exc, WebSocketTimeoutException) else f"the stream failed ({exc})"
                self.shutdown()
                raise WebSocketConnectionClosedException(self.failure) from None

    return ClosingWebSocket


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
        """What the kubelet said on the port's error channel (e.g. nothing listens there), or why
        the stream failed (a read timed out), or ''."""
        said = str(self._forward.error(self._port) or "")
        return said or str(getattr(self._forward.websocket, "failure", "") or "")

    def close(self) -> None:
        for end in (self._forward.close, self._forward.websocket.shutdown):
            try:
                end()
            except Exception:  # noqa: BLE001 - already closed
                pass
