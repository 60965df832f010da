# %% [markdown]
# # 05 · mTLS with Istio
#
# ## Goal
# Turn on **mutual TLS** between the bookinfo services with Istio, check that it is really on, and then
# look at the wire the way an eavesdropper would: first plain HTTP (everything readable), then
# mutual TLS 1.2 (the contents hidden, but both services' identities in clear), then TLS 1.3, Istio's
# default today (the identities hidden too). We read the captures with our own analysis, built on the
# same ideas as Wireshark, and check the key facts with Scapy.

# %%
import kslab

lab = kslab.connect()
lab

# %% [markdown]
# ## Background
# ### What a service mesh is for
# Microservices talk to each other over the network, and every team used to re-implement the same
# things in every service: retries and routing (which version gets the traffic), getting traffic in and
# out of the cluster, **authentication** (who is calling me?), **authorisation** (may they?), and
# metrics. A mesh moves these into a proxy next to each workload — Istio injects **Envoy** as a
# *sidecar* container into every pod — and a control plane that programs all the proxies.
#
# For security the headline feature is mutual TLS between sidecars: each workload gets a certificate
# naming its identity, a **SPIFFE ID** built from its namespace and service account
# (`spiffe://cluster.local/ns/<namespace>/sa/<service account>`), and the sidecars encrypt and
# authenticate every connection without the application changing a line.
#
# ### Before you install it: the gotchas
# * **The proxy runs as user 1337.** Istio's iptables rules exempt that uid, so the proxy's own traffic
#   is not redirected back into itself. Your application must not run as 1337.
# * **Redirecting traffic needs NET_ADMIN.** Without Istio's CNI plugin every injected pod gets an
#   `istio-init` container that rewrites the pod's iptables rules as root with NET_ADMIN and NET_RAW. In
#   2019 that meant loosening your PodSecurityPolicies; today those capabilities break the **baseline**
#   Pod Security Standard already, so use the CNI plugin (below, computed by kslab's evaluator from
#   notebook 03).
# * **Latency.** In February 2019 Dave Cheney asked, more or less: how are you all dealing with the
#   latency of switching every packet through a proxy in user space? Every request now crosses two extra
#   proxies, each a trip through the kernel and back — measure it for your workload before and after.
# * **Complexity vs benefit.** A mesh is a distributed system of its own to run, upgrade and debug.
#   Weigh what it gives you (mTLS everywhere, policy, telemetry) against what it costs your team.
#
# What Istio's injector adds to a bookinfo pod, judged by Pod Security admission's rules:

# %% tags=["nbval-check-output"]
from kslab.istio.injection import injection_verdicts
from kslab.istio.validate import bundled_objects

details_pod_spec = next(o for o in bundled_objects("bookinfo.yaml") if o["kind"] == "Deployment")["spec"]["template"]["spec"]
injection_verdicts(details_pod_spec)

# %% [markdown]
# ### The components today
# Since Istio 1.5 the control plane is a single binary, **istiod**: it watches the Kubernetes API and
# your Istio objects and pushes configuration to every Envoy (what *Pilot* did), runs the certificate
# authority that signs each workload's 24-hour certificate (what *Citadel* did), and runs the sidecar
# injection webhook. *Mixer*, which sat in the request path for policy and telemetry, is gone (Istio
# 1.8): Envoy does both itself. The **data plane** is the Envoy sidecars (or, in ambient mode, a
# per-node ztunnel — not covered here).
#
# Is Istio installed where you are? (Offline, kslab says what it cannot know.)

# %%
from kslab.cluster import istio_lab

istio_lab.detect(lab)

# %% [markdown]
# ## Lab
# ### The manifests
# The lab's objects are in `kslab/data/istio/manifests/`: a namespace with the label `istio-injection=enabled`,
# the bookinfo `details` and `productpage` services (each with its own service account, hence its own
# identity), a Gateway and VirtualService for the ingress, a DestinationRule, and two
# PeerAuthentications. The one that matters:

# %%
from kslab.istio.validate import MANIFESTS

print((MANIFESTS / "peerauthentication-strict.yaml").read_text())

# %% [markdown]
# kubernetes-validate knows Kubernetes' own kinds but not Istio's, so kslab validates Istio objects
# against small JSON Schemas of its own, written from Istio's API reference (Istio 1.26), and the rest
# with kubernetes-validate:

