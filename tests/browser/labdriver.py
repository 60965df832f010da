"""Drive the course as a student does: a JupyterLab server, a headless Chromium page, Run All, and a
reading of what the page then shows.

Used by ``conftest.py`` (fixtures) and the browser tests. Everything runs on 127.0.0.1; the server's
environment is offline and throw-away; the browser is the system's Chromium.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]-*.ipynb"))
SCREENSHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1000}
#: JupyterLab user settings for the test server: every cell attached to the page (so off-screen
#: outputs have a real size), no blank scroll-past-end area, no news or update checks (no network,
#: no pop-up over the notebook).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "scrollPastEnd": False},
    # the terminal's text in the page (its screen-reader rows), not only painted on a canvas: tests read it
    "@jupyterlab/terminal-extension/plugin": {"screenReaderMode": True},
    # the course's own settings, as make lab, conda and Binder install them (tools/lab_settings.py)
    "@jupyterlab/apputils-extension/notification": json.loads(
        (REPO / "jupyter" / "lab" / "settings" / "overrides.json").read_text())["@jupyterlab/apputils-extension:notification"],
}


def chromium_path() -> str | None:
    """The system Chromium: ``$KSLAB_CHROMIUM``, ``chromium`` on PATH, or /usr/bin/chromium."""
    for candidate in (os.environ.get("KSLAB_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def why_no_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401, PLC0415
    except ImportError:
        return "browser tests need Playwright for Python: .venv/bin/pip install -e '.[test]'"
    if chromium_path() is None:
        return "browser tests need the system Chromium: apt-get install chromium (or set KSLAB_CHROMIUM)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the server ----------------------------------------------------------------------------------------

@dataclass
class JupyterServer:
    """A running JupyterLab: its base URL, token and REST helpers."""

    url: str
    token: str
    process: subprocess.Popen[bytes]
    log: Path

    def api(self, method: str, path: str, body: Any = None, timeout: float = 10) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                     headers={"Authorization": f"token {self.token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def sessions(self) -> list[dict[str, Any]]:
        return list(self.api("GET", "/api/sessions"))

    def kernel_state(self, path: str) -> str:
        """The execution state of the kernel behind the notebook at ``path`` ("none" if there is none)."""
        for s in self.sessions():
            if s.get("path") == path:
                return str(s.get("kernel", {}).get("execution_state"))
        return "none"

    def stop_kernels(self) -> None:
        """Shut down every session and kernel (between notebooks, and before the server stops)."""
        for session in self.sessions():
            try:
                self.api("DELETE", f"/api/sessions/{session['id']}", timeout=30)
            except (urllib.error.URLError, OSError):
                pass
        for kernel in self.api("GET", "/api/kernels"):
            try:
                self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)
            except (urllib.error.URLError, OSError):
                pass

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def course_copy(tmp: Path) -> Path:
    """A copy of the notebooks (and the README they link to) for the server to serve: Run All and
    JupyterLab's autosave then write to the copy, never to the repository's tracked files."""
    root = tmp / "course"
    shutil.copytree(REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy2(REPO / "README.md", root / "README.md")
    return root


def start_server(tmp: Path, *, timeout: float = 90) -> JupyterServer:
    """JupyterLab on 127.0.0.1 (free port, random token), offline, with throw-away Jupyter dirs, serving
    a copy of the notebooks (see :func:`course_copy`)."""
    dirs = {name: tmp / name for name in ("config", "data", "runtime", "settings", "workspaces", "home")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    root = course_copy(tmp)
    for plugin, values in LAB_SETTINGS.items():
        target = dirs["settings"] / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    # nothing of the developer's Jupyter or kslab set-up leaks in: no cluster context, no progress
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "KSLAB_"))}
    env.update({
        "KSLAB_MODE": "offline", "KSLAB_HOME": str(dirs["home"]),
        "JUPYTER_CONFIG_DIR": str(dirs["config"]), "JUPYTER_DATA_DIR": str(dirs["data"]),
        "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]), "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
        "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
    })
    port, token = _free_port(), secrets.token_hex(24)
    argv = [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
            f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False",
            f"--ServerApp.root_dir={root}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # CI and containers are root
    log = tmp / "jupyterlab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    server = JupyterServer(f"http://127.0.0.1:{port}", token, proc, log)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            server.api("GET", "/api/status", timeout=2)
            return server
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                stop_server(server)
                raise RuntimeError(f"JupyterLab did not answer /api/status in {timeout} s:\n"
                                   f"{server.log_tail()}") from None
            time.sleep(0.25)


def stop_server(server: JupyterServer) -> None:
    """Kernels first, then the server's own shutdown; only if that hangs, signals to its process group
    (the server and the kernels it started: processes this module started)."""
    proc = server.process
    if proc.poll() is None:
        try:
            server.stop_kernels()
            server.api("POST", "/api/shutdown", timeout=10)
        except (urllib.error.URLError, OSError):
            pass
    for sig, wait in ((None, 15), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        if sig is not None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
        try:
            proc.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue
    try:  # a kernel that outlived the server shares its process group
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# --- the page ------------------------------------------------------------------------------------------

#: Widget classes whose repr a student would see if the widget manager failed to render them.
RAW_WIDGET_TEXT = re.compile(r"^\s*(VBox|HBox|Box|GridBox|Tab|Accordion|Stack|AppLayout|GridspecLayout|"
                             r"TwoByTwoLayout|Output|HTML|HTMLMath|Label|Button|Checkbox|Dropdown|"
                             r"SelectMultiple|Select|ToggleButtons?|RadioButtons|IntSlider|FloatSlider|Text|"
                             r"Textarea|Image|Play|interactive)\((children|value|description|layout|options|"
                             r"outputs|index)=")
WIDGET_FAILURES = ("Error displaying widget", "A Jupyter widget could not be displayed",
                   "Failed to load model class", "Loading widget...")
#: stderr a fresh machine may print once and that is no fault of the notebook.
BENIGN_STDERR = ("Matplotlib is building the font cache",)
WIDGET_OUTPUT = ".jp-OutputArea-output:has(> .jupyter-widgets)"

_CELLS_JS = """
() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')]
  .map((cell, index) => ({
    index,
    type: cell.classList.contains('jp-CodeCell') ? 'code'
          : (cell.classList.contains('jp-MarkdownCell') ? 'markdown' : 'raw'),
    prompt: (cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '',
    source: (cell.querySelector('.jp-InputArea-editor .cm-content') || {}).innerText || '',
    outputs: [...cell.querySelectorAll('.jp-OutputArea-child > .jp-OutputArea-output')].map(o => ({
      mime: o.getAttribute('data-mime-type') || '',
      text: o.innerText,
      widget: !!o.querySelector(':scope > .jupyter-widgets'),
      images: [...o.querySelectorAll('img, canvas, svg')]
        .filter(e => e.tagName.toLowerCase() !== 'svg' || !e.parentElement.closest('svg'))
        .filter(e => e.tagName.toLowerCase() !== 'svg' || e.getBoundingClientRect().width > 24)  // icons
        .map(e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e); return {
          tag: e.tagName.toLowerCase(), width: r.width, height: r.height,
          loaded: e.tagName.toLowerCase() !== 'img' || (e.complete && e.naturalWidth > 0),
          hidden: s.visibility === 'hidden' || s.display === 'none' || s.opacity === '0'}; }),
    })),
  }))
