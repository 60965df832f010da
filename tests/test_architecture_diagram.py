"""Notebook 01's architecture picture: drawn from ``COMPONENTS``, one readable arrow per call."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

from kslab.architecture import CALLS, COMPONENTS, Component, diagram_svg

SVG = "{http://www.w3.org/2000/svg}"


def _arrows(svg: str) -> dict[tuple[str, str], ET.Element]:
    """Each arrow by the call its tooltip names (``a → b``)."""
    found = {}
    for el in ET.fromstring(svg).iter():
        if el.get("marker-end"):
            title = el.find(f"{SVG}title")
            assert title is not None and title.text, f"an arrow without a tooltip: {el.attrib}"
            a, b = re.match(r"(.+?) → ([^:]+)", title.text).groups()  # type: ignore[union-attr]
            assert (a, b) not in found, f"{a} → {b} drawn twice"
            found[(a, b)] = el
    return found


def test_every_call_is_one_arrow_and_the_picture_is_labelled() -> None:
    svg = diagram_svg()
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and "control plane and worker node" in (root.get("aria-label") or "")
    calls = {(c.name, peer) for c in COMPONENTS for peer in c.talks_to}
    assert set(_arrows(svg)) == calls
    assert set(CALLS) == calls, "every call says what it is for"
    for comp in COMPONENTS:
        assert f">{comp.name}<" in svg


def test_the_api_server_and_the_kubelet_call_each_other_on_separate_labelled_arrows() -> None:
    svg = diagram_svg()
    arrows = _arrows(svg)
    there, back = arrows[("kube-apiserver", "kubelet")], arrows[("kubelet", "kube-apiserver")]
    ys = [(float(e.get("y1")), float(e.get("y2"))) for e in (there, back)]  # type: ignore[arg-type]
    assert abs(ys[0][0] - ys[1][1]) >= 8 and abs(ys[0][1] - ys[1][0]) >= 8, f"the two arrows overlap: {ys}"
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert CALLS[("kube-apiserver", "kubelet")] in texts and CALLS[("kubelet", "kube-apiserver")] in texts


def test_the_picture_follows_the_data() -> None:
    extra = Component("konnectivity-agent", "node", "a tunnel for the API server's calls", ("kube-apiserver",))
    svg = diagram_svg((*COMPONENTS, extra))
    assert ("konnectivity-agent", "kube-apiserver") in _arrows(svg)
    lonely = tuple(replace(c, talks_to=()) for c in COMPONENTS)
    assert not _arrows(diagram_svg(lonely))
