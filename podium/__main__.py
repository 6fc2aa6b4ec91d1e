"""`python -m podium` runs the same command as `podium`."""

from podium.cli import app

app(prog_name="podium")
