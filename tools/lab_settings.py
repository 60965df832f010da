"""Install the course's JupyterLab settings into the running environment.

``jupyter/lab/settings/overrides.json`` turns off what a student should not meet on first start: the
"official Jupyter news" prompt and the update check (no network is needed, nothing pops up over the
notebook). JupyterLab reads ``<environment>/share/jupyter/lab/settings/overrides.json`` as the defaults
for every user of that environment, so this copies the file there. ``make lab`` runs it for the
``.venv``, ``binder/postBuild`` for Binder, and conda users run it once after creating the environment:

    python tools/lab_settings.py          # install (or update) the overrides; says where
    python tools/lab_settings.py --check  # exit 1 if the environment does not have them
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "jupyter" / "lab" / "settings" / "overrides.json"


def target(prefix: str | Path | None = None) -> Path:
    """Where JupyterLab looks for overrides in the environment at ``prefix`` (default: this one)."""
    return Path(sys.prefix if prefix is None else prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"


def merged(existing: dict, ours: dict) -> dict:
    """The environment's overrides with ours laid over them, plugin by plugin (others are kept).

    >>> merged({"a": {"x": 1}, "b": {"y": 2}}, {"a": {"z": 3}})
    {'a': {'x': 1, 'z': 3}, 'b': {'y': 2}}
    """
    out = {k: dict(v) for k, v in existing.items()}
    for plugin, values in ours.items():
        out.setdefault(plugin, {}).update(values)
    return out


def main(argv: list[str]) -> int:
    ours = json.loads(SOURCE.read_text(encoding="utf-8"))
    path = target()
    existing = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    want = merged(existing, ours)
    if "--check" in argv:
        ok = want == existing
        print(f"{path}: {'has' if ok else 'lacks'} the course's JupyterLab settings")
        return 0 if ok else 1
    if want != existing:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(want, indent=2) + "\n", encoding="utf-8")
        print(f"JupyterLab settings (no news prompt, no update check) installed in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
