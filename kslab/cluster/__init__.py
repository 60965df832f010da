"""All cluster I/O lives in this package, behind one object: :class:`kslab.cluster.lab.Lab`.

Layer: cluster I/O, above the lessons and the ground floor, below the labs (``kslab.hack``,
``kslab.handson``, ``kslab.doctor``), widgets, exercises and the command line. It is the only package
that imports the Kubernetes client (an import-linter contract in ``pyproject.toml`` says so).

``kslab.connect()`` chooses the mode (live or offline) and returns a ``Lab``; every lab calls the
``Lab``'s verbs — ``apply``, ``create``, ``read``, ``list_objects``, ``delete_object``, ``delete_lab``,
``list_nodes``, ``list_pods``, ``read_pod``, ``read_pod_log``, ``wait_for_pod``, ``exec``,
``port_forward``, the namespace, ConfigMap, Secret, ServiceAccount, Deployment, RBAC and custom-object
verbs, ``create_token``, ``access_review``, ``self_subject_review``, ``admit``, ``raw``,
``apiserver_config``, ``kubelet_config`` — with typed results (the client's models, or dicts for kinds
read through discovery), and the guard rails (live only, lab context only) are enforced here rather
than in each notebook. The client object itself is private to this package (``Lab._client``,
``Lab._core`` …); ``tests/test_lab_boundary.py`` checks nothing else reaches for it. Three words are kept apart: a ``Lab`` (this object), a *lab id* (``"03"``, the label
its objects carry) and a *lab context* (a kube context labs may change: ``kind-kslab`` or one named
explicitly).

Reading order:

* :mod:`~kslab.cluster.modes`, :mod:`~kslab.cluster.kubeconfig`, :mod:`~kslab.cluster.client`,
  :mod:`~kslab.cluster.connect` — which context, which mode, the one way a client is built;
* :mod:`~kslab.cluster.lab` — the ``Lab`` and its verbs;
* :mod:`~kslab.cluster.api_errors` — the one place an ``ApiException`` becomes an ``ApiError`` that
  keeps the server's message; :mod:`~kslab.cluster.waiting` — the one way to wait for the cluster;
* :mod:`~kslab.cluster.tools` — every external program, run from an argument list, never a shell;
  :mod:`~kslab.cluster.changes` — what a command that changes things reports;
* per notebook: :mod:`~kslab.cluster.kind` and :mod:`~kslab.cluster.images` (00),
  :mod:`~kslab.cluster.components` (02), :mod:`~kslab.cluster.pods` (03),
  :mod:`~kslab.cluster.identities` and :mod:`~kslab.cluster.api_resources` (04),
  :mod:`~kslab.cluster.istio` (installing Istio; its one status type, ``IstioStatus``, from one
  istiod probe) and :mod:`~kslab.cluster.istio_lab` (lab 05 on the cluster's Istio; the local mesh is
  :mod:`kslab.mesh`), :mod:`~kslab.cluster.cleanup` and
  :mod:`~kslab.cluster.permissions` (every lab), :mod:`~kslab.cluster.classroom` and
  :mod:`~kslab.cluster.class_progress` (teaching a class), :mod:`~kslab.cluster.portforward`.
"""
