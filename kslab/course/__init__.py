"""The course's own facts as data, on the ground floor so that every layer may read them:
what each lab needs on a live cluster (:mod:`kslab.course.needs`), what labs create and clean up
(:mod:`kslab.course.cleanup`) and the course cluster's kind configuration, read and checked offline
(:mod:`kslab.course.kind_config`).

Nothing here does I/O or imports a lesson; a lesson, the cluster layer and the command line read the
same tuples, so a permission granted and a permission checked cannot drift apart.
"""
