"""The scenario file format as pydantic models.

These models check the shape of each value. Cross-references between
sections (a call to an undeclared service, say) are checked in
`lab.scenario`, which also turns these models into the engine's model.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictStr, field_validator, model_validator

from lab.durations import MAX_HOURS, Distribution, DistKind, parse_duration
from lab.validation import describe

# Names follow Kubernetes DNS labels: lower case, so no two names differ only
# by case or by look-alike Unicode letters.
NAME_PATTERN = r"^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$"
Name = Annotated[StrictStr, Field(pattern=NAME_PATTERN)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


def parse_hours(value: object) -> float:
    """Convert a duration value from a scenario file to hours.

    Raises:
        ValueError: the value is not a duration string with a unit.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("expected a duration such as 30m, 4h or 2d")
    if isinstance(value, (int, float)):
        raise ValueError(f"expected a duration with a unit such as 30m, 4h or 2d, got the bare number {value}")
    if value.strip().startswith("-"):
        raise ValueError(f"negative duration {value!r}: durations must be zero or more")
    return parse_duration(value)


def _check_duration(value: object) -> object:
    parse_hours(value)
    return value


# A duration string such as "30m"; checked before pydantic's type check so
# that a bare number gets a message about units.
Duration = Annotated[str, BeforeValidator(_check_duration)]


class DistributionSpec(Strict):
    """A time distribution: `{dist: exponential, mean: 4h}`, `{dist: lognormal, median: 2h, sigma: 1}`
    or `{dist: fixed, value: 30m}`. A plain duration string means a fixed time."""

    dist: Literal["fixed", "exponential", "lognormal"]
    mean: Duration | None = None
    median: Duration | None = None
    value: Duration | None = None
    sigma: Annotated[float, Field(gt=0, le=10)] = 1.0

    @model_validator(mode="after")
    def _check_parameters(self) -> DistributionSpec:
        wanted = {"fixed": "value", "exponential": "mean", "lognormal": "median"}[self.dist]
        article = "an" if self.dist == "exponential" else "a"
        for name in ("mean", "median", "value"):
            if name != wanted and getattr(self, name) is not None:
                raise ValueError(f"{article} {self.dist} distribution takes '{wanted}', not '{name}'")
        if getattr(self, wanted) is None:
            raise ValueError(f"{article} {self.dist} distribution needs '{wanted}'")
        hours = parse_hours(getattr(self, wanted))
        if self.dist != "fixed" and hours <= 0:
            raise ValueError(f"'{wanted}' must be greater than zero")
        return self

    def to_distribution(self) -> Distribution:
        wanted = {"fixed": "value", "exponential": "mean", "lognormal": "median"}[self.dist]
        return Distribution(DistKind(self.dist), parse_hours(getattr(self, wanted)), self.sigma)