"""


@dataclass
class CellView:
    """One cell as the page shows it."""

    index: int
    type: str
    prompt: str
    source: str
    outputs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ran(self) -> bool:
        return bool(re.search(r"\[\d+\]", self.prompt))

    def label(self) -> str:
        first = self.source.strip().splitlines()[0][:60] if self.source.strip() else ""
        return f"cell {self.index} ({first})"


class LabPage:
    """JupyterLab in the browser, used as a student uses it: open a notebook, Run All, look."""

    def __init__(self, page: Any, server: JupyterServer) -> None:
        self.page, self.server = page, server
        self.path: str | None = None
        self.last_run: list[CellView] | None = None  # cells after Run All, while nothing was touched

    def ensure_run(self, name: str, *, fresh: bool = False) -> list[CellView]:
        """``name`` open and run top to bottom: reuses the open notebook's run unless ``fresh``."""
        if fresh or self.path != f"notebooks/{name}" or self.last_run is None:
            self.open(name)
            self.last_run = self.run_all()
        return self.last_run

    def touched(self) -> None:
        """Say that a test changed the open notebook (a widget toggled): the next test runs it afresh."""
        self.last_run = None

    def open(self, name: str, folder: str = "notebooks") -> None:
        """Open ``<folder>/<name>`` alone in a fresh workspace and wait until its kernel is idle.
        Kernels of notebooks opened before are shut down first."""
        self.close()
        self.path = f"{folder}/{name}"
        self.page.goto(f"{self.server.url}/lab/tree/{self.path}?reset&token={self.server.token}")
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell")
        if self.page.locator("#jp-left-stack:visible").count():
            self.menu("View", "File Browser")  # hide the file browser: room for the notebook
        self.wait_kernel_idle()

    def wait_kernel_idle(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        status = self.page.locator("#jp-main-statusbar")
        while time.monotonic() < deadline:
            if self.server.kernel_state(str(self.path)) == "idle" and "Idle" in status.inner_text():
                return
            time.sleep(0.25)
        raise AssertionError(f"{self.path}: kernel not idle after {timeout} s")

    def close(self) -> None:
        """Shut the kernels down (the next ``open`` resets the workspace)."""
        self.server.stop_kernels()
        self.path, self.last_run = None, None

    def menu(self, top: str, item: str) -> None:
        """Click a main-menu entry, as a student would: ``menu("Run", "Run All Cells")``."""
        self.page.locator("#jp-menu-panel .lm-MenuBar-item",
                          has_text=re.compile(rf"^{re.escape(top)}$")).click()
        self.page.locator(".lm-Menu:visible .lm-Menu-item", has=self.page.locator(
            ".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(item)}$"))).click()

    def run_all(self, timeout: float = 240) -> list[CellView]:
        """Run → Run All Cells; wait until every code cell has run and the kernel is idle again."""
        self.menu("Run", "Run All Cells")
        deadline = time.monotonic() + timeout
        while True:
            cells = self.cells()
            pending = [c.index for c in cells if c.type == "code" and c.source.strip() and not c.ran]
            if not pending and self.server.kernel_state(str(self.path)) == "idle":
                self.settle()
                return self.cells()
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.path}: Run All did not finish in {timeout} s; "
                                     f"cells still waiting: {pending}")
            time.sleep(0.5)

    def settle(self) -> None:
        """Let widget views, images and fonts finish rendering."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: PLC0415

        try:  # images and widget code are fetched over HTTP; JupyterLab's own polling may never pause
            self.page.wait_for_load_state("networkidle", timeout=5_000)
        except PlaywrightTimeout:
            pass
        self.page.evaluate("() => document.fonts.ready.then(() => true)")
        self.page.wait_for_timeout(300)

    def cells(self) -> list[CellView]:
        return [CellView(**c) for c in self.page.evaluate(_CELLS_JS)]

    def widget_outputs(self) -> Any:
        """The outputs that are live widget views, in notebook order."""
        return self.page.locator(WIDGET_OUTPUT)

    def at_width(self, width: int) -> None:
        """Make the window ``width`` pixels wide (the height stays) and wait until the notebook has laid
        itself out again: its width has followed and stayed the same for two animation frames."""
        self.page.set_viewport_size({"width": width, "height": VIEWPORT["height"]})
        self.page.wait_for_function(
            """w => new Promise(done => {
                 const n = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
                 const before = n ? n.getBoundingClientRect().width : -1;
                 requestAnimationFrame(() => requestAnimationFrame(() => {
                   const after = n ? n.getBoundingClientRect().width : -2;
                   done(window.innerWidth === w && before === after && after > 0);
                 }));
               })""", arg=width)

    def screenshot_notebook(self, name: str, width: int = VIEWPORT["width"]) -> Path:
        """The whole notebook, ``width`` pixels wide, as one tall picture: the viewport grows to fit it,
        then goes back to the usual size."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{name}-{width}.png"
        self.at_width(width)
        height = self.page.evaluate(
            "() => { const n = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) "
            ".jp-WindowedPanel-outer'); return n ? n.scrollHeight : 0 }")
        self.page.set_viewport_size({"width": width, "height": int(min(max(height + 150, 600), 16_000))})
        try:
            self.page.evaluate("() => document.querySelectorAll('.jp-WindowedPanel-outer')"
                               ".forEach(e => { e.scrollTop = 0 })")
            self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            self.page.screenshot(path=str(target))
        finally:
            self.at_width(VIEWPORT["width"])
        return target

    def screenshot(self, locator: Any, name: str) -> Path:
        """One element (a widget, an output) as a picture."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{name}.png"
        height = float(locator.evaluate("e => e.getBoundingClientRect().height"))
        tall = height > VIEWPORT["height"] - 200  # inside JupyterLab's scroller: grow the window to fit it
        if tall:
            self.page.set_viewport_size({"width": VIEWPORT["width"], "height": int(min(height + 300, 16_000))})
        try:
            locator.evaluate("e => e.scrollIntoView({block: 'center'})")
            self.page.wait_for_timeout(300 if tall else 150)
            locator.screenshot(path=str(target))
        finally:
            if tall:
                self.page.set_viewport_size(VIEWPORT)
                self.page.wait_for_timeout(200)
        return target


#: Every table in an output that is wider than the output area (it runs off the cell), and every
#: exercise check shown before its exercise's question: read from the page after Run All.
_LAYOUT_JS = r"""
() => {
  const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')];
  const wide = [], early = [];
  let asked = false;
  cells.forEach((cell, index) => {
    for (const t of cell.querySelectorAll('.jp-OutputArea-output table')) {
      const area = t.closest('.jp-OutputArea-output').getBoundingClientRect();
      const box = t.getBoundingClientRect();
      if (box.right > area.right + 1 || t.scrollWidth > t.clientWidth + 1)
        wide.push({index, table: Math.round(box.width), area: Math.round(area.width),
                   head: (t.innerText || '').slice(0, 60)});
    }
    const source = (cell.querySelector('.jp-InputArea-editor .cm-content') || {}).innerText || '';
    if (/kslab\.exercise\(/.test(source)) asked = !!cell.querySelector('.jp-OutputArea-output .kslab-question');
    else if (/\bex\.check\(/.test(source) && !asked) early.push({index, source: source.slice(0, 60)});
  });
  return {wide, early};
}
"""


def layout_problems(page: Any) -> list[str]:
    """Tables that overflow their output, and exercise checks shown before their question."""
    found = page.evaluate(_LAYOUT_JS)
    return ([f"cell {w['index']}: a table {w['table']} px wide in a {w['area']} px output: {w['head']!r}"
             for w in found["wide"]] +
            [f"cell {e['index']}: an exercise check before its question: {e['source']!r}" for e in found["early"]])


def output_problems(cells: list[CellView]) -> list[str]:
    """Everything in the rendered outputs that a student should not see."""
    problems = []
    for cell in cells:
        for out in cell.outputs:
            text = out["text"]
            if out["mime"] == "application/vnd.jupyter.stderr" and not any(b in text for b in BENIGN_STDERR):
                problems.append(f"{cell.label()}: error or stderr output: {text.strip()[:400]}")
            for failure in WIDGET_FAILURES:
                if failure in text:
                    problems.append(f"{cell.label()}: widget failed to render: {text.strip()[:200]}")
            if not out["widget"] and RAW_WIDGET_TEXT.search(text):
                problems.append(f"{cell.label()}: a widget shown as its raw text: {text.strip()[:120]}")
            for img in out["images"]:
                if img["hidden"] or img["width"] < 2 or img["height"] < 2 or not img["loaded"]:
                    problems.append(f"{cell.label()}: {img['tag']} output is not visible: {img}")
    return problems
