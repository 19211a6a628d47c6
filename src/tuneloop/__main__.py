"""`python -m tuneloop`, as `accelerate launch -m tuneloop train PROJECT` runs it."""

from tuneloop.cli import app

app(prog_name="tuneloop")
