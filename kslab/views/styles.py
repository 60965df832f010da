"""The course's display colours, named for what they mean, in one place: HTML, pictures and terminal.

A colour only ever helps: every cell that is coloured also says its meaning in words (``PASS``,
``yes``, ``stopped``), so a table still reads in a terminal, printed in black and white, or to a
reader who does not see the difference between red and green.

Three forms of one palette:

- plain colours (``GOOD``, ``BAD`` …): GitHub's light palette, for inline HTML styles and matplotlib;
- ``CSS_*`` values for the chrome around results (borders, secondary text, code blocks): JupyterLab's
  own theme variables, so they follow a dark theme, with the plain colour as the fallback where
  JupyterLab's stylesheet is absent (GitHub, nbviewer, VS Code); :func:`tint` puts dark text on a light
  cell background, so a tinted cell reads under a dark theme too;
- terminal colours (:func:`terminal`), only on a terminal and never when ``NO_COLOR`` is set
  (https://no-color.org).

>>> STATUS_COLOURS["FAIL"] == BAD
True
>>> CSS_BORDER
'var(--jp-border-color2, #d0d7de)'
>>> terminal("PASS 1", "good", enabled=True)
'\\x1b[32mPASS 1\\x1b[0m'
>>> terminal("PASS 1", "good", enabled=False)
'PASS 1'
"""

from __future__ import annotations

import os
from typing import Literal, TextIO

#: Text colours (GitHub's palette, readable on white).
GOOD = "#1a7f37"  # green: allowed, passed, stopped the attack
BAD = "#cf222e"  # red: denied, failed, the attack worked
WARNING = "#9a6700"  # amber: manual check, a difference to look at
NEUTRAL = "#6e7781"  # grey: informational, offline, not decided

#: An audit row's status -> its text colour (kube-bench's states).
STATUS_COLOURS = {"PASS": GOOD, "FAIL": BAD, "WARN": WARNING, "INFO": NEUTRAL}

#: Cell backgrounds of an access matrix.
YES_BACKGROUND = "#d1f0d6"  # light green
NO_BACKGROUND = "#f8d7da"  # light red
#: The border of a matrix cell where prediction and observation differ.
DIFF_BORDER = f"3px solid {WARNING}"
#: A thin rule under a table row.
ROW_RULE = "1px solid #d0d7de"

#: The architecture diagram (notebook 01).
CONTROL_PLANE_FILL = "#e8f0fe"  # light blue
NODE_FILL = "#e6f4ea"  # light green
BOX_STROKE = "#5f6368"
COMPONENT_STROKE = "#3c4043"
ARROW = "#1a73e8"

#: Quiet chrome around results: borders, rules, secondary text.
BORDER = "#d0d7de"
MUTED_BORDER = "#8c959f"
MUTED_TEXT = "#57606a"
CODE_BACKGROUND = "#f6f8fa"  # a block of commands to copy
ACCENT = "#0969da"  # blue: steps to follow
#: Progress cells of a class (notebook of the instructor, ``kslab classroom progress``).
PASSED_BACKGROUND = "#dafbe1"  # light green: done
TRIED_BACKGROUND = "#fff8c5"  # light yellow: tried, not passed yet
#: Text on a light tint (GitHub's default text colour): a dark theme's light text would not read there.
TEXT_ON_TINT = "#1f2328"
#: A web page's own canvas, as a browser shows it (the page inside a frame chooses its text colours for it).
PAGE_BACKGROUND = "white"


def themed(variable: str, fallback: str) -> str:
    """A CSS value that follows JupyterLab's theme variable, and is ``fallback`` where there is none.

    >>> themed("--jp-border-color2", BORDER)
    'var(--jp-border-color2, #d0d7de)'
    """
    return f"var({variable}, {fallback})"


#: Chrome in JupyterLab's theme colours (light or dark), GitHub's palette elsewhere. HTML only.
CSS_BORDER = themed("--jp-border-color2", BORDER)
CSS_MUTED_TEXT = themed("--jp-content-font-color2", MUTED_TEXT)
CSS_CODE_BACKGROUND = themed("--jp-cell-editor-background", CODE_BACKGROUND)
CSS_ACCENT = themed("--jp-brand-color1", ACCENT)
#: A thin rule under a table's header row.
CSS_ROW_RULE = f"1px solid {CSS_BORDER}"


def tint(background: str) -> str:
    """Inline CSS for a cell on a light ``background``: dark text on it, so it reads in a dark theme too.

    >>> tint(PASSED_BACKGROUND)
    'background:#dafbe1;color:#1f2328'
    """
    return f"background:{background};color:{TEXT_ON_TINT}"


Meaning = Literal["good", "bad", "warning"]
#: Terminal colours (ANSI SGR codes) by meaning.
ANSI: dict[str, str] = {"good": "\x1b[32m", "bad": "\x1b[31m", "warning": "\x1b[33m"}
ANSI_OFF = "\x1b[0m"


def terminal_colours(stream: TextIO) -> bool:
    """Whether to colour what goes to ``stream``: a terminal, and ``NO_COLOR`` not set (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def terminal(text: str, meaning: Meaning, *, enabled: bool) -> str:
    """``text`` in the terminal colour of ``meaning`` when ``enabled``; unchanged otherwise.

    Escape codes take no room on screen, so columns stay aligned; the words carry the meaning."""
    return f"{ANSI[meaning]}{text}{ANSI_OFF}" if enabled else text
