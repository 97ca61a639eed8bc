"""The validated scenario: frozen records that the engine and analysis read.

Times are in hours. `None` for a lifetime or rotation means none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lab.controls import Posture
from lab.durations import Distribution
from lab.errors import EngineError
from lab.schema import Access, CredentialKind, ServiceKind, Severity, Storage, Strategy

# Credentials may grant access to the Kubernetes API under this reserved
# target name; `admin` on it means exec into any pod.
CLUSTER = "cluster"


@dataclass(frozen=True, slots=True)
class DataAsset:
    name: str
    holder: str
    sensitivity: int


@dataclass(frozen=True, slots=True)
class Vulnerability:
    id: str
    severity: Severity
    exploit_time: Distribution
    success: float


@dataclass(frozen=True, slots=True)
class ShadowApi:
    name: str
    effect: str  # "read" exposes the holder's data, "compromise" runs code


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    kind: ServiceKind
    zone: str
    exposed: bool
    assets: tuple[DataAsset, ...]
    vulnerabilities: tuple[Vulnerability, ...]
    identity: str
    node: str | None
    shadow_apis: tuple[ShadowApi, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class Call:
    source: str
    target: str
    protocol: str
    port: int | None
    operations: tuple[str, ...]
    reads: tuple[str, ...]
    credential: str | None

    @property
    def id(self) -> str:
        return f"{self.source}>{self.target}"


@dataclass(frozen=True, slots=True)
class Grant:
    target: str
    access: Access


@dataclass(frozen=True, slots=True)
class Credential:
    name: str
    kind: CredentialKind
    storage: Storage
    holders: tuple[str, ...]
    grants: tuple[Grant, ...]
    lifetime: float | None
    rotation: float | None
    revoke_old: bool

    @property
    def shared(self) -> bool:
        return len(self.holders) > 1


@dataclass(frozen=True, slots=True)
class Entry:
    kind: str  # internet, insider, service or credential
    name: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}" if self.name else self.kind


@dataclass(frozen=True, slots=True)
class Attacker:
    name: str
    entry: Entry
    skill: float
    strategy: Strategy
    objective: tuple[str, ...]
    horizon: float


@dataclass(frozen=True, slots=True)
class Exercise:
    """A workshop goal: limits to meet with controls whose summed cost fits the budget."""

    description: str
    attacker: str | None
    max_blast_radius_p95: float | None
    max_objective_probability: float | None
    budget: float
    costs: dict[str, float]


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    source: str
    file: str
    services: tuple[Service, ...]
    calls: tuple[Call, ...]
    credentials: tuple[Credential, ...]
    postures: dict[str, Posture]
    attackers: tuple[Attacker, ...]
    trials: int
    seed: int
    credential_check: str
    notes: tuple[str, ...] = field(default=())
    exercise: Exercise | None = None
    digest: str = ""  # SHA-256 of the scenario file's bytes

    def service(self, name: str) -> Service:
        for service in self.services:
            if service.name == name:
                return service
        raise EngineError(f"unknown service {name!r}")

    @property
    def assets(self) -> dict[str, DataAsset]:
        return {asset.name: asset for service in self.services for asset in service.assets}

    def attacker(self, name: str | None) -> Attacker:
        if name is None:
            return self.attackers[0]
        for attacker in self.attackers:
            if attacker.name == name:
                return attacker
        known = ", ".join(a.name for a in self.attackers)
        raise EngineError(f"unknown attacker {name!r}; the scenario defines: {known}")

    def posture(self, name: str) -> Posture:
        if name not in self.postures:
            known = ", ".join(self.postures)
            raise EngineError(f"unknown posture {name!r}; known postures: {known}")
        return self.postures[name]
