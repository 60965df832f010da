"""Every notebook, opened in JupyterLab and run with Run → Run All Cells, shows no error, no broken or
raw-text widget, every picture visibly, and a live, labelled view for every widget it makes.

Screenshots of each notebook after Run All, at 1000 and 1400 pixels, are saved as
``artifacts/screenshots/NN-name-1000.png`` and ``…-1400.png``. At both widths no table may run out of
its output, no text of kslab's may wrap inside a word, and no exercise check may come before its question.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from labdriver import NOTEBOOKS, LabPage, layout_problems, output_problems

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import notebook_conventions as conv  # noqa: E402

#: For every control inside a widget view: the name a screen reader would announce.
_ACCESSIBLE_NAMES_JS = """
o => [...o.querySelectorAll('input, select, textarea, button')].map(e => {
  const byId = (ids) => ids.split(/\\s+/).map(id => (document.getElementById(id) || {}).textContent || '').join(' ');
  const labels = e.labels ? [...e.labels].map(l => l.textContent).join(' ') : '';
  const name = e.getAttribute('aria-label') || (e.getAttribute('aria-labelledby') ? byId(e.getAttribute('aria-labelledby')) : '')
    || labels || e.getAttribute('title') || (e.tagName === 'BUTTON' ? e.textContent : '');
  return {tag: e.tagName.toLowerCase(), type: e.type || '', name: (name || '').replace(/[\\u200b\\s]+/g, ' ').trim()};
})
"""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_runs_all_cells_cleanly(lab: LabPage, path: Path) -> None:
    cells = lab.ensure_run(path.name, fresh=True)
    for width in (1000, 1400):  # a laptop with the file browser open, and a wide window
        lab.at_width(width)
        problems = layout_problems(lab.page)
        lab.screenshot_notebook(path.stem, width)
        assert not problems, f"{path.name} at {width} px:\n" + "\n".join(problems)
    stored = json.loads(path.read_text(encoding="utf-8"))["cells"]
    assert len(cells) == len(stored), f"{path.name}: the page shows {len(cells)} cells, the file has {len(stored)}"

    code = [c for c in cells if c.type == "code" and c.source.strip()]
    assert code and all(c.ran for c in code), f"{path.name}: cells not run: {[c.index for c in code if not c.ran]}"
    problems = output_problems(cells)
    assert not problems, f"{path.name}:\n" + "\n".join(problems)

    # every plot stored in the file is drawn again, visibly (output_problems checked the sizes)
    stored_images = sum(1 for c in stored for o in c.get("outputs", [])
                        if any(k.startswith("image/") for k in o.get("data", {})))
    shown_images = sum(len(o["images"]) for c in cells for o in c.outputs)
    assert shown_images >= stored_images, f"{path.name}: {stored_images} pictures stored, {shown_images} shown"

    # each cell that makes a widget shows it live, with a size, and every control in it has a name
    names = conv.factory_names()
    widget_cells = [i for i, c in enumerate(stored)
                    if c["cell_type"] == "code" and conv.displays_widget("".join(c["source"]), names)]
    for i in widget_cells:
        assert any(o["widget"] for o in cells[i].outputs), f"{path.name}: cell {i} shows no live widget"
    views = lab.widget_outputs()
    assert views.count() >= len(widget_cells)
    for k in range(views.count()):
        view = views.nth(k)
        box = view.bounding_box()
        assert box and box["width"] > 50 and box["height"] > 20, f"{path.name}: widget {k} has no size: {box}"
        unnamed = [c for c in view.evaluate(_ACCESSIBLE_NAMES_JS) if not c["name"]]
        assert not unnamed, f"{path.name}: widget {k} has controls without an accessible name: {unnamed}"


def test_the_output_check_sees_what_a_student_must_not_see() -> None:
    """The page reading above must catch each failure it is for, or its passes mean nothing."""
    from labdriver import CellView

    def out(mime: str = "text/plain", text: str = "", widget: bool = False, images: list | None = None) -> dict:
        return {"mime": mime, "text": text, "widget": widget, "images": images or []}

    good_img = {"tag": "img", "width": 500, "height": 300, "loaded": True, "hidden": False}
    cells = [
        CellView(0, "code", "[1]:", "print('ok')", [out("application/vnd.jupyter.stdout", "ok")]),
        CellView(1, "code", "[2]:", "plot()", [out("image/png", images=[good_img])]),
        CellView(2, "code", "[3]:", "w", [out("", "runAsUser", widget=True)]),
    ]
    assert output_problems(cells) == []
    bad = [
        CellView(3, "code", "[4]:", "1/0", [out("application/vnd.jupyter.stderr", "ZeroDivisionError Traceback")]),
        CellView(4, "code", "[5]:", "w", [out("text/plain", "VBox(children=(Checkbox(value=False),))")]),
        CellView(5, "code", "[6]:", "w", [out("", "[Open Browser Console for more detailed log - Double click to "
                                               "close this message]\nError displaying widget")]),
        CellView(6, "code", "[7]:", "plot()", [out("image/png", images=[{**good_img, "height": 0}])]),
        CellView(7, "code", "[8]:", "HTML(img)", [out("text/html", images=[{**good_img, "loaded": False}])]),
    ]
    found = output_problems(bad)
    assert [p.split(":")[0] for p in found] == [f"cell {i} ({c.source})" for i, c in
                                                ((c.index, c) for c in bad)], found
