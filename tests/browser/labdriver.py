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
import threading
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
    proc = subprocess.Popen(argv, env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    server = JupyterServer(f"http://127.0.0.1:{port}", token, proc, log)
    listening = _copy_output(proc, log, f"http://127.0.0.1:{port}/")
    if not listening.wait(timeout) or proc.poll() is not None:
        state = f"exited with {proc.returncode}" if proc.poll() is not None else f"did not start in {timeout} s"
        stop_server(server)
        raise RuntimeError(f"JupyterLab {state}:\n{server.log_tail()}")
    # The URL is logged just before the server's event loop starts, and binding the port is that loop's
    # first task: the first requests may be refused. Between tries the wait is on the server process, so
    # a server that exits ends it at once; it ends when /api/status answers.
    for attempt in range(100):
        try:
            server.api("GET", "/api/status", timeout=10)
            return server
        except (urllib.error.URLError, OSError) as exc:
            try:
                proc.wait(timeout=0.02 * (attempt + 1))
            except subprocess.TimeoutExpired:
                continue
            stop_server(server)
            raise RuntimeError(f"JupyterLab exited with {proc.returncode} ({exc}):\n{server.log_tail()}") from None
    stop_server(server)
    raise RuntimeError(f"JupyterLab logged its URL but /api/status never answered:\n{server.log_tail()}")


def _copy_output(proc: subprocess.Popen[bytes], log: Path, address: str) -> threading.Event:
    """Copy the server's output into ``log`` (a thread, for as long as the server runs); the event is set
    once the server has said it listens at ``address`` — or has ended, so a waiter never hangs."""
    said = threading.Event()

    def copy() -> None:
        assert proc.stdout is not None
        with log.open("wb") as out:
            for line in proc.stdout:
                out.write(line)
                out.flush()
                if address.encode() in line:
                    said.set()
        said.set()  # the output ended: the server exited

    threading.Thread(target=copy, name="jupyterlab-log", daemon=True).start()
    return said


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
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
#: The element that scrolls the open notebook.
SCROLLER = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer"
#: The tallest window a screenshot uses (Chromium's limit is a little higher; memory is the real bound).
TALLEST = 16_000

#: Before Run All: note every code cell whose prompt turns to ``[*]`` (queued or running) from now on,
#: so the wait below knows each cell ran again (the stored notebook already shows ``[n]`` prompts).
_WATCH_RUN_JS = f"""
key => {{
  const notebook = document.querySelector('{NOTEBOOK}');
  const seen = new WeakSet();
  const busy = cell => {{
    const prompt = cell && cell.querySelector('.jp-InputArea-prompt');
    if (prompt && prompt.textContent.includes('*')) seen.add(cell);
  }};
  const observer = new MutationObserver(records => records.forEach(r => {{
    const node = r.target.nodeType === Node.ELEMENT_NODE ? r.target : r.target.parentElement;
    busy(node && node.closest('.jp-Cell'));
  }}));
  observer.observe(notebook, {{subtree: true, childList: true, characterData: true}});
  (window.__kslabRuns = window.__kslabRuns || {{}})[key] = {{seen, observer}};
}}
"""
#: True once every code cell with source has shown ``[*]`` since the watch began and now shows ``[n]``,
#: and the status bar says the kernel is idle.
_RAN_JS = f"""
key => {{
  const run = window.__kslabRuns[key];
  const pending = [...document.querySelectorAll('{NOTEBOOK} .jp-Cell.jp-CodeCell')].filter(cell => {{
    const source = (cell.querySelector('.jp-InputArea-editor .cm-content') || {{}}).innerText || '';
    const prompt = (cell.querySelector('.jp-InputArea-prompt') || {{}}).textContent || '';
    return source.trim() && !(run.seen.has(cell) && /\\[\\d+\\]/.test(prompt));
  }});
  const bar = document.querySelector('#jp-main-statusbar');
  if (pending.length || !bar || !/\\bIdle\\b/.test(bar.innerText)) return false;
  run.observer.disconnect();
  return true;
}}
"""
#: What must have finished before the page is read: fonts, every picture in an output, every widget view
#: (no "Loading widget..." placeholder); then the notebook's size, which must stay put for some frames.
_RENDERED_JS = f"""
() => {{
  if (document.fonts.status !== 'loaded') return false;
  const outputs = [...document.querySelectorAll('{NOTEBOOK} .jp-OutputArea-output')];
  if (outputs.some(o => [...o.querySelectorAll('img')].some(img => !img.complete))) return false;
  if (outputs.some(o => o.innerText.includes('Loading widget...'))) return false;
  const n = document.querySelector('{NOTEBOOK}');
  return n ? [n.scrollHeight, n.getBoundingClientRect().width] : false;
}}
"""

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
        """Wait until the status bar says the notebook's kernel is idle (it is started and connected)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: PLC0415

        try:
            self.page.wait_for_function(
                "() => /\\bIdle\\b/.test((document.querySelector('#jp-main-statusbar') || {}).innerText || '')",
                polling=100, timeout=timeout * 1000)
        except PlaywrightTimeout:
            raise AssertionError(f"{self.path}: kernel not idle after {timeout} s (server says "
                                 f"{self.server.kernel_state(str(self.path))!r})") from None

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
        """Run → Run All Cells; wait until every code cell has run again and the kernel is idle, then
        until the outputs have rendered (see :meth:`settle`)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: PLC0415

        key = secrets.token_hex(4)
        self.page.evaluate(_WATCH_RUN_JS, key)
        self.menu("Run", "Run All Cells")
        try:
            self.page.wait_for_function(_RAN_JS, arg=key, polling=200, timeout=timeout * 1000)
        except PlaywrightTimeout:
            pending = [c.index for c in self.cells() if c.type == "code" and c.source.strip() and not c.ran]
            raise AssertionError(f"{self.path}: Run All did not finish in {timeout} s; cells not shown as "
                                 f"run: {pending}") from None
        self.settle()
        return self.cells()

    def settle(self, timeout: float = 30) -> None:
        """Wait until fonts, pictures and widget views have rendered and the notebook's size has stayed
        the same for a few frames. A view that never renders is not waited for beyond ``timeout``: the
        tests' reading of the page then says what is missing."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: PLC0415

        try:
            self.wait_stable(_RENDERED_JS, timeout=timeout)
        except PlaywrightTimeout:
            pass

    def wait_stable(self, probe: str, arg: Any = None, *, frames: int = 3, timeout: float = 30) -> None:
        """Wait until the page function ``probe(arg)`` gives a value other than ``false`` that stays the
        same for ``frames`` animation frames in a row (layout has settled on it)."""
        key = secrets.token_hex(4)
        self.page.wait_for_function(f"""([key, arg]) => {{
            const value = JSON.stringify(({probe})(arg));
            const seen = (window.__kslabStable = window.__kslabStable || {{}});
            if (seen[key] && seen[key].value === value) seen[key].frames += 1;
            else seen[key] = {{value, frames: 0}};
            return value !== 'false' && seen[key].frames >= {frames};
        }}""", arg=[key, arg], polling="raf", timeout=timeout * 1000)

    def cells(self) -> list[CellView]:
        return [CellView(**c) for c in self.page.evaluate(_CELLS_JS)]

    def widget_outputs(self) -> Any:
        """The outputs that are live widget views, in notebook order."""
        return self.page.locator(WIDGET_OUTPUT)

    def at_width(self, width: int, height: int = VIEWPORT["height"]) -> None:
        """Make the window ``width`` × ``height`` pixels and wait until the notebook (or, with another tab
        in front, such as a terminal, the main area) has laid itself out again: the window has that size
        and that element's size has stayed the same for a few frames."""
        self.page.set_viewport_size({"width": width, "height": height})
        self.wait_stable(f"""([w, h]) => {{
            const n = document.querySelector('{NOTEBOOK}') || document.querySelector('#jp-main-dock-panel');
            const r = n && n.getBoundingClientRect();
            return window.innerWidth === w && window.innerHeight === h && r && r.width > 0
              ? [r.width, n.scrollHeight] : false;
        }}""", [width, height])

    def screenshot_notebook(self, name: str, width: int = VIEWPORT["width"]) -> Path:
        """The whole notebook, ``width`` pixels wide, as one tall picture. The window grows to fit it (up
        to :data:`TALLEST` pixels); a longer notebook is photographed in slices, scrolled one window at a
        time, and the slices are joined under the first one's menu and toolbar."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{name}-{width}.png"
        self.at_width(width)
        height = int(self.page.evaluate(f"() => (document.querySelector('{SCROLLER}') || {{}}).scrollHeight || 0"))
        try:
            self.at_width(width, int(min(max(height + 150, 600), TALLEST)))
            box = self.page.evaluate(f"""() => {{ const s = document.querySelector('{SCROLLER}');
                const r = s.getBoundingClientRect();
                return {{top: Math.round(r.top), height: s.clientHeight, total: s.scrollHeight}}; }}""")
            slices, offset = [], 0
            while True:
                self._scroll_notebook_to(offset)
                shown = int(self.page.evaluate(f"() => document.querySelector('{SCROLLER}').scrollTop"))
                clip = None if not slices else {"x": 0, "y": box["top"], "width": width, "height": box["height"]}
                slices.append((shown, self.page.screenshot(clip=clip)))
                if shown + box["height"] >= box["total"]:
                    break
                offset = shown + box["height"]
            if len(slices) == 1:
                target.write_bytes(slices[0][1])
            else:
                _join_slices(target, slices, top=box["top"], total=box["total"], width=width)
        finally:
            self._scroll_notebook_to(0)
            self.at_width(VIEWPORT["width"])
        return target

    def _scroll_notebook_to(self, offset: int) -> None:
        """Scroll the notebook to ``offset`` (or as far as it goes) and wait until it stays there."""
        self.page.evaluate(f"y => {{ document.querySelector('{SCROLLER}').scrollTop = y }}", offset)
        self.wait_stable(f"() => document.querySelector('{SCROLLER}').scrollTop")

    def screenshot(self, locator: Any, name: str) -> Path:
        """One element (a widget, an output) as a picture."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{name}.png"
        height = float(locator.evaluate("e => e.getBoundingClientRect().height"))
        tall = height > VIEWPORT["height"] - 200  # inside JupyterLab's scroller: grow the window to fit it
        if tall:
            self.at_width(VIEWPORT["width"], int(min(height + 300, 16_000)))
        try:
            # Playwright scrolls the element into view and waits until it is visible and stable
            locator.screenshot(path=str(target))
        finally:
            if tall:
                self.at_width(VIEWPORT["width"])
        return target


def _join_slices(target: Path, slices: list[tuple[int, bytes]], *, top: int, total: int, width: int) -> None:
    """One picture from the first screenshot (menu, toolbar and the notebook's top) and the notebook
    slices after it, each pasted at its scroll offset: the notebook from top to bottom."""
    import io  # noqa: PLC0415

    from PIL import Image  # noqa: PLC0415 - comes with matplotlib

    with Image.open(io.BytesIO(slices[0][1])) as first:
        whole = Image.new("RGB", (width, top + total), "white")
        whole.paste(first.convert("RGB"), (0, 0))
    for offset, png in slices[1:]:
        with Image.open(io.BytesIO(png)) as part:
            whole.paste(part.convert("RGB"), (0, top + offset))
    whole.save(target)


#: Every table in an output that is wider than the output area (it runs off the cell), and every
#: exercise check shown before its exercise's question: read from the page after Run All.
_LAYOUT_JS = r"""
() => {
  const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')];
  const wide = [], early = [], cut = [];
  let asked = false;
  cells.forEach((cell, index) => {
    for (const t of cell.querySelectorAll('.jp-OutputArea-output table')) {
      const area = t.closest('.jp-OutputArea-output').getBoundingClientRect();
      const box = t.getBoundingClientRect();
      if (box.right > area.right + 1 || t.scrollWidth > t.clientWidth + 1)
        wide.push({index, table: Math.round(box.width), area: Math.round(area.width),
                   head: (t.innerText || '').slice(0, 60)});
    }
    // kslab's text in HTML outputs and widgets wraps at spaces (JupyterLab's rule for an output's <pre> cuts
    // words anywhere; its own plain-text outputs, .jp-RenderedText, are not kslab's to style)
    for (const p of cell.querySelectorAll('.jp-OutputArea-output pre'))
      if (!p.closest('.jp-RenderedText') && getComputedStyle(p).wordBreak === 'break-all')
        cut.push({index, head: (p.innerText || '').slice(0, 60)});
    const source = (cell.querySelector('.jp-InputArea-editor .cm-content') || {}).innerText || '';
    if (/kslab\.exercise\(/.test(source)) asked = !!cell.querySelector('.jp-OutputArea-output .kslab-question');
    else if (/\bex\.check\(/.test(source) && !asked) early.push({index, source: source.slice(0, 60)});
  });
  return {wide, early, cut};
}
"""


def layout_problems(page: Any) -> list[str]:
    """Tables that overflow their output, text that wraps inside words, and exercise checks shown before
    their question."""
    found = page.evaluate(_LAYOUT_JS)
    return ([f"cell {w['index']}: a table {w['table']} px wide in a {w['area']} px output: {w['head']!r}"
             for w in found["wide"]] +
            [f"cell {c['index']}: text that wraps inside words (word-break: break-all): {c['head']!r}"
             for c in found["cut"]] +
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
