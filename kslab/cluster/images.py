"""The webapp image: built from ``webapp/`` with docker or podman, and loaded into the course's kind cluster.

A kind cluster cannot see the laptop's images; ``kind load`` copies one into every node. With
docker that is ``kind load docker-image``; podman's images are not in docker's store, so kslab
saves the image to an archive and runs ``kind load image-archive``. When ``KSLAB_WEBAPP_IMAGE``
names an image in a registry, there is nothing to build or load: the cluster pulls it.

>>> is_local_image("localhost/kslab/webapp:1.0"), is_local_image("ghcr.io/acme/webapp:1.0")
(True, False)
>>> build_argv("podman", "localhost/kslab/webapp:1.0", Path("/repo/webapp"))
['podman', 'build', '--tag', 'localhost/kslab/webapp:1.0', '--file', '/repo/webapp/Dockerfile', '/repo/webapp']
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from kslab import settings
from kslab.cluster import tools
from kslab.cluster.changes import Change, Progress
from kslab.cluster.tools import kind_clusters as clusters
from kslab.errors import ClusterUnreachable, InputError

#: The folder the webapp image is built from (next to the package in a checkout).
WEBAPP_DIR = Path(__file__).resolve().parents[2] / "webapp"


def is_local_image(image: str) -> bool:
    """True for an image kslab builds itself (``localhost/...``), False for a registry image."""
    return image == settings.DEFAULT_WEBAPP_IMAGE or image.startswith("localhost/")


def build_argv(engine: str, image: str, context: Path) -> list[str]:
    """The build command: the engine, the tag, the Dockerfile and the build context."""
    return [engine, "build", "--tag", image, "--file", str(context / "Dockerfile"), str(context)]


def load_argvs(engine: str, image: str, cluster: str, archive: Path) -> list[list[str]]:
    """The commands that put a local image into every node of a kind cluster.

    >>> load_argvs("docker", "localhost/kslab/webapp:1.0", "kslab", Path("/tmp/x.tar"))
    [['kind', 'load', 'docker-image', 'localhost/kslab/webapp:1.0', '--name', 'kslab']]
    >>> load_argvs("podman", "localhost/kslab/webapp:1.0", "kslab", Path("/tmp/x.tar"))[1]
    ['kind', 'load', 'image-archive', '/tmp/x.tar', '--name', 'kslab']
    """
    if engine == "docker":
        return [["kind", "load", "docker-image", image, "--name", cluster]]
    return [[engine, "save", "--output", str(archive), image],
            ["kind", "load", "image-archive", str(archive), "--name", cluster]]


def _registry_outcome(image: str) -> Change:
    return Change(False, f"KSLAB_WEBAPP_IMAGE={image} is a registry image: nothing to build or load; "
                          "the cluster pulls it (KSLAB_IMAGE_PULL_POLICY decides when)")


def describe_image(image: str | None = None) -> str:
    """Which webapp image the labs use, and where it comes from.

    >>> describe_image("localhost/kslab/webapp:1.0").split(":", 2)[1]
    '1.0 — a local image'
    >>> describe_image("ghcr.io/acme/webapp:2")
    'ghcr.io/acme/webapp:2 — from a registry (KSLAB_WEBAPP_IMAGE); the cluster pulls it, pull policy IfNotPresent'
    """
    image = image or settings.webapp_image()
    policy = settings.image_pull_policy()
    if is_local_image(image):
        # Only the course's kind cluster gets it loaded by kslab; any other node must already have it.
        return (f"{image} — a local image: `kslab webapp build` builds it from webapp/ and `kslab cluster up` "
                f"loads it into the course's kind cluster (another cluster's node must already have it); "
                f"pull policy {policy}")
    return f"{image} — from a registry (KSLAB_WEBAPP_IMAGE); the cluster pulls it, pull policy {policy}"


def image_present(engine: str, image: str) -> bool:
    """Whether the engine has the image locally."""
    return tools.run([engine, "image", "inspect", image], check=False, timeout=60).returncode == 0


def build(image: str | None = None, *, context: Path | None = None, progress: Progress = print) -> Change:
    """Build the webapp image from ``webapp/`` (whatever its Dockerfile says) with docker or podman."""
    image = image or settings.webapp_image()
    if not is_local_image(image):
        return _registry_outcome(image)
    context = context or WEBAPP_DIR
    if not (context / "Dockerfile").is_file():
        raise InputError(f"no Dockerfile in {context}",
                         hint="build from a kslab checkout (its webapp/ folder), or set KSLAB_WEBAPP_IMAGE "
                              "to an image in a registry")
    provider = tools.provider()
    argv = build_argv(provider.name, image, context)
    progress(f"running: {' '.join(argv)}")
    code, lines = tools.stream(argv, on_line=progress)
    if code != 0:
        raise tools.ToolFailed(f"{provider.name} could not build {image}: "
                               f"{(lines or ['(no output)'])[-1].strip()}", returncode=code,
                               output="\n".join(lines))
    return Change(True, f"built {image} with {provider.name}")


def load(image: str | None = None, *, cluster: str = settings.CLUSTER_NAME, progress: Progress = print,
         missing_ok: bool = False) -> Change:
    """Copy the local webapp image into the kind cluster's nodes.

    ``missing_ok``: an image that was not built yet is a note, not an error (``kslab cluster up``
    uses this, since the image may come later).
    """
    image = image or settings.webapp_image()
    if not is_local_image(image):
        return _registry_outcome(image)
    provider = tools.provider()
    if cluster not in clusters(provider):
        raise ClusterUnreachable(f"no kind cluster named {cluster!r} to load {image} into",
                                 hint="create it with `kslab cluster up`")
    if not image_present(provider.name, image):
        if missing_ok:
            return Change(False, f"{image} is not built yet; `kslab webapp build` builds and loads it")
        raise InputError(f"{provider.name} has no image {image}", hint="build it with `kslab webapp build`")
    with tempfile.TemporaryDirectory(prefix="kslab-image-") as tmp:
        for argv in load_argvs(provider.name, image, cluster, Path(tmp) / "webapp.tar"):
            progress(f"running: {' '.join(argv)}")
            code, lines = tools.stream(argv, on_line=progress, env=provider.env)
            if code != 0:
                raise tools.ToolFailed(f"could not load {image} into {cluster!r}: "
                                       f"{(lines or ['(no output)'])[-1].strip()}", returncode=code,
                                       output="\n".join(lines))
    return Change(True, f"loaded {image} into kind cluster {cluster!r}")


def build_and_load(image: str | None = None, *, context: Path | None = None,
                   cluster: str = settings.CLUSTER_NAME, progress: Progress = print) -> Change:
    """``kslab webapp build``: build the image, then load it if the course cluster exists."""
    image = image or settings.webapp_image()
    built = build(image, context=context, progress=progress)
    if not is_local_image(image):
        return built
    if not tools.which("kind"):
        return Change(True, built.message, ["kind is not installed, so the image stays on this machine"])
    if cluster not in clusters(tools.provider()):
        return Change(True, built.message, [f"no kind cluster {cluster!r} yet: `kslab cluster up` loads it"])
    loaded = load(image, cluster=cluster, progress=progress)
    return Change(True, built.message, [loaded.message])
