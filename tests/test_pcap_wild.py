"""What real captures hold and the lab's own never do (issue #17), on captures made here: HTTP as real
servers accept it, SSLv2-format hellos, TLS 1.3 drafts, HelloRetryRequest with the compatibility
ChangeCipherSpec, malformed certificates, captures begun mid-stream, and protocols that start in
clear text and switch to TLS (STARTTLS, PostgreSQL, CONNECT, SOCKS)."""

from __future__ import annotations

import datetime
import struct
from pathlib import Path
from typing import Any

import pytest

from kslab.pcap import summarize
from kslab.pcap import tls_registry as reg
from kslab.pcap.certs import cert_facts
from kslab.pcap.der import children, read_certificate, tlv
from kslab.pcap.http import HttpStream
from kslab.pcap.tls import TlsConnection, build_client_hello
from kslab.pcap.write import PcapWriter, TcpConversation


# ---- building blocks ------------------------------------------------------------------------------
def record(ctype: int, body: bytes, version: int = 0x0303) -> bytes:
    return bytes([ctype]) + struct.pack("!HH", version, len(body)) + body


def handshake(mtype: int, body: bytes) -> bytes:
    return bytes([mtype]) + len(body).to_bytes(3, "big") + body


def server_hello(version: int, cipher: int, *, supported: int | None = None, random: bytes = bytes(32),
                 draft_layout: bool = False) -> bytes:
    exts = struct.pack("!HHH", 43, 2, supported) if supported else b""
    if draft_layout:  # TLS 1.3 drafts <= 21: version, random, cipher, extensions
        body = struct.pack("!H", version) + random + struct.pack("!H", cipher) + struct.pack("!H", len(exts)) + exts
    else:
        body = (struct.pack("!H", version) + random + b"\x00" + struct.pack("!H", cipher) + b"\x00"
                + (struct.pack("!H", len(exts)) + exts if exts else b""))
    return handshake(2, body)


def certificate_message(*ders: bytes) -> bytes:
    entries = b"".join(len(d).to_bytes(3, "big") + d for d in ders)
    return handshake(11, len(entries).to_bytes(3, "big") + entries)


