"""The API server flag widget, headless: set a control's ``.value``, the audit table follows."""

from __future__ import annotations

import pytest

from kslab.audit import audit_apiserver, bundled
from kslab.widgets.apiserver_flags import FlagChoices, apiserver_flags_widget, command_line, explore

pytest.importorskip("ipywidgets")


def test_default_state_is_the_kubeadm_manifest():
    widget = apiserver_flags_widget()
    kubeadm = audit_apiserver(bundled("kube-apiserver-kubeadm.yaml")).statuses()
    assert widget.state.report.statuses() == kubeadm
    assert "--authorization-mode=Node,RBAC\n--enable-admission-plugins=NodeRestriction" in widget.flags_view.value


def test_toggles_change_the_audit_table_with_words_and_colours():
    widget = apiserver_flags_widget()
    assert ">FAIL<" in widget.table_view.value and "#cf222e" in widget.table_view.value
    widget.controls["profiling"].value = False
    assert widget.state.report.row("1.2.15").status == "PASS"
    assert "--profiling=false" in widget.flags_view.value
    widget.controls["authorization_mode"].value = "AlwaysAllow"
    assert widget.state.report.row("1.2.6").status == "FAIL"
    assert widget.state.report.row("1.2.7").status == "FAIL"
    widget.controls["authorization_mode"].value = ""
    assert "default: AlwaysAllow" in widget.state.report.row("1.2.6").observed
    widget.plugins["PodSecurityPolicy"].value = True
    assert widget.state.choices.admission_plugins == ("NodeRestriction", "PodSecurityPolicy")
    assert widget.state.report.row("then-vs-now: PodSecurityPolicy").status == "INFO"
    widget.plugins["NodeRestriction"].value = False
    assert widget.state.report.row("1.2.14").status == "FAIL"
    widget.controls["insecure_port"].value = True
    assert "then-vs-now: --insecure-port" in widget.state.report.statuses()


def test_all_hardening_toggles_leave_no_failure():
    widget = apiserver_flags_widget(anonymous_auth=False, profiling=False, audit_log=True,
                                    kubelet_certificate_authority=True, encryption_at_rest=True,
                                    strong_ciphers=True, extend_token_expiration=False,
                                    admission_plugins=("NodeRestriction", "EventRateLimit", "AlwaysPullImages",
                                                       "DenyServiceExternalIPs"))
    counts = widget.state.report.counts()
    assert counts["FAIL"] == 0 and counts["WARN"] == 1  # 1.2.20 is a manual check
    assert widget.state.report.row("1.2.28").status == "PASS"
    assert "FAIL" not in widget.table_view.value.replace("0 FAIL", "")


def test_static_rendering_and_pure_functions():
    state = explore(FlagChoices(token_auth_file=True))
    assert state.report.row("1.2.2").status == "FAIL"
    assert "--token-auth-file=/etc/kubernetes/auth/tokens.csv" in state.text()
    assert command_line(FlagChoices()) == sorted(command_line(FlagChoices()))
    assert repr(apiserver_flags_widget()).startswith("flags the toggles control:")


def test_not_given_is_a_choice_of_its_own():
    from kslab.widgets import UNSET

    widget = apiserver_flags_widget(profiling=None)
    for name in ("anonymous_auth", "profiling", "extend_token_expiration"):
        assert widget.controls[name].value == UNSET and widget.controls[name].label.startswith("not given")
    assert not [a for a in command_line(FlagChoices(profiling=None)) if "profiling" in a]
    assert "--profiling=false" in command_line(FlagChoices(profiling=False))


def test_every_admission_plugin_is_a_named_checkbox():
    widget = apiserver_flags_widget(admission_plugins=("EventRateLimit",))
    assert [name for name, box in widget.plugins.items() if box.value] == ["EventRateLimit"]
    assert "--enable-admission-plugins=EventRateLimit" in widget.state.argv
    assert widget.plugins["PodSecurityPolicy"].description == "PodSecurityPolicy (2019; removed in 1.25)"
