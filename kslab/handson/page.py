"""The page the webapp serves, fetched the way a visitor would: over HTTP.

Three paths, tried in order, and the result says which one answered (and why the others did not):

1. the course cluster's NodePort, ``http://127.0.0.1:30080`` (kind maps it to the laptop's loopback);
2. a port-forward kslab opens to the pod, bound to 127.0.0.1 and closed by the lab's clean-up;
3. inside the pod: ``wget`` of the app's own port (still HTTP, as the app serves it), and if even that
   fails, ``cat`` of the file (labelled: read, not served).

>>> added_lines("<p>a</p>\\n", "<p>a</p>\\n<p>hacked</p>\\n")
['<p>hacked</p>']
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kslab.hack import PAGE
from kslab.manifests.webapp import PORT
from kslab.views.styles import CSS_BORDER, PAGE_BACKGROUND
from kslab.views.text import pre

if TYPE_CHECKING:
    from kslab.cluster.lab import Lab

#: The most of a page kslab reads (the webapp's is a few hundred bytes).
MAX_PAGE = 64 * 1024

#: Inside the pod: the app's own HTTP port (busybox wget), then the file itself. No ``-T``: Debian's
#: busybox 1.35 wget crashes (SIGSEGV, exit 139) with it; the exec's own timeout bounds the wait.
WGET = ("wget", "-q", "-O", "-", f"http://127.0.0.1:{PORT}/")
CAT = ("cat", PAGE)


@dataclass(frozen=True)
class Page:
    """A fetched page: its body, which path answered, the URL a browser can open (if any)."""

    body: str
    via: str  # "nodeport", "port-forward", "exec wget", "exec cat", "offline"
    how: str
    url: str = ""
    tried: tuple[str, ...] = field(default_factory=tuple)

    @property
    def served(self) -> bool:
        """Whether the body came over HTTP (not read from the file, not predicted)."""
        return self.via in ("nodeport", "port-forward", "exec wget")

    def text(self) -> str:
        lines = [self.how]
        if self.url:
            lines.append(f"Open it in your browser: {self.url}")
        lines += [f"  (not via {t})" for t in self.tried]
        return "\n".join([*lines, "", self.body.rstrip()])

    def __str__(self) -> str:
        return self.text()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        link = (f' — open it in your browser: <a href="{html.escape(self.url)}" target="_blank">'
                f"{html.escape(self.url)}</a>" if self.url else "")
        tried = "".join(f"<div><small>not via {html.escape(t)}</small></div>" for t in self.tried)
        # The page is the attacker's to write: shown in a sandboxed frame (no scripts, no forms).
        frame = (f'<iframe sandbox="" srcdoc="{html.escape(self.body, quote=True)}" '
                 f'style="width:100%;height:11em;border:1px solid {CSS_BORDER};background:{PAGE_BACKGROUND}"></iframe>')
        return (f'<div class="kslab-page"><div>{html.escape(self.how)}{link}</div>{tried}{frame}'
                f"<details><summary>source</summary>{pre(self.body)}</details></div>")


def added_lines(before: str, after: str) -> list[str]:
    """Lines of ``after`` that ``before`` does not have (what a defacement added), in order."""
    old = set(before.splitlines())
    return [line for line in after.splitlines() if line.strip() and line not in old]


def image_page() -> str | None:
    """The page the image serves as built (``webapp/www/index.html``), when the repository is here."""
    path = Path(__file__).resolve().parents[2] / "webapp" / "www" / "index.html"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def http_get(url: str, *, timeout: float = 5.0) -> str:
    """GET a URL (no proxy: these are loopback addresses) and return its body, at most MAX_PAGE bytes."""
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=timeout) as resp:
        return bytes(resp.read(MAX_PAGE)).decode("utf-8", "replace")


def _fetch_errors() -> tuple[type[BaseException], ...]:
    import http.client

    return (OSError, http.client.HTTPException)  # refused, reset, timed out, or not HTTP at all


def _open_forward(lab: Lab, namespace: str, pod: str) -> Any:
    """The lab's open port-forward to this pod, or a new one."""
    for forward in getattr(lab, "_forwards", []):
        if forward.describe == f"pod {namespace}/{pod} port {PORT}" and not forward.closed:
            return forward
    return lab.port_forward(namespace, pod, PORT)


def fetch(lab: Lab, namespace: str, pod: str, *, node_port_url: str = "", timeout: float = 5.0) -> Page:
    """The page the pod serves now, over the first path that answers (see the module's docstring)."""
    tried: list[str] = []
    errors = _fetch_errors()
    if node_port_url:
        try:
            return Page(http_get(node_port_url, timeout=timeout), "nodeport",
                        f"Served over HTTP at the course cluster's NodePort {node_port_url}", node_port_url)
        except errors as exc:
            tried.append(f"the NodePort {node_port_url}: {exc}")
    try:
        forward = _open_forward(lab, namespace, pod)
    except Exception as exc:  # noqa: BLE001 - the next path is tried; the reason is shown
        tried.append(f"a port-forward: {exc}")
    else:
        try:
            body = http_get(forward.url, timeout=timeout + forward.timeout)
            return Page(body, "port-forward", f"Served over HTTP through kslab's port-forward {forward.url} → "
                        f"{forward.describe} (bound to 127.0.0.1; the lab's clean-up closes it)",
                        forward.url, tuple(tried))
        except errors as exc:
            said = "; ".join(forward.errors[-2:])
            tried.append(f"a port-forward: {exc}" + (f" ({said})" if said else ""))
            lab._forwards.remove(forward)
            forward.close()
    result = lab.exec(namespace, pod, list(WGET), timeout=int(timeout) + 10)
    if result.returncode == 0 and result.stdout:
        return Page(result.stdout[:MAX_PAGE], "exec wget",
                    f"Served over HTTP inside pod {namespace}/{pod} (exec: wget http://127.0.0.1:{PORT}/)",
                    tried=tuple(tried))
    tried.append(f"wget in the pod: {(result.stderr.strip() or f'exit {result.returncode}')[:200]}")
    result = lab.exec(namespace, pod, list(CAT), timeout=int(timeout) + 10)
    if result.returncode == 0:
        return Page(result.stdout[:MAX_PAGE], "exec cat", f"Read from {PAGE} in pod {namespace}/{pod} (exec: cat) — "
                    "the file, not the served page: nothing answered over HTTP", tried=tuple(tried))
    tried.append(f"cat in the pod: {result.stderr.strip()[:200]}")
    return Page("", "none", f"Could not read the page of pod {namespace}/{pod}", tried=tuple(tried))


def offline_page(reason: str) -> Page:
    """Offline: nothing is served; the page the image would serve, labelled as such."""
    body = image_page()
    if body is None:
        return Page("", "offline", f"offline ({reason}): nothing is served, and webapp/www/index.html is not here")
    return Page(body, "offline", f"offline ({reason}): nothing is served. This is the page the image serves "
                                 "(webapp/www/index.html) — live, kslab fetches it from your pod over HTTP")
