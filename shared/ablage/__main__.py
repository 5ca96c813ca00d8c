"""``python -m ablage``: the same commands as the ``ablage`` console script."""

from ablage.cli.main import app

app(prog_name="ablage")
