"""``--help`` as users read it: flags show no value placeholder.

typer 0.29's Rich help writes every option's type after it, flags included (``--replace <bool>``,
``--help <bool>``), which reads as if they took a value (``--replace true`` then takes ``true`` for a path).
typer makes ``--help`` itself, so no option setting reaches every flag: :func:`hide_flag_types` changes how
typer's options show their type, once, for every command.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperOption


def hide_flag_types() -> None:
    """Make Rich help show no type for flags; other options keep theirs (``--db <str>``). Idempotent; does
    nothing on typer versions whose options have no ``display_type_rich`` (they show none for flags)."""
    shown = getattr(TyperOption, "display_type_rich", None)
    if shown is None or getattr(shown, "hides_flag_types", False):
        return

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    display_type_rich.hides_flag_types = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]
