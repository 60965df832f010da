"""The course cluster's kind configuration, read and checked without any cluster.

The files live in ``kslab/data/kind/`` (its README says how each was made): ``cluster.yaml`` for
kind, and ``control-plane/`` with the API server's admission (Pod Security) and audit configuration,
mounted into the control-plane node. This module reads them, validates every document against a
JSON Schema written from the upstream Go types (kind, kubeadm, kubelet, apiserver), cross-checks
that the API server flags point at files that are really mounted, and summarises what the cluster
will enforce — the same facts offline as live, because they come from the files kind is given.

>>> summary = describe()
>>> summary.psa_defaults["enforce"], summary.kubelet_read_only_port
('baseline', 0)
>>> validate()
[]
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from kslab.errors import InputError

#: The folder holding the kind configuration (shipped inside the package).
CONFIG_DIR = Path(__file__).resolve().parent.parent / "data" / "kind"
CLUSTER_FILE = "cluster.yaml"
SCHEMA_DIR = CONFIG_DIR / "schemas"

#: The kind release whose notes published the pinned node image (see the folder's README).
KIND_RELEASE = "v0.33.0"


@dataclass(frozen=True)
class Document:
    """One configuration document: where it comes from, its content, and the schema it must meet."""

    source: str
    content: dict[str, Any]
    schema: str


@cache
def _yaml_file(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot be read as YAML ({type(exc).__name__})",
                         hint="the kind configuration ships with kslab; reinstall it") from None


def cluster_config(config_dir: Path = CONFIG_DIR) -> dict[str, Any]:
    """``cluster.yaml`` as a dict.

    >>> cluster_config()["name"]
    'kslab'
    """
    data = _yaml_file(config_dir / CLUSTER_FILE)
    if not isinstance(data, dict):
        raise InputError(f"{config_dir / CLUSTER_FILE}: not a kind Cluster document")
    return data


def node_image(config_dir: Path = CONFIG_DIR) -> str:
    """The pinned node image (every node uses the same one).

    >>> node_image().split("@")[0]
    'kindest/node:v1.37.0'
    """
    images = {n.get("image", "") for n in cluster_config(config_dir).get("nodes", [])}
    if len(images) != 1:
        raise InputError(f"{config_dir / CLUSTER_FILE}: nodes use different images: {sorted(images)}")
    return images.pop()


#: Which schema each embedded kubeadm patch must meet, by its kind.
PATCH_SCHEMAS = {"ClusterConfiguration": "kubeadm-cluster-configuration.v1beta4",
                 "KubeletConfiguration": "kubelet-configuration.v1beta1"}
#: The API server flags that name a configuration file, and the schema that file must meet.
FILE_FLAGS = {"admission-control-config-file": "admission-configuration.v1",
              "audit-policy-file": "audit-policy.v1"}


def documents(config_dir: Path = CONFIG_DIR) -> list[Document]:
    """Every document kind and the API server will read, each with the schema it must meet.

    The admission and audit files are found the way the API server finds them: through its flags,
    its pod's volumes and the node's mounts (see :func:`flag_files`).
    """
    import yaml

    config = cluster_config(config_dir)
    docs = [Document(CLUSTER_FILE, config, "kind-cluster.v1alpha4")]
    patches = [("cluster", p) for p in config.get("kubeadmConfigPatches") or []]
    for i, node in enumerate(config.get("nodes") or []):
        patches += [(f"nodes[{i}]", p) for p in (node or {}).get("kubeadmConfigPatches") or []]
    for where, text in patches:
        try:
            patch = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(f"{CLUSTER_FILE}: a kubeadm patch ({where}) is not YAML: {exc}") from None
        kind = patch.get("kind") if isinstance(patch, dict) else None
        docs.append(Document(f"{CLUSTER_FILE} kubeadmConfigPatches ({where}) {kind}", patch,
                             PATCH_SCHEMAS.get(str(kind), "unknown")))
    for flag, (host_file, _problem) in _flag_files_if_readable(config_dir).items():
        if host_file is not None:
            docs.append(Document(str(host_file.relative_to(config_dir)), _yaml_file(host_file),
                                 FILE_FLAGS[flag]))
    return docs


def _schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))


def schema_problems(doc: Document) -> list[str]:
    """What a document's schema says is wrong with it (empty when valid)."""
    from kslab.course.schemas import format_checker, jsonschema  # noqa: PLC0415 - on use only

    if doc.schema == "unknown":
        return [f"{doc.source}: kslab has no schema for this kind of patch; add one to {SCHEMA_DIR.name}/"]
    # Only kslab's formats (ipv4, ipv6): see kslab.course.schemas for the import it avoids.
    validator = jsonschema().Draft202012Validator(_schema(doc.schema), format_checker=format_checker())
    return [f"{doc.source}: {'/'.join(str(p) for p in err.absolute_path) or '(top)'}: {err.message}"
            for err in sorted(validator.iter_errors(doc.content), key=lambda e: list(e.absolute_path))]