def _time_shorthand(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        parse_hours(value)  # raises the message about a bare number without a unit
    if isinstance(value, str):
        return {"dist": "fixed", "value": value}
    return value


TimeSpec = Annotated[DistributionSpec, BeforeValidator(_time_shorthand)]


class ServiceKind(StrEnum):
    SERVICE = "service"
    DATASTORE = "datastore"
    GATEWAY = "gateway"
    QUEUE = "queue"
    EXTERNAL = "external"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class DataAssetSpec(Strict):
    name: Name
    sensitivity: Annotated[int, Field(ge=1, le=5, strict=True)] = 3


class VulnerabilitySpec(Strict):
    id: Annotated[StrictStr, Field(min_length=1, max_length=100)]
    severity: Severity = Severity.HIGH
    exploit_time: TimeSpec | None = None
    success: Probability | None = None


class ShadowApiSpec(Strict):
    name: Annotated[StrictStr, Field(min_length=1, max_length=200)]
    effect: Literal["read", "compromise"] = "read"


class ServiceSpec(Strict):
    name: Name
    kind: ServiceKind = ServiceKind.SERVICE
    zone: Name = "default"
    exposed: StrictBool = False
    data: list[DataAssetSpec] = []
    vulnerabilities: list[VulnerabilitySpec] = []
    identity: Name | None = None
    node: Name | None = None
    shadow_apis: list[ShadowApiSpec] = []
    description: StrictStr = ""


class CallSpec(Strict):
    from_: Name = Field(alias="from")
    to: Name
    protocol: Annotated[StrictStr, Field(min_length=1, max_length=40)] = "http"
    port: Annotated[int, Field(ge=1, le=65535, strict=True)] | None = None
    operations: list[Annotated[StrictStr, Field(min_length=1, max_length=100)]] = ["call"]
    reads: list[Name] = []
    credential: Name | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CredentialKind(StrEnum):
    API_KEY = "api_key"
    TOKEN = "token"
    PASSWORD = "password"
    CERTIFICATE = "certificate"
    CLOUD_KEY = "cloud_key"
    SERVICE_ACCOUNT_TOKEN = "service_account_token"


class Storage(StrEnum):
    ENV = "env"
    FILE = "file"
    SECRETS_MANAGER = "secrets_manager"


class Access(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class GrantSpec(Strict):
    target: Name
    access: Access = Access.READ


class RotationSpec(Strict):
    every: Duration
    revoke_old: StrictBool = True

    @field_validator("every")
    @classmethod
    def _positive(cls, value: str) -> str:
        if parse_hours(value) <= 0:
            raise ValueError("rotation interval must be greater than zero")
        return value


class CredentialSpec(Strict):
    name: Name
    kind: CredentialKind = CredentialKind.TOKEN
    storage: Storage = Storage.ENV
    held_by: Annotated[list[Name], Field(min_length=1)]
    grants: list[GrantSpec] = []
    lifetime: Duration | None = None
    rotation: RotationSpec | None = None

    @field_validator("lifetime")
    @classmethod
    def _positive_lifetime(cls, value: str | None) -> str | None:
        if value is not None and parse_hours(value) <= 0:
            raise ValueError("lifetime must be greater than zero (leave it out for a non-expiring credential)")
        return value


CONTROL_NAMES = (
    "mtls", "authz", "network_policy", "least_privilege", "secrets_manager", "gateway",
    "runtime_hardening", "api_inventory", "per_service_identity", "observability",
)


class ControlSpec(Strict):
    """A control switch; `mtls: true` is short for `mtls: {enabled: true}`."""

    enabled: StrictBool = True


class SecretsManagerSpec(ControlSpec):
    ttl: Duration | None = None

    @field_validator("ttl")
    @classmethod
    def _positive_ttl(cls, value: str | None) -> str | None:
        if value is not None and parse_hours(value) <= 0:
            raise ValueError("ttl must be greater than zero")
        return value


class GatewaySpec(ControlSpec):
    block: Probability | None = None
    slowdown: Annotated[float, Field(ge=1.0, le=1000.0)] | None = None


class RuntimeHardeningSpec(ControlSpec):
    escape_success: Probability | None = None
    escape_time: TimeSpec | None = None


class ObservabilitySpec(ControlSpec):
    detect: Probability | None = None
    detect_denied: Probability | None = None
    detection_delay: TimeSpec | None = None
    response_delay: TimeSpec | None = None


def _control_shorthand(value: object) -> object:
    if isinstance(value, bool):
        return {"enabled": value}
    if value is None or isinstance(value, (str, int, float, list)):
        raise ValueError(f"expected true, false or a mapping of parameters such as {{enabled: true}}, "
                         f"got {describe(value)}")
    return value


def _control(spec: type[ControlSpec]) -> object:
    return Annotated[spec, BeforeValidator(_control_shorthand)]


class ControlsSpec(Strict):
    mtls: _control(ControlSpec) = None  # type: ignore[valid-type, assignment]
    authz: _control(ControlSpec) = None  # type: ignore[valid-type, assignment]
    network_policy: _control(ControlSpec) = None  # type: ignore[valid-type, assignment]
    least_privilege: _control(ControlSpec) = None  # type: ignore[valid-type, assignment]
    secrets_manager: _control(SecretsManagerSpec) = None  # type: ignore[valid-type, assignment]
    gateway: _control(GatewaySpec) = None  # type: ignore[valid-type, assignment]
    runtime_hardening: _control(RuntimeHardeningSpec) = None  # type: ignore[valid-type, assignment]
    api_inventory: _control(ControlSpec) = None  # type: ignore[valid-type, assignment]
    per_service_identity: _control(ControlSpec) = None  # type: ignore[valid-type, assignment]
    observability: _control(ObservabilitySpec) = None  # type: ignore[valid-type, assignment]


class PostureSpec(Strict):
    name: Name
    base: Name = "implicit-trust"
    description: StrictStr = ""
    controls: ControlsSpec = ControlsSpec()


class Strategy(StrEnum):
    EXHAUSTIVE = "exhaustive"
    TARGETED = "targeted"


class EntrySpec(Strict):
    """Attacker entry point: exactly one of the four fields."""

    internet: StrictBool | None = None
    insider: StrictBool | None = None
    service: Name | None = None
    credential: Name | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> EntrySpec:
        given = [name for name in ("internet", "insider", "service", "credential")
                 if getattr(self, name) not in (None, False)]
        if len(given) != 1:
            raise ValueError("give exactly one of internet: true, insider: true, service: NAME, credential: NAME")
        return self


def _entry_shorthand(value: object) -> object:
    if value in ("internet", "insider"):
        return {value: True}
    if isinstance(value, str):
        raise ValueError(f"invalid entry {value!r}: expected internet, insider or a mapping such as "
                         "{service: NAME}")
    return value


class AttackerSpec(Strict):
    name: Name
    entry: Annotated[EntrySpec, BeforeValidator(_entry_shorthand)]
    skill: Annotated[float, Field(gt=0.0, le=100.0)] = 1.0
    strategy: Strategy = Strategy.EXHAUSTIVE
    objective: Annotated[list[Name], Field(min_length=1)]
    horizon: Duration = "7d"


    @field_validator("horizon")
    @classmethod
    def _positive_horizon(cls, value: str) -> str:
        if parse_hours(value) <= 0:
            raise ValueError("horizon must be greater than zero")
        return value


class SimulationSpec(Strict):
    trials: Annotated[int, Field(ge=1, le=10_000_000, strict=True)] = 1000
    seed: Annotated[int, Field(ge=0, le=2**63 - 1, strict=True)] = 1
    nodes: Annotated[int, Field(ge=1, le=100_000, strict=True)] = 3
    credential_check: Literal["whole_action", "action_start"] = "whole_action"


class GoalSpec(Strict):
    """Exercise goal: every limit that is set must hold."""

    max_blast_radius_p95: Annotated[float, Field(ge=0)] | None = None
    max_objective_probability: Probability | None = None


class ExerciseSpec(Strict):
    """A workshop exercise: meet the goal with controls whose total cost fits the budget."""

    description: StrictStr = ""
    attacker: Name | None = None
    goal: GoalSpec
    budget: Annotated[float, Field(ge=0)]
    costs: Annotated[dict[str, Annotated[float, Field(ge=0)]],
                     Field(json_schema_extra={"propertyNames": {"enum": list(CONTROL_NAMES)}})]


class ScenarioSpec(Strict):
    name: Name
    description: StrictStr = ""
    source: StrictStr = ""
    services: Annotated[list[ServiceSpec], Field(min_length=1)]
    calls: list[CallSpec] = []
    credentials: list[CredentialSpec] = []
    postures: list[PostureSpec] = []
    attackers: Annotated[list[AttackerSpec], Field(min_length=1)]
    simulation: SimulationSpec = SimulationSpec()
    exercise: ExerciseSpec | None = None


__all__ = ["MAX_HOURS", "ScenarioSpec"]
