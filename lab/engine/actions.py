"""Attack actions: what an attacker can try, with its timing, odds and effect."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lab.durations import Distribution
from lab.techniques import ATTACK_IDS, Technique

INTERNET = "internet"
INSIDER = "insider"


class Effect(StrEnum):
    COMPROMISE = "compromise"  # code execution: a new foothold
    ACCESS = "access"  # an API call: exposes what its operations return
    EXFILTRATE = "exfiltrate"  # data at rest read with a credential
    OBTAIN = "obtain"  # credentials captured
    NODE = "node"  # every workload on a node compromised


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILED = "failed"
    DENIED = "denied"
    EXPIRED = "expired"
    ABORTED = "aborted"
    BLOCKED = "blocked"
    ISOLATED = "isolated"
    UNFINISHED = "unfinished"  # still running at the horizon
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class Action:
    """One attempt the attacker can make from an origin.

    `key` names the attempt independently of the posture, so the same attempt
    draws the same random numbers under every posture. `source` is a service
    name, `internet` or `insider`.
    """

    key: str
    technique: Technique
    source: str
    target: str
    effect: Effect
    duration: Distribution
    success: float
    detect: float
    denied: bool = False
    credential: str | None = None
    assets: tuple[str, ...] = ()
    credentials: tuple[str, ...] = ()

    @property
    def attack_id(self) -> str:
        return ATTACK_IDS[self.technique]


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a trial's timeline; `time` and `end` are hours since the start.

    `effect` is what a successful action did, and `gained` the data assets it
    exposed or the credentials it captured.
    """

    time: float
    end: float
    technique: Technique
    attack_id: str
    source: str
    target: str
    credential: str | None
    outcome: Outcome
    detected: bool
    effect: Effect | None = None
    gained: tuple[str, ...] = ()
