"""The notebooks read well without running (as GitHub shows them), and kslab's widgets are accessible.

No browser and no kernel here: the stored ``.ipynb`` files are read as they are, and each widget is
built headlessly (ipywidgets works without a front end). The conventions checked are written down in
``tests/notebook_conventions.py``; ``tests/browser/`` checks the same notebooks running in JupyterLab.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO / "tools"))
import notebook_conventions as conv  # noqa: E402
import notebooks as nbtool  # noqa: E402

NAV_MARK = "<!-- kslab:navigation -->"
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]-*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]


def _cells(path: Path) -> list[dict[str, Any]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        cell["source"] = "".join(cell["source"])
    return cells


def _example_arguments() -> dict[str, dict[str, Any]]:
    """Arguments for widget factories that need more than a lab: the data their notebook passes."""
    from kslab.rbac import impersonate, scenario, service_account_user

    return {
        "rbac_matrix.matrix_explorer": {
            "policy": scenario.policy(),
            "subjects": {"webapp": service_account_user(scenario.NAMESPACE, scenario.SERVICE_ACCOUNT),
                         "alice": impersonate("alice", ["developers"])},
            "namespaces": [scenario.NAMESPACE, "default"],
        },
    }


def build(qualified: str, factory: Any) -> Any:
    """A widget in its default state, made the way its notebook makes it (offline)."""
    import kslab

    examples = _example_arguments().get(qualified, {})
    kwargs = {}
    for name, param in inspect.signature(factory).parameters.items():
        if name in examples:
            kwargs[name] = examples[name]
        elif name == "lab":
            kwargs[name] = kslab.connect(mode="offline")
        elif param.default is inspect.Parameter.empty and param.kind not in (param.VAR_KEYWORD,
                                                                               param.VAR_POSITIONAL):
            pytest.fail(f"{qualified}: no example value for its required parameter {name!r}; add one to "
                        "_example_arguments() in tests/test_notebook_rendering.py")
    return factory(**kwargs)


def root_widget(obj: Any) -> Any:
    """The ipywidgets tree an object displays: itself, or the largest widget it holds (``.box`` …)."""
    from ipywidgets import Widget

    if isinstance(obj, Widget):
        return obj
    held = [v for v in vars(obj).values() if isinstance(v, Widget)]
    assert held, f"{type(obj).__name__} holds no ipywidgets widget"
    return max(held, key=lambda w: len(list(walk(w))))


def walk(widget: Any) -> Any:
    yield widget
    for child in getattr(widget, "children", ()) or ():
        yield from walk(child)


def controls(widget: Any) -> list[Any]:
    """The parts a student operates (display-only widgets such as HTML and Label are not controls)."""
    import ipywidgets as w

    display_only = (w.HTML, w.HTMLMath, w.Label, w.Output, w.Image, w.Valid)
    return [x for x in walk(widget)
            if isinstance(x, (w.ValueWidget, w.Button)) and not isinstance(x, display_only)]


FACTORIES = conv.widget_factories()


# --- read well without running ---------------------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_stored_notebook_shows_its_offline_outputs(path: Path) -> None:
    cells = _cells(path)
    code = [c for c in cells if c["cell_type"] == "code" and c["source"].strip()]
    assert code, f"{path.name}: no code"
    lab_cell = next(c for c in code if "kslab.connect(" in c["source"])
    lab_text = json.dumps(lab_cell["outputs"])
    assert "OFFLINE" in lab_text or "offline" in lab_text, f"{path.name}: the connect cell does not show offline"
    names = conv.factory_names()
    silent = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code" or not cell["source"].strip():
            continue
        try:
            tree = ast.parse(cell["source"])
        except SyntaxError:
            continue
        shows = (tree.body and isinstance(tree.body[-1], ast.Expr) and not cell["source"].rstrip().endswith(";")
                 and not conv.displays_widget(cell["source"], names))
        if shows and not cell["outputs"]:
            silent.append(f"cell {i}: {cell['source'].strip().splitlines()[-1][:70]}")
    # a cell that ends in an expression shows its value in JupyterLab; stored, it must show it too
    assert not silent, f"{path.name}: cells that end in an expression but store no output: {silent}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_each_widget_cell_stores_its_own_static_rendering(path: Path) -> None:
    """The widget's display bundle carries its starting state (HTML and text), so the stored cell shows
    it without a kernel, and no second, static copy follows it."""
    cells = _cells(path)
    names = conv.factory_names()
    widget_cells = [i for i, c in enumerate(cells)
                    if c["cell_type"] == "code" and conv.displays_widget(c["source"], names)]
    for i in widget_cells:
        outputs = cells[i]["outputs"]
        assert conv.is_static_rendering(outputs), f"{path.name}: widget cell {i} stores no static rendering"
        assert any("text/html" in o.get("data", {}) for o in outputs), f"{path.name}: cell {i}: no HTML"
        prose = " ".join(c["source"] for c in cells if c["cell_type"] == "markdown").lower()
        assert "without a running kernel" not in prose, f"{path.name}: a static copy is announced"


@pytest.mark.parametrize("qualified", sorted(FACTORIES))
def test_static_rendering_is_the_widgets_default_state(qualified: str) -> None:
    """The text a widget cell stores is the widget's own text form for its default state (its display
    bundle's text/plain), so a reader without a kernel sees what the widget would start with."""
    obj = build(qualified, FACTORIES[qualified])
    bundle = obj._repr_mimebundle_()
    assert "text/html" in bundle and "text/plain" in bundle, f"{qualified}: no static rendering in its bundle"
    name = qualified.rsplit(".", 1)[1]
    used = []
    for path in NOTEBOOKS:
        cells = _cells(path)
        for i, cell in enumerate(cells):
            if cell["cell_type"] != "code" or not conv.displays_widget(cell["source"], {name}):
                continue
            call = re.search(rf"{name}\((.*)\)", cell["source"])
            if call and "=" in call.group(1):
                continue  # started from other choices: not the default state
            shown = "".join("".join(o.get("data", {}).get("text/plain", "")) for o in cell["outputs"])
            used.append(path.name)
            if name == "matrix_explorer":  # built from the notebook's own policy: compare the form only
                assert shown.startswith("Identity: "), f"{path.name}: {name} stores no text form"
                continue
            assert shown.split() == bundle["text/plain"].split(), (
                f"{path.name}: the {name} cell does not store the widget's default state")
    if not used:
        pytest.skip(f"no notebook shows {name}() in its default state")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_navigation_line_at_top_and_bottom(path: Path) -> None:
    cells = _cells(path)
    for where, cell in (("first", cells[0]), ("last", cells[-1])):
        assert cell["cell_type"] == "markdown" and cell["source"].startswith(NAV_MARK), (
            f"{path.name}: the {where} cell is not the navigation line")
        links = re.findall(r"\]\(([^)]+)\)", cell["source"])
        assert "../README.md#the-notebooks" in links, f"{path.name}: no link to the course index"
        for link in links:
            target = (path.parent / link.split("#")[0]).resolve()
            assert target.exists(), f"{path.name}: navigation links to missing {link}"
    course = [f"{src.stem}.ipynb" for src in nbtool.sources()]  # the order the sources define
    position = course.index(path.name)
    links = re.findall(r"\]\(([^)#]+\.ipynb)\)", cells[0]["source"])
    expected = course[max(position - 1, 0):position] + course[position + 1:position + 2]
    assert links == expected, f"{path.name}: navigation should lead to {expected}, leads to {links}"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^## The notebooks\s*$", readme, re.M), "README has no '## The notebooks' section"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_stored_text_tables_fit_the_window(path: Path) -> None:
    """Text laid out in columns is no wider than a notebook shows in a 1400-pixel window."""
    wide = []
    for i, cell in enumerate(_cells(path)):
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            wide += [f"cell {i} ({len(line)} chars): {line[:90]}" for line in conv.too_wide_table_lines(text)]
    assert not wide, f"{path.name}: table lines wider than {conv.TEXT_FITS} characters wrap: {wide[:5]}"


