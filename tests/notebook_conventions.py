"""The conventions that make a stored notebook read well, as code the tests share.

**Widget cells.** A widget is made by a function in a ``kslab/widgets/`` module whose name ends in
``widget`` or ``explorer`` (``security_context_widget(lab)``, ``matrix_explorer(...)``). A code cell
*displays a widget* when its last statement is such a call, or a name the cell bound to one, or
``display(...)`` of either. The stored notebook cannot show the widget (its views are stripped), so
the widget's display bundle carries a static rendering of its state (HTML and text) next to the view,
and the widget cell stores that: a non-empty output that is HTML or text, and not a widget's raw repr.

**Text tables fit the window.** JupyterLab wraps a text output at the edge of its area: about
:data:`TEXT_FITS` monospace characters in a 1400-pixel window. A table line wider than that folds over
and its columns fall apart, so kslab wraps long values inside their column instead (or leaves prose,
which may wrap, out of columns).

**Colour is never the only signal.** Wherever kslab's HTML colours something in a status colour (red,
green, amber), the same element, or its table row, also says it in words (PASS/FAIL, yes/no, …).
"""

from __future__ import annotations

import ast
import colorsys
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

FACTORY_NAME = re.compile(r"(widget|explorer)$")
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
RAW_WIDGET_REPR = re.compile(r"^\s*[A-Z]\w*\((children|value|description|layout|options)=")
#: Words that carry a verdict without colour.
VERDICT_WORDS = re.compile(r"\b(pass|passed|fail|failed|warn|info|yes|no|allowed|denied|forbidden|ok|"
                           r"admitted|rejected|blocked|works|stopped|true|false)\b|[✓✔✗✘]", re.I)


def widget_factories() -> dict[str, Callable[..., Any]]:
    """Every widget-making function of ``kslab.widgets``, by name (``module.function``)."""
    import kslab.widgets as package

    found: dict[str, Callable[..., Any]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"kslab.widgets.{info.name}")
        for name, obj in vars(module).items():
            if (inspect.isfunction(obj) and obj.__module__ == module.__name__ and not name.startswith("_")
                    and FACTORY_NAME.search(name)):
                found[f"{info.name}.{name}"] = obj
    return found


def factory_names() -> set[str]:
    return {qualified.rsplit(".", 1)[1] for qualified in widget_factories()}


def _called_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute):
            return func.attr
    return None


