"""Access matrices, who-can, the recorded resource scopes, the REST mapping and the pictures."""

from __future__ import annotations

import pytest

from kslab.rbac import Policy, Request, scenario
from kslab.rbac.matrix import build_matrix, predict_matrix, who_can
from kslab.rbac.resources import recorded, scope_from_paths
from kslab.rbac.rest import call_for, outcome
from kslab.widgets.rbac_matrix import SideBySide, matrix_explorer, matrix_figure, matrix_html

NS = scenario.NAMESPACE


def lab_matrix(**kwargs):  # type: ignore[no-untyped-def]
    return predict_matrix(scenario.policy(), scenario.user(), namespace=NS, **kwargs)


def test_lab_identity_matrix_is_least_privilege() -> None:
    m = lab_matrix()
    allowed = {(r, v) for (r, v), c in m.cells.items() if c.allowed}
    assert allowed == {(r, v) for r in ("pods", "pods/log") for v in ("get", "list", "watch")}
    assert m.cells[("nodes", "get")].namespace == "" and m.cells[("pods", "get")].namespace == NS
    assert "predicted" in m.title()


def test_matrix_uses_the_answering_function_for_every_cell() -> None:
    asked: list[Request] = []

    def ask(request: Request) -> tuple[bool, str]:
        asked.append(request)
        return request.verb == "get", "because"

    m = build_matrix(ask, subject="x", namespace="a", source="test", verbs=["get", "list"],
                     resources=["pods", "namespaces", "deployments.apps/scale"])
    assert len(asked) == 6
    assert Request("list", "deployments", "apps", "scale", "", "a") in asked
    assert Request("get", "namespaces", namespace="") in asked
    assert m.rows()[0] == {"resource": "pods", "get": "yes", "list": "no"}


def test_differences_and_side_by_side() -> None:
    predicted = lab_matrix(verbs=["get"], resources=["pods", "secrets"])
    observed = build_matrix(lambda r: (True, ""), subject="x", namespace=NS, source="observed",
                            verbs=["get"], resources=["pods", "secrets"])
    both = SideBySide(predicted, observed)
    assert both.differences == [("secrets", "get", False, True)]
    assert "1 cell(s) differ" in both.verdict() and "≠" in both._repr_html_()
    alone = SideBySide(predicted, None, why_no_observed="offline: test")
    assert "not available (offline: test)" in alone.text()


def test_html_and_figure_say_yes_and_no_in_words() -> None:
    m = lab_matrix(verbs=["get", "delete"], resources=["pods"])
    page = matrix_html(m)
    assert ">yes<" in page and ">no<" in page
    fig = matrix_figure(m)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["yes", "no"]


def test_explorer_widget_rerenders_on_change() -> None:
    policy = scenario.policy()
    box = matrix_explorer(policy, {"webapp": scenario.user(), "nobody": scenario.user("x", "y")},
                          [NS, "default"], verbs=["list"], resources=["pods"])
    assert ">yes<" in box.view.value
    box.children[0].children[1].value = "default"
    assert ">yes<" not in box.view.value


def test_who_can_lists_subjects_with_meaning() -> None:
    objs = scenario.lab_objects() + [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": {"name": "all-sas", "namespace": NS},
         "subjects": [{"kind": "Group", "name": f"system:serviceaccounts:{NS}"}],
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"}}]
    result = who_can(Policy.from_objects(objs), "list", "pods", namespace=NS)
    kinds = {(r.kind, r.name) for r in result.rows}
    assert kinds == {("ServiceAccount", "webapp"), ("Group", f"system:serviceaccounts:{NS}")}
    assert f"every service account in namespace {NS}" in result.text()
    assert who_can(Policy.from_objects(objs), "list", "pods", namespace="default").rows == []


def test_recorded_scopes_are_labelled_and_sensible() -> None:
    catalog = recorded()
    assert "derived from the REST paths" in catalog.label() and not catalog.observed
    for res, group in [("pods", ""), ("secrets", ""), ("serviceaccounts", ""), ("deployments", "apps"),
                       ("roles", "rbac.authorization.k8s.io"), ("rolebindings", "rbac.authorization.k8s.io")]:
        assert catalog.scope(res, group) == "Namespaced", res
    for res, group in [("nodes", ""), ("namespaces", ""), ("persistentvolumes", ""),
                       ("clusterroles", "rbac.authorization.k8s.io"), ("storageclasses", "storage.k8s.io")]:
        assert catalog.scope(res, group) == "Cluster", res
    assert "log" in catalog.find("pods").subresources and "token" in catalog.find("serviceaccounts").subresources


def test_scope_from_paths_ignores_all_namespace_lists() -> None:
    rows = scope_from_paths(["/apis/apps/v1/deployments", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale",
                             "/api/v1/namespaces/{name}", "/api/v1/watch/namespaces/{namespace}/pods"])
    by = {(r["group"], r["resource"]): r for r in rows}
    assert by[("apps", "deployments")]["namespaced"] and by[("apps", "deployments")]["subresources"] == ["scale"]
    assert not by[("", "namespaces")]["namespaced"] and by[("", "pods")]["namespaced"]


@pytest.mark.parametrize("request_, method, path, query", [
    (Request("list", "pods", namespace="a"), "GET", "/api/v1/namespaces/a/pods", ()),
    (Request("get", "pods", subresource="log", name="p", namespace="a"), "GET", "/api/v1/namespaces/a/pods/p/log", ()),
    (Request("create", "configmaps", namespace="a", name="ignored"), "POST", "/api/v1/namespaces/a/configmaps",
     (("dryRun", "All"),)),
    (Request("list", "nodes", namespace="a"), "GET", "/api/v1/nodes", ()),  # cluster-scoped: no namespace in the path
    (Request("patch", "deployments", "apps", "scale", "d", "a"), "PATCH",
     "/apis/apps/v1/namespaces/a/deployments/d/scale", (("dryRun", "All"),)),
    (Request("get", path="/healthz"), "GET", "/healthz", ()),
])
def test_rest_calls(request_: Request, method: str, path: str, query: tuple) -> None:
    call = call_for(request_)
    assert (call.method, call.path, call.query) == (method, path, query)


def test_outcomes() -> None:
    assert [outcome(s) for s in (200, 201, 401, 403, 404, 422)] == [
        "allowed", "allowed", "not authenticated", "forbidden", "allowed (then not found)",
        "allowed (then refused with HTTP 422)"]
