"""The two consoles every command prints through, and a styled label for messages.

Rich markup is off: what the commands print holds user data — paths, customer and call IDs, failure
reasons quoting the input, install hints like ``pip install 'convmine[asr]'`` — and it must show as
written, square brackets included. Styles are given as :class:`rich.text.Text`, never as markup.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

out = Console(soft_wrap=True, markup=False)
err = Console(stderr=True, soft_wrap=True, markup=False)


def labelled(label: str, style: str, message: str) -> Text:
    """``label`` in ``style``, then ``message`` exactly as written: ``labelled("Error: ", "bold red", …)``."""
    return Text(label, style=style).append(message)
