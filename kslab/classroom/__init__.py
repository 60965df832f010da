"""Classroom mode: one shared cluster for a whole class, each student isolated in a namespace.

Layer: a pure lesson (teaching a class): what each student gets and the isolation proof, computed; the cluster side is :mod:`kslab.cluster.classroom`.

Read the modules in this order:

* :mod:`~kslab.classroom.roster` — who is in the class, each name a Kubernetes label;
* :mod:`~kslab.classroom.objects` — what each student gets (namespace, quota, network policies,
  service account, a binding to the course role), as pure builders;
* :mod:`~kslab.classroom.verify` — the isolation proof: each student may do the labs in their own
  namespace and nothing in anyone else's, asked of kslab's RBAC evaluator (predicted) or of the API
  server with SubjectAccessReviews (observed);
* :mod:`~kslab.classroom.durations` and :mod:`~kslab.classroom.output` — token lifetimes and where
  kubeconfigs may be written.

The cluster side (create, status, delete, kubeconfigs) is :mod:`kslab.cluster.classroom`.

>>> from kslab.classroom import numbered, classroom_objects
>>> len(classroom_objects(s.name for s in numbered(2)))
19
"""

from __future__ import annotations

from kslab.classroom.objects import classroom_objects, course_role, namespace_for, student_objects
from kslab.classroom.roster import Student, choose, numbered, parse_roster, read_roster

__all__ = ["Student", "choose", "classroom_objects", "course_role", "namespace_for", "numbered",
           "parse_roster", "read_roster", "student_objects"]