def make_cert(cn: str, dns: str) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Lab, Inc.")])
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(4242).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def der_element(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 128:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def with_explicit_ca_false(der: bytes) -> bytes:
    """The same certificate with basicConstraints written as SEQUENCE { BOOLEAN FALSE }: DER forbids
    encoding a default value, so cryptography refuses it (the signature no longer matches; no reader checks)."""
    _t, cs, ce = tlv(der, 0)
    parts = children(der, cs, ce)
    _tt, ts, te = parts[0]
    fields = children(der, ts, te)
    out_fields = []
    for tag, s, e in fields:
        if tag == 0xA3:
            _et, es, ee = tlv(der, s, e)
            exts = []
            for _x, xs, xe in children(der, es, ee):
                inner = children(der, xs, xe)
                if der[inner[0][1]:inner[0][2]] == bytes.fromhex("551d13"):  # 2.5.29.19
                    value = der_element(0x04, der_element(0x30, der_element(0x01, b"\x00")))
                    ext = der_element(0x06, bytes.fromhex("551d13")) + der_element(0x01, b"\xff") + value
                    exts.append(der_element(0x30, ext))
                else:
                    exts.append(der[xs - 2 - (1 if xe - xs >= 128 else 0) - (1 if xe - xs >= 256 else 0):xe])
            out_fields.append(der_element(0xA3, der_element(0x30, b"".join(exts))))
        else:
            out_fields.append(_whole(der, tag, s, e))
    tbs = der_element(0x30, b"".join(out_fields))
    rest = b"".join(_whole(der, t, s, e) for t, s, e in parts[1:])
    return der_element(0x30, tbs + rest)


def _whole(der: bytes, tag: int, s: int, e: int) -> bytes:
    return der_element(tag, der[s:e])


def capture(tmp_path: Path, name: str, chunks: list[tuple[int, bytes]], *, port: int = 443,
            handshake_seen: bool = True, isn: tuple[int, int] = (0x1000, 0x8000)) -> Path:
    """A pcap of one connection in which each (side, bytes) was written in turn."""
    path = tmp_path / name
    with path.open("wb") as fh:
        w = PcapWriter(fh)
        conv = TcpConversation(w, ("10.0.0.1", 50000), ("10.0.0.2", port), isn=isn)
        if handshake_seen:
            conv.open(0.0)
        else:
            conv.seq = [isn[0] + 1, isn[1] + 1]
        ts = 0.01
        for side, data in chunks:
            conv.send(side, data, ts)
            ts += 0.01
        conv.close(0, ts)
        conv.close(1, ts)
    return path


def only_flow(path: Path) -> Any:
    cap = summarize(path)
    assert len(cap.flows) == 1, [str(f) for f in cap.flows]
    return cap.flows[0]


# ---- HTTP as servers accept it ---------------------------------------------------------------------
def test_http_bare_lf_token_methods_folded_headers() -> None:
    req = HttpStream("request")
    req.data(b"\r\nOPTIONS * HTTP/1.1\nHost: a\n\nCCM_POST /x HTTP/1.\nHost: b\nX-Long: one\n two\n\n")
    assert [(m.method, m.target, m.header("host")) for m in req.messages] == [
        ("OPTIONS", "*", "a"), ("CCM_POST", "/x", "b")]
    assert req.messages[1].header("x-long") == "one two"
    resp = HttpStream("response", req)
    resp.data(b"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\nHTTP/1.1 405 No\nContent-Length: 0\n\n")
    assert [m.status for m in resp.messages] == [200, 405] and resp.messages[0].body == b"abc"


def test_known_methods_alone_or_without_a_version_and_unknown_ones_only_with_one() -> None:
    from kslab.pcap.http import looks_like_request

    req = HttpStream("request")
    req.data(b"OPTIONS\nHost: a\n\nCCM_POST /HTTP/1.1\nHost: b\n\nPROPFIND /d HTTP/1.1\r\n\r\n")
    assert [(m.method, m.target) for m in req.messages] == [("OPTIONS", ""), ("CCM_POST", "/HTTP/1.1"),
                                                            ("PROPFIND", "/d")]
    assert looks_like_request(b"BREW /pot HTTP/1.1\r\n") and not looks_like_request(b"BREW /pot\r\n")
    assert not looks_like_request(b"GET/ HTTP/1.1\r\n") and not looks_like_request(b".GET / HTTP/1.1\r\n")


def test_a_request_line_that_is_not_one_leaves_the_responses_readable(tmp_path: Path) -> None:
    flow = only_flow(capture(tmp_path, "odd.pcap", [(0, b"OPTIONSHTTP/1.1\r\nHost: a\r\n\r\n"),
                                                    (1, b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n")], port=80))
    assert flow.protocol == "HTTP" and [m.status for m in flow.responses] == [400] and not flow.requests
    assert "not an HTTP request line" in flow.http_problems[0]


def test_smtp_is_not_taken_for_http() -> None:
    from kslab.pcap.session import detect

    assert detect(b"EHLO mail.example\r\n", b"220 mx ESMTP\r\n", final=True) == "other"


# ---- TLS in the wild ---------------------------------------------------------------------------------
def sslv2_client_hello(version: int = 0x0301, specs: tuple[int, ...] = (0x000004, 0x010080, 0x000039)) -> bytes:
    spec = b"".join(s.to_bytes(3, "big") for s in specs)
    challenge = bytes(range(16))
    body = b"\x01" + struct.pack("!HHHH", version, len(spec), 0, len(challenge)) + spec + challenge
    return struct.pack("!H", 0x8000 | len(body)) + body


def test_sslv2_format_hello_then_a_tls10_server_with_its_certificate(tmp_path: Path) -> None:
    cert = make_cert("legacy.example", "legacy.example")
    server = record(22, server_hello(0x0301, 0x0004) + certificate_message(cert), 0x0301)
    flow = only_flow(capture(tmp_path, "v2.pcap", [(0, sslv2_client_hello()), (1, server)]))
    t = flow.tls
    assert (t.version, t.cipher, t.sni) == ("TLS 1.0", "TLS_RSA_WITH_RC4_128_MD5", None)
    assert t.ciphers_offered == ["TLS_RSA_WITH_RC4_128_MD5", "SSL_CK_RC4_128_WITH_MD5", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"]
    assert t.certificates["server"][0].subject == "O=Lab\\, Inc.,CN=legacy.example"
    assert any("SSL 2.0 format" in n for n in t.notes)


def test_tls13_draft_versions_are_named_and_encrypt_the_rest() -> None:
    conn = TlsConnection()
    conn.data(0, build_client_hello(sni="d", versions=(0x7F12,)))
    conn.data(1, record(22, server_hello(0x7F12, 0x1301, draft_layout=True)) + record(23, bytes(80)))
    assert conn.version == "TLS 1.3 (draft 18)" and conn.tls13 and not conn.notes
    assert conn.dirs[1].encrypted_records == 1 and conn.dirs[0].encrypted
    late = TlsConnection()  # draft 22 and later: the RFC's layout, the version in supported_versions
    late.data(0, build_client_hello(versions=(0x7F1C,)))
    late.data(1, record(22, server_hello(0x0303, 0x1302, supported=0x7F1C)))
    assert late.version == "TLS 1.3 (draft 28)" and late.tls13


def test_hello_retry_request_with_compatibility_change_cipher_spec() -> None:
    """RFC 8446 section 4.1.4 and appendix D.4: HRR, the server's CCS, the client's CCS, a second
    ClientHello, then the real ServerHello — none of those CCS means encryption has started."""
    conn = TlsConnection()
    conn.data(0, build_client_hello(sni="hrr.example"))
    conn.data(1, record(22, server_hello(0x0303, 0x1302, supported=0x0304, random=reg.HELLO_RETRY_RANDOM))
              + record(20, b"\x01"))
    conn.data(0, record(20, b"\x01") + build_client_hello(sni="hrr.example"))
    conn.data(1, record(22, server_hello(0x0303, 0x1302, supported=0x0304)) + record(23, bytes(40)))
    assert conn.hello_retry and conn.version == "TLS 1.3" and conn.cipher == "TLS_AES_256_GCM_SHA384"
    assert conn.second_client_hello is not None and conn.dirs[1].encrypted_records == 1
    assert ("server", "change_cipher_spec (compatibility)") in conn.events


def test_every_iana_cipher_suite_has_its_name() -> None:
    names = reg.CIPHER_SUITES
    assert len([v for v in names if v <= 0xFFFF]) >= 350
    assert (names[0x0004], names[0x0005], names[0xC011], names[0x0088]) == (
        "TLS_RSA_WITH_RC4_128_MD5", "TLS_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA")
    assert reg.cipher_name(0xC0B4) == "TLS_SHA256_SHA256" and reg.cipher_name(0xFFFE) == "0xfffe"


# ---- certificates the strict parser refuses ----------------------------------------------------------
def test_a_malformed_certificate_is_read_leniently_and_said_to_be_malformed() -> None:
    good = make_cert("strict.example", "strict.example")
    bad = with_explicit_ca_false(good)
    strict, lenient = cert_facts(good), cert_facts(bad)
    assert not strict.malformed and not lenient.error
    assert "default value" in lenient.malformed and "EncodedDefault" in lenient.malformed
    for field in ("subject", "issuer", "not_before", "not_after", "serial", "dns_names", "uris", "key", "is_ca"):
        assert getattr(lenient, field) == getattr(strict, field), field
    assert "malformed" in lenient.one_line() and lenient.to_dict()["malformed"] == lenient.malformed


def test_a_nul_byte_in_a_san_is_shown_as_clients_see_it_and_warned_about() -> None:
    from cryptography import x509

    der = make_cert("x", "good.example")
    # Same length, so no DER length changes: "good.example" -> "good\0example" (the null-prefix trick).
    bad = der.replace(b"good.example", b"good\x00example")
    facts = cert_facts(bad)
    assert facts.dns_names == ("good",)  # what a C-string reader (tshark, a 2009 TLS client) sees
    assert "NUL byte" in facts.malformed and "'good\\x00example'" in facts.malformed
    assert x509.load_der_x509_certificate(bad)  # a strict parser reads it too; the warning is ours


def test_the_lenient_reader_agrees_with_cryptography_on_a_good_certificate() -> None:
    der = make_cert("a+b, \"c\" ", "x.example")
    c = read_certificate(der)
    f = cert_facts(der)
    assert (c["subject"], c["dns_names"], c["key"], c["is_ca"]) == (f.subject, list(f.dns_names), f.key, f.is_ca)


# ---- captures begun mid-stream ---------------------------------------------------------------------------
def test_a_keep_alive_byte_before_the_first_request_is_skipped_with_a_note(tmp_path: Path) -> None:
    path = capture(tmp_path, "mid.pcap", [(0, b"."), (0, b"GET /later HTTP/1.1\r\nHost: h\r\n\r\n"),
                                          (1, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")],
                   port=80, handshake_seen=False)
    flow = only_flow(path)
    assert flow.protocol == "HTTP" and [m.target for m in flow.requests] == ["/later"]
    assert [m.status for m in flow.responses] == [200]
    assert any("1 bytes skipped" in n and "mid-stream" in n for n in flow.notes)


def test_only_the_server_side_of_a_tls_handshake(tmp_path: Path) -> None:
    cert = make_cert("one-side.example", "one-side.example")
    server = record(22, server_hello(0x0303, 0xC02F) + certificate_message(cert))
    flow = only_flow(capture(tmp_path, "oneside.pcap", [(1, server)], handshake_seen=False))
    assert flow.tls.version == "TLS 1.2" and flow.tls.cipher == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
    assert flow.tls.certificates["server"][0].dns_names == ("one-side.example",)


# ---- clear text, then TLS ----------------------------------------------------------------------------------
def tls12_flight(sni: str | None) -> tuple[bytes, bytes]:
    cert = make_cert("mail.example", "mail.example")
    return (build_client_hello(sni=sni, versions=(0x0303,)),
            record(22, server_hello(0x0303, 0xC030) + certificate_message(cert)))


@pytest.mark.parametrize(("name", "before", "port"), [
    ("SMTP STARTTLS", [(1, b"220 mx.example ESMTP ready\r\n"), (0, b"EHLO me\r\n"),
                       (1, b"250-mx.example\r\n250 STARTTLS\r\n"), (0, b"STARTTLS\r\n"), (1, b"220 go ahead\r\n")], 25),
    ("IMAP STARTTLS", [(1, b"* OK IMAP4rev1 ready\r\n"), (0, b"a1 STARTTLS\r\n"), (1, b"a1 OK begin TLS\r\n")], 143),
    ("POP3 STLS", [(1, b"+OK POP3 ready\r\n"), (0, b"STLS\r\n"), (1, b"+OK begin TLS\r\n")], 110),
    ("XMPP STARTTLS", [(0, b"<?xml version='1.0'?><stream:stream to='x.example'>"),
                       (1, b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"),
                       (0, b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
                       (1, b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")], 5222),
    ("LDAP StartTLS", [(0, bytes.fromhex("301d02010177188016") + b"1.3.6.1.4.1.1466.20037"),
                       (1, bytes.fromhex("300c02010178070a010004000400"))], 389),
    ("PostgreSQL SSLRequest", [(0, bytes.fromhex("0000000804d2162f")), (1, b"S")], 5432),
    ("SOCKS 5", [(0, b"\x05\x01\x00"), (1, b"\x05\x00"), (0, b"\x05\x01\x00\x03\x0cmail.example\x01\xbb"),
                 (1, b"\x05\x00\x00\x01\x0a\x00\x00\x02\x01\xbb")], 1080),
])
def test_clear_text_then_tls(tmp_path: Path, name: str, before: list[tuple[int, bytes]], port: int) -> None:
    hello, flight = tls12_flight("mail.example")
    flow = only_flow(capture(tmp_path, "switch.pcap", [*before, (0, hello), (1, flight)], port=port))
    assert flow.protocol == "TLS" and flow.prelude is not None
    assert (flow.prelude.name, flow.prelude.then) == (name, "TLS")
    sent = sum(len(d) for s, d in before if s == 0), sum(len(d) for s, d in before if s == 1)
    assert (flow.prelude.client_bytes, flow.prelude.server_bytes) == sent
    t = flow.tls
    assert (t.sni, t.version, t.cipher) == ("mail.example", "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
    assert t.certificates["server"][0].subject == "O=Lab\\, Inc.,CN=mail.example"
    leak = next(x for x in flow.eavesdropper() if x.fact == "said in clear before the switch")
    assert leak.visible and name in leak.value
    assert flow.to_dict()["prelude"]["protocol"] == name


def test_http_connect_then_tls_through_the_tunnel(tmp_path: Path) -> None:
    hello, flight = tls12_flight("inner.example")
    flow = only_flow(capture(tmp_path, "connect.pcap", [
        (0, b"CONNECT inner.example:443 HTTP/1.1\r\nHost: inner.example:443\r\n\r\n"),
        (1, b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"),
        (0, b"CONNECT inner.example:443 HTTP/1.1\r\nHost: inner.example:443\r\nProxy-Authorization: Basic eDp5\r\n\r\n"),
        (1, b"HTTP/1.1 200 Connection established\r\n\r\n"), (0, hello), (1, flight)], port=3128))
    assert flow.protocol == "HTTP" and flow.tunnel == "TLS"
    assert [(m.method, m.target) for m in flow.requests] == [("CONNECT", "inner.example:443")] * 2
    assert [m.status for m in flow.responses] == [407, 200] and not flow.http_problems
    assert (flow.tls.sni, flow.tls.version) == ("inner.example", "TLS 1.2")
    d = flow.to_dict()
    assert d["http"]["requests"][1]["host"] == "inner.example:443" and d["tls"]["sni"] == "inner.example"


def test_socks_then_plain_http(tmp_path: Path) -> None:
    flow = only_flow(capture(tmp_path, "socks.pcap", [
        (0, b"\x04\x01\x00\x50\x0a\x00\x00\x02me\x00"), (1, b"\x00\x5a\x00\x50\x0a\x00\x00\x02"),
        (0, b"GET /via-socks HTTP/1.0\r\n\r\n"), (1, b"HTTP/1.0 302 Found\r\nLocation: /x\r\n\r\n")], port=1080))
    assert flow.protocol == "HTTP" and flow.prelude.name == "SOCKS 4"
    assert [m.target for m in flow.requests] == ["/via-socks"] and [m.status for m in flow.responses] == [302]


def test_clear_text_that_never_switches_stays_other(tmp_path: Path) -> None:
    flow = only_flow(capture(tmp_path, "ssh.pcap", [(1, b"SSH-2.0-OpenSSH_9.6\r\n"), (0, b"SSH-2.0-x\r\n" + bytes(3000))], port=22))
    assert flow.protocol == "other" and flow.prelude is None and flow.excerpts["server"].startswith(b"SSH-2.0")
