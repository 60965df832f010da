"""deploy/jupyterhub/values.yaml: valid YAML, only keys the Zero to JupyterHub chart accepts, and
wired to what ``kslab classroom create`` makes (Secret name and key, context name).

The schema below is a subset of the chart's own ``jupyterhub/values.schema.yaml`` (z2jh 4.x, chart
appVersion 5.5.0): for every key this values file uses, the type the chart declares, and
``additionalProperties: false`` wherever the chart has it — so a misspelt key fails here as
``helm install`` would fail it. Written from those facts, not copied.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from kslab.classroom import objects as build
from kslab.classroom.roster import to_label

VALUES = Path(__file__).resolve().parents[1] / "deploy" / "jupyterhub" / "values.yaml"
NULLABLE_STR = {"type": ["string", "null"]}


def closed(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """An object that, like the chart's, refuses keys it does not know."""
    return {"type": "object", "additionalProperties": False, "properties": properties, **extra}


SCHEMA: dict[str, Any] = closed({
    "hub": closed({
        # hub.config: pass-through traitlets config; keys are class names starting with a capital.
        "config": {"type": "object", "additionalProperties": False,
                   "patternProperties": {"^[A-Z].*$": {"type": "object", "additionalProperties": True}}},
    }),
    "singleuser": closed({
        "image": closed({"name": {"type": "string"}, "tag": {"type": "string"},
                         "pullPolicy": {"enum": [None, "", "IfNotPresent", "Always", "Never"]}},
                        required=["name", "tag"]),
        "cpu": closed({"limit": {"type": ["number", "null"]}, "guarantee": {"type": ["number", "null"]}}),
        "memory": closed({"limit": {"type": ["number", "string", "null"]},
                          "guarantee": {"type": ["number", "string", "null"]}}),
        "storage": closed({"capacity": NULLABLE_STR,
                           "extraVolumes": {"type": ["object", "array", "null"]},
                           "extraVolumeMounts": {"type": ["object", "array", "null"]}}),
        "extraEnv": {"type": ["object", "array"]},
        "lifecycleHooks": closed({"postStart": {"type": "object"}, "preStop": {"type": "object"}}),
        "defaultUrl": NULLABLE_STR,
        "networkPolicy": closed({"enabled": {"type": "boolean"}, "egress": {"type": "array"},
                                 "ingress": {"type": "array"}}),
    }),
    "cull": closed({"enabled": {"type": "boolean"}, "timeout": {"type": ["integer", "null"]}}),
})


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    return yaml.safe_load(VALUES.read_text(encoding="utf-8"))


def test_values_match_the_charts_schema_for_the_keys_used(values: dict[str, Any]) -> None:
    jsonschema.validate(values, SCHEMA)


def test_the_schema_would_catch_a_misspelt_key(values: dict[str, Any]) -> None:
    bad = yaml.safe_load(VALUES.read_text())
    bad["singleuser"]["extraVolume"] = bad["singleuser"]["storage"].pop("extraVolumes")  # wrong level and name
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)
    bad = yaml.safe_load(VALUES.read_text())
    bad["singleuser"]["cpu"]["limit"] = "1 core"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)


def test_the_kubeconfig_secret_is_mounted_per_user(values: dict[str, Any]) -> None:
    storage = values["singleuser"]["storage"]
    (volume,) = storage["extraVolumes"]
    (mount,) = storage["extraVolumeMounts"]
    assert mount["name"] == volume["name"] and mount["readOnly"] is True
    template = volume["secret"]["secretName"]
    # The hub fills in {username}; for a roster name it must give exactly the Secret kslab creates.
    assert template.format(username="student-01") == build.secret_name("student-01")
    assert volume["secret"]["defaultMode"] == 0o440
    env = values["singleuser"]["extraEnv"]
    assert env["KUBECONFIG"] == f"{mount['mountPath']}/{build.SECRET_KEY}"
    assert env["KSLAB_CONTEXT"] == build.STUDENT_CONTEXT


def test_resources_have_guarantees_and_limits(values: dict[str, Any]) -> None:
    su = values["singleuser"]
    assert 0 < su["cpu"]["guarantee"] <= su["cpu"]["limit"]

    def bytes_of(text: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)([KMGT]?)", str(text)).groups()  # type: ignore[union-attr]
        return float(number) * 1000 ** "_KMGT".index(unit or "_")

    assert 0 < bytes_of(su["memory"]["guarantee"]) <= bytes_of(su["memory"]["limit"])


def test_users_are_roster_names_and_not_the_dummy_authenticator(values: dict[str, Any]) -> None:
    config = values["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"] != "dummy"
    for user in config["Authenticator"]["allowed_users"]:
        assert to_label(user) == user  # what kslab names the student is what the hub calls the user


def test_notebooks_are_copied_without_overwriting(values: dict[str, Any]) -> None:
    command = values["singleuser"]["lifecycleHooks"]["postStart"]["exec"]["command"]
    assert command[:2] == ["sh", "-c"] and "cp -rn /opt/kslab/notebooks" in command[2]
    dockerfile = (VALUES.parent / "Dockerfile").read_text()
    assert "/opt/kslab/notebooks" in dockerfile and "pip install --no-cache-dir /opt/kslab" in dockerfile
    assert values["singleuser"]["defaultUrl"].endswith("/kslab/notebooks/00-set-up.ipynb")


def test_user_pods_may_reach_the_api_server(values: dict[str, Any]) -> None:
    (rule,) = values["singleuser"]["networkPolicy"]["egress"]
    assert {p["port"] for p in rule["ports"]} == {443, 6443}
    assert all(set(peer) == {"ipBlock"} for peer in rule["to"])
