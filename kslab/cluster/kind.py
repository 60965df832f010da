"""The course's kind cluster: ``up``, ``down`` and ``status``, from Python and from ``kslab cluster``.

``up`` creates the cluster from the configuration in ``kslab/data/kind/`` (see
:mod:`kslab.course.kind_config`) on docker or podman, showing kind's progress lines as they come;
on a cluster that already exists it does nothing and says so. ``down`` deletes it, and says so when
there is nothing to delete. Every command is an argument list (:mod:`kslab.cluster.tools`).

>>> create_argv("kslab", Path("/state/kind/cluster.yaml"), wait="3m")
['kind', 'create', 'cluster', '--name', 'kslab', '--config', '/state/kind/cluster.yaml', '--wait', '3m']
>>> delete_argv("kslab")
['kind', 'delete', 'cluster', '--name', 'kslab']
"""

from __future__ import annotations

import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kslab import settings
from kslab.cluster import tools
from kslab.cluster.changes import Change, Progress
from kslab.cluster.tools import kind_clusters as clusters
from kslab.course import kind_config
from kslab.errors import InputError

if TYPE_CHECKING:
    from kslab.cluster.lab import Lab

#: How long ``kind create cluster`` waits for the control plane to be Ready.
DEFAULT_WAIT = "3m"


def create_argv(name: str, config: Path, *, wait: str = DEFAULT_WAIT) -> list[str]:
    """The ``kind create cluster`` command for the course cluster."""
    return ["kind", "create", "cluster", "--name", name, "--config", str(config), "--wait", wait]


def delete_argv(name: str) -> list[str]:
    """The ``kind delete cluster`` command."""
    return ["kind", "delete", "cluster", "--name", name]


def context_name(name: str = settings.CLUSTER_NAME) -> str:
    """The kube context kind writes for a cluster.

    >>> context_name()
    'kind-kslab'
    """
    return f"kind-{name}"


def nodes(name: str, provider: tools.Provider) -> list[str]:
    """The node containers of a cluster (``kind get nodes``)."""
    proc = tools.run(["kind", "get", "nodes", "--name", name], env=provider.env, timeout=60)
    return sorted(ln.strip() for ln in proc.stdout.splitlines() if ln.strip())


def kind_version() -> str | None:
    """The installed kind's version, e.g. ``v0.33.0``."""
    return tools.version("kind")


def _older(version: str | None, than: str) -> bool:
    """True when a ``vX.Y.Z`` version is older than another (unknown counts as not older).

    >>> _older("v0.31.0", "v0.33.0"), _older("v0.33.0-alpha", "v0.33.0"), _older(None, "v0.33.0")
    (True, False, False)
    """
    def key(v: str) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", v.split("-")[0])[:3])
    return bool(version) and key(version or "") < key(than)


def stage_config(name: str = settings.CLUSTER_NAME) -> Path:
    """Copy the kind configuration to kslab's state directory; returns the copied ``cluster.yaml``.

    The control-plane node bind-mounts the API server's admission and audit files for as long as
    the cluster lives, so they must sit where the container engine can share them (on macOS,
    Docker Desktop and podman machine share the home folder, not every site-packages folder) and
    must not move with the repository.
    """
    problems = kind_config.validate()
    if problems:
        raise InputError("the kind configuration is not valid: " + "; ".join(problems[:3]),
                         hint="kslab/data/kind/README.md explains each file")
    target = settings.state_dir() / "kind" / name
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copytree(kind_config.CONFIG_DIR, target, ignore=shutil.ignore_patterns("schemas", "README.md"))
    return target / kind_config.CLUSTER_FILE


def up(name: str = settings.CLUSTER_NAME, *, progress: Progress = print, wait: str = DEFAULT_WAIT) -> Change:
    """Create the course cluster, or say that it already exists.

    Progress lines (kind's own) go to ``progress`` while the cluster comes up, typically a minute
    or two the first time (the node image is pulled once).
    """
    tools.require("kind")
    provider = tools.provider()
    context = context_name(name)
    if name in clusters(provider):
        return Change(False, f"kind cluster {name!r} already exists; nothing to do "
                              f"(context {context}; `kslab cluster down` deletes it)")
    version = kind_version()
    if _older(version, kind_config.KIND_RELEASE):
        progress(f"warning: kind {version} is older than {kind_config.KIND_RELEASE}, the release the pinned "
                 "node image was built for; if creation fails, upgrade kind")
    config = stage_config(name)
    argv = create_argv(name, config, wait=wait)
    progress(f"Using {provider.name}{f' {provider.version}' if provider.version else ''}; "
             f"running: {' '.join(argv)}")
    # kind resolves the relative hostPath of the control-plane mount from its working directory.
    code, lines = tools.stream(argv, on_line=progress, env=provider.env, cwd=config.parent)
    if code != 0:
        errors = [ln for ln in lines if ln.strip().startswith("ERROR")] or lines[-1:] or ["(no output)"]
        raise tools.ToolFailed(f"kind could not create cluster {name!r}: {errors[-1].strip()}",
                               returncode=code, output="\n".join(lines),
                               hint="the lines above are kind's; `kslab cluster down` clears a half-made "
                                    "cluster, then try again")
    return Change(True, f"kind cluster {name!r} is up on {provider.name}; kube context {context}",
                   [f"node image {kind_config.node_image()}", _load_webapp(name, progress),
                    "next: `kslab.connect()` in a notebook"])


