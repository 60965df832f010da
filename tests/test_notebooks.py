"""The stored notebooks: built from their sources, free of secrets, errors and widget state, and
following the course template. (nbval executes them; this checks what is stored.)"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
import notebooks as nbtool  # noqa: E402

SECTIONS = ("Goal", "Background", "Lab", "Then vs now", "Exercises", "Clean up")
SOURCES = nbtool.sources()


def test_stored_notebooks_match_their_sources_and_are_clean() -> None:
    assert nbtool.check() == []


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_notebook_follows_the_template(src: Path) -> None:
    nb = json.loads((REPO / "notebooks" / f"{src.stem}.ipynb").read_text())
    headings = [line[3:].strip() for c in nb["cells"] if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines() if line.startswith("## ")]
    positions = []
    for section in SECTIONS:
        found = [i for i, h in enumerate(headings) if h.split(" — ")[0].split(":")[0].strip() == section]
        assert found, f"{src.stem}: no '## {section}' section"
        positions.append(found[0])
    assert positions == sorted(positions), f"{src.stem}: sections out of order"
    code = [("".join(c["source"])) for c in nb["cells"] if c["cell_type"] == "code"]
    assert re.search(r"kslab\.connect\(", code[0]), f"{src.stem}: first code cell must connect"
    checked = [c for c in nb["cells"] if "nbval-check-output" in c.get("metadata", {}).get("tags", [])]
    assert checked, f"{src.stem}: no checked result cell (tag nbval-check-output)"
    assert not any("NBVAL_" in "".join(c["source"]) for c in nb["cells"]), f"{src.stem}: nbval comment"


def test_the_secret_scanner_catches_tokens_and_keys() -> None:
    """The scanner itself must work, or the clean result above means nothing."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    fake_jwt = "eyJhbGciOiJSUzI1NiJ9" + "." + "eyJzdWIiOiJzeXN0ZW0ifQ" + "." + "abcdefghijklmnop"
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=fake_jwt),
                    nbformat.v4.new_output("stream", name="stdout",
                                           text="-----BEGIN RSA " + "PRIVATE KEY-----"),
                    nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=[])]
    nb.cells.append(cell)
    problems = nbtool._clean_outputs(nb)
    assert sum("token or private key" in p for p in problems) == 2
    assert any("ValueError" in p for p in problems)


def _exercise_id(source: str) -> str | None:
    m = re.search(r"kslab\.exercise\(\"([^\"]+)\"\)", source)
    return m.group(1) if m else None


def _text_of(outputs: list) -> str:
    return "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")) +
                   "".join(o.get("data", {}).get("text/html", "")) for o in outputs)


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_every_exercise_shows_its_question_before_any_check(src: Path) -> None:
    """The cell that makes an exercise shows title, question and answer form; checks come in later cells,
    and after Run All each says "not answered yet" (the stored run counted no attempt)."""
    from kslab.exercises import all_exercises

    known = all_exercises()
    nb = json.loads((REPO / "notebooks" / f"{src.stem}.ipynb").read_text())
    current = None
    shown = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        ex_id = _exercise_id(source)
        if ex_id:
            assert ".check(" not in source, f"{src.stem}: {ex_id} is checked in the cell that shows it"
            out = _text_of(cell["outputs"])
            ex = known[ex_id]
            for part in (ex.title, "Answer with:"):
                assert part in out, f"{src.stem}: {ex_id}'s cell does not show {part!r}"
            current = ex_id
            shown.append(ex_id)
        elif re.search(r"\bex\.check\(", source):
            assert current, f"{src.stem}: a check before any exercise is shown"
            assert "not answered yet" in _text_of(cell["outputs"]), f"{src.stem}: {current}'s stored check"
    assert shown == [e for e in known if e.startswith(src.stem[:2] + ".")], f"{src.stem}: exercises shown"


def test_the_build_notices_attempts_counted_during_run_all(tmp_path: Path) -> None:
    from kslab.exercises import ExerciseSession, all_exercises
    from kslab.exercises.progress import ProgressStore

    store = ProgressStore(tmp_path / "progress-me.json")
    ExerciseSession(all_exercises()["00.psa-default"], store).check(...)
    assert nbtool.counted_attempts(tmp_path) == []
    ExerciseSession(all_exercises()["00.psa-default"], store).check("restricted")
    assert nbtool.counted_attempts(tmp_path) == ["00.psa-default (1)"]