# %% tags=["nbval-check-output"]
from kslab.istio.validate import check_files

check_files()

# %% [markdown]
# ### Enable STRICT mTLS
# Live, this applies the objects (labelled as lab 05), waits for the pods and reports. Offline it
# validates the same objects and runs the **local mesh** instead: a bookinfo-like `details` service and
# two sidecar-like proxies on 127.0.0.1 doing Istio-style mutual TLS with certificates from a local CA
# (RSA 2048, 24 hours, no subject, the SPIFFE ID as URI SAN), Istio's SNI and ALPN, STRICT or
# PERMISSIVE — real TLS, on loopback (`kslab/mesh/`).

# %%
setup = istio_lab.enable_mtls(lab, "STRICT")
setup

# %% [markdown]
# ### Verify it
# `istioctl x describe pod` prints the *effective* PeerAuthentication of a pod; kslab computes the same
# from Istio's precedence rules (a policy selecting the workload beats the namespace's, which beats the
# mesh-wide one in `istio-system`; without any, PERMISSIVE). The negative test: a client **without** a
# sidecar must be refused — `curl` then fails with exit code 56, "connection reset by peer".

# %%
istio_lab.verify(lab)

# %% [markdown]
# The certificate the details sidecar presents (`istioctl proxy-config secret` live; offline, one from
# the local mesh's CA for the same identity): no subject, the SPIFFE ID as URI SAN, valid 24 hours.

# %%
istio_lab.workload_certificate(lab, "details")

# %% [markdown]
# The rule itself, on the lab's PeerAuthentication — and on a workload-specific exception:

# %% tags=["nbval-check-output"]
from kslab.exercises.nb05 import NAMESPACE_PERMISSIVE
from kslab.istio.peer_authentication import effective_mode

strict = bundled_objects("peerauthentication-strict.yaml")
print(effective_mode(strict, "istio-app", {"app": "details"}))
print(effective_mode([NAMESPACE_PERMISSIVE], "istio-app", {"app": "details"}))
print(effective_mode([], "default", {"app": "curl"}))

# %% [markdown]
# ### Capture the traffic, without a privileged sidecar
# The 2019 workshop ran `sudo tcpdump` inside the `istio-proxy` container, which only works when the
# proxy is installed privileged. Today: an **ephemeral debug container** (`kubectl debug --target`)
# shares the pod's network namespace and runs tcpdump there. tcpdump needs CAP_NET_RAW, which a root
# container gets from the runtime's defaults — and which the **restricted** level forbids. The capture
# container as kslab creates it, judged by Pod Security's rules (the same wording the API server uses):

# %% tags=["nbval-check-output"]
for level, verdict in istio_lab.capture_verdicts().items():
    print(f"{level:<10}", "allowed" if verdict.allowed else "refused: " + verdict.message())

# %% [markdown]
# So the lab's namespace enforces *baseline*. Even if you made the container pass *restricted*
# (non-root, ALL capabilities dropped), tcpdump inside it would find no permission to capture.
# Live, kslab adds the container to the details pod, makes productpage call details, and copies the
# pcap back; offline it captures the local mesh's wire (with tcpdump if this process may, otherwise
# with a relay tap that forwards the real bytes and writes the packets — it says which):

# %%
wire = istio_lab.capture_wire(lab)
wire

# %% [markdown]
# What that capture shows (your ports and timings will differ; the facts will not):

# %%
from kslab.pcap import bundled, summarize

summarize(wire.path).table(wrap=44)

# %% [markdown]
# #### Your turn: capture it yourself, before and after STRICT
# In a terminal (JupyterLab **File ▸ New ▸ Terminal**): first a capture while a client without a sidecar
# calls details under PERMISSIVE, then one while productpage calls it under STRICT; read each with
# `kslab pcap summary`. Without Istio the local mesh makes the same two captures on loopback, for
# real. Exercise `05.before-after` at the end reads your two files.

# %%
from kslab.handson import lab05

lab05.steps(lab, "before")

# %%
lab05.steps(lab, "after")

# %% [markdown]
# **Do it for me** (optional): kslab makes both captures (live from the details pod, offline on the
# local mesh) into the same files.

# %%
made = lab05.do_it_for_me(lab)
made

