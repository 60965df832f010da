"""Validate Istio objects against our JSON Schemas, and everything else with kubernetes-validate.

A typo in an Istio object is not harmless: ``mtls: {mod: STRICT}`` is rejected by the API server
today (strict field validation), but older clusters silently dropped unknown fields — and a
PeerAuthentication without a mode is PERMISSIVE, the opposite of what was meant.

>>> pa = {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
...       "metadata": {"name": "default", "namespace": "istio-app"}, "spec": {"mtls": {"mod": "STRICT"}}}
>>> [str(p) for p in validate_objects([pa])]
["PeerAuthentication default at spec.mtls: Additional properties are not allowed ('mod' was unexpected)"]
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kslab.errors import InputError
from kslab.istio import ISTIO_VERSION
from kslab.manifests.validate import SchemaProblem, _path
from kslab.views.styles import BAD
from kslab.views.tables import Table

DATA = Path(__file__).resolve().parent.parent / "data" / "istio"
MANIFESTS = DATA / "manifests"
SCHEMAS = DATA / "schemas"

#: (API group, kind) -> our schema file.
ISTIO_KINDS = {
    ("security.istio.io", "PeerAuthentication"): "peerauthentication.json",
    ("networking.istio.io", "DestinationRule"): "destinationrule.json",
    ("networking.istio.io", "Gateway"): "gateway.json",
    ("networking.istio.io", "VirtualService"): "virtualservice.json",
}


def group_of(obj: Mapping[str, Any]) -> str:
    """The API group of an object ('' for the core group).

    >>> group_of({"apiVersion": "networking.istio.io/v1"}), group_of({"apiVersion": "v1"})
    ('networking.istio.io', '')
    """
    api_version = str(obj.get("apiVersion") or "")
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def is_istio(obj: Mapping[str, Any]) -> bool:
    return group_of(obj).endswith(".istio.io")


@functools.cache
def _validator(schema_file: str) -> Any:
    from referencing import Registry, Resource  # noqa: PLC0415

    from kslab.course.schemas import jsonschema  # noqa: PLC0415 - on use; avoids a grammar build (see there)

    Draft202012Validator = jsonschema().Draft202012Validator  # noqa: N806

    resources = [(p.name, Resource.from_contents(json.loads(p.read_text(encoding="utf-8"))))
                 for p in SCHEMAS.glob("*.json")]
    registry = Registry().with_resources(resources)
    schema = json.loads((SCHEMAS / schema_file).read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=registry)


def validate_istio(obj: Mapping[str, Any]) -> list[SchemaProblem]:
    """Problems of one Istio object against our schema for its kind."""
    kind = str(obj.get("kind") or "")
    name = str((obj.get("metadata") or {}).get("name") or "") if isinstance(obj.get("metadata"), Mapping) else ""
    schema = ISTIO_KINDS.get((group_of(obj), kind))
    if schema is None:
        return [SchemaProblem(kind or "object", name, "", f"kslab has no schema for {obj.get('apiVersion')} {kind} "
                                                          f"(it knows {', '.join(k for _, k in ISTIO_KINDS)})")]
    errors = sorted(_validator(schema).iter_errors(dict(obj)), key=lambda e: (list(map(str, e.path)), e.message))
    return [SchemaProblem(kind, name, _path(e.path), e.message) for e in errors]


def validate_objects(objects: Iterable[Mapping[str, Any]], *, kubernetes: bool = True) -> list[SchemaProblem]:
    """Istio objects against our schemas; the others (Namespace, Deployment ...) with kubernetes-validate."""
    problems: list[SchemaProblem] = []
    core: list[Mapping[str, Any]] = []
    for obj in objects:
        if is_istio(obj):
            problems += validate_istio(obj)
        else:
            core.append(obj)
    if core and kubernetes:
        from kslab.manifests.validate import validate  # noqa: PLC0415 - kubernetes-validate is slow to import

        problems += validate(core)
    return problems


def bundled_files() -> list[Path]:
    """The course's Istio lab manifests."""
    return sorted(MANIFESTS.glob("*.yaml"))


def bundled_objects(*names: str) -> list[dict[str, Any]]:
    """The objects of the named bundled manifests (all of them when no name is given)."""
    from kslab.manifests.load import load_objects  # noqa: PLC0415

    files = [MANIFESTS / n for n in names] if names else bundled_files()
    missing = [f.name for f in files if not f.exists()]
    if missing:
        raise InputError(f"no bundled Istio manifest {', '.join(missing)}",
                         hint="bundled: " + ", ".join(f.name for f in bundled_files()))
    return [d.obj for d in load_objects(files).documents]


@dataclass(frozen=True)
class ManifestVerdict:
    """One object's verdict."""

    file: str
    kind: str
    name: str
    checked_by: str
    problems: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Report:
    """Every object of some manifests, and whether it is valid."""

    rows: tuple[ManifestVerdict, ...]

    @property
    def valid(self) -> bool:
        return all(r.valid for r in self.rows)

    def table(self) -> Table:
        """One row per object: file, kind, name, which validator checked it, and its verdict (the
        problems in full when invalid). HTML in a notebook, aligned text elsewhere."""
        return Table([{"file": r.file, "kind": r.kind, "name": r.name, "checked by": r.checked_by,
                       "verdict": "valid" if r.valid else "INVALID: " + "; ".join(r.problems)}
                      for r in self.rows], ["file", "kind", "name", "checked by", "verdict"],
                     note="all valid" if self.valid else "problems found", wrap={"verdict": 60},
                     style={"verdict": lambda v: "" if v == "valid" else f"color:{BAD};font-weight:bold"})

    def __str__(self) -> str:
        return self.table().text()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return self.table().html()


def check_files(paths: Iterable[str | Path] | None = None) -> Report:
    """Validate manifest files (the bundled ones by default), one row per object."""
    from kslab.manifests.load import load_objects  # noqa: PLC0415

    files = [Path(p) for p in paths] if paths is not None else bundled_files()
    rows = []
    for doc in load_objects(files).documents:
        istio = is_istio(doc.obj)
        problems = validate_objects([doc.obj])
        rows.append(ManifestVerdict(Path(doc.source).name, doc.kind, doc.name,
                        f"kslab schema (Istio {ISTIO_VERSION})" if istio else "kubernetes-validate",
                        tuple(f"{p.path + ': ' if p.path else ''}{p.message}" for p in problems)))
    return Report(tuple(rows))
