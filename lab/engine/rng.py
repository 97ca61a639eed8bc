"""Counter-based random numbers: each draw is a hash of (seed, trial, action key).

Keying draws by action rather than by call order gives common random
numbers across postures: trial i of every posture draws the same uniforms for
the same action, so paired differences have tight confidence intervals, and
results do not depend on the order or process in which trials run.
"""

from __future__ import annotations

import hashlib

_SCALE = 2.0**-53


class TrialRandom:
    """Uniform draws in (0, 1) for one trial, keyed by a stable action key."""

    __slots__ = ("_prefix",)

    def __init__(self, seed: int, trial: int) -> None:
        self._prefix = hashlib.blake2b(f"{seed}:{trial}:".encode(), digest_size=64)

    def uniforms(self, key: str) -> tuple[float, ...]:
        """Return eight independent uniforms in (0, 1) for `key`."""
        digest = self._prefix.copy()
        digest.update(key.encode())
        raw = digest.digest()
        return tuple(
            ((int.from_bytes(raw[i : i + 8], "little") >> 11) + 0.5) * _SCALE for i in range(0, 64, 8)
        )