# %% [markdown]
# ### Reading captures: plain HTTP first
# The rest of the lab reads four small captures bundled with kslab, made by the local mesh with real
# tcpdump on loopback (`kslab/data/captures/README.md` says how; `kslab mesh record` remakes them).
# The first is productpage calling details **without** any sidecar:

# %% tags=["nbval-check-output"]
plain = summarize(bundled("plaintext-http.pcap"))
plain

# %% [markdown]
# Everything is there: the method and path, every header, the status and the JSON body. This is what
# `tcpdump -A` shows, packet by packet:

# %% tags=["nbval-check-output"]
from kslab.pcap.view import view

print(view(bundled("plaintext-http.pcap"), 1))

# %% [markdown]
# ### Mutual TLS 1.2: the contents hidden, the identities not
# The same call between sidecars, with TLS pinned to 1.2 — and a second caller, a `curl` workload from
# namespace `default`. In TLS 1.2 everything before ChangeCipherSpec crosses the wire in clear: the
# server's certificate chain, the CertificateRequest that makes it *mutual*, and the client's own
# certificate chain:

# %% tags=["nbval-check-output"]
tls12 = summarize(bundled("mtls-tls12.pcap"))
tls12

# %% [markdown]
# Note the workload certificates: no subject at all, the identity only in the URI SAN, issued by
# `O=cluster.local` for 24 hours. Someone on the wire learns **who called whom**, even though not what
# they said.
#
# ### Mutual TLS 1.3: the identities hidden too
# Istio's default since 1.14. After the ServerHello everything is encrypted, the certificates and the
# selected ALPN included:

# %% tags=["nbval-check-output"]
tls13 = summarize(bundled("mtls-tls13.pcap"))
tls13

# %% [markdown]
# What is left is the ClientHello: the **SNI** names the destination service, port and subset
# (`outbound_.9080_._.details...`), the **ALPN** list says "Istio mesh traffic carrying HTTP/1.1" —
# and the sizes. Record sizes below (the first ones are in clear: ClientHello, ServerHello, the 1-byte
# ChangeCipherSpec): among the server's encrypted records, one of about 1.6 KB is the certificate
# chain and the ~280-byte one after it its RSA-2048 signature. The client sends records of the same
# sizes: its own certificate and signature. The sizes alone say *this is mutual TLS*.

# %% tags=["nbval-check-output"]
from kslab.views.tables import Table

sizes = tls13.flows[0].tls.encrypted
Table([{"direction": f"{side} → {'server' if side == 'client' else 'client'}", "encrypted records": d["records"],
        "encrypted bytes": d["bytes"], "sizes of the first records, in order": ", ".join(map(str, d["first_record_sizes"]))}
       for side, d in sizes.items()],
      ["direction", "encrypted records", "encrypted bytes", "sizes of the first records, in order"])

# %% [markdown]
# ### STRICT refusing a plaintext client
# A client without a sidecar calls details under STRICT. The sidecar resets the connection — but look
# at what crossed the wire before it did:

# %% tags=["nbval-check-output"]
refused = summarize(bundled("strict-refuses-plaintext.pcap"))
refused

# %% [markdown]
# ### Side by side
# The eavesdropper's checklist (`LEAK_RULES` in `kslab/pcap/summary.py`) for the first flow of each
# capture:

# %% tags=["nbval-check-output"]
from kslab.pcap.summary import side_by_side

side_by_side({"plain HTTP": plain.flows[0], "mTLS 1.2": tls12.flows[0], "mTLS 1.3": tls13.flows[0],
              "STRICT, plaintext": refused.flows[0]})

# %% [markdown]
# ### A second opinion: Scapy
# Our parsers read bytes themselves (Scapy dissecting every packet would take ~2 ms a packet; ours reads
# a million packets in a few seconds). Scapy is still the best tool to look at *one* record in full —
# here the TLS 1.3 ClientHello. The fields that matter to an eavesdropper, each with what it tells (Scapy's
# full dissection, every field, is folded under the table):

# %% tags=["nbval-check-output"]
from kslab.pcap.scapy_tools import client_hello_view

client_hello_view(bundled("mtls-tls13.pcap"))

