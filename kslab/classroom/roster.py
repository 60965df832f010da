"""Who is in the class: a roster of students, each with a name that can be a Kubernetes label.

A roster comes from ``--students N`` (``student-01`` … ``student-N``) or from a file with one name
per line, or a CSV whose ``name``/``username``/``student``/``login``/``email`` column (or first
column) holds the names. Blank lines and lines starting with ``#`` are skipped.

Every name becomes a **DNS-1123 label** (lower-case letters, digits and ``-``, starting and ending
with a letter or digit), because it names the student's namespace and labels every object made for
them. Accents are folded, anything else becomes ``-``. The limit is 48 characters: the same per-field
limit JupyterHub's KubeSpawner keeps for ``{username}`` in its "safe" scheme, so that a hub user
whose name is already such a label finds the Secret named after it. Two names that become the same
label are refused, not merged.

>>> [s.name for s in numbered(3)]
['student-01', 'student-02', 'student-03']
>>> to_label("José  Núñez")
'jose-nunez'
>>> [s.name for s in parse_roster("name,email\\nAda Lovelace,ada@example.org\\nalan,alan@example.org\\n")]
['ada-lovelace', 'alan']
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from kslab.errors import InputError, UsageError, file_error
from kslab.text import brief, clip

#: Longest student name: KubeSpawner's per-field limit for ``{username}`` (its "safe" slug scheme).
MAX_NAME = 48
#: More students than this is surely a mistake (a typo in ``--students``), not a class.
MAX_STUDENTS = 500
#: CSV header cells that name the column holding the students' names, in order of preference.
NAME_COLUMNS = ("username", "user", "login", "name", "student", "email")
#: A roster line holds a name (or a CSV record of a few fields): a longer line is not a roster.
MAX_LINE = 1024
#: 500 students of such lines: a bigger file is not a roster either, and is not read whole.
MAX_ROSTER_BYTES = MAX_STUDENTS * MAX_LINE

@dataclass(frozen=True)
class Student:
    """One student: the label used everywhere (``name``) and the name as the roster wrote it."""

    name: str
    written: str = ""
    line: int = 0

    @property
    def renamed(self) -> bool:
        """True when the roster's spelling had to change to become a label."""
        return bool(self.written) and self.written != self.name


