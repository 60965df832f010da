"""``kslab doctor``: what this machine has, what kslab will do with it, and what to install next.

Works with nothing but Python: missing programs are reported, never crashed on; the cluster probe
has a short timeout. Nothing secret is read or shown (only context names and server URLs).

>>> report = doctor(probe_cluster=False)
>>> report.python["ok"]
True
"""

from __future__ import annotations

import importlib.metadata
import platform
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from kslab import settings
from kslab.views.styles import BAD
from kslab.views.tables import Table, html_block

#: Python packages the course needs (distribution names), in the order the report lists them.
PACKAGES = ("kslab", "jupyterlab", "ipywidgets", "kubernetes", "kubernetes-validate", "pandas",
            "matplotlib", "scapy", "cryptography", "jsonschema", "PyYAML", "nbval")


#: The programs the doctor reports on, in this order (their facts live in kslab.cluster.tools).
TOOL_ORDER = ("kubectl", "kind", "docker", "podman", "istioctl", "helm", "tcpdump")


def tool_status(name: str) -> dict[str, Any]:
    """Find one program on PATH and read its version (and, for engines, whether they run); never raises."""
    from kslab.cluster import tools

    tool = tools.TOOLS[name]
    path = tools.which(name)
    row: dict[str, Any] = {"name": name, "found": bool(path), "path": path, "version": None,
                           "needed_for": tool.purpose}
    if not path:
        row["problem"] = f"not found; install: {tool.install_hint()}"
        return row
    if name in tools.ENGINES:
        state, row["version"] = tools.engine_state(name)
        row["running"] = state == "running"
        if not row["running"]:
            row["problem"] = "installed, but its engine is not running (start it first)"
    else:
        row["version"] = tools.version(name)
    if row["version"] is None and "problem" not in row:
        row["problem"] = "found, but it did not say its version"
    return row


def package_status(names: tuple[str, ...] = PACKAGES) -> list[dict[str, Any]]:
    """Installed version of each Python package (None when missing), without importing them."""
    rows: list[dict[str, Any]] = []
    for name in names:
        try:
            rows.append({"name": name, "version": importlib.metadata.version(name)})
        except importlib.metadata.PackageNotFoundError:
            rows.append({"name": name, "version": None})
    return rows


@dataclass
class DoctorReport:
    """Everything ``kslab doctor`` found; ``str()`` is the human report, ``as_dict()`` the JSON."""

    python: dict[str, Any]
    packages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    kube: dict[str, Any]
    binder: bool
    mode: dict[str, Any]
    next_steps: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def ok(self) -> bool:
        """True when the course can run (offline at least): Python and every package present."""
        return bool(self.python["ok"]) and all(p["version"] for p in self.packages)

    def package_table(self) -> Table:
        """The Python packages and their versions (MISSING when not installed)."""
        return Table([{"package": p["name"], "version": p["version"] or "MISSING"} for p in self.packages],
                     ["package", "version"], title="Python packages:",
                     style={"version": lambda v: f"color:{BAD};font-weight:bold" if v == "MISSING" else ""})

    def program_table(self) -> Table:
        """The programs: found or not, their version, what the course needs them for, what is wrong."""
        rows = [{"program": t["name"], "version": t["version"] or ("found" if t["found"] else "not found"),
                 "for": t["needed_for"], "problem": t.get("problem", "") if t["found"] else ""}
                for t in self.tools]
        return Table(rows, ["program", "version", "for", "problem"], ["PROGRAM", "VERSION", "NEEDED FOR", "PROBLEM"],
                     title="Programs:",
                     wrap={"for": 40, "problem": 40}, abbreviate={"version": 30})

    def _kube_lines(self) -> list[str]:
        kube = self.kube
        lines = []
        bad = kube.get("bad_file")
        if bad:
            lines.append(f"  kubeconfig {bad} {'is MALFORMED' if kube['malformed'] else 'CANNOT BE READ'}: "
                         f"{kube['bad_file_problem']} (hint: {kube['hint']})")
        elif kube.get("error"):
            lines.append(f"  kubeconfig: {kube['error']}")
        files = [*kube["files"], *([f"{bad} (not used)"] if bad else [])]
        lines.append(f"  kubeconfig files: {', '.join(files) or 'none'}")
        contexts = ", ".join(kube["contexts"]) or ("unknown (the kubeconfig above is not used)" if bad else "none")
        lines.append(f"  contexts: {contexts}"
                     + (f" (current: {kube['current_context']})" if kube.get("current_context") else ""))
        if kube.get("context"):
            reach = "answers" if kube.get("reachable") else f"does not answer ({kube.get('problem')})"
            version = f", Kubernetes {kube['server_version']}" if kube.get("server_version") else ""
            lines.append(f"  {kube['context']}: {reach}{version}")
        return lines

    def _head(self) -> str:
        return f"Python {self.python['version']} ({'ok' if self.python['ok'] else 'needs >= 3.10'})"

    def _tail(self) -> list[str]:
        lines = [f"Binder: {'yes' if self.binder else 'no'}",
                 f"Mode kslab will use: {self.mode['mode']} — {self.mode['reason']}"]
        if self.next_steps:
            lines += ["", "Next steps:"] + [f"  - {s}" for s in self.next_steps]
        return lines

    def __str__(self) -> str:
        return "\n".join([self._head(), "", self.package_table().text(), "", self.program_table().text(),
                          "", "Kubernetes:", *self._kube_lines(), "", *self._tail()])

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return html_block(self._head(), self.package_table(), self.program_table(),
                          "\n".join(["Kubernetes:", *self._kube_lines()]), "\n".join(self._tail()))


