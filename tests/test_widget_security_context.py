"""The security-context widget, headless: set a control's ``.value``, the verdicts and hack table follow."""

from __future__ import annotations

import pytest

from kslab.cluster.connect import connect
from kslab.widgets.security_context import Choices, explore, security_context_widget

pytest.importorskip("ipywidgets")


def test_default_state_is_the_root_webapp() -> None:
    widget = security_context_widget()
    state = widget.state
    assert state.baseline.allowed and not state.restricted.allowed
    assert all(state.hack.works().values())
    assert "restricted:latest: FAIL" in widget.verdict_view.value and "baseline:latest: PASS" in widget.verdict_view.value
    assert "securityContext" not in widget.yaml_view.value


def test_toggling_updates_yaml_verdicts_and_hack() -> None:
    widget = security_context_widget()
    widget.controls["run_as_user"].value = 1000
    assert "runAsUser: 1000" in widget.yaml_view.value
    assert widget.state.hack.works()["id"] is False and widget.state.hack.works()["become-root"] is True
    widget.controls["allow_privilege_escalation"].value = False
    assert widget.state.hack.works()["become-root"] is False
    assert "allowPrivilegeEscalation" not in widget.state.restricted.checks
    widget.controls["host_port"].value = True
    assert widget.state.baseline.checks == ["hostPorts"] and "FAIL" in widget.verdict_view.value
    assert "hostPort: 3000" in widget.yaml_view.value
    widget.controls["privileged"].value = True
    assert widget.state.baseline.checks == ["hostPorts", "privileged"]
    assert all(works is None for works in widget.state.hack.works().values())  # the API server would refuse it


def test_all_restricted_toggles_pass_restricted() -> None:
    widget = security_context_widget(run_as_user=1000, run_as_non_root=True, read_only_root_filesystem=True,
                                     allow_privilege_escalation=False, drop_all=True, seccomp_runtime_default=True)
    assert widget.state.restricted.allowed, widget.state.restricted
    assert "restricted:latest: PASS" in widget.verdict_view.value
    widget.controls["add_net_admin"].value = True
    assert widget.state.restricted.checks == ["capabilities_restricted"]
    assert '"NET_ADMIN"' in widget.state.restricted.detail()


def test_every_control_is_labelled_and_apply_is_offline_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSLAB_SANDBOX", "off")  # offline without a local sandbox (with one: tests/test_sandbox_run.py)
    widget = security_context_widget(lab=connect(mode="offline"))
    assert all(c.description for c in widget.controls.values())
    assert set(widget.controls) == set(Choices.__dataclass_fields__)
    assert widget.apply_button not in widget.box.children  # no Apply button offline
    assert widget.apply() is None and "needs a live lab or a local sandbox" in widget.status.value


def test_static_rendering_matches_the_widget() -> None:
    widget = security_context_widget(run_as_user=1000)
    assert repr(widget) == explore(Choices(run_as_user=1000)).text()
    assert "The hack (predicted)" in repr(widget) and "restricted: FAIL" in repr(widget)


def test_unset_is_a_choice_of_its_own_and_leaves_the_field_out() -> None:
    from kslab.widgets import UNSET

    widget = security_context_widget(run_as_user=None)  # None still means "leave it out" …
    assert widget.controls["run_as_user"].value == UNSET  # … and the dropdown shows "unset", not a blank
    assert widget.controls["run_as_user"].label.startswith("unset")
    assert Choices(run_as_user=None) == Choices() and "runAsUser" not in Choices().security_context()
    assert Choices(run_as_user=0).security_context() == {"runAsUser": 0}  # 0 is a uid, not "unset"
    widget.controls["allow_privilege_escalation"].value = False
    assert widget.state.deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"] == {
        "allowPrivilegeEscalation": False}
    widget.controls["allow_privilege_escalation"].value = UNSET
    assert "securityContext" not in widget.state.deployment["spec"]["template"]["spec"]["containers"][0]


def test_the_hack_table_says_each_outcome_in_words() -> None:
    widget = security_context_widget(read_only_root_filesystem=True)
    view = widget.hack_view.value
    assert view.startswith("<table") and "<pre" not in view
    assert ">stopped<" in view and ">works<" in view  # the page edit is stopped; id still shows root
    assert "kslab-hack" in widget.hack_view._dom_classes and "kslab-verdicts" in widget.verdict_view._dom_classes
