"""The ``kslab`` command line: one module per subcommand, registered in :mod:`kslab.cli.main`."""
