"""The one table helper: HTML that wraps inside its cells (never mid-word), and a readable text form."""

from __future__ import annotations

import re

from kslab.views.tables import Table, format_table, html_block

ROWS = [{"subject": "spiffe://cluster.local/ns/istio-app/sa/bookinfo-productpage", "verdict": "PASS"},
        {"subject": "system:serviceaccount:webapp-rbac:webapp", "verdict": "FAIL"}]


def test_text_form_is_the_aligned_table_with_title_and_note() -> None:
    t = Table(ROWS, ["subject", "verdict"], title="Who:", note="(predicted)", wrap={"subject": 30})
    assert t.text() == "\n".join(["Who:", format_table(ROWS, ["subject", "verdict"], wrap={"subject": 30}),
                                  "(predicted)"])
    assert repr(t) == str(t) == t.text()
    assert max(len(line) for line in t.text().splitlines()) <= 30 + 2 + len("VERDICT")


def test_html_wraps_long_values_at_natural_breaks_only() -> None:
    html = Table(ROWS, ["subject", "verdict"]).html()
    assert "table-layout:auto" in html and "white-space:normal" in html and "word-break:normal" in html
    assert "cluster.<wbr>local/<wbr>ns/<wbr>istio-<wbr>app" in html  # break opportunities after . / -
    cell = re.search(r"<td[^>]*>(spiffe[^<]*(?:<wbr>[^<]*)*)</td>", html).group(1)
    assert cell.replace("<wbr>", "") == ROWS[0]["subject"]  # nothing lost, nothing broken mid-word
    assert "<th" in html and ">SUBJECT<" in html


def test_abbreviated_values_keep_the_whole_value_on_hover_and_in_text() -> None:
    t = Table(ROWS, ["subject", "verdict"], abbreviate={"subject": 20})
    html = t.html()
    assert f'title="{ROWS[0]["subject"]}"' in html and "…" in html
    assert ROWS[0]["subject"] in t.text()


def test_styles_colour_a_cell_whose_word_says_the_same() -> None:
    t = Table(ROWS, ["subject", "verdict"],
              style={"verdict": lambda v: "color:#cf222e" if v == "FAIL" else "color:#1a7f37"})
    assert re.search(r'<td style="[^"]*color:#cf222e">FAIL</td>', t.html())


def test_html_block_escapes_prose_and_embeds_tables() -> None:
    block = html_block("a < b", Table(ROWS, ["verdict"]))
    assert "a &lt; b" in block and "<table" in block and block.count("<table") == 1