def _apiserver_patch(config: dict[str, Any]) -> dict[str, Any]:
    import yaml

    for text in config.get("kubeadmConfigPatches", []):
        patch = yaml.safe_load(text)
        if patch.get("kind") == "ClusterConfiguration":
            return patch.get("apiServer", {})
    return {}


def apiserver_flags(config_dir: Path = CONFIG_DIR) -> dict[str, str]:
    """The flags the configuration adds to kube-apiserver.

    >>> apiserver_flags()["audit-log-path"]
    '/var/log/kubernetes/audit/audit.log'
    """
    api = _apiserver_patch(cluster_config(config_dir))
    return {a["name"]: a["value"] for a in api.get("extraArgs", [])}


def flag_files(config_dir: Path = CONFIG_DIR) -> dict[str, tuple[Path | None, str | None]]:
    """For each file flag of the API server: the host file it ends up reading, or why none.

    A flag's path must lie in one of the API server pod's volumes, that volume's node path must be
    a kind ``extraMounts`` of the control-plane node, and the mount's host folder must hold the file.

    >>> {flag: str(path.relative_to(CONFIG_DIR)) for flag, (path, _) in flag_files().items()}
    {'admission-control-config-file': 'control-plane/admission.yaml', 'audit-policy-file': 'control-plane/audit-policy.yaml'}
    """
    config = cluster_config(config_dir)
    control_planes = [n for n in config.get("nodes", []) if n.get("role", "control-plane") == "control-plane"]
    mounts = [m for n in control_planes for m in n.get("extraMounts", [])]
    volumes = _apiserver_patch(config).get("extraVolumes", [])
    flags = apiserver_flags(config_dir)
    found: dict[str, tuple[Path | None, str | None]] = {}
    for flag in FILE_FLAGS:
        path = flags.get(flag)
        if path is None:
            found[flag] = (None, f"kube-apiserver flag --{flag} is not set")
            continue
        vol = next((v for v in volumes if _under(path, v["mountPath"])), None)
        if vol is None:
            found[flag] = (None, f"--{flag}={path} is in no volume of the API server pod")
            continue
        node_path = posixpath.join(vol["hostPath"], posixpath.relpath(path, vol["mountPath"]))
        mount = next((m for m in mounts if _under(node_path, m.get("containerPath", ""))), None)
        if mount is None:
            found[flag] = (None, f"--{flag}: {node_path} is not mounted into the control-plane node")
            continue
        host_file = config_dir / mount["hostPath"] / posixpath.relpath(node_path, mount["containerPath"])
        if not host_file.is_file():
            found[flag] = (None, f"--{flag}: {host_file.relative_to(config_dir)} does not exist")
            continue
        found[flag] = (host_file, None)
    return found


def cross_problems(config_dir: Path = CONFIG_DIR) -> list[str]:
    """Checks no schema can make: the files the API server is told to read are really there
    (:func:`flag_files`), and no two port mappings share address, port and protocol (kind's rule).
    """
    config = cluster_config(config_dir)
    problems = [problem for _path, problem in flag_files(config_dir).values() if problem]
    for node in config.get("nodes", []):
        seen: set[tuple[str, int, str]] = set()
        for pm in node.get("extraPortMappings", []):
            key = (pm.get("listenAddress", "0.0.0.0"), pm.get("hostPort", 0), pm.get("protocol", "TCP"))
            if key[1] not in (0, -1) and key in seen:
                problems.append(f"port mapping with same listen address, port and protocol: {key}")
            seen.add(key)
    return problems


def _under(path: str, folder: str) -> bool:
    return bool(folder) and (path == folder or path.startswith(folder.rstrip("/") + "/"))