def _load_webapp(name: str, progress: Progress) -> str:
    """Load the webapp image into a new cluster if it was built already; a note either way."""
    from kslab.cluster import images
    from kslab.errors import KslabError

    try:
        return images.load(cluster=name, progress=progress, missing_ok=True).message
    except KslabError as exc:  # the cluster is up; the image can be loaded later
        return f"the webapp image was not loaded ({exc.one_line()})"


def down(name: str = settings.CLUSTER_NAME, *, progress: Progress = print) -> Change:
    """Delete the course cluster (its nodes, and its context from the kubeconfig), or say it is absent."""
    tools.require("kind")
    provider = tools.provider()
    if name not in clusters(provider):
        return Change(False, f"no kind cluster named {name!r}; nothing to delete")
    code, lines = tools.stream(delete_argv(name), on_line=progress, env=provider.env)
    if code != 0:
        raise tools.ToolFailed(f"kind could not delete cluster {name!r}: {(lines or ['(no output)'])[-1]}",
                               returncode=code, output="\n".join(lines))
    return Change(True, f"kind cluster {name!r} deleted (context {context_name(name)} removed)")


@dataclass
class ClusterStatus:
    """Whether the course cluster exists, what it runs on, and whether its API server answers."""

    name: str
    exists: bool
    provider: str | None
    nodes: list[str]
    context: str
    context_in_kubeconfig: bool
    api: str  # "answers", "does not answer: ...", or "not checked"
    node_image: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        if not self.exists:
            return (f"kind cluster {self.name!r}: absent (on {self.provider}). "
                    "`kslab cluster up` creates it.")
        return "\n".join([
            f"kind cluster {self.name!r}: present on {self.provider}",
            f"  nodes:   {', '.join(self.nodes) or 'none'}",
            f"  context: {self.context} ({'in' if self.context_in_kubeconfig else 'NOT in'} your kubeconfig)",
            f"  API:     {self.api}",
            f"  image:   {self.node_image}",
        ])

    __repr__ = __str__


def status(name: str = settings.CLUSTER_NAME, *, probe_api: bool = True) -> ClusterStatus:
    """The course cluster's state: present or not, nodes, kube context, API server reachable."""
    from kslab.cluster.kubeconfig import read_kubeconfig

    tools.require("kind")
    provider = tools.provider()
    exists = name in clusters(provider)
    context = context_name(name)
    in_kubeconfig = context in read_kubeconfig(settings.kubeconfig_paths()).contexts
    api = "not checked"
    if exists and in_kubeconfig and probe_api:
        from kslab.cluster.client import probe

        problem = probe(context)
        api = "answers" if problem is None else f"does not answer: {problem}"
    return ClusterStatus(name=name, exists=exists, provider=provider.name,
                         nodes=nodes(name, provider) if exists else [], context=context,
                         context_in_kubeconfig=in_kubeconfig, api=api,
                         node_image=kind_config.node_image())


def staged_config_display(name: str = settings.CLUSTER_NAME) -> str:
    """Where ``up`` stages the configuration, written with ``$KSLAB_HOME`` (same on every machine)."""
    return f"$KSLAB_HOME/kind/{name}/{kind_config.CLUSTER_FILE}"


def setup(lab: Lab, *, progress: Progress = print) -> Change:
    """Notebook 00's "create the cluster" step: create it when that makes sense, else say why not.

    * live on the course cluster: it is already there;
    * live on another cluster the student chose: no local cluster is needed;
    * offline because offline was asked for (``KSLAB_MODE=offline``, Binder, CI): nothing is created;
      the command ``kslab cluster up`` would run is shown instead;
    * otherwise (offline because no cluster answered): create it, showing kind's progress. A
      missing tool or a failure is reported as the result, with its hint, not raised.
    """
    from kslab.errors import KslabError

    if lab.live:
        if lab.context == context_name():
            return Change(False, f"the course cluster is up and answering (context {lab.context}); nothing to do")
        return Change(False, f"you are working on context {lab.context}; no local cluster is needed "
                              "(`kslab cluster check` tells whether it has what the labs need)")
    if settings.requested_mode() == "offline" or settings.on_binder():
        argv = create_argv(settings.CLUSTER_NAME, Path(staged_config_display()))
        return Change(False, f"offline ({lab.reason}): kslab creates no cluster in offline mode. On a "
                              "machine with kind and docker or podman, `kslab cluster up` runs:",
                       ["  " + " ".join(argv), "from a copy of kslab/data/kind/ (predicted, not run here)"])
    try:
        return up(progress=progress)
    except KslabError as exc:
        return Change(False, f"the course cluster could not be created here: {exc.one_line()}")
