"""A lenient reader of X.509 certificates (RFC 5280) for the ones a strict parser refuses.

``cryptography`` rejects certificates that break DER's rules even when every field is readable:
a ``cA FALSE`` written out although FALSE is the default, a negative serial number, an EC key with
explicit curve parameters instead of a named curve. tshark and ``openssl x509`` read those, and so
does an eavesdropper; this module reads subject, issuer, validity, SANs, basic constraints and the
key type with nothing but tag-length-value walking, and is used only as a fallback.

>>> oid(bytes.fromhex("550403"))
'2.5.4.3'
>>> escape_rfc4514("#1, a+b ")
'\\\\#1\\\\, a\\\\+b\\\\ '
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

SEQUENCE, SET, INTEGER, BOOLEAN, BIT_STRING, OCTET_STRING, OID = 0x30, 0x31, 0x02, 0x01, 0x03, 0x04, 0x06

#: RFC 4514 section 3 short names (the ones ``cryptography`` writes; any other attribute is its OID).
SHORT_NAMES = {"2.5.4.3": "CN", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
               "2.5.4.6": "C", "2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC",
               "0.9.2342.19200300.100.1.1": "UID"}
#: ASN.1 string types and how their bytes decode (X.680; T61String read as Latin-1, as is usual).
STRING_TYPES = {0x0C: "utf-8", 0x13: "ascii", 0x16: "ascii", 0x1A: "ascii", 0x12: "ascii",
                0x14: "latin-1", 0x1E: "utf-16-be", 0x1C: "utf-32-be"}
CURVES = {"1.2.840.10045.3.1.7": "secp256r1", "1.3.132.0.34": "secp384r1", "1.3.132.0.35": "secp521r1",
          "1.3.132.0.10": "secp256k1"}
KEY_TYPES = {"1.2.840.113549.1.1.1": "RSA", "1.2.840.10045.2.1": "EC", "1.3.101.112": "Ed25519",
             "1.3.101.113": "Ed448", "1.2.840.10040.4.1": "DSA", "1.2.840.113549.1.1.10": "RSA-PSS"}
EXT_SAN, EXT_BASIC_CONSTRAINTS = "2.5.29.17", "2.5.29.19"


class DerError(ValueError):
    """The bytes are not a readable certificate even leniently."""


def tlv(data: bytes, pos: int, end: int | None = None) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the element at ``pos``."""
    end = len(data) if end is None else end
    if pos + 2 > end:
        raise DerError("truncated element")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte tags are not used in certificates")
    if first < 0x80:
        length = first
    else:
        n = first & 0x7F
        if n == 0 or n > 4 or pos + n > end:
            raise DerError("bad length")
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    if pos + length > end:
        raise DerError("element longer than its container")
    return tag, pos, pos + length


def children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """The elements inside a constructed element's content."""
    out = []
    pos = start
    while pos < end:
        tag, s, e = tlv(data, pos, end)
        out.append((tag, s, e))
        pos = e
    return out


def oid(content: bytes) -> str:
    """Dotted text of an OBJECT IDENTIFIER's content bytes."""
    if not content:
        raise DerError("empty OID")
    parts, value = [], 0
    for b in content:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(value)
            value = 0
    first = parts[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(p) for p in head + parts[1:])


def escape_rfc4514(value: str) -> str:
    """An attribute value escaped as RFC 4514 section 2.4 asks."""
    if not value:
        return ""
    for ch in "\\\"+,;<>":
        value = value.replace(ch, "\\" + ch)
    value = value.replace("\0", "\\00")
    if value[0] in "# ":
        value = "\\" + value
    if value[-1] == " " and not value.endswith("\\ "):
        value = value[:-1] + "\\ "
    return value


def _name(data: bytes, start: int, end: int) -> str:
    rdns = []
    for _tag, s, e in children(data, start, end):  # each a SET of AttributeTypeAndValue
        attrs = []
        for _t, s2, e2 in children(data, s, e):
            (_ot, os_, oe), (vt, vs, ve) = children(data, s2, e2)[:2]
            name = oid(data[os_:oe])
            codec = STRING_TYPES.get(vt)
            if codec is None:
                text = "#" + data[vs:ve].hex()  # not a string: its bytes in hex (RFC 4514 section 2.4)
            else:
                text = escape_rfc4514(data[vs:ve].decode(codec, "replace"))
            attrs.append(f"{SHORT_NAMES.get(name, name)}={text}")
        rdns.append("+".join(attrs))
    return ",".join(reversed(rdns))


