"""Stand-ins for kind, docker, podman, istioctl and kubectl, for tests on a machine without them.

:func:`install` writes one small Python program under each tool's name into a folder that the test
puts first (and alone) on PATH. Each run appends its argv, working directory and
KIND_EXPERIMENTAL_PROVIDER to ``calls.jsonl`` in the state folder and answers the way the real tool
does (the wording and exit codes of kind v0.33, docker 28, podman 4, istioctl 1.2x). State lives
in files, so ``kind create`` followed by ``kind get clusters`` sees the new cluster:

* ``kind-clusters.json``: the clusters that exist; ``images.json``: images the engine has;
* ``FAKE_DOCKER`` / ``FAKE_PODMAN`` = running | stopped (absent: do not install it);
* ``FAKE_KIND_FAIL=create`` makes ``kind create cluster`` fail like a broken engine does;
* ``FAKE_KIND_WAIT_FOR`` names a file ``kind create`` waits for after its first line (a test that
  progress is streamed, not collected at the end, creates it from the progress callback).
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

TOOL_NAMES = ("kind", "docker", "podman", "istioctl", "kubectl")

PROGRAM = r'''
import json, os, sys, time
from pathlib import Path

state = Path(os.environ["FAKE_STATE"])
tool = Path(sys.argv[0]).name
args = sys.argv[1:]
with open(state / "calls.jsonl", "a") as fh:
    fh.write(json.dumps({"tool": tool, "argv": args, "cwd": os.getcwd(),
                         "provider": os.environ.get("KIND_EXPERIMENTAL_PROVIDER")}) + "\n")

def load(name, default):
    p = state / name
    return json.loads(p.read_text()) if p.exists() else default

def save(name, value):
    (state / name).write_text(json.dumps(value))

def err(*lines):
    for line in lines:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

def flag(name, default=None):
    return args[args.index(name) + 1] if name in args else default

if tool == "kind":
    clusters = load("kind-clusters.json", [])
    if args[:1] == ["version"]:
        print(os.environ.get("FAKE_KIND_VERSION", "kind v0.33.0 go1.25.1 linux/amd64"))
    elif args[:2] == ["get", "clusters"]:
        if clusters:
            print("\n".join(clusters))
        else:
            err("No kind clusters found.")
    elif args[:2] == ["get", "nodes"]:
        name = flag("--name", "kind")
        if name in clusters:
            print(f"{name}-control-plane\n{name}-worker")
        else:
            err(f'No kind nodes found for cluster "{name}".')
    elif args[:2] == ["create", "cluster"]:
        import yaml
        name = flag("--name", "kind")
        err(f'Creating cluster "{name}" ...')
        wait_for = os.environ.get("FAKE_KIND_WAIT_FOR")
        if wait_for:
            deadline = time.time() + 10
            while not Path(wait_for).exists():
                if time.time() > deadline:
                    err("ERROR: test harness: progress was not streamed"); sys.exit(3)
                time.sleep(0.02)
        if name in clusters:
            err(f'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "{name}"')
            sys.exit(1)
        config = yaml.safe_load(Path(flag("--config")).read_text())
        for node in config["nodes"]:
            for m in node.get("extraMounts", []):
                host = Path(m["hostPath"])
                host = host if host.is_absolute() else Path.cwd() / host  # kind: filepath.Abs
                if not host.exists():
                    err(" ✗ Preparing nodes 📦 📦",
                        f'ERROR: failed to create cluster: command "docker run --name {name}-control-plane" '
                        f'failed with error: exit status 125',
                        f'Command Output: docker: Error response from daemon: invalid mount config for type '
                        f'"bind": bind source path does not exist: {host}')
                    sys.exit(1)
        image = config["nodes"][0]["image"].split("@")[0]
        err(f" • Ensuring node image ({image}) 🖼  ...", f" ✓ Ensuring node image ({image}) 🖼")
        if os.environ.get("FAKE_KIND_FAIL") == "create":
            err(" • Preparing nodes 📦 📦   ...", " ✗ Preparing nodes 📦 📦",
                "Deleted nodes: [\"%s-control-plane\"]" % name,
                "ERROR: failed to create cluster: could not find a log line that matches "
                "\"Reached target .*Multi-User System.*|detected cgroup v1\"")
            sys.exit(1)
        for step in ("Preparing nodes 📦 📦", "Writing configuration 📜", "Starting control-plane 🕹️",
                     "Installing CNI 🔌", "Installing StorageClass 💾", "Joining worker nodes 🚜",
                     "Waiting ≤ 3m0s for control-plane = Ready ⏳"):
            err(f" • {step}  ...", f" ✓ {step}")
        err(" • Ready after 15s 💚", f'Set kubectl context to "kind-{name}"', "You can now use your cluster with:",
            "", f"kubectl cluster-info --context kind-{name}", "", "Have a nice day! 👋")
        save("kind-clusters.json", clusters + [name])
        kc = os.environ.get("KUBECONFIG")
        if kc:
            Path(kc).write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config",
                "current-context": f"kind-{name}",
                "contexts": [{"name": f"kind-{name}", "context": {"cluster": f"kind-{name}", "user": f"kind-{name}"}}],
                "clusters": [{"name": f"kind-{name}", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": f"kind-{name}", "user": {}}]}))
    elif args[:2] == ["delete", "cluster"]:
        name = flag("--name", "kind")
        err(f'Deleting cluster "{name}" ...')
        if name in clusters:
            err(f"Deleted nodes: [\"{name}-control-plane\" \"{name}-worker\"]")
            save("kind-clusters.json", [c for c in clusters if c != name])
    elif args[:2] == ["load", "docker-image"] or args[:2] == ["load", "image-archive"]:
        name = flag("--name", "kind")
        if name not in clusters:
            err(f'ERROR: no nodes found for cluster "{name}"'); sys.exit(1)
        target = args[2]
        if args[1] == "image-archive" and not Path(target).is_file():
            err(f"ERROR: failed to load image: open {target}: no such file or directory"); sys.exit(1)
        if args[1] == "docker-image" and target not in load("images.json", []):
            err(f'ERROR: image: "{target}" not present locally'); sys.exit(1)
        err(f'Image: "{target}" with ID "sha256:0123abcd" not yet present on node "{name}-control-plane", loading...')
    else:
        err(f"ERROR: unknown command {args}"); sys.exit(1)

elif tool in ("docker", "podman"):
    running = os.environ.get("FAKE_" + tool.upper()) == "running"
    if args == ["-v"] or args == ["--version"]:
        print("Docker version 28.2.2, build e6534b4" if tool == "docker" else "podman version 4.3.1")
    elif args[:1] == ["version"]:
        client = {"Version": "28.2.2" if tool == "docker" else "4.3.1", "Os": "linux"}
        print(json.dumps({"Client": client, "Server": {"Version": client["Version"]} if running else None}))
        if not running and tool == "docker":
            err("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?")
            sys.exit(1)
    elif args[:1] == ["info"]:
        if not running:
            err("Error: unable to connect to Podman socket"); sys.exit(125)
        print(json.dumps({"host": {"arch": "amd64", "security": {"rootless": False}}}))
    elif args[:1] == ["build"]:
        if not running:
            err("ERROR: Cannot connect to the Docker daemon"); sys.exit(1)
        tag = flag("-t") or flag("--tag")
        context = args[-1]
        dockerfile = Path(flag("-f") or flag("--file") or Path(context) / "Dockerfile")
        if not dockerfile.is_file():
            err(f"ERROR: failed to read dockerfile: open {dockerfile}: no such file or directory"); sys.exit(1)
        print(f"STEP 1/2: FROM busybox" if tool == "podman" else "#1 [internal] load build definition from Dockerfile")
        print(f"Successfully tagged {tag}" if tool == "podman" else f"#9 naming to {tag} done")
        save("images.json", load("images.json", []) + [tag])
    elif args[:2] == ["image", "inspect"]:
        if args[2] in load("images.json", []):
            print(json.dumps([{"Id": "sha256:0123abcd", "RepoTags": [args[2]]}]))
        else:
            print("[]")
            err(f"Error: No such image: {args[2]}"); sys.exit(1)
    elif args[:1] == ["save"]:
        out = flag("-o") or flag("--output")
        if args[-1] not in load("images.json", []):
            err(f"Error: {args[-1]}: image not known"); sys.exit(125)
        Path(out).write_bytes(b"fake oci archive")
    else:
        err(f"unknown command: {args}"); sys.exit(125)

elif tool == "istioctl":
    if args[:1] == ["version"]:
        print(json.dumps({"clientVersion": {"version": "1.27.1", "revision": "abc", "golang_version": "go1.24",
                                            "status": "Clean", "tag": "1.27.1"}}))
    elif args[:1] == ["install"]:
        if os.environ.get("FAKE_ISTIO_FAIL") == "install":
            err("Error: failed to install manifests: context deadline exceeded"); sys.exit(1)
        print("        |\\          \n        | \\         \n        |  \\        ")
        ns = os.environ.get("FAKE_ISTIO_NAMESPACE")
        if ns:  # "install" istiod for real: a Deployment, through the API, on the --context given
            from kubernetes import client, config
            api = config.new_client_from_config(context=flag("--context"))
            apps = client.AppsV1Api(api)
            labels = {"app": "istiod"}
            apps.create_namespaced_deployment(ns, {"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "istiod", "labels": labels},
                "spec": {"replicas": 0, "selector": {"matchLabels": labels}, "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "discovery", "image": "docker.io/istio/pilot:1.27.1"}]}}}})
            time.sleep(0.5)
            # What the deployment controller writes for zero replicas (there may be no controller here).
            apps.patch_namespaced_deployment_status("istiod", ns, {"status": {"conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                 "message": "Deployment has minimum availability."}]}})
        print("✔ Istio core installed ⛵️")
        print("✔ Istiod installed 🧠")
        print("✔ Egress gateways installed 🛫")
        print("✔ Ingress gateways installed 🛬")
        print("✔ Installation complete")
    elif args[:1] == ["uninstall"]:
        print("All Istio resources will be pruned from the cluster")
        print("✔ Uninstall complete")
    else:
        err(f"Error: unknown command {args}"); sys.exit(1)

elif tool == "kubectl":
    if args[:1] == ["version"]:
        print(json.dumps({"clientVersion": {"gitVersion": "v1.37.0"}}))
'''


def install(bin_dir: Path, state_dir: Path, tools: tuple[str, ...] = TOOL_NAMES) -> None:
    """Write the fake programs into ``bin_dir`` (state in ``state_dir``)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    state_dir.mkdir(parents=True, exist_ok=True)
    for name in tools:
        path = bin_dir / name
        path.write_text(f"#!{sys.executable}\n{PROGRAM}", encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def calls(state_dir: Path, tool: str | None = None) -> list[dict[str, Any]]:
    """Every recorded call (optionally of one tool), oldest first."""
    path = state_dir / "calls.jsonl"
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if tool is None or r["tool"] == tool]


