"""Commands the student types, rendered for their cluster: argv lists shown with ``shlex.join``.

kslab never runs these through a shell. They are data — a list of words — shown as a copyable block
(HTML with a copy button per command in JupyterLab, plain text everywhere else) for the student to paste into a
terminal. Where a step runs *inside* the pod's shell, the block says so.

>>> block = Steps("Get a shell in the webapp's pod", [
...     Command(kubectl("kind-kslab", "kslab-03", "exec", "-it", "webapp-6d9f-abc12", "--", "sh"),
...             where=TERMINAL),
...     Command(("id",), where=POD_SHELL, note="who am I?")])
>>> print(block)
Get a shell in the webapp's pod
  in a terminal (JupyterLab: File > New > Terminal):
    $ kubectl --context kind-kslab -n kslab-03 exec -it webapp-6d9f-abc12 -- sh
  in the pod's shell:
    # id        (who am I?)
"""

from __future__ import annotations

import html
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from kslab.views.styles import CSS_ACCENT, CSS_CODE_BACKGROUND, CSS_MUTED_TEXT
from kslab.views.text import pre

#: Where a command is typed.
TERMINAL = "terminal"
POD_SHELL = "pod"

PROMPTS = {TERMINAL: "$", POD_SHELL: "#"}
WHERE_TITLES = {TERMINAL: "in a terminal (JupyterLab: File > New > Terminal)", POD_SHELL: "in the pod's shell"}

#: How a student gets a terminal next to the notebook (README says the same).
OPEN_A_TERMINAL = ("Open a terminal next to this notebook: in JupyterLab, File > New > Terminal (or the "
                   "Terminal tile in the Launcher, +), then drag its tab to the right half of the window. "
                   "Paste a command with Ctrl+Shift+V (Cmd+V on a Mac).")


def kubectl(context: str | None, namespace: str | None, *args: str, kubeconfig: str | None = None) -> tuple[str, ...]:
    """A kubectl argv with the context (or the kubeconfig) and namespace named, never left to defaults.

    >>> kubectl("kind-kslab", "kslab-03", "get", "pods")
    ('kubectl', '--context', 'kind-kslab', '-n', 'kslab-03', 'get', 'pods')
    >>> kubectl(None, None, "auth", "can-i", "--list", kubeconfig="/home/me/sa.yaml")
    ('kubectl', '--kubeconfig', '/home/me/sa.yaml', 'auth', 'can-i', '--list')
    """
    argv = ["kubectl"]
    if kubeconfig:
        argv += ["--kubeconfig", kubeconfig]
    if context:
        argv += ["--context", context]
    if namespace:
        argv += ["-n", namespace]
    return (*argv, *args)


@dataclass(frozen=True)
class Command:
    """One command: its argv (never a shell string), where it is typed, and an optional note.

    ``typed`` is for a line typed into the pod's own shell that a shell must read (a redirection): the
    student types it there; kslab, doing it for them, runs ``argv`` (which then says ``sh -c``).
    """

    argv: tuple[str, ...]
    where: str = TERMINAL
    note: str = ""
    typed: str = ""

    @property
    def text(self) -> str:
        """The command as the student types it (``shlex.join``: quoted only where a shell needs it).

        >>> Command(("kubectl", "get", "pods", "-l", "app in (web, db)")).text
        "kubectl get pods -l 'app in (web, db)'"
        """
        return self.typed or shlex.join(self.argv)


@dataclass(frozen=True)
class Steps:
    """A titled list of commands: what the student does in one step of a lab."""

    title: str
    commands: Sequence[Command]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def lines(self) -> list[str]:
        out = [self.title]
        where = None
        for cmd in self.commands:
            if cmd.where != where:
                where = cmd.where
                out.append(f"  {WHERE_TITLES[where]}:")
            note = f"        ({cmd.note})" if cmd.note else ""
            out.append(f"    {PROMPTS[cmd.where]} {cmd.text}{note}")
        out += [f"  {n}" for n in self.notes]
        return out

    def copy_text(self, where: str | None = None) -> str:
        """The commands typed in one place, one per line (each line is what its copy button copies)."""
        return "\n".join(c.text for c in self.commands if where in (None, c.where))

    def __str__(self) -> str:
        return "\n".join(self.lines())

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return steps_html(self)


#: One copy button per command: a student pastes and runs one line at a time (a block of several would
#: start ``vi`` or a port-forward and leave the rest waiting behind it).
_BUTTON = ("<button class=\"kslab-copy\" title=\"copy this command to the clipboard\" "
           "onclick=\"navigator.clipboard.writeText(this.closest('.kslab-line').querySelector('pre').innerText)"
           ".then(()=>{this.textContent='copied'})\">copy</button>")


def _line(cmd: Command) -> str:
    note = (f'<div style="margin:0 0 2px 10px;color:{CSS_MUTED_TEXT}"><small>{html.escape(cmd.note)}</small></div>'
            if cmd.note else "")
    return (f'<div class="kslab-line"><div style="display:flex;align-items:flex-start;gap:6px">'
            f'{pre(cmd.text, f"flex:1;background:{CSS_CODE_BACKGROUND};padding:4px 8px;margin:2px 0")}'
            f"{_BUTTON}</div>{note}</div>")


def _block(commands: Iterable[Command], where: str) -> str:
    lines = "".join(_line(c) for c in commands)
    return (f'<div class="kslab-command" data-where="{where}" style="margin:4px 0">'
            f"<div><i>{html.escape(WHERE_TITLES[where])}</i></div>{lines}</div>")


def steps_html(steps: Steps) -> str:
    """The steps as HTML: one copyable block per place the commands are typed, in order."""
    groups: list[tuple[str, list[Command]]] = []
    for cmd in steps.commands:
        if groups and groups[-1][0] == cmd.where:
            groups[-1][1].append(cmd)
        else:
            groups.append((cmd.where, [cmd]))
    body = "".join(_block(cmds, where) for where, cmds in groups)
    notes = "".join(f"<div>{html.escape(n)}</div>" for n in steps.notes)
    return (f'<div class="kslab-steps" style="border-left:4px solid {CSS_ACCENT};padding:2px 8px">'
            f"<b>{html.escape(steps.title)}</b>{body}{notes}</div>")