def _time(data: bytes, tag: int, start: int, end: int) -> datetime:
    text = data[start:end].decode("ascii")
    fmt = "%y%m%d%H%M%SZ" if tag == 0x17 else "%Y%m%d%H%M%SZ"
    return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)


def _key(data: bytes, start: int, end: int) -> str:
    (_at, as_, ae), (_bt, bs, be) = children(data, start, end)[:2]
    alg = children(data, as_, ae)
    kind_oid = oid(data[alg[0][1]:alg[0][2]])
    kind = KEY_TYPES.get(kind_oid, kind_oid)
    if kind == "RSA":
        _st, ss, se = tlv(data, bs + 1, be)  # skip the unused-bits byte
        _nt, ns, ne = children(data, ss, se)[0]
        return f"RSA {int.from_bytes(data[ns:ne], 'big').bit_length()}"
    if kind == "EC" and len(alg) > 1:
        ptag, ps, pe = alg[1]
        if ptag == OID:
            curve = oid(data[ps:pe])
            return f"EC {CURVES.get(curve, curve)}"
        return "EC (explicit curve parameters)"
    return kind


def read_certificate(der: bytes) -> dict[str, Any]:
    """The readable fields of a certificate: subject, issuer, not_before, not_after (datetimes), serial,
    dns_names, uris, is_ca, key. Raises :class:`DerError` if even that is impossible."""
    try:
        _t, cs, ce = tlv(der, 0)
        _tt, ts, te = children(der, cs, ce)[0]
        fields = children(der, ts, te)
        if fields and fields[0][0] == 0xA0:  # [0] version
            fields = fields[1:]
        serial_el, _sig, issuer, validity, subject, spki = fields[:6]
        (t1, s1, e1), (t2, s2, e2) = children(der, validity[1], validity[2])[:2]
        out: dict[str, Any] = {
            "serial": int.from_bytes(der[serial_el[1]:serial_el[2]], "big", signed=True),
            "issuer": _name(der, issuer[1], issuer[2]), "subject": _name(der, subject[1], subject[2]),
            "not_before": _time(der, t1, s1, e1), "not_after": _time(der, t2, s2, e2),
            "dns_names": [], "uris": [], "is_ca": False, "key": "?",
        }
        try:
            out["key"] = _key(der, spki[1], spki[2])
        except (DerError, ValueError, IndexError):
            out["key"] = "unreadable key"
        for tag, s, e in fields[6:]:
            if tag == 0xA3:  # [3] extensions
                _et, es, ee = tlv(der, s, e)
                for _x, xs, xe in children(der, es, ee):
                    _extension(der, children(der, xs, xe), out)
        return out
    except (IndexError, UnicodeDecodeError) as exc:
        raise DerError(str(exc)) from None
    except ValueError as exc:
        raise DerError(str(exc)) from None


def _extension(der: bytes, parts: list[tuple[int, int, int]], out: dict[str, Any]) -> None:
    ext_id = oid(der[parts[0][1]:parts[0][2]])
    _vt, vs, ve = parts[-1]  # the OCTET STRING (after an optional critical BOOLEAN)
    if ext_id == EXT_SAN:
        _st, ss, se = tlv(der, vs, ve)
        for tag, s, e in children(der, ss, se):
            if tag == 0x82:
                out["dns_names"].append(der[s:e].decode("ascii", "replace"))
            elif tag == 0x86:
                out["uris"].append(der[s:e].decode("ascii", "replace"))
    elif ext_id == EXT_BASIC_CONSTRAINTS:
        _bt, bs, be = tlv(der, vs, ve)
        inner = children(der, bs, be)
        out["is_ca"] = bool(inner and inner[0][0] == BOOLEAN and any(der[inner[0][1]:inner[0][2]]))
