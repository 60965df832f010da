"""What a certificate seen on the wire tells an eavesdropper, read with ``cryptography.x509``.

In a mesh the interesting part is the URI SAN: a SPIFFE ID
``spiffe://<trust domain>/ns/<namespace>/sa/<service account>`` names the workload's identity.
Istio workload certificates carry no subject at all; the identity is only in the SAN.

Parsing is cached by the certificate's bytes: a capture of 2,000 handshakes repeats the same
two certificates 2,000 times, and each is parsed once.

>>> spiffe_parts("spiffe://cluster.local/ns/istio-app/sa/bookinfo-details")
{'trust_domain': 'cluster.local', 'namespace': 'istio-app', 'service_account': 'bookinfo-details'}
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from typing import Any

SPIFFE = re.compile(r"^spiffe://(?P<trust_domain>[^/]+)/ns/(?P<namespace>[^/]+)/sa/(?P<service_account>[^/]+)$")


def spiffe_parts(uri: str) -> dict[str, str] | None:
    """Split an Istio-style SPIFFE ID into trust domain, namespace and service account (or None)."""
    m = SPIFFE.match(uri)
    return m.groupdict() if m else None


@dataclass(frozen=True)
class CertFacts:
    """The readable facts of one certificate."""

    subject: str
    issuer: str
    not_before: str
    not_after: str
    lifetime_hours: float
    serial: str
    uris: tuple[str, ...]
    dns_names: tuple[str, ...]
    key: str
    is_ca: bool
    error: str = ""
    #: Why the strict parser refused a certificate that was then read leniently (see kslab.pcap.der).
    malformed: str = ""

    @property
    def spiffe_ids(self) -> tuple[str, ...]:
        return tuple(u for u in self.uris if u.startswith("spiffe://"))

    def to_dict(self) -> dict[str, object]:
        return {"subject": self.subject, "issuer": self.issuer, "not_before": self.not_before,
                "not_after": self.not_after, "lifetime_hours": self.lifetime_hours,
                "serial": self.serial, "uris": list(self.uris), "dns_names": list(self.dns_names),
                "key": self.key, "is_ca": self.is_ca, **({"error": self.error} if self.error else {}),
                **({"malformed": self.malformed} if self.malformed else {})}

    def one_line(self) -> str:
        """Subject (or the SPIFFE ID when the subject is empty), issuer and validity."""
        if self.error:
            return f"unreadable certificate ({self.error})"
        who = self.subject or "(empty subject)"
        sans = f" URI SAN {', '.join(self.uris)}" if self.uris else ""
        role = " CA" if self.is_ca else ""
        bad = f" [malformed: {self.malformed}]" if self.malformed else ""
        return (f"{who}{role}{sans}; issuer {self.issuer or '(empty)'}; {self.key}; valid "
                f"{self.not_before} → {self.not_after} ({_span(self.lifetime_hours)}){bad}")


def _span(hours: float) -> str:
    if hours >= 24 * 365:
        return f"{hours / 24 / 365.25:.0f} years"
    if hours > 48:
        return f"{hours / 24:.0f} days"
    return f"{hours:.0f} h"


@functools.lru_cache(maxsize=256)
def cert_facts(der: bytes) -> CertFacts:
    """Parse one DER certificate; an unreadable one gives facts with ``error`` set, never raises."""
    import warnings

    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.utils import CryptographyDeprecationWarning

    try:
        with warnings.catch_warnings():
            # What cryptography only warns about today (a serial number that is not positive) it will
            # refuse tomorrow: treat it as refused now, so the lenient reader reports it either way.
            warnings.simplefilter("error", CryptographyDeprecationWarning)
            facts = _strict(der, x509, ec, rsa)
    except Exception as exc:  # noqa: BLE001 - a broken certificate is a fact to report, not a crash
        facts = _lenient(der, f"{type(exc).__name__}: {exc}")
    return _null_prefix(facts)


def _null_prefix(facts: CertFacts) -> CertFacts:
    """A name with a NUL byte in it is the null-prefix trick (CVE-2009-2408): software that reads names
    as C strings — tshark and the TLS libraries of the day among them — sees only the part before the
    NUL. So the name is reported as they see it (what a client checked), and the warning gives it whole."""
    cut = [n for n in (*facts.dns_names, *facts.uris) if "\x00" in n]
    if not cut:
        return facts
    whole = ", ".join(repr(n) for n in cut[:3])
    why = (f"a SAN holds a NUL byte: the certificate says {whole}, software reading it as a C string "
           "(as shown here) sees only the part before the NUL")

    def seen(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(n.split("\x00", 1)[0] for n in names)

    return dataclasses.replace(facts, dns_names=seen(facts.dns_names), uris=seen(facts.uris),
                               malformed="; ".join(filter(None, (facts.malformed, why))))


def _strict(der: bytes, x509: Any, ec: Any, rsa: Any) -> CertFacts:
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        uris = tuple(san.get_values_for_type(x509.UniformResourceIdentifier))
        dns = tuple(san.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        uris, dns = (), ()
    try:
        is_ca = bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        is_ca = False
    pub = cert.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        key = f"RSA {pub.key_size}"
    elif isinstance(pub, ec.EllipticCurvePublicKey):
        key = f"EC {pub.curve.name}"
    else:
        key = type(pub).__name__.replace("PublicKey", "")
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    return CertFacts(subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string(),
                     not_before=start.strftime("%Y-%m-%d %H:%M:%SZ"),
                     not_after=end.strftime("%Y-%m-%d %H:%M:%SZ"),
                     lifetime_hours=round((end - start).total_seconds() / 3600, 2),
                     serial=f"{cert.serial_number:x}", uris=uris, dns_names=dns, key=key, is_ca=is_ca)


#: What the strict parser's complaint means, in words (matched in its message, first match wins).
MALFORMED_REASONS = (
    ("EncodedDefault", "a field is written out with its default value (such as cA FALSE), which DER forbids"),
    ("explicit parameters", "its EC key gives explicit curve parameters instead of naming a curve"),
    ("serial", "its serial number is not a positive integer"),
    ("ShortData", "an element is shorter than its declared contents"),
    ("InvalidValue", "a field holds a value its type does not allow"),
)


def _lenient(der: bytes, strict_error: str) -> CertFacts:
    """Read a certificate the strict parser refused; say that it is malformed and how."""
    from kslab.pcap.der import DerError, read_certificate

    why = next((text for key, text in MALFORMED_REASONS if key in strict_error), "it is not strict DER")
    try:
        c = read_certificate(der)
    except DerError as exc:
        return CertFacts("", "", "", "", 0.0, "", (), (), "", False,
                         error=f"{strict_error[:90]}; not readable leniently either ({exc})"[:160])
    start, end = c["not_before"], c["not_after"]
    serial = c["serial"]
    if serial <= 0 and "serial" not in why:
        why += "; its serial number is not positive"
    return CertFacts(subject=c["subject"], issuer=c["issuer"], not_before=start.strftime("%Y-%m-%d %H:%M:%SZ"),
                     not_after=end.strftime("%Y-%m-%d %H:%M:%SZ"),
                     lifetime_hours=round((end - start).total_seconds() / 3600, 2), serial=f"{serial:x}",
                     uris=tuple(c["uris"]), dns_names=tuple(c["dns_names"]), key=c["key"], is_ca=c["is_ca"],
                     malformed=f"{why} (cryptography: {strict_error[:80]})")
