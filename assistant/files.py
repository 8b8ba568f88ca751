"""Private, crash-safe file writing: all of a file or none of it, owner-only."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so a crash leaves the old file or the new, never half.

    A temp file in the same folder is written and fsynced, then renamed over
    the target (atomic on POSIX), then the folder is fsynced so the rename
    itself survives a power cut.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)


def make_private(root: Path) -> None:
    """``root``, a folder, and everything in it its owner's alone: folders 0700, files 0600.

    For trees copied or unpacked in (a speech model): a copy keeps its source's modes, which the
    umask never narrows. Symbolic links are left as they are, and not followed.
    """
    os.chmod(root, 0o700)
    for folder, dirs, files in os.walk(root):
        for name, mode in [(d, 0o700) for d in dirs] + [(f, 0o600) for f in files]:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, mode)


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
