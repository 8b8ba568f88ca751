"""Vosk models on disk: find, list, download (resumable, verified) and install from a zip.

(Whisper models: ``whisper_models``, which reuses the download and zip code here.)

A model is a folder (``am/``, ``conf/``, ``graph/`` ...) under the home
folder's ``models/`` (or the repository's ``models/``). Downloads go to a
``.part`` file that an interrupted run resumes with an HTTP Range request;
the archive is checked (size and SHA-256 where known, then structure) and
unpacked into a temporary folder that is renamed into place only when whole,
so a half-installed model is never picked up by the engine chooser.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TextIO

from ..errors import TandemError
from ..files import make_private

DEFAULT_MODEL = "vosk-model-small-en-us-0.15"
BASE_URL = "https://alphacephei.com/vosk/models/"


@dataclass(frozen=True)
class KnownModel:
    name: str
    size: int | None
    sha256: str | None

    @property
    def url(self) -> str:
        return f"{BASE_URL}{self.name}.zip"


# Size and SHA-256 of the official archive (the same values are pinned by
# several independent projects); a mismatch means a damaged or altered file.
KNOWN_MODELS = {
    DEFAULT_MODEL: KnownModel(DEFAULT_MODEL, 41205931,
                              "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"),
}

_CHUNK = 64 * 1024
_MAX_UNPACKED = 4 * 1024**3  # refuse zip bombs; the largest English Vosk model unpacks to ~3 GB
_OFFLINE_HINT = "Tandem keeps working on the embedded PocketSphinx engine"


class ModelError(TandemError):
    """A model could not be fetched, verified or installed; the message says what to do."""


class OfflineError(ModelError):
    """No route to the model server."""


# -- what a model folder looks like ------------------------------------------


def check_model_dir(folder: Path) -> str | None:
    """None if ``folder`` looks like a Vosk model, else what is wrong (one phrase)."""
    if not folder.exists():
        return "no such folder"
    if not folder.is_dir():
        return "is not a folder"
    if not (folder / "am" / "final.mdl").is_file():
        return "am/final.mdl is missing (not a Vosk model, or an incomplete copy)"
    if not (folder / "conf" / "model.conf").is_file() and not (folder / "conf" / "mfcc.conf").is_file():
        return "conf/model.conf is missing"
    graph = folder / "graph"
    if not (graph / "HCLG.fst").is_file() and not ((graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file()):
        return "graph/ has neither HCLG.fst nor HCLr.fst + Gr.fst"
    for required in (folder / "am" / "final.mdl",):
        if required.stat().st_size == 0:
            return f"{required.relative_to(folder)} is empty (a broken copy)"
    return None


def search_dirs(models_dir: Path, repo_models: Path | None = None) -> list[Path]:
    from ..config import REPO_ROOT

    extra = repo_models if repo_models is not None else REPO_ROOT / "models"
    return [models_dir] if extra == models_dir else [models_dir, extra]


def model_folders(dirs: Iterable[Path], check: Callable[[Path], str | None]) -> list[Path]:
    """The folders in ``dirs`` that ``check`` finds whole (it returns None), in name order."""
    found: list[Path] = []
    for base in dirs:
        if not base.is_dir():
            continue
        for child in sorted(base.iterdir()):
            if child.is_dir() and not child.name.startswith(".") and check(child) is None:
                found.append(child)
    return found


def installed_models(dirs: Iterable[Path]) -> list[Path]:
    """Valid model folders, newest version name last (so ``[-1]`` is the one auto picks)."""
    return sorted(model_folders(dirs, check_model_dir), key=lambda p: (_version_key(p.name), str(p)))


def configured_folder(configured: str, dirs: Iterable[Path]) -> Path:
    """A model named in the config: as given, or by name under one of ``dirs`` when it is there."""
    path = Path(configured).expanduser()
    if not path.is_absolute():
        for base in dirs:
            if (base / configured).exists():
                return base / configured
    return path


def find_model(configured: str, dirs: Iterable[Path]) -> Path | None:
    """The configured folder (as given, or by name under ``dirs``), else the newest installed one."""
    dirs = list(dirs)
    if configured:
        return configured_folder(configured, dirs)
    models = installed_models(dirs)
    return models[-1] if models else None


def _version_key(name: str) -> tuple[int, ...]:
    parts = name.rsplit("-", 1)[-1].split(".")
    return tuple(int(p) for p in parts if p.isdigit())


# -- download ------------------------------------------------------------------


Progress = Callable[[int, int | None], None]  # (bytes so far, total or None)


def download_model(models_dir: Path, name: str = DEFAULT_MODEL, url: str | None = None,
                   progress: Progress | None = None, timeout: float = 30.0) -> Path:
    """Fetch ``name`` into ``models_dir`` (resuming a ``.part`` file) and install it; returns its folder."""
    known = KNOWN_MODELS.get(name, KnownModel(name, None, None))
    url = url or known.url
    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / name
    if check_model_dir(target) is None:
        return target
    part = models_dir / f"{name}.zip.part"
    _fetch(url, part, known.size, progress, timeout)
    _verify_archive(part, known)
    return install_zip(part, models_dir, expected_name=name)


def _fetch(url: str, part: Path, size: int | None, progress: Progress | None, timeout: float) -> None:
    have = part.stat().st_size if part.exists() else 0
    if size is not None and have > size:  # a stale or foreign .part: start over
        part.unlink()
        have = 0
    if size is not None and have == size:
        return
    request = urllib.request.Request(url, headers={"User-Agent": "tandem-model-download"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - an https/http URL we chose
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the server says we already have everything
            return
        raise ModelError(f"the model server answered {exc.code} {exc.reason} for {url}; try again later, or install a "
                         "zip with 'tandem model install PATH.zip'") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OfflineError(f"cannot reach {_host(url)} ({reason}); {_OFFLINE_HINT} (or copy the zip over and run "
                           "'tandem model install PATH.zip')") from None
    with response:
        if have and response.status != 206:  # no Range support: the body is the whole file
            have = 0
        total = _total(response, have)
        mode = "ab" if have else "wb"
        done = have
        try:
            with open(part, mode) as out:
                while True:
                    chunk = response.read(_CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
        except (OSError, urllib.error.URLError) as exc:
            raise OfflineError(f"the download stopped at {done} bytes ({exc}); run 'tandem model download' again to "
                               f"resume; {_OFFLINE_HINT}") from None
        if total is not None and done < total:
            raise OfflineError(f"the download stopped at {done} of {total} bytes; run 'tandem model download' again to "
                               f"resume; {_OFFLINE_HINT}")


def _total(response: object, have: int) -> int | None:
    headers = getattr(response, "headers", {})
    content_range = headers.get("Content-Range", "")
    if content_range and "/" in content_range:
        tail = content_range.rsplit("/", 1)[1]
        if tail.isdigit():
            return int(tail)
    length = headers.get("Content-Length")
    return have + int(length) if length and length.isdigit() else None


def _verify_archive(part: Path, known: KnownModel) -> None:
    size = part.stat().st_size
    if known.size is not None and size != known.size:
        part.unlink()
        raise ModelError(f"the downloaded archive has {size} bytes, expected {known.size}; it was deleted, run 'tandem "
                         "model download' again")
    if known.sha256 is not None:
        digest = hashlib.sha256()
        with open(part, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() != known.sha256:
            part.unlink()
            raise ModelError("the downloaded archive failed its SHA-256 check; it was deleted, run 'tandem model "
                             "download' again")


def _host(url: str) -> str:
    return urllib.parse.urlparse(url).netloc or url


# -- install from a zip --------------------------------------------------------------


def install_zip(archive: Path, models_dir: Path, expected_name: str | None = None) -> Path:
    """Unpack a model zip safely into ``models_dir``; returns the installed folder.

    Zip-slip safe (no absolute paths, no ``..``, no links), bounded in size,
    and the structure is checked before the folder is renamed into place.
    """
    if not archive.is_file():
        raise ModelError(f"{archive}: no such file")
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{archive}: not a zip archive ({exc}); download it again") from None
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = models_dir / f".installing-{os.getpid()}-{int(time.time() * 1000)}"
    try:
        with zf:
            members = _safe_members(zf, archive)
            staging.mkdir()
            for info, rel in members:
                dest = staging.joinpath(*rel.parts)
                if info.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out, _CHUNK)
        root = _model_root(staging)
        problem = check_model_dir(root)
        name = expected_name or (root.name if root != staging else archive.name.split(".zip")[0])
        if problem and check_whisper_dir(root) is None:  # a Whisper model zip: same safe unpacking
            problem = None
            name = name if name.startswith(WHISPER_PREFIX) else WHISPER_PREFIX + name
        if problem:
            raise ModelError(f"{archive}: neither a Vosk nor a Whisper model ({problem})")
        make_private(root)  # unpacked under the caller's umask, which only the CLI narrows
        target = models_dir / name
        if target.exists():
            shutil.rmtree(target)  # replacing a broken or older copy of the same model
        os.replace(root, target)
        if archive.name.endswith(".part"):
            archive.unlink()
        return target
    except zipfile.BadZipFile as exc:
        raise ModelError(f"{archive}: the zip is damaged ({exc}); download it again") from None
    except OSError as exc:
        raise ModelError(f"installing {archive} failed ({exc.strerror or exc}); "
                         f"check free space in {models_dir}") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _safe_members(zf: zipfile.ZipFile, archive: Path) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    total = 0
    out = []
    for info in zf.infolist():
        name = info.filename.replace("\\", "/")
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts or (rel.parts and ":" in rel.parts[0]):
            raise ModelError(f"{archive}: refuses to unpack {info.filename!r} (it points outside the model folder)")
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise ModelError(f"{archive}: refuses to unpack the symbolic link {info.filename!r}")
        total += info.file_size
        if total > _MAX_UNPACKED:
            raise ModelError(f"{archive}: unpacks to more than {_MAX_UNPACKED >> 30} GB; not a Vosk model")
        if rel.parts:
            out.append((info, rel))
    if not out:
        raise ModelError(f"{archive}: the zip is empty")
    return out


def _model_root(staging: Path) -> Path:
    """Model zips hold one top folder (vosk-model-.../am/...); some hold am/ at the top."""
    if check_model_dir(staging) is None or check_whisper_dir(staging) is None:
        return staging
    children = [c for c in staging.iterdir() if c.is_dir()]
    return children[0] if len(children) == 1 else staging


def check_whisper_dir(folder: Path) -> str | None:
    from .whisper_models import check_whisper_dir as check

    return check(folder)


WHISPER_PREFIX = "whisper-"


# -- a progress bar for the terminal ------------------------------------------------------


class ProgressBar:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self._last = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and (total is None or done < total):
            return
        self._last = now
        mb = done / 1e6
        if total:
            frac = min(1.0, done / total)
            bar = "#" * int(frac * 30)
            line = f"\r{self.label} [{bar:<30}] {frac * 100:5.1f}% {mb:6.1f}/{total / 1e6:.1f} MB"
        else:
            line = f"\r{self.label} {mb:6.1f} MB"
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()
