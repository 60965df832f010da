"""Lab's verbs, one module per part of the Kubernetes API, named as the client names its calls.

:class:`~kslab.cluster.lab.Lab` is all of them together (it inherits each class here); every verb says
what it needs (:meth:`~kslab.cluster.lab_base.LabBase.require_live` to read, ``require_lab`` to change
anything), makes its client call inside :func:`~kslab.cluster.api_errors.api_call` with a time limit,
and returns the client's model (``V1Pod`` ...) or a dict.

=============  ====================================================================
``core``       nodes, namespaces, ConfigMaps, Secrets, ServiceAccounts, quotas
``pods``       pods, their logs, ephemeral containers, waiting, exec, port-forward
``apps``       Deployments, ReplicaSets
``rbac``       Roles, ClusterRoles and their bindings
``custom``     CRDs, custom objects, "is this kind served?"
``any_kind``   any kind through API discovery
``auth``       who am I, tokens, access reviews
=============  ====================================================================
"""
