"""Read kubeconfig files the way kubectl merges them, without importing the Kubernetes client.

Only what mode selection and ``kslab doctor`` need: the context names, the current context, and
which cluster/user/namespace a context points at. Never reads or returns credentials.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "config"
>>> _ = p.write_text("current-context: a\\ncontexts:\\n- name: a\\n  context: {cluster: c1, user: u1}\\n")
>>> kc = read_kubeconfig([p])
>>> kc.contexts, kc.current_context
(['a'], 'a')
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kslab.errors import InputError
from kslab.text import brief


@dataclass
class KubeconfigInfo:
    """Contexts found in the kubeconfig files, merged first-file-wins like kubectl."""

    files: list[Path] = field(default_factory=list)
    contexts: list[str] = field(default_factory=list)
    current_context: str | None = None
    details: dict[str, dict[str, str]] = field(default_factory=dict)  # context -> cluster/user/namespace
    servers: dict[str, str] = field(default_factory=dict)  # cluster name -> server URL

    def server_for(self, context: str) -> str | None:
        """The API server URL a context points at, if known."""
        cluster = self.details.get(context, {}).get("cluster")
        return self.servers.get(cluster) if cluster else None


class KubeconfigError(InputError):
    """A kubeconfig file kslab cannot use: ``path`` names it; ``malformed`` is False when the file
    could not be read at all (permissions, a directory), True when its content is wrong.

    >>> err = KubeconfigError(Path("/tmp/config"), "kubeconfig: contexts must be a list, not 'hello'")
    >>> err.path, err.malformed, err.message
    (PosixPath('/tmp/config'), True, "/tmp/config: kubeconfig: contexts must be a list, not 'hello'")
    """

    default_hint = "fix the file, or point KUBECONFIG elsewhere"

    def __init__(self, path: Path, message: str, *, hint: str | None = None, malformed: bool = True) -> None:
        super().__init__(f"{path}: {message}", hint=hint)
        self.path = path
        self.malformed = malformed


#: Largest kubeconfig read: real ones are a few KiB (certificates included); a bigger file is a mistake.
MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024


def _named_entries(data: dict[str, Any], key: str, body: str, path: Path) -> list[tuple[str, dict[str, Any]]]:
    """``(name, body mapping)`` for each entry of a kubeconfig list (``contexts``, ``clusters``);
    KubeconfigError when the list or an entry has the wrong shape, as kubectl refuses such a file."""
    entries = data.get(key)
    if entries is None:
        return []
    shape = f"{key}: [{{name: ..., {body}: {{...}}}}]"
    if not isinstance(entries, list):
        raise KubeconfigError(path, f"kubeconfig: {key} must be a list, not {brief(entries)}",
                         hint=f"fix the file ({shape}), or point KUBECONFIG elsewhere")
    out = []
    for i, entry in enumerate(entries):
        inner = entry.get(body) if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(inner, (dict, type(None))):
            raise KubeconfigError(path, f"kubeconfig: {key}[{i}] must be a mapping with a name and a {body} "
                             f"mapping, not {brief(entry)}",
                             hint=f"fix the file ({shape}), or point KUBECONFIG elsewhere")
        name = entry.get("name")
        if isinstance(name, (str, int, float)) and not isinstance(name, bool) and str(name):
            out.append((str(name), inner or {}))
    return out


def read_kubeconfig(paths: Iterable[Path]) -> KubeconfigInfo:
    """Merge the given kubeconfig files; missing files are skipped, unreadable or malformed ones are
    a :class:`KubeconfigError` naming the file (``kslab doctor`` reports it)."""
    import yaml

    info = KubeconfigInfo()
    for path in paths:
        try:
            if not path.exists():
                continue
            if not path.is_file() and str(path) != os.devnull:  # a directory, a FIFO (would block), a device
                raise KubeconfigError(path, "kubeconfig is not a regular file", malformed=False,
                                      hint="point KUBECONFIG at your kubeconfig file")
            with path.open("rb") as handle:
                raw = handle.read(MAX_KUBECONFIG_BYTES + 1)
        except OSError as exc:
            raise KubeconfigError(path, f"kubeconfig cannot be read ({exc.strerror or type(exc).__name__})",
                                  hint="make it readable (chmod 600), or point KUBECONFIG elsewhere",
                                  malformed=False) from None
        if len(raw) > MAX_KUBECONFIG_BYTES:
            raise KubeconfigError(path, f"larger than {MAX_KUBECONFIG_BYTES // (1024 * 1024)} MiB, not a kubeconfig",
                                  hint="point KUBECONFIG at your kubeconfig file")
        try:
            data = yaml.safe_load(raw.decode("utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError, RecursionError, ValueError) as exc:
            raise KubeconfigError(path, f"kubeconfig is not valid YAML ({type(exc).__name__})") from None
        if not isinstance(data, dict):
            raise KubeconfigError(path, f"kubeconfig is not a mapping (it holds {brief(data)})")
        info.files.append(path)
        current = data.get("current-context")
        if info.current_context is None and current:
            if not isinstance(current, str):
                raise KubeconfigError(path, f"kubeconfig: current-context must be a name, not {brief(current)}",
                                      hint="fix the file, or `kubectl config use-context NAME`")
            info.current_context = current
        for name, ctx in _named_entries(data, "contexts", "context", path):
            if name not in info.details:
                info.contexts.append(name)
                info.details[name] = {k: _text(ctx.get(k)) for k in ("cluster", "user", "namespace")}
        for name, cluster in _named_entries(data, "clusters", "cluster", path):
            if name not in info.servers:
                info.servers[name] = _text(cluster.get("server"))
    return info


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