def test_the_width_check_sees_a_table_too_wide() -> None:
    """The check must catch the side-by-side table as it was (175 characters), and let prose through."""
    from kslab.views.tables import format_table

    rows = [{"fact": "who talks to whom", **{f"capture {k}": "127.0.0.1:46118 → 127.0.0.1:9080" for k in range(4)}}]
    wide = format_table(rows, list(rows[0]))
    assert len(wide.splitlines()[1]) > conv.TEXT_FITS and conv.too_wide_table_lines(wide)
    assert not conv.too_wide_table_lines(format_table(rows, list(rows[0]), wrap={c: 20 for c in rows[0]}))
    assert not conv.too_wide_table_lines("Then: In 2019 --insecure-port=0 switched off the plain port. " * 5)


# --- accessibility ---------------------------------------------------------------------------------

def test_widget_factories_are_found() -> None:
    """The checks below run on every widget: make sure there are widgets to run them on."""
    modules = {q.split(".")[0] for q in FACTORIES}
    assert {"security_context", "apiserver_flags"} <= modules, sorted(FACTORIES)


@pytest.mark.parametrize("qualified", sorted(FACTORIES))
def test_every_widget_control_has_a_label(qualified: str) -> None:
    tree = root_widget(build(qualified, FACTORIES[qualified]))
    found = controls(tree)
    assert found, f"{qualified}: no controls"
    unlabelled = [f"{type(c).__name__}({getattr(c, 'value', '')!r})" for c in found
                  if not (str(getattr(c, "description", "") or "").strip("\u200b ")
                          or str(getattr(c, "tooltip", "") or "").strip())]
    assert not unlabelled, f"{qualified}: controls without a description or tooltip: {unlabelled}"


