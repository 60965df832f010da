"""Kubernetes manifests as the labs write and read them: loading YAML safely (:mod:`~kslab.manifests.load`),
rendering it (:mod:`~kslab.manifests.render`), validating it against the API's schemas offline
(:mod:`~kslab.manifests.validate`), the webapp's Deployment and Pod (:mod:`~kslab.manifests.webapp`)
and Pod Security namespaces (:mod:`~kslab.manifests.namespace`).

Layer: a pure lesson module shared by notebooks 03-05, above :mod:`kslab.pss`; the cluster applies
what it builds through :class:`~kslab.cluster.lab.Lab`.
"""
