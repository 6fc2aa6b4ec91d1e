"""`python -m podium.cli` runs the same command as `podium`."""

from podium.cli import app

app()
