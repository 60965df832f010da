"""The API server flag explorer of notebook 02: toggle flags, watch the CIS audit change.

A thin view over :mod:`kslab.audit`: :func:`command_line` turns the choices into a kube-apiserver
command line (kubeadm v1.33's, with the toggled flags changed), :func:`explore` audits it. The widget
shows the flags and the audit table with the words PASS/FAIL/WARN/INFO, coloured.

>>> state = explore(FlagChoices(profiling=False))
>>> state.report.row("1.2.15").status, state.report.counts()["FAIL"]
('PASS', 6)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from kslab.audit import audit, bundled, read_apiserver
from kslab.audit.report import AuditReport
from kslab.audit.sources import ComponentInput
from kslab.views.text import pre
from kslab.widgets import UNSET, Unset, display_bundle, is_set, spell_unset

#: Admission plugins the widget offers; the last two are 2019's and no longer exist.
PLUGINS = ("NodeRestriction", "EventRateLimit", "AlwaysPullImages", "DenyServiceExternalIPs", "AlwaysAdmit",
           "PodSecurityPolicy", "DenyEscalatingExec")
REMOVED_PLUGINS = {"PodSecurityPolicy": "removed in 1.25", "DenyEscalatingExec": "removed in 1.21"}
AUDIT_FLAGS = ("--audit-log-path=/var/log/kubernetes/audit/audit.log",
               "--audit-policy-file=/etc/kubernetes/audit/audit-policy.yaml",
               "--audit-log-maxage=30", "--audit-log-maxbackup=10", "--audit-log-maxsize=100")
STRONG_CIPHERS = ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,"
                  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
#: Flags of the kubeadm manifest that the widget controls (removed from the base, then set by choice).
CONTROLLED = ("anonymous-auth", "authorization-mode", "profiling", "enable-admission-plugins",
              "kubelet-certificate-authority", "encryption-provider-config", "tls-cipher-suites",
              "service-account-extend-token-expiration", "token-auth-file", "insecure-port")


@dataclass(frozen=True)
class FlagChoices:
    """The flags the widget toggles; the defaults are kubeadm v1.33's (``UNSET`` = the flag is not given;
    ``None`` is read the same way)."""

    anonymous_auth: bool | Unset = UNSET  # not given: the server's default, true
    authorization_mode: str = "Node,RBAC"  # "" = flag not given (the default: AlwaysAllow)
    profiling: bool | Unset = UNSET
    admission_plugins: tuple[str, ...] = ("NodeRestriction",)
    audit_log: bool = False
    kubelet_certificate_authority: bool = False
    encryption_at_rest: bool = False
    strong_ciphers: bool = False
    extend_token_expiration: bool | Unset = UNSET
    token_auth_file: bool = False
    insecure_port: bool = False  # 2019: --insecure-port=8080

    def __post_init__(self) -> None:
        spell_unset(self, "anonymous_auth", "profiling", "extend_token_expiration")


def _base_argv() -> list[str]:
    inp = read_apiserver(bundled("kube-apiserver-kubeadm.yaml"))
    return [a for a in inp.argv if a.lstrip("-").split("=", 1)[0] not in CONTROLLED]


def command_line(choices: FlagChoices) -> list[str]:
    """The kube-apiserver arguments for these choices (kubeadm's, with the toggled flags changed).

    >>> [a for a in command_line(FlagChoices(anonymous_auth=False)) if "anonymous" in a]
    ['--anonymous-auth=false']
    """
    argv = _base_argv()
    if is_set(choices.anonymous_auth):
        argv.append(f"--anonymous-auth={str(choices.anonymous_auth).lower()}")
    if choices.authorization_mode:
        argv.append(f"--authorization-mode={choices.authorization_mode}")
    if is_set(choices.profiling):
        argv.append(f"--profiling={str(choices.profiling).lower()}")
    if choices.admission_plugins:
        argv.append("--enable-admission-plugins=" + ",".join(choices.admission_plugins))
    if choices.audit_log:
        argv.extend(AUDIT_FLAGS)
    if choices.kubelet_certificate_authority:
        argv.append("--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt")
    if choices.encryption_at_rest:
        argv.append("--encryption-provider-config=/etc/kubernetes/enc/encryption-config.yaml")
    if choices.strong_ciphers:
        argv.append(f"--tls-cipher-suites={STRONG_CIPHERS}")
    if is_set(choices.extend_token_expiration):
        argv.append(f"--service-account-extend-token-expiration={str(choices.extend_token_expiration).lower()}")
    if choices.token_auth_file:
        argv.append("--token-auth-file=/etc/kubernetes/auth/tokens.csv")
    if choices.insecure_port:
        argv.append("--insecure-port=8080")
    return sorted(argv)


@dataclass(frozen=True)
class Explored:
    """The command line and its audit for one set of choices."""

    choices: FlagChoices
    argv: tuple[str, ...]
    report: AuditReport

    def text(self) -> str:
        """A static rendering: the toggled flags and the audit table (PASS/FAIL in words)."""
        base = set(_base_argv())
        changed = [a for a in self.argv if a not in base]
        flags = "\n".join(f"  {a}" for a in changed) or "  (none)"
        return f"flags the toggles control:\n{flags}\n\n{self.report.summary()}\n{self.report.table()}"

    def __repr__(self) -> str:
        return self.text()


def explore(choices: FlagChoices = FlagChoices(), *, encryption_config: str | None = None) -> Explored:
    """Audit the command line these choices make (the bundled KMS encryption config when encrypting)."""
    argv = tuple(command_line(choices))
    enc = encryption_config
    if choices.encryption_at_rest and enc is None:
        enc = bundled("encryption-config.yaml").read_text(encoding="utf-8")
    inp = ComponentInput("kube-apiserver", "the widget's flags (kubeadm v1.33 base)", argv, "kube-apiserver",
                         encryption_config=enc)
    return Explored(choices, argv, audit(inp))


def table_html(report: AuditReport) -> str:
    """The audit as the course's HTML table: colour for the eye, the status word for everyone."""
    return report.view(title=report.summary()).html()


class ApiserverFlagsWidget:
    """Labelled controls for API server flags → the command line and its CIS audit.

    ``.controls`` maps each :class:`FlagChoices` field to its control, except the admission plugins:
    ``.plugins`` holds one checkbox per plugin. ``.state`` is the current :class:`Explored`.
    """

    def __init__(self) -> None:
        import ipywidgets as w  # noqa: PLC0415 - only when a widget is made

        # a dropdown's label takes what it needs, its box a fixed width: long flag names squeeze nothing
        def dropdown(flag: str, options: list[tuple[str, Any]], value: Any, tooltip: str) -> Any:
            return w.Dropdown(options=options, value=value, description=flag, tooltip=tooltip,
                              style={"description_width": "initial"}, layout=w.Layout(width="auto"))

        def checkbox(label: str, tooltip: str = "") -> Any:
            return w.Checkbox(description=label, tooltip=tooltip or label, indent=False,
                              layout=w.Layout(width="auto", margin="0 24px 0 0"))

        tri = [("not given (default: true)", UNSET), ("true", True), ("false", False)]
        self.controls: dict[str, Any] = {
            "anonymous_auth": dropdown("--anonymous-auth", tri, UNSET,
                                       "may callers without credentials reach the API as system:anonymous?"),
            "authorization_mode": dropdown(
                "--authorization-mode", [("not given (AlwaysAllow)", ""), ("AlwaysAllow", "AlwaysAllow"),
                                         ("RBAC", "RBAC"), ("Node,RBAC", "Node,RBAC")], "Node,RBAC",
                "who decides what an authenticated caller may do"),
            "profiling": dropdown("--profiling", tri, UNSET, "the /debug/pprof endpoints"),
            "extend_token_expiration": dropdown("--service-account-extend-token-expiration", tri, UNSET,
                                                "stretch projected tokens to a year?"),
            "audit_log": checkbox("audit log (path, policy, 30 days, 10 files, 100 MB)", "the --audit-log-* flags"),
            "kubelet_certificate_authority": checkbox("--kubelet-certificate-authority",
                                                      "verify kubelets' serving certificates"),
            "encryption_at_rest": checkbox("--encryption-provider-config (KMS v2)", "encrypt Secrets in etcd"),
            "strong_ciphers": checkbox("--tls-cipher-suites (strong only)"),
            "token_auth_file": checkbox("--token-auth-file (static tokens)"),
            "insecure_port": checkbox("--insecure-port=8080 (as in 2019)", "removed in 1.24: see the then-vs-now row"),
        }
        self.plugins: dict[str, Any] = {
            name: checkbox(f"{name} (2019; {REMOVED_PLUGINS[name]})" if name in REMOVED_PLUGINS else name,
                           f"--enable-admission-plugins=…,{name}")
            for name in PLUGINS}
        for name in FlagChoices().admission_plugins:  # kubeadm's
            self.plugins[name].value = True
        self.flags_view, self.table_view = w.HTML(), w.HTML()
        for control in [*self.controls.values(), *self.plugins.values()]:
            control.observe(self.render, names="value")
        wrapping = w.Layout(flex_flow="row wrap", align_items="center")
        dropdowns = [c for c in self.controls.values() if isinstance(c, w.Dropdown)]
        others = [c for c in self.controls.values() if not isinstance(c, w.Dropdown)]
        self.box = w.VBox([
            w.HTML("<b>kube-apiserver flags</b> (start: kubeadm v1.33's defaults)"),
            w.GridBox(dropdowns, layout=w.Layout(grid_template_columns="max-content max-content",
                                                 grid_gap="2px 32px")),
            w.HTML("<code>--enable-admission-plugins</code> (ticked: named in the flag)"),
            w.Box(list(self.plugins.values()), layout=wrapping),
            w.HTML("Other flags (ticked: given)"),
            w.Box(others, layout=wrapping),
            w.HTML("<b>Flags the toggles control</b>"), self.flags_view,
            w.HTML("<b>CIS cis-1.12 audit</b>"), self.table_view,
        ])
        self.render()

    @property
    def choices(self) -> FlagChoices:
        plugins = tuple(name for name, box in self.plugins.items() if box.value)
        return FlagChoices(**{name: control.value for name, control in self.controls.items()},
                           admission_plugins=plugins)

    def render(self, _: Any = None) -> None:
        self.state = explore(self.choices)
        base = set(_base_argv())
        changed = [a for a in self.state.argv if a not in base]
        self.flags_view.value = pre("\n".join(changed) or "(none)", "margin:0")
        self.table_view.value = table_html(self.state.report)

    def static_html(self) -> str:
        """The current state without controls: the flags the toggles changed and the audit."""
        return (f"<div><b>Flags the toggles control</b>{self.flags_view.value}"
                f"<b>CIS cis-1.12 audit</b>{self.table_view.value}</div>")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return display_bundle(self.box, self.static_html(), self.state.text(), **kwargs)

    def __repr__(self) -> str:
        return self.state.text()


def apiserver_flags_widget(**initial: Any) -> ApiserverFlagsWidget:
    """The explorer, optionally starting from some choices (``profiling=False`` …)."""
    widget = ApiserverFlagsWidget()
    for name, value in asdict(replace(FlagChoices(), **initial)).items():
        if name == "admission_plugins":
            for plugin, box in widget.plugins.items():
                box.value = plugin in value
        else:
            widget.controls[name].value = value
    return widget
