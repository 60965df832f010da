"""``kslab webapp``: the course's webapp image.

    kslab webapp build [--context DIR]   build it from webapp/ (docker or podman), then load it into
                                         the course's kind cluster if that exists
    kslab webapp load                    load an image already built into the kind cluster

With ``KSLAB_WEBAPP_IMAGE`` naming an image in a registry, both say there is nothing to do: the
cluster pulls that image.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("webapp", parents=parents, help="build and load the course's webapp image",
                                   description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    build = sub.add_parser("build", parents=parents, help="build the image (and load it into the kind cluster)")
    build.add_argument("--context", type=Path, help="build context holding the Dockerfile (default: webapp/)")
    sub.add_parser("load", parents=parents, help="load the built image into the course's kind cluster")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kslab.cli.cluster import emit, progress_for
    from kslab.cluster import images

    if args.action == "build":
        outcome = images.build_and_load(context=args.context, progress=progress_for(args))
    else:
        outcome = images.load(progress=progress_for(args))
    emit(args, outcome)
    return 0
