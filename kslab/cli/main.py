"""Entry point of the ``kslab`` command (also ``python -m kslab``).

Exit codes, for every subcommand: 0 ok / allowed / all pass; 1 denied / violations / failures
found; 2 bad input or usage, with a one-line error and never a traceback.

Each subcommand lives in its own module ``kslab.cli.<name>`` with two functions:
``register(subparsers, parents)`` adds its parser (and sets ``func``), ``run(args) -> int`` does the work.
Modules import heavy libraries inside ``run`` so that ``kslab --help`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from kslab.errors import KslabError, from_exception
from kslab.text import brief

#: Subcommand name -> module. The order is the order ``kslab --help`` lists them.
COMMANDS: dict[str, str] = {
    "doctor": "kslab.cli.doctor",
    "cluster": "kslab.cli.cluster",
    "webapp": "kslab.cli.webapp",
    "pss": "kslab.cli.pss",
    "modernize": "kslab.cli.modernize",
    "audit": "kslab.cli.audit",
    "rbac": "kslab.cli.rbac",
    "pcap": "kslab.cli.pcap",
    "mesh": "kslab.cli.mesh",
    "sandbox": "kslab.cli.sandbox",
    "progress": "kslab.cli.progress",
    "classroom": "kslab.cli.classroom",
}


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit 2), like every other kslab error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (hint: run `{self.prog} --help`)\n")
        raise SystemExit(2)


def build_parser() -> ArgumentParser:
    """The full parser, with every subcommand that is installed."""
    common = ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable output")
    parser = ArgumentParser(
        prog="kslab",
        description="Securing Kubernetes, hands-on: the course's command line.",
        epilog="Exit codes: 0 ok/allowed, 1 denied/violations/failures, 2 bad input or usage.",
    )
    from kslab import __version__

    parser.add_argument("--version", action="version", version=f"kslab {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    for module_name in COMMANDS.values():
        importlib.import_module(module_name).register(subparsers, [common])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (also used by ``python -m kslab``)."""
    for stream in (sys.stdout, sys.stderr):  # a lone surrogate in a name must not kill the output
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    from kslab.cli.output import PrintableStream

    saved = sys.stdout, sys.stderr
    # Everything printed from here on, argparse's own errors included (they quote the arguments).
    sys.stdout, sys.stderr = PrintableStream(sys.stdout), PrintableStream(sys.stderr)
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return _run(args)
    finally:
        sys.stdout, sys.stderr = saved


def _stdin_once(args: argparse.Namespace) -> None:
    """``-`` (standard input) can be read once: named twice in one list of files, it is bad usage."""
    from kslab.errors import UsageError

    for value in vars(args).values():
        if isinstance(value, list) and value.count("-") > 1:
            raise UsageError(f"'-' (standard input) is named {value.count('-')} times",
                             hint="standard input can be read once: give '-' once")


def _run(args: argparse.Namespace) -> int:
    """Run the chosen subcommand; every error it raises ends as one line on stderr."""
    try:
        _stdin_once(args)
        return int(args.func(args) or 0)
    except KslabError as exc:
        sys.stderr.write(f"kslab {args.command}: error: {exc.one_line()}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("kslab: interrupted\n")
        return 130
    except BrokenPipeError:
        # e.g. `kslab pcap summary big.pcap | head`: not an error.
        sys.stderr.close()
        return 0
    except Exception as exc:  # noqa: BLE001 - bad input the layers below did not name, or a bug in kslab
        if os.environ.get("KSLAB_DEBUG"):
            traceback.print_exc()
        known = from_exception(exc)
        if known is not None:
            sys.stderr.write(f"kslab {args.command}: error: {known.one_line()}\n")
            return 2
        sys.stderr.write(
            f"kslab {args.command}: error: internal error: {type(exc).__name__}: {brief(str(exc), limit=200)} "
            "(hint: rerun with KSLAB_DEBUG=1 for the traceback and report it)\n"
        )
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
