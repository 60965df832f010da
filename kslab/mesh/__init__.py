"""A local service mesh, for the mTLS lab without a cluster and without root.

Layer: a lesson (notebook 05) that runs real TLS on loopback and reads its captures with :mod:`kslab.pcap`; it never imports the cluster (the cluster's Istio is :mod:`kslab.cluster.istio_lab`).

=================  ==========================================================================
``conventions``    Istio's wire conventions as data: SNI, ALPN, SPIFFE IDs, ciphers, lifetimes
``ca``             a local CA issuing Istio-shaped workload certificates (RSA 2048, 24 h)
``app``            the bookinfo-like ``details`` service and an HTTP client
``sidecar``        the outbound and inbound proxies: mutual TLS, STRICT / PERMISSIVE
``tap``            the relay tap: captures the wire without privileges
``capture``        tcpdump on loopback, or the tap: which one and why
``demo``           the running mesh and the recorded scenarios; ``record``: the bundled captures
=================  ==========================================================================

>>> from kslab.mesh.demo import run
>>> result = run("mtls-tls13", capture=None)
>>> result.calls[0].responses[0].status
200
"""
