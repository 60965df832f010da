"""Settings read from the environment, in one place, with the course's defaults.

Everything a student or instructor can set is an environment variable named ``KSLAB_*``:

====================  =============================================================
``KSLAB_MODE``        ``live``, ``offline`` or ``auto`` (default ``auto``)
``KSLAB_CONTEXT``     the kube context to use; naming it also opts it in as a lab context
``KSLAB_WEBAPP_IMAGE``  the webapp image (default :data:`DEFAULT_WEBAPP_IMAGE`)
``KSLAB_IMAGE_PULL_POLICY``  pull policy for the webapp (default ``IfNotPresent``)
``KSLAB_HOME``        where kslab keeps state: progress, kubeconfigs it writes
``KSLAB_REQUEST_TIMEOUT``  seconds any one API request may take (default 30)
====================  =============================================================

>>> webapp_image({"KSLAB_WEBAPP_IMAGE": "registry.local/webapp:dev"})
'registry.local/webapp:dev'
>>> state_dir({"KSLAB_HOME": "/tmp/k"}).as_posix()
'/tmp/k'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

#: The kind cluster the course creates; its kube context is ``kind-<name>``.
CLUSTER_NAME = "kslab"
LAB_CONTEXT = f"kind-{CLUSTER_NAME}"

#: The course's own webapp image (built from webapp/ by `kslab webapp build`, loaded into kind by `kslab cluster up`).
DEFAULT_WEBAPP_IMAGE = "localhost/kslab/webapp:1.0"

#: Every object kslab creates carries these labels, so clean-up can find exactly them.
MANAGED_BY = {"app.kubernetes.io/managed-by": "kslab"}
LAB_LABEL = "kslab.dev/lab"

#: Field manager name for server-side apply.
FIELD_MANAGER = "kslab"

MODES = ("auto", "live", "offline")


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def requested_mode(env: Mapping[str, str] | None = None) -> str:
    """The mode asked for by ``KSLAB_MODE`` (lower-cased), ``auto`` when unset.

    >>> requested_mode({"KSLAB_MODE": "Offline"})
    'offline'
    """
    return _env(env).get("KSLAB_MODE", "auto").strip().lower() or "auto"


def requested_context(env: Mapping[str, str] | None = None) -> str | None:
    """The context named by ``KSLAB_CONTEXT``, or None.

    >>> requested_context({"KSLAB_CONTEXT": "kind-kslab"})
    'kind-kslab'
    """
    value = _env(env).get("KSLAB_CONTEXT", "").strip()
    return value or None


def webapp_image(env: Mapping[str, str] | None = None) -> str:
    """The webapp image every manifest uses (one setting, ``KSLAB_WEBAPP_IMAGE``)."""
    return _env(env).get("KSLAB_WEBAPP_IMAGE", "").strip() or DEFAULT_WEBAPP_IMAGE


def image_pull_policy(env: Mapping[str, str] | None = None) -> str:
    """Pull policy for the webapp (``KSLAB_IMAGE_PULL_POLICY``, default ``IfNotPresent``).

    >>> image_pull_policy({})
    'IfNotPresent'
    """
    return _env(env).get("KSLAB_IMAGE_PULL_POLICY", "").strip() or "IfNotPresent"


def on_binder(env: Mapping[str, str] | None = None) -> bool:
    """True inside a Binder session (repo2docker sets these variables).

    >>> on_binder({"BINDER_LAUNCH_HOST": "https://mybinder.org/"})
    True
    """
    e = _env(env)
    return bool(e.get("BINDER_LAUNCH_HOST") or e.get("BINDER_REPO_URL"))


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where kslab keeps per-user state, outside the repository.

    ``KSLAB_HOME`` if set, else ``$XDG_STATE_HOME/kslab``, else ``~/.local/state/kslab``.
    """
    e = _env(env)
    if e.get("KSLAB_HOME"):
        return Path(e["KSLAB_HOME"]).expanduser()
    base = e.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base).expanduser() / "kslab"


def kubeconfig_paths(env: Mapping[str, str] | None = None) -> list[Path]:
    """The kubeconfig files kubectl would read: ``$KUBECONFIG`` (path list) or ``~/.kube/config``."""
    value = _env(env).get("KUBECONFIG", "")
    if value:
        return [Path(p).expanduser() for p in value.split(os.pathsep) if p]
    return [Path.home() / ".kube" / "config"]


#: Seconds one API request may take unless ``KSLAB_REQUEST_TIMEOUT`` says otherwise.
DEFAULT_REQUEST_TIMEOUT = 30.0


def request_timeout(env: Mapping[str, str] | None = None) -> float:
    """Seconds any one API request may take before kslab gives up on it (``KSLAB_REQUEST_TIMEOUT``).

    A server that accepts a connection and then never answers must cost a student this long, not
    forever. Watches and long waits set their own, longer, limits.

    >>> request_timeout({}), request_timeout({"KSLAB_REQUEST_TIMEOUT": "5"}), request_timeout({"KSLAB_REQUEST_TIMEOUT": "inf"})
    (30.0, 5.0, 30.0)
    """
    text = _env(env).get("KSLAB_REQUEST_TIMEOUT", "").strip()
    if not text:
        return DEFAULT_REQUEST_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    # Settings sit below the errors (they raise none): a value that is not a sane number of seconds
    # falls back to the default rather than to "no timeout".
    return value if 0 < value <= 3600 else DEFAULT_REQUEST_TIMEOUT
