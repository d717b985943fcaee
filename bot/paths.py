"""Where the shipped flows and content are, in an installed wheel and in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The shipped folder `name` ("flows" or "content").

    A wheel carries them inside the package (`bot/_data/<name>`); a source checkout or an
    editable install has them at the repository root.
    """
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name
