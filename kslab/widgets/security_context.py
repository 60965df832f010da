"""The security-context explorer of notebook 03: toggle settings, see the manifest, the Pod Security
verdicts and the predicted hack — a thin view over :mod:`kslab.pss`, :mod:`kslab.hack` and
:mod:`kslab.manifests.webapp`.

>>> state = explore(Choices(run_as_user=1000, allow_privilege_escalation=False))
>>> state.baseline.allowed, state.restricted.checks
(True, ['capabilities_restricted', 'runAsNonRoot', 'seccompProfile_restricted'])
>>> state.hack.works()["become-root"]
False
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from kslab import hack
from kslab.hack import HackReport
from kslab.manifests.render import to_yaml
from kslab.manifests.webapp import PORT, webapp_deployment
from kslab.pss import Verdict, evaluate
from kslab.widgets import UNSET, Unset, display_bundle, is_set, spell_unset
from kslab.views.styles import BAD, BORDER, GOOD, NEUTRAL
from kslab.views.text import pre

if TYPE_CHECKING:
    from kslab.cluster.lab import Lab

#: What the widget's hack table says for each predicted outcome (in words: colour only underlines it).
HACK_WORDS = {True: "works", False: "stopped", None: "not run"}


@dataclass(frozen=True)
class Choices:
    """The settings the widget toggles (``UNSET`` = leave the field out; ``None`` is read the same way)."""

    run_as_user: int | Unset = UNSET
    run_as_non_root: bool = False
    read_only_root_filesystem: bool = False
    allow_privilege_escalation: bool | Unset = UNSET
    privileged: bool = False
    drop_all: bool = False
    add_net_admin: bool = False
    seccomp_runtime_default: bool = False
    host_port: bool = False

    def __post_init__(self) -> None:
        spell_unset(self, "run_as_user", "allow_privilege_escalation")

    def security_context(self) -> dict[str, Any]:
        """The container ``securityContext`` these choices make."""
        sc: dict[str, Any] = {}
        if is_set(self.run_as_user):
            sc["runAsUser"] = self.run_as_user
        if self.run_as_non_root:
            sc["runAsNonRoot"] = True
        if self.read_only_root_filesystem:
            sc["readOnlyRootFilesystem"] = True
        if is_set(self.allow_privilege_escalation):
            sc["allowPrivilegeEscalation"] = self.allow_privilege_escalation
        if self.privileged:
            sc["privileged"] = True
        caps: dict[str, list[str]] = {}
        if self.drop_all:
            caps["drop"] = ["ALL"]
        if self.add_net_admin:
            caps["add"] = ["NET_ADMIN"]
        if caps:
            sc["capabilities"] = caps
        if self.seccomp_runtime_default:
            sc["seccompProfile"] = {"type": "RuntimeDefault"}
        return sc


@dataclass(frozen=True)
class Explored:
    """Everything the widget shows for one set of choices."""

    choices: Choices
    deployment: dict[str, Any]
    baseline: Verdict
    restricted: Verdict
    hack: HackReport

    def yaml(self) -> str:
        return to_yaml(self.deployment)

    def verdicts(self) -> str:
        return "\n".join(f"{v.level}: {'PASS' if v.allowed else 'FAIL'}" +
                         "".join(f"\n  - {x.message}" for x in v.violations) for v in (self.baseline, self.restricted))

    def text(self) -> str:
        """A static rendering (for readers without a kernel, and for checked notebook cells)."""
        return (f"securityContext: {self.deployment['spec']['template']['spec']['containers'][0].get('securityContext', {})}"
                f"\n\nPod Security Standards (latest):\n{self.verdicts()}\n\nThe hack (predicted):\n{self.hack.table()}")

    def __repr__(self) -> str:
        return self.text()


def explore(choices: Choices = Choices(), *, image: str | None = None) -> Explored:
    """The manifest, the baseline and restricted verdicts and the predicted hack for these choices."""
    deployment = webapp_deployment(choices.security_context() or None, host_port=PORT if choices.host_port else None,
                                   image=image)
    return Explored(choices, deployment, evaluate(deployment, "baseline"), evaluate(deployment, "restricted"),
                    hack.predict(deployment))


def _pre(text: str) -> str:
    return pre(text, "margin:0")


def hack_rows(report: HackReport) -> list[tuple[str, str, str, str]]:
    """The predicted hack as the widget's table shows it: (step, what the shell shows, outcome, why).

    >>> from kslab.manifests.webapp import webapp_deployment
    >>> hack_rows(hack.predict(webapp_deployment({"readOnlyRootFilesystem": True})))[1][:3]
    ('edit the served page', 'Read-only file system', 'stopped')
    """
    return [(r.step.title, r.predicted.shown, HACK_WORDS[r.predicted.works], r.predicted.why) for r in report.rows]


_OUTCOME_COLOURS = {"works": BAD, "stopped": GOOD}  # the attacker's success is the bad news
_CELL = f"text-align:left;vertical-align:top;padding:2px 8px;border-bottom:1px solid {BORDER}"


def hack_html(report: HackReport) -> str:
    """The predicted hack as an HTML table: each outcome in words, coloured for the eye, long reasons
    wrapping between words."""
    head = "".join(f'<th style="{_CELL};white-space:nowrap">{h}</th>' for h in ("step", "predicted", "the hack", "why"))
    body = []
    for step, shown, outcome, why in hack_rows(report):
        colour = _OUTCOME_COLOURS.get(outcome, NEUTRAL)
        body.append(f'<tr><td style="{_CELL}">{html.escape(step)}</td>'
                    f'<td style="{_CELL}"><code>{html.escape(shown)}</code></td>'
                    f'<td style="{_CELL};color:{colour};font-weight:bold;white-space:nowrap">{outcome}</td>'
                    f'<td style="{_CELL}">{html.escape(why)}</td></tr>')
    return (f'<table style="border-collapse:collapse;width:100%;line-height:1.4">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _verdict_html(verdict: Verdict) -> str:
    word, colour = ("PASS", GOOD) if verdict.allowed else ("FAIL", BAD)
    items = "".join(f"<li>{html.escape(v.message)}</li>" for v in verdict.violations)
    return (f'<div style="border-left:4px solid {colour};padding:2px 8px;margin-bottom:4px;line-height:1.4">'
            f"<b>{html.escape(str(verdict.policy))}: {word}</b><ul style='margin:0'>{items}</ul></div>")


class SecurityContextWidget:
    """Labelled toggles → YAML, verdicts and predicted hack; with a live lab, an Apply button that runs
    the hack for real. ``.controls`` maps each :class:`Choices` field to its control."""

    def __init__(self, lab: Lab | None = None, *, image: str | None = None) -> None:
        import ipywidgets as w  # noqa: PLC0415 - only when a widget is made

        self.lab, self.image = lab, image
        style = {"description_width": "initial"}
        self.controls: dict[str, Any] = {
            "run_as_user": w.Dropdown(options=[("unset (image default: root)", UNSET), ("0 (root)", 0), ("1000", 1000)],
                                      value=UNSET, description="runAsUser", style=style,
                                      tooltip="the uid the container's process runs as"),
            "run_as_non_root": w.Checkbox(description="runAsNonRoot: true", style=style,
                                          tooltip="the kubelet refuses to start a container running as root"),
            "read_only_root_filesystem": w.Checkbox(description="readOnlyRootFilesystem: true", style=style,
                                                    tooltip="mount the image's filesystem read-only"),
            "allow_privilege_escalation": w.Dropdown(options=[("unset (allowed)", UNSET), ("true", True),
                                                              ("false", False)],
                                                     value=UNSET, description="allowPrivilegeEscalation", style=style,
                                                     tooltip="false sets no_new_privs: setuid programs "
                                                                         "no longer grant privileges"),
            "privileged": w.Checkbox(description="privileged: true", style=style,
                                     tooltip="switch off most isolation (baseline forbids it)"),
            "drop_all": w.Checkbox(description="capabilities.drop: [ALL]", style=style,
                                   tooltip="start with no Linux capabilities"),
            "add_net_admin": w.Checkbox(description="capabilities.add: [NET_ADMIN]", style=style,
                                        tooltip="what Istio's init container asks for"),
            "seccomp_runtime_default": w.Checkbox(description="seccompProfile: RuntimeDefault", style=style,
                                                  tooltip="the container runtime's syscall filter"),
            "host_port": w.Checkbox(description=f"hostPort: {PORT} (as in 2019)", style=style,
                                    tooltip="bind the node's port 3000 (baseline forbids it)"),
        }
        self.yaml_view, self.verdict_view, self.hack_view = w.HTML(), w.HTML(), w.HTML()
        self.verdict_view.add_class("kslab-verdicts")  # stable names for the browser tests
        self.hack_view.add_class("kslab-hack")
        self.status = w.HTML()
        self.apply_button = w.Button(description="Apply and run the hack", icon="play",
                                     layout=w.Layout(width="auto"),  # the whole label, never cut off
                                     tooltip="run the hack for real: live in a pod of the lab namespace, offline "
                                             "in the local sandbox")
        self.apply_button.on_click(self.apply)
        for control in self.controls.values():
            control.observe(self.render, names="value")
        buttons = [self.apply_button, self.status] if lab is not None and _can_apply(lab) else []
        self.box = w.VBox([
            w.HTML("<b>Container securityContext</b>"),
            w.HBox([w.VBox(list(self.controls.values())[:4]), w.VBox(list(self.controls.values())[4:])]),
            *buttons,
            w.HBox([w.VBox([w.HTML("<b>Manifest</b>"), self.yaml_view], layout=w.Layout(width="38%")),
                    w.VBox([w.HTML("<b>Pod Security Standards</b>"), self.verdict_view,
                            w.HTML("<b>The hack (predicted)</b>"), self.hack_view],
                           layout=w.Layout(width="62%", padding="0 0 0 12px"))]),
        ])
        self.render()

    @property
    def choices(self) -> Choices:
        return Choices(**{name: control.value for name, control in self.controls.items()})

    def render(self, _: Any = None) -> None:
        self.state = explore(self.choices, image=self.image)
        self.yaml_view.value = _pre(self.state.yaml())
        self.verdict_view.value = _verdict_html(self.state.baseline) + _verdict_html(self.state.restricted)
        self.hack_view.value = hack_html(self.state.hack)

    def apply(self, _: Any = None) -> HackReport | None:
        """Run the hack for real (live: in a pod; offline: in the local sandbox); observed next to predicted."""
        if self.lab is None or not getattr(self.lab, "live", False):
            from kslab.sandbox import available

            state = available()
            if not state.ok:
                self.status.value = html.escape(f"Apply needs a live lab or a local sandbox ({state.reason}); "
                                                "the table above is the prediction.")
                return None
            if self.lab is None:
                self.status.value = "Apply needs the lab (security_context_widget(lab))."
                return None
        self.status.value = "Applying and running the hack …"
        try:
            report = hack.run(self.lab, self.state.deployment)
        except Exception as exc:  # noqa: BLE001 - shown in the widget, not as a traceback
            self.status.value = html.escape(f"{type(exc).__name__}: {exc}")
            return None
        self.status.value = _pre(str(report))
        return report

    def static_html(self) -> str:
        """The current state without controls: security context, verdicts and the predicted hack."""
        return (f"<div><b>Manifest (securityContext)</b>{_pre(str(self.state.text().splitlines()[0]))}"
                f"<b>Pod Security Standards</b>{self.verdict_view.value}"
                f"<b>The hack (predicted)</b>{self.hack_view.value}</div>")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return display_bundle(self.box, self.static_html(), self.state.text(), **kwargs)

    def __repr__(self) -> str:
        return self.state.text()


def _can_apply(lab: Lab) -> bool:
    """Apply runs the hack for real: live in a pod, offline in the local sandbox where one runs here."""
    if getattr(lab, "live", False):
        return True
    from kslab.sandbox import available

    return bool(available().ok)


def security_context_widget(lab: Lab | None = None, **initial: Any) -> SecurityContextWidget:
    """The explorer, optionally starting from some choices (``run_as_user=1000`` …)."""
    widget = SecurityContextWidget(lab)
    for name, value in asdict(replace(Choices(), **initial)).items():
        widget.controls[name].value = value
    return widget