# %% [markdown]
# ### Whoever has the keys reads everything
# Encryption protects the bytes, not whoever holds the session keys. The local mesh can write the TLS
# secrets to a key log (`SSLContext.keylog_filename`, the same format as `SSLKEYLOGFILE`), and Scapy
# then decrypts TLS 1.3 — the certificates and the HTTP inside become readable again. (A throw-away run,
# in a temporary directory deleted at the end of the cell — session keys are secrets; the keys of the
# bundled captures were never kept.)

# %%
import tempfile
from pathlib import Path

from kslab.mesh.demo import run
from kslab.pcap.scapy_tools import decrypt

with tempfile.TemporaryDirectory(prefix="kslab-keylog-") as tmp:
    keys_dir = Path(tmp)
    run("mtls-tls13", capture="tap", pcap=keys_dir / "wire.pcap", keylog=keys_dir / "keys.log")
    decrypted = decrypt(keys_dir / "wire.pcap", keys_dir / "keys.log")
decrypted

# %% [markdown]
# ### Byte entropy
# How random a stream's bytes look, in bits per byte: text sits around 4–5.5, ciphertext close to the
# maximum for the sample size (short samples cannot reach 8). The average over each direction:

# %% tags=["nbval-check-output"]
flows = {name: summarize(bundled(f"{name}.pcap"), entropy=True).flows[0]
         for name in ("plaintext-http", "mtls-tls12", "mtls-tls13")}
for name, flow in flows.items():
    print(f"{name:<15}", ", ".join(f"{side} → {bits:.2f} bits/byte" for side, bits in flow.entropy.items()))

# %% [markdown]
# Along the stream, in 256-byte windows, one panel per direction (the grey dashed line is what random
# bytes score in such windows): the TLS handshake's structure shows in the first windows, then the
# ciphertext looks random.

# %%
from kslab.pcap.entropy import plot

plot(flows);

# %% [markdown]
# ## Then vs now
# The 2019 workshop captured this on a real cluster (Istio 1.0.4). Its output shows, in clear, the SNI
# `outbound|9080||details.istio-app.svc.cluster.local` and, a few packets later, a certificate with
# validity `190108215913Z` to `190408215913Z` — 90 days. It is the *client's* certificate (productpage's
# sidecar): the capture filter was `dst port 9080`, so it kept only packets going *to* details, and in
# mutual TLS 1.2 the client sends its Certificate in clear after the ServerHello. Today the SNI has a new
# form and no certificate is visible (TLS 1.3) or long-lived:

# %% tags=["nbval-check-output"]
from kslab.mesh import conventions

print("SNI 2019:", conventions.istio_sni_2019("details"))
print("SNI now: ", conventions.istio_sni("details"))
print("ALPN now:", ", ".join(conventions.CLIENT_ALPN["http/1.1"]))
print("workload certificate:", conventions.WORKLOAD_CERT_HOURS, "hours, RSA", conventions.KEY_BITS)

# %% [markdown]
# | 2019 (Istio 1.0) | today (Istio 1.2x) |
# |---|---|
# | Istio 1.0.4 with its bookinfo sample | `istioctl install --set profile=demo` (or Istio's Helm charts), bookinfo from the same release |
# | Pilot, Mixer, Citadel (+ Galley) | one **istiod**; Mixer removed in 1.8, its work done in Envoy |
# | `istioctl create -f` | `kubectl apply -f` |
# | `authentication.istio.io/v1alpha1` `Policy` with `peers: - mtls:` | `security.istio.io/v1` **PeerAuthentication**, `mtls.mode: STRICT` |
# | DestinationRule `ISTIO_MUTUAL` needed for clients to use mTLS | auto mTLS: sidecars use it by themselves; servers default to PERMISSIVE |
# | `istioctl authn tls-check` | `istioctl x describe pod`, `istioctl proxy-config secret` |
# | `sudo tcpdump` in a privileged `istio-proxy` | an ephemeral debug container (NET_RAW: baseline, not restricted) |
# | TLS 1.2: certificates and identities readable on the wire | TLS 1.3 by default (since Istio 1.14): only SNI, ALPN, version, cipher, sizes |
# | SNI `outbound\|9080\|\|details...` | `outbound_.9080_._.details...` (since Istio 1.1) |
# | certificates valid 90 days | 24 hours, rotated at half-life |
# | PodSecurityPolicy to allow NET_ADMIN | Pod Security admission; Istio CNI keeps NET_ADMIN out of pods |
#
# <!-- Sources: the 2019 capture, seed lines "sudo tcpdump ... '((dst port 9080) and (net $IP))'" and
# the packets 10.244.0.12.50662 > details...9080 carrying the certificate; SNI and TLS facts:
# shared/reference/modernization.md (Istio's wire facts). -->
#
# One more thing the schemas find: the seed's VirtualService has `route` at the level of `http`, not
# inside the route — an unknown field, which older API servers silently dropped:

