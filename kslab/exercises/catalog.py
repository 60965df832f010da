"""Every exercise of the course, found in the notebooks' modules (``kslab/exercises/nbNN.py``, each a
list named ``EXERCISES``), in notebook order.

>>> list(all_exercises())[0]
'00.three-ways'
"""

from __future__ import annotations

import importlib

from kslab.exercises.model import Exercise

#: Notebook number -> module holding its exercises.
NOTEBOOK_MODULES = {f"{n:02d}": f"kslab.exercises.nb{n:02d}" for n in range(6)}


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of the course, by id, in notebook order."""
    found: dict[str, Exercise] = {}
    for module_name in NOTEBOOK_MODULES.values():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        for ex in module.EXERCISES:
            found[ex.id] = ex
    return found
