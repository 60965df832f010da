"""Labs clean up after themselves: everything kslab creates carries two labels, and clean-up deletes
exactly what carries them.

* ``app.kubernetes.io/managed-by: kslab`` — kslab made it;
* ``kslab.dev/lab: <lab>`` — which lab made it.

:meth:`Lab.apply <kslab.cluster.lab.Lab.apply>` adds both labels; :func:`clean` (and
``kslab cluster clean``) deletes by them, so an object you made yourself is never touched, and
running it twice is harmless. Offline there is nothing to clean, and it says so.

>>> from kslab.cluster.lab import Lab
>>> from kslab.cluster.modes import ModeChoice
>>> clean(Lab(ModeChoice("offline", None, False, "offline mode was asked for")), "03")
offline: nothing was created in a cluster, so there is nothing to clean up.
>>> selector("03")
'app.kubernetes.io/managed-by=kslab,kslab.dev/lab=03'
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from kslab import settings
from kslab.errors import InputError
from kslab.text import brief

if TYPE_CHECKING:
    from kslab.cluster.lab import Lab

# A label value: at most 63 characters, alphanumerics with - _ . inside (Kubernetes' own rule).
_LABEL_VALUE = re.compile(r"^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$")


def check_lab_name(lab_id: str) -> str:
    """The lab id, if it can be a label value; InputError otherwise.

    >>> check_lab_name("05")
    '05'
    >>> check_lab_name("lab 5")
    Traceback (most recent call last):
    ...
    kslab.errors.InputError: 'lab 5' cannot be a lab name: it is not a valid label value
    """
    if not _LABEL_VALUE.match(lab_id):
        raise InputError(f"{brief(lab_id)} cannot be a lab name: it is not a valid label value",
                         hint="use letters, digits, '-', '_' or '.', at most 63 characters, e.g. 03")
    return lab_id


def selector(lab_id: str | None) -> str:
    """The label selector clean-up deletes by.

    ``None`` means every lab's objects — but never a classroom's (its namespaces, the students'
    service accounts and bindings): a student cleaning up must not lock themselves out, and an
    instructor's ``--all`` must not end a class; ``kslab classroom delete`` removes those.

    >>> selector(None)
    'app.kubernetes.io/managed-by=kslab,kslab.dev/lab,kslab.dev/lab!=classroom'
    """
    from kslab.classroom.objects import LAB as CLASSROOM

    terms = [f"{k}={v}" for k, v in settings.MANAGED_BY.items()]
    if lab_id is None:
        terms += [settings.LAB_LABEL, f"{settings.LAB_LABEL}!={CLASSROOM}"]
    else:
        terms.append(f"{settings.LAB_LABEL}={check_lab_name(lab_id)}")
    return ",".join(terms)


@dataclass
class CleanupReport:
    """What clean-up removed (``kind/namespace/name``)."""

    lab: str | None
    live: bool
    deleted: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        if not self.live:
            return "offline: nothing was created in a cluster, so there is nothing to clean up."
        which = f"lab {self.lab}" if self.lab else "every lab"
        if not self.deleted:
            return f"nothing left to clean up for {which} (selector {selector(self.lab)})"
        return "\n".join([f"deleted {len(self.deleted)} object(s) of {which}:",
                          *(f"  {d}" for d in self.deleted)])

    __repr__ = __str__


def clean(lab: Lab, lab_name: str | None) -> CleanupReport:
    """Delete what a lab created (``lab_name=None``: every lab), live; offline, say there is nothing.

    Namespaces are deleted last; their deletion finishes in the background. Live on a context that is
    not a lab context (one nobody named explicitly), :class:`~kslab.errors.NotALabContext`: nothing is
    deleted there unless you opt in with ``kslab.connect(context=...)`` or ``KSLAB_CONTEXT``.
    """
    if lab_name is not None:
        check_lab_name(lab_name)
    closer = getattr(lab, "close_port_forwards", None)
    if closer is not None:
        closer()  # port-forwards the lab opened end with it (they would point at deleted pods)
    if not lab.live:
        return CleanupReport(lab_name, live=False)
    # Clean-up deletes: on a context nobody opted in to, refuse as every other mutating path does.
    lab.require_lab(f"cleaning up {f'lab {lab_name}' if lab_name else 'every lab'}")
    return CleanupReport(lab_name, live=True, deleted=lab.delete_lab(lab_name))
