"""Istio, modern: the lab's manifests and their validation, offline.

Layer: a pure lesson (notebook 05): Istio's objects and rules offline, including PeerAuthentication precedence (:mod:`kslab.istio.peer_authentication`); installing Istio and the live lab are :mod:`kslab.cluster.istio` and :mod:`kslab.cluster.istio_lab`.

``kslab/data/istio/manifests/`` holds the course's own Istio objects (an injection-labelled
namespace, PeerAuthentication STRICT and PERMISSIVE, a DestinationRule, a Gateway, a
VirtualService, the two bookinfo services and a plaintext client). ``kslab/data/istio/schemas/``
holds small JSON Schemas of our own for the four Istio kinds, written from Istio's API reference
for the version in :data:`ISTIO_VERSION` — kubernetes-validate knows only Kubernetes' own kinds.
``validate`` checks objects against them; ``injection`` shows what the sidecar injector adds.

>>> from kslab.istio.validate import validate_objects, bundled_objects
>>> validate_objects(bundled_objects("peerauthentication-strict.yaml"))
[]
"""

#: The Istio release whose API reference the schemas reflect (security.istio.io/v1 and
#: networking.istio.io/v1 are both served since Istio 1.22).
ISTIO_VERSION = "1.26"