def _kube_status(probe_cluster: bool, env: Mapping[str, str] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    from kslab.cluster.kubeconfig import KubeconfigError, read_kubeconfig
    from kslab.cluster.modes import choose
    from kslab.errors import KslabError
    from kslab.text import printable

    kube: dict[str, Any] = {"files": [], "contexts": [], "current_context": None}
    try:
        info = read_kubeconfig(settings.kubeconfig_paths(env))
        kube.update(files=[str(f) for f in info.files], contexts=info.contexts,
                    current_context=info.current_context)
    except KubeconfigError as exc:
        # The file is there but unusable: say which and why, never "no kube context" (issue #15).
        kube.update(error=exc.one_line(), bad_file=str(exc.path), malformed=exc.malformed, hint=exc.hint,
                    bad_file_problem=printable(exc.message.removeprefix(f"{exc.path}: ").removeprefix("kubeconfig: "),
                                      keep_newlines=False))
        if settings.requested_mode(env).lower() != "offline":  # kslab.connect() reads it and stops
            what = "is malformed" if exc.malformed else "cannot be read"
            return kube, {"mode": "error", "context": None, "lab_context": False,
                          "reason": f"kslab.connect() stops: your kubeconfig {exc.path} {what}"}
        info = None
    except KslabError as exc:
        info = None
        kube["error"] = exc.one_line()

    probed: dict[str, str | None] = {}

    def probe(ctx: str) -> str | None:
        if not probe_cluster:
            return "not probed (--no-probe)"
        from kslab.cluster.client import probe as real_probe

        probed[ctx] = real_probe(ctx)
        return probed[ctx]

    try:
        choice = choose(requested_mode=settings.requested_mode(env),
                        requested_context=settings.requested_context(env),
                        contexts=info.contexts if info else [],
                        current_context=info.current_context if info else None,
                        binder=settings.on_binder(env), probe=probe)
        mode = {"mode": choice.mode, "context": choice.context, "lab_context": choice.lab_context,
                "reason": choice.reason}
    except KslabError as exc:
        mode = {"mode": "error", "context": None, "lab_context": False, "reason": exc.one_line()}
    for ctx, problem in probed.items():
        kube.update(context=ctx, reachable=problem is None, problem=problem,
                    server=info.server_for(ctx) if info else None)
        if problem is None and probe_cluster:
            kube["server_version"] = _server_version(ctx)
    return kube, mode


def _server_version(context: str) -> str | None:
    from kslab.cluster.client import server_version

    return server_version(context)


def _hint(name: str) -> str:
    from kslab.cluster.tools import TOOLS

    return TOOLS[name].install_hint()


def next_steps(report: DoctorReport) -> list[str]:
    """What to do next, given what is missing (rules in the order a student meets them)."""
    steps = []
    tools = {t["name"]: t for t in report.tools}
    missing_pkgs = [p["name"] for p in report.packages if not p["version"]]
    if not report.python["ok"]:
        steps.append("install Python 3.10 or newer")
    if missing_pkgs:
        steps.append(f"install the missing packages ({', '.join(missing_pkgs)}): run `make lab` from the repo")
    if report.binder:
        steps.append("on Binder every notebook runs offline; for live labs run the course on your laptop")
        return steps
    bad = report.kube.get("bad_file")
    if bad:
        steps.append(f"{'fix' if report.kube['malformed'] else 'make readable'} your kubeconfig {bad}: "
                     f"{report.kube['hint']}")
    if report.mode["mode"] == "error" and bad:
        steps.append("meanwhile every notebook runs offline with KSLAB_MODE=offline: `KSLAB_MODE=offline make lab`")
        return steps
    if report.mode["mode"] == "live":
        if not tools["istioctl"]["found"]:
            steps.append("for lab 05 on your cluster install istioctl: " + _hint("istioctl"))
        return steps
    installed = [n for n in ("docker", "podman") if tools[n]["found"]]
    has_runtime = any(tools[n].get("running") for n in installed)
    if installed and not has_runtime:
        steps.append(f"start the {installed[0]} engine (it is installed but not running)")
    elif not installed:
        steps.append("for a local cluster install Docker (or Podman): " + _hint("docker"))
    if not tools["kind"]["found"]:
        steps.append("for a local cluster install kind: " + _hint("kind"))
    if has_runtime and tools["kind"]["found"]:
        steps.append("create the course cluster: `kslab cluster up`")
    if not tools["kubectl"]["found"]:
        steps.append("optional, to poke at clusters by hand: install kubectl: " + _hint("kubectl"))
    steps.append("meanwhile every notebook runs offline: `make lab`")
    return steps


def doctor(*, probe_cluster: bool = True, env: Mapping[str, str] | None = None) -> DoctorReport:
    """Check the machine: Python, packages, programs, kubeconfig, reachability, Binder and mode."""
    py_ok = sys.version_info >= (3, 10)
    kube, mode = _kube_status(probe_cluster, env)
    report = DoctorReport(
        python={"version": platform.python_version(), "executable": sys.executable, "ok": py_ok,
                "platform": f"{platform.system()} {platform.machine()}"},
        packages=package_status(),
        tools=[tool_status(name) for name in TOOL_ORDER],
        kube=kube,
        binder=settings.on_binder(env),
        mode=mode,
    )
    report.next_steps = next_steps(report)
    return report
