"""The ``convmine`` command: each command parses options and calls one library function."""

from __future__ import annotations

import typer

app = typer.Typer(help="Turn bank call-centre conversations into evidenced customer profiles.", no_args_is_help=True)


@app.callback()
def _main() -> None:
    """convmine: transcripts and recordings in, evidenced taxonomy tags and customer profiles out."""