def to_label(text: str) -> str:
    """A DNS-1123 label for a name: accents folded, lower case, runs of other characters as one ``-``.

    >>> to_label("Grace_Hopper@Navy.mil")
    'grace-hopper-navy-mil'
    >>> to_label("日本")
    Traceback (most recent call last):
    ...
    kslab.errors.InputError: '日本' has no letters or digits a Kubernetes name can use
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    label = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    if not label:
        raise InputError(f"{brief(text)} has no letters or digits a Kubernetes name can use",
                         hint="write the name with latin letters or digits (e.g. a login name)")
    if len(label) > MAX_NAME:
        raise InputError(f"{brief(text)} is {len(label)} characters as a label ({clip(label)}); "
                         f"at most {MAX_NAME} fit",
                         hint="use a shorter name, e.g. the student's login")
    return label


def numbered(count: int) -> list[Student]:
    """``student-01`` … ``student-N`` (zero-padded to at least two digits, so they sort).

    >>> numbered(0)
    Traceback (most recent call last):
    ...
    kslab.errors.UsageError: --students must be between 1 and 500, got 0
    """
    if not 1 <= count <= MAX_STUDENTS:
        raise UsageError(f"--students must be between 1 and {MAX_STUDENTS}, got {count}",
                         hint="e.g. --students 30, or --roster FILE with one name per line")
    width = max(2, len(str(count)))
    return [Student(f"student-{i:0{width}d}") for i in range(1, count + 1)]


def _rows(text: str, as_csv: bool | None, source: str = "roster") -> list[tuple[int, str]]:
    """``(line number, name as written)`` for each entry of a plain or CSV roster."""
    lines = [(i, line.strip()) for i, line in enumerate(text.splitlines(), 1)]
    lines = [(i, line) for i, line in lines if line and not line.startswith("#")]
    for i, line in lines:
        if len(line) > MAX_LINE:
            raise InputError(f"{source}: line {i} is {len(line)} characters long; a roster line names one "
                             f"student (at most {MAX_LINE} characters)",
                             hint="give a file with one student per line, or a CSV with a name column")
    if as_csv is None:
        as_csv = any("," in line for _, line in lines)
    if not as_csv:
        return lines
    try:
        records = [(i, next(csv.reader(io.StringIO(line)), [])) for i, line in lines]
    except csv.Error as exc:
        raise InputError(f"{source}: not a CSV file ({exc})", hint="one name per line, or a CSV with a name column") \
            from None
    header = [cell.strip().lower() for cell in records[0][1]] if records else []
    column = next((header.index(c) for c in NAME_COLUMNS if c in header), None)
    if column is not None:
        records = records[1:]
    else:
        column = 0
    return [(i, cells[column].strip() if column < len(cells) else "") for i, cells in records]


def parse_roster(text: str, *, source: str = "roster", as_csv: bool | None = None) -> list[Student]:
    """The students of a roster's text, in its order; InputError naming the line for a bad entry.

    ``as_csv`` None: CSV when a line has a comma (a ``.csv`` file is always read as CSV).

    >>> parse_roster("alice\\nAlice\\n", source="class.txt")
    Traceback (most recent call last):
    ...
    kslab.errors.InputError: class.txt: line 2: 'Alice' and line 1 'alice' are both the student 'alice'
    """
    students: list[Student] = []
    seen: dict[str, Student] = {}
    for line, written in _rows(text, as_csv, source):
        if not written:
            raise InputError(f"{source}: line {line}: no name in the name column",
                             hint="every line names one student")
        try:
            name = to_label(written)
        except InputError as err:
            raise InputError(f"{source}: line {line}: {err.message}", hint=err.hint) from None
        if name in seen:
            first = seen[name]
            raise InputError(f"{source}: line {line}: {brief(written)} and line {first.line} {brief(first.written)} "
                             f"are both the student {name!r}",
                             hint="each student needs a distinct name; add an initial or a number")
        student = Student(name, written, line)
        seen[name] = student
        students.append(student)
    if not students:
        raise InputError(f"{source}: no students in it", hint="one name per line, or a CSV with a name column")
    if len(students) > MAX_STUDENTS:
        raise InputError(f"{source}: {len(students)} students; at most {MAX_STUDENTS} in one classroom",
                         hint="split the class into several rosters")
    return students


def read_roster(path: str | Path) -> list[Student]:
    """The students listed in a roster file (plain list or CSV)."""
    file = Path(path)
    try:
        with file.open("rb") as handle:
            data = handle.read(MAX_ROSTER_BYTES + 1)
        if len(data) > MAX_ROSTER_BYTES:
            raise InputError(f"{file}: larger than {MAX_ROSTER_BYTES // 1024} KiB, which no roster of "
                             f"{MAX_STUDENTS} students is", hint="give a file with one student per line")
        text = data.decode("utf-8-sig")  # a BOM from a spreadsheet export is not a name
    except FileNotFoundError:
        raise InputError(f"{file}: no such roster file", hint="give a file with one student per line") from None
    except OSError as exc:
        raise file_error(file, exc) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{file}: not UTF-8 text (byte {exc.start})", hint="save the roster as UTF-8 text") from None
    return parse_roster(text, source=str(file), as_csv=True if file.suffix.lower() == ".csv" else None)


def choose(students: int | None = None, roster: str | Path | None = None) -> list[Student]:
    """The students from exactly one of ``students`` (a count) or ``roster`` (a file)."""
    if (students is None) == (roster is None):
        raise UsageError("name the class with exactly one of --students N or --roster FILE",
                         hint="e.g. --students 30")
    return numbered(students) if students is not None else read_roster(roster)  # type: ignore[arg-type]
