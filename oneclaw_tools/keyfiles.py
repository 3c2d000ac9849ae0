"""Key-file hygiene, as ssh does it: refuse a key file others may read; clear a crash's debris.

:func:`check_key_file_mode` refuses a key file that group or others may read or write, with the
``chmod`` to run. :func:`remove_stale_temporaries` removes the ``<key file>.*.tmp`` a crashed
writer left half-written; a live writer holds an exclusive ``flock`` on its temporary file until
it is renamed into place (see :func:`oneclaw_tools.crypto.write_key_file`), so only debris goes.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from pathlib import Path

from .errors import PermissionDenied

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["check_key_file_mode", "fcntl", "remove_stale_temporaries"]


def check_key_file_mode(path: Path) -> None:
    """Refuse a key file that group or others may read or write (as ssh refuses a private key).

    The error names the ``chmod`` to run. POSIX only: elsewhere the folder's ACLs decide.
    """
    if os.name != "posix":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PermissionDenied(
            f"the vault key file {path} is open to group or others (mode {mode:04o}); "
            "anyone who can read it can read every secret in the vault.",
            action=f"Run: chmod 600 '{path}'",
        )


def remove_stale_temporaries(key_file: Path) -> int:
    """Remove ``<key file>.*.tmp`` files a crashed writer left behind; returns how many.

    A live writer holds an exclusive lock on its temporary file until it is renamed into place,
    so only a file nobody holds is removed (where locks are unavailable, files older than a
    minute).
    """
    removed = 0
    for tmp in key_file.parent.glob(key_file.name + ".*.tmp"):
        try:
            fd = os.open(tmp, os.O_RDONLY)
        except OSError:
            continue
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # a writer is still at work
            elif time.time() - os.fstat(fd).st_mtime < 60:  # pragma: no cover - no flock
                continue
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
                removed += 1
        finally:
            os.close(fd)
    return removed