def validate(config_dir: Path = CONFIG_DIR) -> list[str]:
    """Every problem found in the configuration; empty when valid.

    Schemas first; the cross-checks assume well-formed documents, so they run only when every
    schema is met (except for missing files, which a schema cannot see).
    """
    schema_docs = documents(config_dir)
    problems: list[str] = []
    for doc in schema_docs:
        problems += schema_problems(doc)
    if problems:
        return problems + [p for _path, p in _flag_files_if_readable(config_dir).values() if p]
    return cross_problems(config_dir)


def _flag_files_if_readable(config_dir: Path) -> dict[str, tuple[Path | None, str | None]]:
    try:
        return flag_files(config_dir)
    except (KeyError, TypeError, AttributeError, ValueError):
        return {}  # a malformed configuration: its schema problems say why


@dataclass
class ClusterDesign:
    """What the course cluster will enforce, read from its configuration files."""

    name: str
    node_image: str
    nodes: list[str]
    api_server_address: str
    psa_defaults: dict[str, str]
    psa_exempt_namespaces: list[str]
    audit: dict[str, str]
    kubelet_read_only_port: int | None
    port_mappings: list[str] = field(default_factory=list)

    def rows(self) -> list[tuple[str, str]]:
        """(setting, value) pairs, in the order a student reads them."""
        d = self.psa_defaults
        return [
            ("cluster name", f"{self.name} (kube context kind-{self.name})"),
            ("node image", self.node_image),
            ("nodes", ", ".join(self.nodes)),
            ("API server", f"published on {self.api_server_address} only"),
            ("Pod Security defaults", f"enforce {d.get('enforce')}, warn {d.get('warn')}, "
                                      f"audit {d.get('audit')} (version {d.get('enforce-version')})"),
            ("Pod Security exemptions", "namespaces " + ", ".join(self.psa_exempt_namespaces)),
            ("audit log", f"{self.audit.get('audit-log-path')} (rotated at {self.audit.get('audit-log-maxsize')} MB, "
                          f"{self.audit.get('audit-log-maxbackup')} old files, {self.audit.get('audit-log-maxage')} days)"),
            ("kubelet read-only port", "closed (readOnlyPort: 0)" if self.kubelet_read_only_port == 0
             else f"open on {self.kubelet_read_only_port}"),
            ("ports on the laptop", "; ".join(self.port_mappings) or "none"),
        ]

    def __str__(self) -> str:
        rows = self.rows()
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)

    __repr__ = __str__


def describe(config_dir: Path = CONFIG_DIR) -> ClusterDesign:
    """Summarise the configuration: what the cluster will enforce, from the files themselves."""
    config = cluster_config(config_dir)
    admission = _yaml_file(config_dir / "control-plane" / "admission.yaml")
    psa: dict[str, Any] = next((p["configuration"] for p in admission.get("plugins", []) if p.get("name") == "PodSecurity"), {})
    kubelet_port = None
    for doc in documents(config_dir):
        if doc.content.get("kind") == "KubeletConfiguration" and "readOnlyPort" in doc.content:
            kubelet_port = int(doc.content["readOnlyPort"])
    flags = apiserver_flags(config_dir)
    mappings = [f"{pm.get('listenAddress', '0.0.0.0')}:{pm['hostPort']} -> node port {pm['containerPort']}"
                f"/{pm.get('protocol', 'TCP')}"
                for n in config.get("nodes", []) for pm in n.get("extraPortMappings", [])]
    return ClusterDesign(
        name=str(config.get("name")),
        node_image=node_image(config_dir),
        nodes=[n.get("role", "control-plane") for n in config.get("nodes", [])],
        api_server_address=str(config.get("networking", {}).get("apiServerAddress", "127.0.0.1")),
        psa_defaults=dict(psa.get("defaults", {})),
        psa_exempt_namespaces=list(psa.get("exemptions", {}).get("namespaces", [])),
        audit={k: v for k, v in flags.items() if k.startswith("audit-")},
        kubelet_read_only_port=kubelet_port,
        port_mappings=mappings,
    )


def webapp_node_port(config_dir: Path = CONFIG_DIR) -> int:
    """The NodePort the laptop can reach (the first port mapping's container port).

    >>> webapp_node_port()
    30080
    """
    for node in cluster_config(config_dir).get("nodes", []):
        for pm in node.get("extraPortMappings", []):
            return int(pm["containerPort"])
    raise InputError("the kind configuration maps no port to the laptop")