# %% tags=["nbval-check-output"]
from kslab.istio.validate import validate_istio
from kslab.manifests.load import load_text

SEED_VIRTUALSERVICE = """
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: bookinfo, namespace: istio-app}
spec:
  gateways: [bookinfo-gateway]
  hosts: ['*']
  http:
  - match:
    - uri: {exact: /productpage}
  route:
  - destination: {host: productpage, port: {number: 9080}}
"""
[str(p) for p in validate_istio(load_text(SEED_VIRTUALSERVICE, source="seed")[0].obj)]

# %% [markdown]
# `kslab modernize` turns the workshop's mesh steps into today's: the alpha `Policy` becomes a
# PeerAuthentication, `v1alpha3` becomes `v1`, the `ISTIO_MUTUAL` DestinationRule is left out (auto mTLS
# does it), the misplaced `route` moves into its `http` entry — and every object it writes is valid
# against the schemas:

# %% tags=["nbval-check-output"]
from kslab.istio.validate import validate_objects
from kslab.modernize import modernize_text

mesh_2019 = """\
cat <<EOF | istioctl create -f -
apiVersion: authentication.istio.io/v1alpha1
kind: Policy
metadata: {name: default, namespace: istio-app}
spec:
  peers:
  - mtls:
EOF
cat <<EOF | istioctl create -f -
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: default, namespace: istio-app}
spec:
  host: "*"
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
EOF
cat <<EOF | kubectl apply -f -
""" + SEED_VIRTUALSERVICE.strip() + """
EOF
istioctl authn tls-check productpage-v1-6b746f74dc-9stvs.istio-app
"""
mesh_now = modernize_text(mesh_2019, source="2019 mesh steps")
print("schema problems in the modern objects:", [str(p) for p in validate_objects(mesh_now.modern_objects())])
mesh_now.summary()

# %% [markdown]
# ## Exercises
# Each exercise first shows its question and the form its answer takes; answer in the cell below it
# (replace the `...`, or change the starting answer) and run that cell: kslab checks it against the captures and Istio's rules and remembers it. Until you
# change it the cell says "not answered yet", which counts as no attempt. `ex.hint()` gives one hint at
# a time, `ex.solution()` the solution as a cell to run.

# %%
ex = kslab.exercise("05.who-talked")
ex

# %% tags=["nbval-check-output"]
ex.check({"spiffe://cluster.local/ns/istio-app/sa/bookinfo-productpage"})  # anyone else?

# %%
ex = kslab.exercise("05.tls13-leaks")
ex

# %% tags=["nbval-check-output"]
ex.check({"sni", "server certificate"})

# %%
ex = kslab.exercise("05.workload-strict")
ex

# %% tags=["nbval-check-output"]
ex.check("""
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: details-strict, namespace: istio-app}
spec:
  mtls: {mode: STRICT}
""")  # which workload does this apply to?

# %%
ex = kslab.exercise("05.refused-path")
ex

# %% tags=["nbval-check-output"]
ex.check("/productpage")

# %%
ex = kslab.exercise("05.sni-today")
ex

# %% tags=["nbval-check-output"]
ex.check("outbound|9080||details.istio-app.svc.cluster.local")

# %%
ex = kslab.exercise("05.before-after")
ex

# %%
ex.check(...)  # replace ... with (before, after): the paths of your two captures

# %% [markdown]
# Your progress in this notebook:

# %%
kslab.progress("05")

# %% [markdown]
# ## Clean up
# Live, delete what this notebook created (everything labelled `kslab.dev/lab=05`: the `istio-app` and
# `istio-legacy` namespaces with everything in them). Istio itself stays installed; remove it with
# `istioctl uninstall --purge` if you want. The local mesh stopped on its own; its captures are in
# kslab's state directory, outside the repository. Offline there is nothing to delete.

# %%
from kslab.cluster.cleanup import clean

clean(lab, "05")
