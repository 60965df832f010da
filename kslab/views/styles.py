"""The course's display colours, named for what they mean, in one place.

A colour only ever helps: every cell that is coloured also says its meaning in words (``PASS``,
``yes``, ``stopped``), so a table still reads in a terminal, printed in black and white, or to a
reader who does not see the difference between red and green.

>>> STATUS_COLOURS["FAIL"] == BAD
True
"""

from __future__ import annotations

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
