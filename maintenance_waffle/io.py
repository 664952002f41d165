"""django-maintenance-mode's file helpers, for code written for it.

The maintenance state is not kept in a file here (it is waffle's switch); these read and
write a text file as ``maintenance_mode.io`` did.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def read_file(filepath: str | os.PathLike[str], default_content: str = "") -> str:
    """The file's content; a missing file is created with ``default_content`` first."""
    path = Path(filepath)
    if not path.exists():
        write_file(path, default_content)
    return path.read_text(encoding="utf-8") or default_content


def write_file(filepath: str | os.PathLike[str], content: str) -> None:
    """Write ``content`` to the file atomically, with its directory's permissions."""
    path = Path(filepath)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(content)
        os.chmod(temporary, path.parent.stat().st_mode & 0o666)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
