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

from kslab.errors import InputError


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


def read_kubeconfig(paths: Iterable[Path]) -> KubeconfigInfo:
    """Merge the given kubeconfig files; missing files are skipped, unreadable ones are an error."""
    import yaml

    info = KubeconfigInfo()
    for path in paths:
        if not path.is_file():
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: kubeconfig cannot be read ({type(exc).__name__})",
                             hint="fix the file, or point KUBECONFIG elsewhere") from None
        if not isinstance(data, dict):
            continue
        info.files.append(path)
        if info.current_context is None and data.get("current-context"):
            info.current_context = str(data["current-context"])
        for entry in data.get("contexts") or []:
            name = str((entry or {}).get("name") or "")
            if name and name not in info.details:
                ctx = (entry or {}).get("context") or {}
                info.contexts.append(name)
                info.details[name] = {k: str(ctx.get(k) or "") for k in ("cluster", "user", "namespace")}
        for entry in data.get("clusters") or []:
            name = str((entry or {}).get("name") or "")
            if name and name not in info.servers:
                info.servers[name] = str(((entry or {}).get("cluster") or {}).get("server") or "")
    return info