def displays_widget(source: str, factories: set[str]) -> bool:
    """Whether a code cell's last statement shows a widget made by one of ``factories``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return False
    bound = {t.id for stmt in tree.body if isinstance(stmt, ast.Assign) and _called_name(stmt.value) in factories
             for t in stmt.targets if isinstance(t, ast.Name)}

    def is_widget(node: ast.AST) -> bool:
        return _called_name(node) in factories or (isinstance(node, ast.Name) and node.id in bound)

    last = tree.body[-1].value
    if is_widget(last):
        return True
    return _called_name(last) == "display" and any(is_widget(a) for a in last.args)  # type: ignore[attr-defined]


def is_static_rendering(outputs: list[dict[str, Any]]) -> bool:
    """Stored outputs that show something without a kernel: an image, HTML or text, not a widget."""
    for out in outputs:
        if out.get("output_type") == "stream" and str(out.get("text", "")).strip():
            return True
        data = out.get("data", {})
        if WIDGET_MIME in data:
            continue
        if any(k.startswith("image/") for k in data) or "text/html" in data:
            return True
        text = "".join(data.get("text/plain", ""))
        if text.strip() and not RAW_WIDGET_REPR.match(text):
            return True
    return False


# --- colour ---------------------------------------------------------------------------------------------

_NAMED = {"red": "#ff0000", "green": "#008000", "orange": "#ffa500", "yellow": "#ffff00", "crimson": "#dc143c",
          "darkred": "#8b0000", "darkgreen": "#006400", "lime": "#00ff00", "limegreen": "#32cd32",
          "firebrick": "#b22222", "gold": "#ffd700", "tomato": "#ff6347", "salmon": "#fa8072",
          "lightgreen": "#90ee90", "lightcoral": "#f08080", "seagreen": "#2e8b57", "forestgreen": "#228b22"}
_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|rgba?\([^)]*\)|\b(" + "|".join(_NAMED) + r")\b", re.I)
_PROPS = re.compile(r"(?:^|;)\s*(color|background(?:-color)?|border(?:-left|-right|-top|-bottom)?(?:-color)?)"
                    r"\s*:\s*([^;]+)", re.I)


def _rgb(token: str) -> tuple[float, float, float] | None:
    token = _NAMED.get(token.lower(), token)
    if token.startswith("#"):
        h = token[1:]
        if len(h) in (3, 4):
            h = "".join(c * 2 for c in h[:3])
        return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]
    nums = re.findall(r"[\d.]+", token)
    if len(nums) >= 3:
        return tuple(float(n) / 255 for n in nums[:3])  # type: ignore[return-value]
    return None


def status_colour(style: str) -> str | None:
    """The status colour (red/green/amber) an inline style uses, or None for neutral colours."""
    for _prop, value in _PROPS.findall(style or ""):
        for m in _COLOUR.finditer(value):
            rgb = _rgb(m.group(0))
            if rgb is None:
                continue
            hue, light, sat = colorsys.rgb_to_hls(*rgb)
            if sat < 0.25 or light > 0.97 or light < 0.08:
                continue  # grey, white, black: not a signal
            degrees = hue * 360
            if degrees < 20 or degrees >= 330:
                return "red"
            if degrees < 65:
                return "amber"
            if 75 <= degrees < 170:
                return "green"
    return None


class _Element:
    def __init__(self, tag: str, style: str, parent: _Element | None) -> None:
        self.tag, self.style, self.parent = tag, style, parent
        self.text: list[str] = []

    def all_text(self) -> str:
        return "".join(self.text)


class _ColourWalker(HTMLParser):
    VOID = {"br", "img", "hr", "input", "meta", "link", "col", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[_Element] = []
        self.coloured: list[tuple[_Element, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        style = dict(attrs).get("style") or ""
        el = _Element(tag, style, self.stack[-1] if self.stack else None)
        colour = status_colour(style)
        if colour:
            self.coloured.append((el, colour))
        if tag not in self.VOID:
            self.stack.append(el)
        self.handle_data(" ")  # tags separate words, as the page shows them

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.handle_data(" ")
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        for el in self.stack:
            el.text.append(data)


def colour_only_problems(html_text: str) -> list[str]:
    """Places where a status colour carries meaning that no word next to it repeats.

    >>> colour_only_problems('<tr><td style="background:#cf222e">FAIL</td></tr>')
    []
    >>> colour_only_problems('<tr><td>1.2.3</td><td style="background:#1a7f37"></td></tr>')
    ['green <td> without a verdict word: row "1.2.3"']
    """
    walker = _ColourWalker()
    walker.feed(html_text)
    walker.close()
    problems = []
    for el, colour in walker.coloured:
        if VERDICT_WORDS.search(el.all_text()):
            continue
        row = el
        while row is not None and row.tag != "tr":
            row = row.parent
        if row is not None and VERDICT_WORDS.search(row.all_text()):
            continue
        context = " ".join((row or el).all_text().split())[:80]
        problems.append(f'{colour} <{el.tag}> without a verdict word: row "{context}"')
    return problems


# --- width ----------------------------------------------------------------------------------------------

#: Monospace characters a line of cell output shows in JupyterLab in a 1400-pixel window (13-pixel
#: font, with the prompt column; measured on the course's screenshots: about 150), less a margin.
TEXT_FITS = 145
#: A line laid out in columns: two or more gaps of at least two spaces between words.
_COLUMN_GAP = re.compile(r"\S {2,}(?=\S)")


def too_wide_table_lines(text: str, fits: int = TEXT_FITS) -> list[str]:
    """The lines of a text output that are laid out in columns and wider than the window.

    >>> too_wide_table_lines("a  b  " + "c" * 200)[0][:8]
    'a  b  cc'
    >>> too_wide_table_lines("prose " * 50)
    []
    """
    return [line for line in text.splitlines() if len(line) > fits and len(_COLUMN_GAP.findall(line)) >= 2]
