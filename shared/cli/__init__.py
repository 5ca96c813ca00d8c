"""The ``ablage`` command."""