@pytest.mark.parametrize("qualified", sorted(FACTORIES))
def test_every_choice_shows_what_is_chosen(qualified: str) -> None:
    """A dropdown (or any single choice) shows its current option: none starts out blank (ipywidgets
    treats an option whose value is None as "nothing selected", so kslab's "unset" options use UNSET)."""
    import ipywidgets as w

    tree = root_widget(build(qualified, FACTORIES[qualified]))
    blank = [c.description for c in controls(tree)
             if isinstance(c, (w.Dropdown, w.Select, w.RadioButtons, w.ToggleButtons)) and c.index is None]
    assert not blank, f"{qualified}: choices shown blank: {blank}"


def _states(tree: Any) -> Any:
    """The default state, then each control moved to each of its other values, one at a time."""
    yield "default"
    for control in controls(tree):
        if not hasattr(control, "value"):  # a button (e.g. Apply, offered offline where a local sandbox runs)
            continue
        original = control.value
        options = getattr(control, "options", None)
        if isinstance(original, bool):
            values: list[Any] = [not original]
        elif options is not None and not isinstance(original, tuple):
            values = [o[1] if isinstance(o, tuple) else o for o in options]
        elif options is not None:  # a multiple selection: each option alone, and none
            values = [(o[1] if isinstance(o, tuple) else o,) for o in options] + [()]
        else:
            continue
        for value in values:
            if value == original:
                continue
            control.value = value
            yield f"{control.description}={value!r}"
        control.value = original


@pytest.mark.parametrize("qualified", sorted(FACTORIES))
def test_widget_never_signals_with_colour_alone(qualified: str) -> None:
    import ipywidgets as w

    tree = root_widget(build(qualified, FACTORIES[qualified]))
    problems = []
    for state in _states(tree):
        for part in walk(tree):
            if isinstance(part, (w.HTML, w.HTMLMath)) and part.value:
                problems += [f"{state}: {p}" for p in conv.colour_only_problems(part.value)]
    assert not problems, f"{qualified}: " + "; ".join(sorted(set(problems))[:10])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_stored_html_never_signals_with_colour_alone(path: Path) -> None:
    problems = []
    for i, cell in enumerate(_cells(path)):
        for out in cell.get("outputs", []):
            html_text = "".join(out.get("data", {}).get("text/html", ""))
            problems += [f"cell {i}: {p}" for p in conv.colour_only_problems(html_text)]
    assert not problems, f"{path.name}: {problems[:10]}"


