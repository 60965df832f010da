"""Lab's verbs for pods: list, create, read, logs, delete, ephemeral containers, waiting until Ready
and exec (port-forwards, which a Lab keeps open until its clean-up, are in :mod:`kslab.cluster.lab`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kslab import settings
from kslab.cluster.api_errors import api_call, api_error
from kslab.cluster.lab_base import LabBase, call_timeout
from kslab.errors import ApiError


@dataclass(frozen=True)
class ExecResult:
    """What a command run in a container returned."""

    returncode: int
    stdout: str
    stderr: str


class PodVerbs(LabBase):
    """Pods and what runs in them (``CoreV1Api``'s pod calls and the exec stream)."""

    def list_pods(self, namespace: str, *, label_selector: str = "") -> list[Any]:
        """The pods of one namespace (``V1Pod``), optionally only those matching ``label_selector``."""
        self.require_live("listing pods")
        with api_call(f"listing pods in {namespace}"):
            return list(self._core.list_namespaced_pod(namespace, label_selector=label_selector).items)

    def create_pod(self, namespace: str, body: Any) -> Any:
        """Create a pod from a ``V1Pod`` or its manifest as a dict; returns it as stored (``V1Pod``)."""
        self.require_lab("creating a pod")
        with api_call(f"creating a pod in {namespace}"):
            return self._core.create_namespaced_pod(namespace, body)

    def read_pod(self, namespace: str, name: str) -> Any:
        """One pod (``V1Pod``); :class:`ApiError` with status 404 when there is none."""
        self.require_live(f"reading pod {name}")
        with api_call(f"reading pod {namespace}/{name}"):
            return self._core.read_namespaced_pod(name, namespace)

    def read_pod_log(self, namespace: str, name: str, *, container: str | None = None,
                     limit_bytes: int | None = None, timeout: float | tuple[float, float] | None = None) -> str:
        """A pod's log (``kubectl logs``), at most ``limit_bytes`` of it."""
        self.require_live(f"reading the log of pod {namespace}/{name}")
        kwargs: dict[str, Any] = call_timeout(timeout)
        if container:
            kwargs["container"] = container
        if limit_bytes is not None:
            kwargs["limit_bytes"] = limit_bytes
        with api_call(f"reading the log of pod {namespace}/{name}"):
            return str(self._core.read_namespaced_pod_log(name, namespace, **kwargs))

    def delete_pod(self, namespace: str, name: str, *, grace_period_seconds: int | None = None) -> None:
        """Delete one pod (``kubectl delete pod --grace-period``); its controller makes the next one."""
        self.require_lab(f"deleting pod {name}")
        kwargs: dict[str, Any] = {}
        if grace_period_seconds is not None:
            kwargs["grace_period_seconds"] = grace_period_seconds
        with api_call(f"deleting pod {namespace}/{name}"):
            self._core.delete_namespaced_pod(name, namespace, **kwargs)

    def patch_pod_ephemeral_containers(self, namespace: str, name: str, body: Mapping[str, Any]) -> Any:
        """Add ephemeral containers to a running pod (its ``ephemeralcontainers`` subresource, what
        ``kubectl debug`` patches); returns the pod (``V1Pod``)."""
        self.require_lab("adding an ephemeral container")
        with api_call(f"adding an ephemeral container to pod {namespace}/{name}"):
            return self._core.patch_namespaced_pod_ephemeralcontainers(name, namespace, body)

    def wait_for_pod(self, namespace: str, label_selector: str, *, timeout: int = 120) -> str:
        """Wait until a pod matching the selector is Ready; returns its name."""
        from kubernetes import watch

        self.require_live("waiting for a pod")

        def ready(pod: Any) -> bool:
            conds = (pod.status and pod.status.conditions) or []
            return pod.metadata.deletion_timestamp is None and \
                any(c.type == "Ready" and c.status == "True" for c in conds)

        with api_call(f"listing pods {label_selector!r} in {namespace}"):
            pods = self._core.list_namespaced_pod(namespace, label_selector=label_selector)
        for pod in pods.items:
            if ready(pod):
                return str(pod.metadata.name)
        w = watch.Watch()
        try:
            # The server ends the watch after timeout_seconds; the client's read timeout bounds a stall.
            with api_call(f"watching pods {label_selector!r} in {namespace}"):
                for event in w.stream(self._core.list_namespaced_pod, namespace,
                                      label_selector=label_selector, timeout_seconds=timeout,
                                      _request_timeout=timeout + 5,
                                      resource_version=pods.metadata.resource_version):
                    if ready(event["object"]):
                        return str(event["object"].metadata.name)
        finally:
            w.stop()
        raise ApiError(f"no pod matching {label_selector!r} in {namespace} became Ready in {timeout}s",
                       hint=f"kubectl -n {namespace} describe pods -l {label_selector}")

    def exec(self, namespace: str, pod: str, command: list[str], *, container: str | None = None,
             timeout: int = 30) -> ExecResult:
        """Run a command in a container (no shell unless the command is one); returns its result."""
        from kubernetes import client
        from kubernetes.stream import stream

        from kslab.cluster.client import api_client_for

        self.require_lab("exec into a pod")
        api = api_client_for(self.context or "")  # stream() swaps the client's request method
        import websocket  # the exec stream's transport: its connection and handshake get the request timeout

        websocket.setdefaulttimeout(settings.request_timeout())
        try:
            kwargs: dict[str, Any] = {"command": command, "stdin": False, "stdout": True,
                                      "stderr": True, "tty": False, "_preload_content": False}
            if container:
                kwargs["container"] = container
            resp = stream(client.CoreV1Api(api).connect_get_namespaced_pod_exec, pod, namespace,
                          **kwargs)
            out, err = [], []
            resp.run_forever(timeout=timeout)
            out.append(resp.read_stdout() or "")
            err.append(resp.read_stderr() or "")
            code = resp.returncode
            resp.close()
            return ExecResult(int(code if code is not None else -1), "".join(out), "".join(err))
        except Exception as exc:  # noqa: BLE001 - the stream's failures (HTTP or websocket) become one line
            raise api_error(exc, f"exec in pod {pod}") from None
        finally:
            api.close()
