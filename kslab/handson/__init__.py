"""Hands-on steps: the commands a student types for their own cluster, and checks that read what happened.

Layer: student steps, above the labs (:mod:`kslab.hack`) and the cluster layer, below widgets and exercises.

Each lab's module renders the exact commands (context, namespace, pod or kubeconfig filled in) as
copyable blocks (:mod:`kslab.handson.commands`: argv lists, shown with ``shlex.join``, never run through
a shell by kslab), and a check that reads the outcome from the real system through
:class:`~kslab.cluster.lab.Lab`. Every manual step has a "do it for me" function too, so a notebook runs
top to bottom unattended. Commands that act on a cluster are printed for a lab context only.

* :mod:`kslab.handson.lab02` — kube-bench as a Job on the course cluster, its JSON imported; or your own
  hardened copy of the API server's manifest, audited.
* :mod:`kslab.handson.lab03` — exec into the webapp, deface its page, try to become root; the page
  fetched over HTTP (:mod:`kslab.handson.page`) and each step's answer read from the pod.
  :mod:`kslab.handson.restricted` — deploy a webapp that passes *restricted*; the check reads the cluster.
* :mod:`kslab.handson.lab04` — kubectl with the service account's kubeconfig, compared with the
  API server's access review as that identity.
* :mod:`kslab.handson.lab05` — captures before and after STRICT, judged with :mod:`kslab.pcap`.
"""