def test_the_colour_check_sees_colour_without_words() -> None:
    """The check itself must catch what it is for, or the passes above mean nothing."""
    assert conv.colour_only_problems('<table><tr><td>x</td><td style="background:#d1f0d6"></td></tr></table>')
    assert conv.colour_only_problems('<span style="color: rgb(207, 34, 46)">●</span>')
    assert conv.colour_only_problems("<div style='border-left:4px solid orange'>baseline</div>")
    assert not conv.colour_only_problems("<div style='border-left:4px solid orange'>baseline: WARN</div>")
    assert not conv.colour_only_problems('<td style="color:#6e7781;background:#f6f8fa">grey is not a signal</td>')
    assert not conv.colour_only_problems('<tr><th>pods</th><td style="background:#f8d7da">no</td></tr>')


def test_the_widget_cell_convention() -> None:
    names = {"security_context_widget", "matrix_explorer"}
    assert conv.displays_widget("from x import security_context_widget\n\nsecurity_context_widget(lab)", names)
    assert conv.displays_widget("w = mod.matrix_explorer(p, s, n)\nw", names)
    assert conv.displays_widget("display(security_context_widget())", names)
    assert not conv.displays_widget("w = security_context_widget(lab)", names)
    assert not conv.displays_widget("explore(Choices())", names)
    assert conv.is_static_rendering([{"output_type": "stream", "name": "stdout", "text": "a table"}])
    assert not conv.is_static_rendering([{"output_type": "execute_result",
                                          "data": {"text/plain": "VBox(children=(Checkbox(value=False),))"}}])
    assert not conv.is_static_rendering([])


def _entropy_figure() -> Any:
    from kslab.pcap import bundled, summarize
    from kslab.pcap.entropy import plot

    return plot({name: summarize(bundled(f"{name}.pcap"), entropy=True).flows[0]
                 for name in ("plaintext-http", "mtls-tls12", "mtls-tls13")})  # as notebook 05 draws it


def _matrix_figure() -> Any:
    from kslab.rbac import scenario, service_account_user
    from kslab.rbac.matrix import predict_matrix
    from kslab.widgets.rbac_matrix import matrix_figure

    user = service_account_user(scenario.NAMESPACE, scenario.SERVICE_ACCOUNT)
    return matrix_figure(predict_matrix(scenario.policy(), user, namespace=scenario.NAMESPACE))


def _colour_only_in_figure(fig: Any) -> list[str]:
    """Labelled lines told apart by colour alone; image cells (a heatmap) without a word written in them."""
    problems = []
    for ax in fig.axes:
        seen: dict[tuple[str, str], str] = {}
        for line in ax.get_lines():
            label = str(line.get_label())
            if label.startswith("_"):
                continue
            key = (str(line.get_linestyle()), str(line.get_marker()))
            if key in seen:
                problems.append(f"lines {seen[key]!r} and {label!r} differ only in colour")
            seen.setdefault(key, label)
        for image in ax.get_images():
            rows, cols = image.get_array().shape[:2]
            words = [t for t in ax.texts if conv.VERDICT_WORDS.fullmatch(t.get_text().strip())]
            if len(words) < rows * cols:
                problems.append(f"{rows}x{cols} coloured cells, only {len(words)} say their value in words")
    return problems


@pytest.mark.parametrize("make", [
    pytest.param(_entropy_figure, id="pcap.entropy.plot"),
    pytest.param(_matrix_figure, id="rbac_matrix.matrix_figure"),
])
def test_plots_never_signal_with_colour_alone(make: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    fig = make()
    assert fig.axes and (any(ax.get_lines() for ax in fig.axes) or any(ax.get_images() for ax in fig.axes))
    problems = _colour_only_in_figure(fig)
    assert not problems, problems


def test_entropy_plot_names_each_flow_and_its_protocol() -> None:
    import matplotlib

    matplotlib.use("Agg")
    fig = _entropy_figure()
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["client → server", "server → client"]
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["plaintext-http (HTTP)", "mtls-tls12 (TLS 1.2)", "mtls-tls13 (TLS 1.3)", "random bytes"]
