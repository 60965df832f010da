"""Build and check the course notebooks.

The notebooks are written as jupytext "percent" scripts in ``notebooks/src/NN-name.py`` (easy to
review and diff) and stored as ``notebooks/NN-name.ipynb`` *with their offline outputs*, so they read
well on GitHub without running. This tool makes the second from the first:

    python tools/notebooks.py build [NN ...]   # convert, add navigation, execute offline, store
    python tools/notebooks.py check            # fail if any .ipynb drifted from its source

Executing uses ``KSLAB_MODE=offline`` and a throw-away ``KSLAB_HOME`` so no cluster and no personal
progress leak into what is stored. Widget views are dropped from stored outputs (they need a running
kernel); each widget's display bundle also carries its starting state as HTML and text, and that is
what the stored cell shows. nbval's markers are cell tags (``# %% tags=["nbval-check-output"]`` in the
source), never comments a student would read.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"
SRC_DIR = NB_DIR / "src"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
PEM_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
NAV_MARK = "<!-- kslab:navigation -->"
#: The text/plain ipywidgets gives a widget without a static rendering: nothing worth storing.
RAW_WIDGET = re.compile(r"^\s*[A-Z]\w*\((children|value|description|layout|options)=")


def sources() -> list[Path]:
    """The notebook sources, in course order."""
    return sorted(SRC_DIR.glob("[0-9][0-9]-*.py"))


def _title(src: Path) -> str:
    for line in src.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#\s+#\s+(.*)", line)
        if m:
            return m.group(1).strip()
    return src.stem


def navigation(src: Path) -> str:
    """The navigation line for a notebook: previous · index · next."""
    all_src = sources()
    i = all_src.index(src)
    parts = []
    if i > 0:
        prev = all_src[i - 1]
        parts.append(f"← [{_title(prev)}]({prev.stem}.ipynb)")
    parts.append("[Course index](../README.md#the-notebooks)")
    if i + 1 < len(all_src):
        nxt = all_src[i + 1]
        parts.append(f"[{_title(nxt)}]({nxt.stem}.ipynb) →")
    return f"{NAV_MARK}\n" + " · ".join(parts)


def convert(src: Path) -> Any:
    """The notebook for a source, without outputs: cells + navigation at top and bottom."""
    import jupytext
    import nbformat

    nb = jupytext.read(src)
    nav = navigation(src)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(nav))
    nb.cells.append(nbformat.v4.new_markdown_cell(nav))
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("lines_to_next_cell", None)
        cell["id"] = f"{src.stem[:2]}-{i:03d}"
    return nb


def _unhome(nb: Any, home: str) -> None:
    """Outputs name the build's throw-away state directory as ``$KSLAB_HOME`` (what it was): the same
    text at every build, so a rebuild changes no output that did not change, and a reader on GitHub sees
    where a student's files go rather than a random /tmp name."""
    import nbformat

    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("outputs"):
            cell["outputs"] = [nbformat.from_dict(json.loads(json.dumps(o).replace(home, "$KSLAB_HOME")))
                               for o in cell["outputs"]]


def _clean_outputs(nb: Any) -> list[str]:
    """Drop widget views and volatile metadata; return problems (errors, secrets) found."""
    problems = []
    nb.metadata.pop("widgets", None)
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
            data = out.get("data", {})
            if WIDGET_MIME in data:
                # keep the static rendering the widget's bundle carries (HTML, text), drop only the view
                del data[WIDGET_MIME]
                if not set(data) - {"text/plain"} and RAW_WIDGET.match("".join(data.get("text/plain", ""))):
                    continue
            text = json.dumps(out)
            if JWT.search(text) or PEM_KEY.search(text):
                problems.append(f"cell {i}: output looks like a token or private key")
            kept.append(out)
        cell["outputs"] = kept
    return problems


def counted_attempts(home: Path) -> list[str]:
    """The exercises with attempts recorded in the progress files under ``home`` (Run All must record none)."""
    found = []
    for path in sorted(home.rglob("progress-*.json")):
        for ex_id, rec in json.loads(path.read_text(encoding="utf-8")).items():
            if rec.get("attempts"):
                found.append(f"{ex_id} ({rec['attempts']})")
    return found


def build(src: Path, *, timeout: int = 600) -> Path:
    """Convert, execute offline and store one notebook; returns the .ipynb path."""
    import nbformat
    from nbclient import NotebookClient

    nb = convert(src)
    env_backup = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="kslab-nb-") as home:
        os.environ.update({"KSLAB_MODE": "offline", "KSLAB_HOME": home})
        os.environ.pop("KSLAB_CONTEXT", None)
        try:
            NotebookClient(nb, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": str(NB_DIR)}}).execute()
        finally:
            os.environ.clear()
            os.environ.update(env_backup)
        attempts = counted_attempts(Path(home))
    _unhome(nb, home)
    problems = _clean_outputs(nb)
    if attempts:
        problems.append("Run All counted attempts for " + ", ".join(attempts) + ": an answer cell must start "
                        "with ... or with the exercise's `start`")
    if problems:
        raise SystemExit(f"{src.name}: " + "; ".join(problems))
    out = NB_DIR / f"{src.stem}.ipynb"
    nbformat.write(nb, out)
    return out


def check() -> list[str]:
    """Problems with the stored notebooks: drift from sources, stored errors, secrets, widget state."""
    import nbformat

    problems = []
    srcs = sources()
    stems = {s.stem for s in srcs}
    for ipynb in sorted(NB_DIR.glob("*.ipynb")):
        if ipynb.stem not in stems:
            problems.append(f"{ipynb.name}: has no source in notebooks/src/")
    for src in srcs:
        ipynb = NB_DIR / f"{src.stem}.ipynb"
        if not ipynb.exists():
            problems.append(f"{ipynb.name}: missing (run: python tools/notebooks.py build {src.stem[:2]})")
            continue
        stored = nbformat.read(ipynb, as_version=4)
        if "widgets" in stored.metadata:
            problems.append(f"{ipynb.name}: stores widget state (metadata.widgets)")
        expected = convert(src)
        got = [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in stored.cells]
        want = [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in expected.cells]
        if got != want:
            problems.append(f"{ipynb.name}: differs from {src.relative_to(ROOT)} "
                            f"(run: python tools/notebooks.py build {src.stem[:2]})")
        for p in _clean_outputs(copy.deepcopy(stored)):
            problems.append(f"{ipynb.name}: {p}")
        for i, cell in enumerate(stored.cells):
            if "NBVAL_" in cell.source:
                problems.append(f"{ipynb.name}: cell {i} has an nbval comment; use a cell tag "
                                '(# %% tags=["nbval-check-output"])')
            if cell.cell_type == "code" and any(WIDGET_MIME in o.get("data", {}) for o in cell.outputs):
                problems.append(f"{ipynb.name}: cell {i} stores a widget view")
            if cell.cell_type == "code" and cell.source.strip() and cell.get("execution_count") is None:
                problems.append(f"{ipynb.name}: cell {i} was not executed")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="convert, execute offline and store notebooks")
    b.add_argument("which", nargs="*", help="notebook numbers (e.g. 03); default all")
    sub.add_parser("check", help="fail if a stored notebook drifted from its source")
    args = parser.parse_args(argv)
    if args.cmd == "build":
        for src in sources():
            if not args.which or src.stem[:2] in args.which:
                print(f"built {build(src).relative_to(ROOT)}", flush=True)
        return 0
    problems = check()
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
