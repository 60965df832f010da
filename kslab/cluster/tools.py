"""The container engine kind runs on (docker or podman) and the kind clusters on this machine; the
programs themselves and the one way they are run live in :mod:`kslab.programs`, re-exported here.

>>> decide_provider(None, {"docker": "running", "podman": "absent"})
'docker'
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from kslab.errors import ToolMissing
from kslab.programs import (
    PROBE_TIMEOUT,
    TOOLS,
    Tool,
    ToolFailed,
    parse_version,
    require,
    run,
    start,
    stream,
    version,
    which,
)

__all__ = ["ENGINES", "PROBE_TIMEOUT", "TOOLS", "Provider", "Tool", "ToolFailed", "decide_provider", "engine_state",
           "kind_clusters", "parse_version", "provider", "require", "run", "start", "stream", "version", "which"]


# ---- the container engine kind runs on ----------------------------------------------------------

ENGINES = ("docker", "podman")


@dataclass(frozen=True)
class Provider:
    """The container engine kind will use, and the environment that tells kind so."""

    name: str
    version: str | None

    @property
    def env(self) -> dict[str, str]:
        """Variables for kind's environment (kind picks docker unless told otherwise)."""
        return {"KIND_EXPERIMENTAL_PROVIDER": self.name} if self.name != "docker" else {}


def engine_state(name: str) -> tuple[str, str | None]:
    """``("absent" | "stopped" | "running", version)`` for docker or podman.

    docker: ``docker version --format json`` has ``"Server": null`` when the engine does not
    answer. podman: ``podman info`` fails when there is no engine (e.g. no podman machine on macOS).
    """
    if not which(name):
        return "absent", None
    try:
        proc = run([name, "version", "--format", "json"], check=False, timeout=PROBE_TIMEOUT)
    except ToolFailed:
        return "stopped", None
    client_version = parse_version(name, proc.stdout)
    if name == "docker":
        try:
            server = json.loads(proc.stdout).get("Server")
        except (ValueError, AttributeError):
            server = None
        return ("running" if server and proc.returncode == 0 else "stopped"), client_version
    try:
        info = run([name, "info", "--format", "json"], check=False, timeout=PROBE_TIMEOUT)
    except ToolFailed:
        return "stopped", client_version
    return ("running" if info.returncode == 0 else "stopped"), client_version


def decide_provider(explicit: str | None, states: Mapping[str, str]) -> str:
    """Which engine kind should use, given ``KIND_EXPERIMENTAL_PROVIDER`` and each engine's state.

    The rules (kind's own order, made explicit): the engine named in ``KIND_EXPERIMENTAL_PROVIDER``
    if it runs; else docker if its engine runs; else podman if it runs. Otherwise an error that says
    what to install or start.

    >>> decide_provider(None, {"docker": "stopped", "podman": "running"})
    'podman'
    >>> decide_provider("podman", {"docker": "running", "podman": "running"})
    'podman'
    >>> decide_provider(None, {"docker": "absent", "podman": "absent"})
    Traceback (most recent call last):
    ...
    kslab.errors.ToolMissing: kind needs a container engine, and neither docker nor podman is installed
    """
    if explicit:
        if explicit not in ENGINES:
            raise ToolMissing(f"KIND_EXPERIMENTAL_PROVIDER={explicit} is not an engine kslab supports",
                              hint="set KIND_EXPERIMENTAL_PROVIDER to docker or podman, or unset it")
        state = states.get(explicit, "absent")
        if state == "running":
            return explicit
        if state == "absent":
            raise ToolMissing(f"KIND_EXPERIMENTAL_PROVIDER={explicit}, but {explicit} is not installed",
                              hint=TOOLS[explicit].install_hint())
        raise ToolMissing(f"KIND_EXPERIMENTAL_PROVIDER={explicit}, but the {explicit} engine is not running",
                          hint=_start_hint(explicit))
    for name in ENGINES:
        if states.get(name) == "running":
            return name
    stopped = [n for n in ENGINES if states.get(n) == "stopped"]
    if stopped:
        name = stopped[0]
        raise ToolMissing(f"{name} is installed, but its engine is not running", hint=_start_hint(name))
    raise ToolMissing("kind needs a container engine, and neither docker nor podman is installed",
                      hint=TOOLS["docker"].install_hint())


def _start_hint(name: str) -> str:
    if name == "docker":
        return ("Linux: sudo systemctl start docker (and add yourself to the docker group); "
                "macOS: start Docker Desktop; or use podman with KIND_EXPERIMENTAL_PROVIDER=podman")
    return "Linux: check `podman info`; macOS: podman machine start"


def provider() -> Provider:
    """The container engine kind will use on this machine (see :func:`decide_provider`)."""
    explicit = os.environ.get("KIND_EXPERIMENTAL_PROVIDER", "").strip() or None
    states: dict[str, str] = {}
    versions: dict[str, str | None] = {}
    for name in ENGINES:
        if explicit and name != explicit:
            continue  # only probe what was asked for
        states[name], versions[name] = engine_state(name)
        if not explicit and states[name] == "running":
            break  # docker first, like kind
    name = decide_provider(explicit, states)
    return Provider(name, versions.get(name))


def kind_clusters(provider: Provider) -> list[str]:
    """The kind clusters on this machine (``kind get clusters``; none is not an error)."""
    proc = run(["kind", "get", "clusters"], env=provider.env, timeout=60)
    # "No kind clusters found." goes to stderr; stdout holds one name per line.
    return [ln.strip() for ln in proc.stdout.splitlines() if ln.strip()]
