"""Hands-on steps: the commands a student types for their own cluster, and checks that read what happened.

Each lab's module renders the exact commands (context, namespace, pod filled in) as copyable blocks
(:mod:`kslab.handson.commands`: argv lists, shown with ``shlex.join``, never run through a shell by
kslab), and a check that reads the outcome from the real system through :class:`~kslab.cluster.lab.Lab`.
Every manual step has a "do it for me" function too, so a notebook runs top to bottom unattended.

* :mod:`kslab.handson.lab03` — exec into the webapp, deface its page, try to become root; the page
  fetched over HTTP (:mod:`kslab.handson.page`) and each step's answer read from the pod.
"""
