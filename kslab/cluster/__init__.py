"""All cluster I/O lives in this package, behind one object: :class:`kslab.cluster.lab.Lab`.

``kslab.connect()`` chooses the mode (live or offline) and returns a ``Lab``; every lab calls the
``Lab``'s methods (apply, wait, exec, token, access reviews, component config), and the guard rails
(live only, lab context only) are enforced here rather than in each notebook.
"""
