"""Schema validation of manifests with kubernetes-validate, before anything is sent to a cluster.

Strict mode rejects fields the API does not have — the 2019 webapp's ``securityContext`` with
``readOnlyRootFilesystem`` at pod level is one: a lenient server silently drops such fields, so
the setting the student thought they made does nothing. kubernetes-validate is offline (schemas of
Kubernetes 1.25 … 1.37) and slow to import, so it is imported only when needed.

>>> validate({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lab"}})
[]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kslab.errors import InputError


@dataclass(frozen=True)
class SchemaProblem:
    """One object that does not match its schema: which object, where in it, and what is wrong."""

    kind: str
    name: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"{self.kind} {self.name or '(unnamed)'}{where}: {self.message}"


def _path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validate(objects: Mapping[str, Any] | Iterable[Mapping[str, Any]], *,
             kubernetes_version: str | None = None, strict: bool = True) -> list[SchemaProblem]:
    """Problems with the objects against the Kubernetes schemas (the newest known by default).

    Objects of kinds the schemas do not know (custom resources) are reported as such.
    """
    from kslab.course.schemas import jsonschema  # noqa: PLC0415

    jsonschema()  # first, so kubernetes_validate's own import of it skips a grammar build (see there)
    import kubernetes_validate as kv  # noqa: PLC0415 - slow to import: only on use

    version = kubernetes_version or kv.latest_version()
    items = [objects] if isinstance(objects, Mapping) else list(objects)
    problems = []
    for obj in items:
        kind = str(obj.get("kind") or "")
        name = str((obj.get("metadata") or {}).get("name") or "")
        if not kind or not obj.get("apiVersion"):
            problems.append(SchemaProblem(kind or "object", name, "", "needs apiVersion and kind"))
            continue
        try:
            kv.validate(dict(obj), version, strict=strict)
        except kv.ValidationError as exc:
            problems.append(SchemaProblem(kind, name, _path(exc.path), exc.message))
        except kv.SchemaNotFoundError:
            problems.append(SchemaProblem(kind, name, "", f"no schema for {obj['apiVersion']} {kind} "
                                                          f"in Kubernetes {version}"))
    return problems


def require_valid(objects: Mapping[str, Any] | Iterable[Mapping[str, Any]], **kwargs: Any) -> None:
    """Raise :class:`~kslab.errors.InputError` listing every problem, if there is any."""
    problems = validate(objects, **kwargs)
    if problems:
        raise InputError("; ".join(str(p) for p in problems),
                         hint="fix the manifest: `kubectl explain <kind>.<field>` shows what the API accepts")
