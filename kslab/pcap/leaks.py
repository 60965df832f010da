"""What an eavesdropper on the wire learns from a flow: the checklist, as a table of rules.

Each row of :data:`LEAK_RULES` is a fact someone capturing the traffic might want, which flows it
applies to, and how to read it off a :class:`~kslab.pcap.facts.FlowSummary`: the value when it is
visible, or why it is not. Plaintext HTTP gives everything away; TLS 1.2 hides the payload but shows
both certificates; TLS 1.3 hides the certificates too, leaving the ClientHello's SNI and ALPN, the
chosen version and cipher, and sizes and timing; a STARTTLS shows everything said before it.

>>> [rule.fact for rule in LEAK_RULES if rule.applies == "tls"][:2]
['server name (SNI)', 'protocols offered (ALPN)']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kslab.pcap.text import human_bytes, shortened

if TYPE_CHECKING:
    from kslab.pcap.facts import FlowSummary, TlsFacts
    from kslab.pcap.http import HttpMessage


@dataclass(frozen=True)
class Leak:
    """One fact and whether an eavesdropper sees it (with its value) or not (with why)."""

    fact: str
    visible: bool
    value: str

    def to_dict(self) -> dict[str, Any]:
        return {"fact": self.fact, "visible": self.visible, "value": self.value}


#: Which flows a rule applies to, by name.
APPLIES: dict[str, Callable[[FlowSummary], bool]] = {
    "all": lambda f: True,
    "http": lambda f: f.protocol == "HTTP" or f.http_also,
    "tls": lambda f: f.tls is not None,
    "prelude": lambda f: f.prelude is not None,
    "other": lambda f: f.protocol == "other",
}


# ---- reading each fact off a flow: (visible?, value or why not) --------------------------------------
def _tls(f: FlowSummary) -> TlsFacts:
    assert f.tls is not None
    return f.tls


def _http(f: FlowSummary, what: Callable[[HttpMessage], str | None], side: str = "request") -> tuple[bool, str]:
    msgs = f.requests if side == "request" else f.responses
    values = [v for m in msgs if (v := what(m))]
    return (True, "; ".join(dict.fromkeys(values))) if values else (False, "none in the capture")


def endpoints(f: FlowSummary) -> tuple[bool, str]:
    return True, f"{f.client} → {f.server}"


def sizes(f: FlowSummary) -> tuple[bool, str]:
    return True, (f"{human_bytes(f.payload_bytes[0])} → / ← {human_bytes(f.payload_bytes[1])} "
                  f"in {f.packets[0] + f.packets[1]} packets over {f.duration:.3f} s")


def request_lines(f: FlowSummary) -> tuple[bool, str]:
    return _http(f, lambda m: f"{m.method} {m.target}")


def host_headers(f: FlowSummary) -> tuple[bool, str]:
    return _http(f, lambda m: m.header("host"))


def header_names(f: FlowSummary) -> tuple[bool, str]:
    return _http(f, lambda m: ", ".join(k for k, _ in m.headers) or None)


def status_lines(f: FlowSummary) -> tuple[bool, str]:
    return _http(f, lambda m: m.start_line, "response")


def response_bodies(f: FlowSummary) -> tuple[bool, str]:
    return _http(f, lambda m: shortened(m.body_text(), 120) or None, "response")


def prelude(f: FlowSummary) -> tuple[bool, str]:
    p = f.prelude
    assert p is not None
    said = "; ".join(line.split(": ", 1)[1] for line in p.lines(3) if not line.endswith("in all)"))
    return True, shortened(f"{p.name} ({p.client_bytes} → / {p.server_bytes} ← bytes): {said}", 200)


def sni(f: FlowSummary) -> tuple[bool, str]:
    name = _tls(f).sni
    return (True, name) if name else (False, "no SNI sent")


def alpn_offered(f: FlowSummary) -> tuple[bool, str]:
    offered = _tls(f).alpn_offered
    return bool(offered), ", ".join(offered) or "none offered"


def versions_offered(f: FlowSummary) -> tuple[bool, str]:
    return True, ", ".join(_tls(f).versions_offered) or "?"


def negotiated(f: FlowSummary) -> tuple[bool, str]:
    t = _tls(f)
    return (True, f"{t.version}, {t.cipher}") if t.version else (False, "no ServerHello in the capture")


def alpn_selected(f: FlowSummary) -> tuple[bool, str]:
    t = _tls(f)
    if t.alpn_selected_visible:
        return True, t.alpn_selected or "(none negotiated)"
    if t.encrypts_handshake:
        return False, "encrypted (in EncryptedExtensions)"
    return False, "no ServerHello in the capture"


def _identity(f: FlowSummary, side: str) -> tuple[bool, str]:
    t = _tls(f)
    certs = t.certificates.get(side) or []
    if certs:
        leaf = certs[0]
        who = ", ".join(leaf.spiffe_ids) or leaf.subject or "(no name)"
        return True, f"{who} (issuer {leaf.issuer or '(empty)'}, {leaf.lifetime_hours:g} h)"
    if t.encrypts_handshake:
        return False, "encrypted (TLS 1.3 encrypts everything after the ServerHello)"
    if side == "client" and not t.certificate_request and t.version:
        return False, "none sent (the server did not ask for one)"
    return False, "not seen in the capture"


def server_identity(f: FlowSummary) -> tuple[bool, str]:
    return _identity(f, "server")


def client_identity(f: FlowSummary) -> tuple[bool, str]:
    return _identity(f, "client")


def tls_contents(f: FlowSummary) -> tuple[bool, str]:
    enc = _tls(f).encrypted
    return False, (f"encrypted: only record sizes show ({enc['client']['records']} → / "
                   f"{enc['server']['records']} ← records)")


def other_contents(f: FlowSummary) -> tuple[bool, str]:
    return (True, "not encrypted by TLS: see the excerpt") if f.excerpts else (False, "no payload")


@dataclass(frozen=True)
class LeakRule:
    """A row of the checklist: the fact, the flows it applies to (a key of :data:`APPLIES`), how to read it."""

    fact: str
    applies: str
    read: Callable[[FlowSummary], tuple[bool, str]]

    def __call__(self, flow: FlowSummary) -> Leak | None:
        if not APPLIES[self.applies](flow):
            return None
        visible, value = self.read(flow)
        return Leak(self.fact, visible, value)


#: The eavesdropper's checklist, in reading order.
LEAK_RULES: tuple[LeakRule, ...] = (
    LeakRule("who talks to whom (addresses, ports)", "all", endpoints),
    LeakRule("how much, and when", "all", sizes),
    LeakRule("request line (method, path)", "http", request_lines),
    LeakRule("Host header", "http", host_headers),
    LeakRule("all headers (cookies, tokens ...)", "http", header_names),
    LeakRule("response status", "http", status_lines),
    LeakRule("response body", "http", response_bodies),
    LeakRule("said in clear before the switch", "prelude", prelude),
    LeakRule("server name (SNI)", "tls", sni),
    LeakRule("protocols offered (ALPN)", "tls", alpn_offered),
    LeakRule("TLS versions offered", "tls", versions_offered),
    LeakRule("negotiated version and cipher", "tls", negotiated),
    LeakRule("protocol selected (ALPN)", "tls", alpn_selected),
    LeakRule("server identity (certificate)", "tls", server_identity),
    LeakRule("client identity (certificate)", "tls", client_identity),
    LeakRule("request and response contents", "tls", tls_contents),
    LeakRule("contents", "other", other_contents),
)


def eavesdropper(flow: FlowSummary) -> list[Leak]:
    """What someone capturing this flow can and cannot read, rule by rule."""
    return [leak for rule in LEAK_RULES if (leak := rule(flow)) is not None]
