"""A local mesh certificate authority, like istiod's built-in CA, made with ``cryptography``.

* the root: self-signed, ``O=cluster.local``, 10 years, RSA 2048, a CA;
* each workload: a 24-hour RSA 2048 certificate with **no subject** and one critical URI SAN,
  its SPIFFE ID — exactly the shape of an Istio workload certificate.

Private keys are written only into a private temporary directory (mode 0700, files 0600) for
Python's ``ssl`` module to load, and that directory is deleted with :meth:`MeshCA.close`. They
are never printed: ``repr`` shows identities and file names only.

>>> with MeshCA() as ca:
...     w = ca.issue("spiffe://cluster.local/ns/istio-app/sa/bookinfo-details")
...     w.spiffe_id, w.lifetime_hours
('spiffe://cluster.local/ns/istio-app/sa/bookinfo-details', 24)
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kslab.mesh.conventions import KEY_BITS, ROOT_CERT_YEARS, TRUST_DOMAIN, WORKLOAD_CERT_HOURS


@dataclass(frozen=True)
class Workload:
    """A workload's identity files: certificate chain (leaf + root) and key, in the CA's private dir."""

    spiffe_id: str
    chain_file: Path
    key_file: Path
    lifetime_hours: float

    def __repr__(self) -> str:
        return f"Workload({self.spiffe_id}, {self.lifetime_hours:g} h certificate, key file 0600)"


class MeshCA:
    """Issue workload identities; use as a context manager so the key directory is removed."""

    def __init__(self, trust_domain: str = TRUST_DOMAIN, *, key_bits: int = KEY_BITS) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        self.trust_domain = trust_domain
        self.key_bits = key_bits
        self.dir = Path(tempfile.mkdtemp(prefix="kslab-mesh-ca-"))
        os.chmod(self.dir, 0o700)
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=key_bits)
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, trust_domain)])
        now = _now()
        self.root = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=365 * ROOT_CERT_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(self._key, hashes.SHA256()))
        self.root_file = self._write("root-cert.pem", self._pem(self.root))
        self._issued: dict[str, Workload] = {}

    def issue(self, spiffe_id: str, *, hours: float = WORKLOAD_CERT_HOURS) -> Workload:
        """A workload certificate for a SPIFFE ID (cached: one per identity)."""
        if spiffe_id in self._issued:
            return self._issued[spiffe_id]
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import ExtendedKeyUsageOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=self.key_bits)
        now = _now()
        cert = (
            x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(self.root.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(hours=hours))
            # An empty subject makes the SAN the only name, so it must be critical (RFC 5280 4.2.1.6).
            .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(spiffe_id)]),
                           critical=True)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=True, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(self._key, hashes.SHA256()))
        slug = spiffe_id.rsplit("/", 1)[-1]
        chain = self._write(f"{slug}-chain.pem", self._pem(cert) + self._pem(self.root))
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        key_file = self._write(f"{slug}-key.pem", key_pem)
        workload = Workload(spiffe_id, chain, key_file, hours)
        self._issued[spiffe_id] = workload
        return workload

    @staticmethod
    def _pem(cert: Any) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return bytes(cert.public_bytes(serialization.Encoding.PEM))

    def _write(self, name: str, data: bytes) -> Path:
        path = self.dir / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return path

    def close(self) -> None:
        """Delete the key directory."""
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> MeshCA:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MeshCA(root O={self.trust_domain}, RSA {self.key_bits}, {len(self._issued)} workload(s))"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
