"""The two consoles every command prints through, a styled label for messages, and the file (or
stdout) a command writes its output to.

Rich markup is off: what the commands print holds user data — paths, customer and call IDs, failure
reasons quoting the input, install hints like ``pip install 'convmine[asr]'`` — and it must show as
written, square brackets included. Styles are given as :class:`rich.text.Text`, never as markup.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.text import Text

from convmine.errors import ConvmineError

out = Console(soft_wrap=True, markup=False)
err = Console(stderr=True, soft_wrap=True, markup=False)


def labelled(label: str, style: str, message: str) -> Text:
    """``label`` in ``style``, then ``message`` exactly as written: ``labelled("Error: ", "bold red", …)``."""
    return Text(label, style=style).append(message)


@contextmanager
def writing(path: Path | None, encoding: str) -> Iterator[IO[str]]:
    """The file at ``path`` opened for writing, or stdout without one; a file that cannot be written is a
    :class:`ConvmineError` naming it."""
    if path is None:
        yield sys.stdout
        return
    try:
        with path.open("w", encoding=encoding, newline="") as stream:
            yield stream
    except OSError as exc:
        raise ConvmineError(f"cannot write {path}: {exc.strerror or exc}") from None
