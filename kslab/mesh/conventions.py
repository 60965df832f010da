"""Istio's wire conventions (sidecar mode, Istio 1.2x), as data: what the local mesh imitates.

Every value here is visible in a capture, which is why the course cares about them:

* the **SNI** the client sidecar sends names the destination service, port and subset;
* the **ALPN** list it offers says "this is mesh traffic" (``istio``) and which protocol rides
  inside; the server sidecar's own ALPN list never includes ``istio`` (it would break h2);
* the **identity** is a SPIFFE ID in the certificate's URI SAN; the certificate has no subject.

>>> istio_sni("details", "istio-app", 9080)
'outbound_.9080_._.details.istio-app.svc.cluster.local'
>>> istio_sni_2019("details", "istio-app", 9080)
'outbound|9080||details.istio-app.svc.cluster.local'
>>> spiffe_id("istio-app", "bookinfo-productpage")
'spiffe://cluster.local/ns/istio-app/sa/bookinfo-productpage'
"""

from __future__ import annotations

TRUST_DOMAIN = "cluster.local"
NAMESPACE = "istio-app"  # the 2019 workshop's namespace, kept so the captures compare

#: ALPN the client sidecar offers, by the protocol the application speaks.
CLIENT_ALPN = {
    "http/1.1": ("istio-http/1.1", "istio", "http/1.1"),
    "http/1.0": ("istio-http/1.0", "istio", "http/1.0"),
    "h2": ("istio-h2", "istio", "h2"),
    "tcp": ("istio-peer-exchange", "istio"),
}
#: ALPN the server sidecar's inbound HTTP listener accepts (it selects http/1.1 for HTTP/1.1 callers).
SERVER_ALPN = ("h2", "http/1.1")

#: TLS 1.2 cipher suites the sidecars allow (OpenSSL names, as Istio lists them).
TLS12_CIPHERS = ("ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
                 "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
                 "AES256-GCM-SHA384", "AES128-GCM-SHA256")

#: Workload certificates: 24 h, RSA 2048 (90 days in 2019); the self-signed root: 10 years.
WORKLOAD_CERT_HOURS = 24
ROOT_CERT_YEARS = 10
KEY_BITS = 2048

#: The bookinfo services the demo plays, with the service account current bookinfo gives each.
SERVICE_ACCOUNTS = {"details": "bookinfo-details", "productpage": "bookinfo-productpage",
                    "reviews": "bookinfo-reviews", "ratings": "bookinfo-ratings"}
SERVICE_PORT = 9080


def istio_sni(service: str, namespace: str = NAMESPACE, port: int = SERVICE_PORT, subset: str = "") -> str:
    """The SNI a client sidecar sends today: ``outbound_.<port>_.<subset>_.<host>`` (Istio >= 1.1)."""
    return f"outbound_.{port}_.{subset}_.{service}.{namespace}.svc.{TRUST_DOMAIN}"


def istio_sni_2019(service: str, namespace: str = NAMESPACE, port: int = SERVICE_PORT, subset: str = "") -> str:
    """The SNI form of Istio 1.0, as in the 2019 workshop's capture: ``outbound|<port>|<subset>|<host>``."""
    return f"outbound|{port}|{subset}|{service}.{namespace}.svc.{TRUST_DOMAIN}"


def spiffe_id(namespace: str, service_account: str, trust_domain: str = TRUST_DOMAIN) -> str:
    """The identity Istio gives a workload: ``spiffe://<trust domain>/ns/<ns>/sa/<service account>``."""
    return f"spiffe://{trust_domain}/ns/{namespace}/sa/{service_account}"


def workload_id(service: str, namespace: str = NAMESPACE) -> str:
    """The SPIFFE ID of a bookinfo service (or of a workload whose account has the service's name).

    >>> workload_id("curl", "default")
    'spiffe://cluster.local/ns/default/sa/curl'
    """
    return spiffe_id(namespace, SERVICE_ACCOUNTS.get(service, service))