def argvs(state_dir: Path, tool: str) -> list[list[str]]:
    """The argument lists one tool was called with."""
    return [c["argv"] for c in calls(state_dir, tool)]


def environment(monkeypatch: Any, tmp_path: Path, *, tools: tuple[str, ...] = TOOL_NAMES,
                docker: str | None = "running", podman: str | None = None) -> Path:
    """Put only the fakes on PATH, point KSLAB_HOME and KUBECONFIG into tmp_path; returns the state dir."""
    state = tmp_path / "fake-state"
    chosen = tuple(t for t in tools if not (t == "docker" and docker is None) and not (t == "podman" and podman is None))
    install(tmp_path / "bin", state, chosen)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("FAKE_STATE", str(state))
    monkeypatch.setenv("KSLAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    for var in ("KIND_EXPERIMENTAL_PROVIDER", "FAKE_KIND_FAIL", "FAKE_KIND_WAIT_FOR", "KSLAB_WEBAPP_IMAGE",
                "KSLAB_CONTEXT", "KSLAB_MODE", "FAKE_ISTIO_FAIL", "FAKE_ISTIO_NAMESPACE"):
        monkeypatch.delenv(var, raising=False)
    if docker:
        monkeypatch.setenv("FAKE_DOCKER", docker)
    if podman:
        monkeypatch.setenv("FAKE_PODMAN", podman)
    return state


def load_clusters(state_dir: Path) -> list[str]:
    """The kind clusters the fake kind believes exist."""
    path = state_dir / "kind-clusters.json"
    return json.loads(path.read_text()) if path.exists() else []
