"""One guided step in a real JupyterLab, as a student does it: notebook 03's hack by hand.

After Run All (offline) the step shows the command for the pod in a copyable block; its copy button
(one per command) puts exactly that command on the clipboard; File > New > Terminal opens a terminal next to the
notebook, as the README says, and the copied command typed there runs (offline kubectl refuses the
placeholder context); the "do it for me" cell says what it predicts, labelled; the exercise
that reads the pod says it is not answered (nothing is counted). Screenshot:
``artifacts/screenshots/03-handson-step.png``.
"""

from __future__ import annotations

import pytest
from labdriver import NOTEBOOKS, LabPage

BY_NUMBER = {p.name[:2]: p.name for p in NOTEBOOKS}
SHELL = "kubectl --context YOUR-CONTEXT -n kslab-03 exec -it WEBAPP-POD -- sh"


def test_03_guided_hack_step_copies_its_command_and_opens_a_terminal(lab: LabPage) -> None:
    if "03" not in BY_NUMBER:
        pytest.skip("notebook 03 is not in notebooks/")
    cells = lab.ensure_run(BY_NUMBER["03"])
    page = lab.page
    lab.touched()  # the clipboard and a terminal change what the next test would reuse

    steps = page.locator(".kslab-steps").first
    steps.scroll_into_view_if_needed()
    blocks = steps.locator(".kslab-command")
    assert blocks.count() == 2  # one block typed in the terminal, one in the pod's shell
    terminal_block = blocks.nth(0)
    assert terminal_block.get_attribute("data-where") == "terminal"
    shown = terminal_block.locator("pre").inner_text().strip()
    assert shown == SHELL
    pod_lines = [t.strip() for t in blocks.nth(1).locator("pre").all_inner_texts()]
    assert pod_lines[0] == "id" and pod_lines[-2] == "/usr/local/bin/become-root id"
    assert blocks.nth(1).locator("button.kslab-copy").count() == len(pod_lines)  # one per command
    lab.screenshot(steps, "03-handson-step")

    # the copy button copies exactly what the block shows
    origin = lab.server.url
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    button = terminal_block.locator("button.kslab-copy")
    button.click()
    page.wait_for_function("b => b.textContent === 'copied'", arg=button.element_handle(), timeout=5_000)
    assert page.evaluate("() => navigator.clipboard.readText()").strip() == SHELL

    # "do it for me" ran under Run All and says what it is: observed in the local sandbox where this machine
    # can run one, predicted otherwise (never a cluster's observation offline); the check counted nothing
    texts = ["\n".join(o["text"] for o in c.outputs) for c in cells]
    do_it = next(t for c, t in zip(cells, texts) if "lab03.do_it_for_me(lab, you)" in c.source)
    assert do_it.startswith(("PREDICTED (offline", "OBSERVED in a local sandbox")), do_it[:200]
    check = next(t for c, t in zip(cells, texts) if "ex.check(..., against=you)" in c.source)
    assert "not answered yet" in check

    # File > New > Terminal opens a terminal, as the notebook tells the student
    lab.menu("File", "New")
    page.locator(".lm-Menu:visible .lm-Menu-item", has=page.locator(".lm-Menu-itemLabel",
                                                                    has_text="Terminal")).first.click()
    term = page.locator(".jp-Terminal").first
    term.wait_for(state="visible", timeout=30_000)
    box = term.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 100

    # and the copied command, pasted there and run, is answered by the real kubectl (or the shell, where
    # kubectl is not installed): offline the placeholder context does not exist, and kubectl says so
    term.locator(".xterm-screen").click()
    read = "() => (document.querySelector('.jp-Terminal .xterm-accessibility-tree') || {}).innerText || ''"
    page.wait_for_function(f"() => ({read})().trim().length > 0", timeout=30_000)  # the shell's prompt
    page.keyboard.type(SHELL)
    page.keyboard.press("Enter")
    answers = ('context "YOUR-CONTEXT" does not exist', "kubectl: command not found", "kubectl: not found")
    page.wait_for_function(f"answers => answers.some(a => ({read})().replace(/\\u00a0/g, ' ').includes(a))",
                           arg=list(answers), timeout=30_000)
    screen = page.evaluate(read).replace("\u00a0", " ")
    assert SHELL in screen  # what was pasted is what ran
    lab.screenshot(term, "03-handson-terminal")
