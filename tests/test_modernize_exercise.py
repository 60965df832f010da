"""Exercise 03.modernize-2019: its solution and kslab's own output pass; each kind of slip fails."""

from __future__ import annotations

import copy

import pytest
import yaml

from kslab.exercises.nb03 import SEED_2019, check_modernize_2019
from kslab.modernize import modernize_text

SOLUTION = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "webapp"},
    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "webapp"}},
             "template": {"metadata": {"labels": {"app": "webapp"}},
                          "spec": {"securityContext": {"runAsUser": 1000},
                                   "containers": [{"name": "webapp", "image": "localhost/kslab/webapp:1.0",
                                                   "ports": [{"containerPort": 3000}],
                                                   "securityContext": {"readOnlyRootFilesystem": True,
                                                                       "allowPrivilegeEscalation": False}}]}}}}


def test_kslab_modernize_output_passes() -> None:
    objs = modernize_text(SEED_2019, source="seed").modern_objects()
    assert [o["kind"] for o in objs] == ["Deployment", "Service"]
    result = check_modernize_2019(yaml.safe_dump_all(objs))
    assert result.passed, result.reason


def test_the_2019_text_fails() -> None:
    assert not check_modernize_2019(SEED_2019).passed


def _broken(path: tuple[str, ...], value: object = None, delete: bool = False) -> dict:
    obj = copy.deepcopy(SOLUTION)
    node = obj
    for key in path[:-1]:
        node = node[key] if not isinstance(node, list) else node[int(key)]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return obj


@pytest.mark.parametrize("answer,reason", [
    (_broken(("spec", "template", "spec", "containers", "0", "ports"),
             [{"containerPort": 3000, "hostPort": 3000}]), "host-port"),
    (_broken(("spec", "selector"), delete=True), "not valid"),
    (_broken(("spec", "template", "spec", "securityContext"),
             {"runAsUser": 1000, "readOnlyRootFilesystem": True}), "not valid"),
    (_broken(("spec", "template", "spec", "containers", "0", "securityContext"),
             {"readOnlyRootFilesystem": True}), "allowPrivilegeEscalation"),
    (_broken(("spec", "template", "spec", "securityContext"), delete=True), "runAsUser"),
    (_broken(("spec", "template", "spec", "containers", "0", "image"), "nginx"), "image"),
    ("kind: [", "not valid YAML"),
    (42, "YAML text"),
])
def test_each_slip_fails_with_a_reason(answer: object, reason: str) -> None:
    result = check_modernize_2019(answer)
    assert not result.passed and reason in result.reason, result.reason


def test_the_solution_as_a_dict_passes() -> None:
    assert check_modernize_2019(SOLUTION).passed
