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


#: Largest kubeconfig read: real ones are a few KiB (certificates included); a bigger file is a mistake.
MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024


def _named_entries(data: dict[str, Any], key: str, body: str, path: Path) -> list[tuple[str, dict[str, Any]]]:
    """``(name, body mapping)`` for each entry of a kubeconfig list (``contexts``, ``clusters``);
    InputError when the list or an entry has the wrong shape, as kubectl refuses such a file."""
    entries = data.get(key)
    if entries is None:
        return []
    shape = f"{key}: [{{name: ..., {body}: {{...}}}}]"
    if not isinstance(entries, list):
        raise InputError(f"{path}: kubeconfig: {key} must be a list, not {brief(entries)}",
                         hint=f"fix the file ({shape}), or point KUBECONFIG elsewhere")
    out = []
    for i, entry in enumerate(entries):
        inner = entry.get(body) if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(inner, (dict, type(None))):
            raise InputError(f"{path}: kubeconfig: {key}[{i}] must be a mapping with a name and a {body} "
                             f"mapping, not {brief(entry)}",
                             hint=f"fix the file ({shape}), or point KUBECONFIG elsewhere")
        name = entry.get("name")
        if isinstance(name, (str, int, float)) and not isinstance(name, bool) and str(name):
            out.append((str(name), inner or {}))
    return out


def read_kubeconfig(paths: Iterable[Path]) -> KubeconfigInfo:
    """Merge the given kubeconfig files; missing files are skipped, unreadable or malformed ones are
    an :class:`~kslab.errors.InputError` naming the file (``kslab doctor`` reports it)."""
    import yaml

    info = KubeconfigInfo()
    for path in paths:
        try:
            if not path.is_file():
                continue
            with path.open("rb") as handle:
                raw = handle.read(MAX_KUBECONFIG_BYTES + 1)
            if len(raw) > MAX_KUBECONFIG_BYTES:
                raise InputError(f"{path}: larger than {MAX_KUBECONFIG_BYTES // (1024 * 1024)} MiB, not a kubeconfig",
                                 hint="point KUBECONFIG at your kubeconfig file")
            data = yaml.safe_load(raw.decode("utf-8")) or {}
        except InputError:
            raise
        except (yaml.YAMLError, OSError, UnicodeDecodeError, RecursionError, ValueError) as exc:
            raise InputError(f"{path}: kubeconfig cannot be read ({type(exc).__name__})",
                             hint="fix the file, or point KUBECONFIG elsewhere") from None
        if not isinstance(data, dict):
            raise InputError(f"{path}: kubeconfig is not a mapping (it holds {brief(data)})",
                             hint="fix the file, or point KUBECONFIG elsewhere")
        info.files.append(path)
        current = data.get("current-context")
        if info.current_context is None and current:
            if not isinstance(current, str):
                raise InputError(f"{path}: kubeconfig: current-context must be a name, not {brief(current)}",
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
