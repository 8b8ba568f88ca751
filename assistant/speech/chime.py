"""The soft "I'm listening" chime: two short rising notes, generated, no file.

Quiet (peak 0.25 before the voice volume) and short (~0.22 s) so that a
command said in the same breath as the wake phrase is still heard over it;
the chime never closes the echo gate.
"""

from __future__ import annotations

import numpy as np

CHIME_RATE = 22050


def chime_samples(rate: int = CHIME_RATE, peak: float = 0.25) -> np.ndarray:
    """float32 mono samples of the chime: E5 then A5, each with a raised-cosine envelope."""
    notes = ((659.25, 0.09), (880.0, 0.13))
    parts = []
    for freq, seconds in notes:
        n = int(rate * seconds)
        t = np.arange(n) / rate
        envelope = np.sin(np.pi * np.arange(n) / n) ** 2  # no clicks at either end
        parts.append(np.sin(2 * np.pi * freq * t) * envelope)
    return (np.concatenate(parts) * peak).astype(np.float32)
