"""``python -m kslab`` is the same as the ``kslab`` command."""

from kslab.cli.main import main

raise SystemExit(main())
