"""Security controls, their parameters and the built-in postures.

Each default cites its source; values marked "assumption" have none and are
listed as such in docs/model.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from lab.durations import Distribution, exponential


class Control(StrEnum):
    MTLS = "mtls"
    AUTHZ = "authz"
    NETWORK_POLICY = "network_policy"
    LEAST_PRIVILEGE = "least_privilege"
    SECRETS_MANAGER = "secrets_manager"
    GATEWAY = "gateway"
    RUNTIME_HARDENING = "runtime_hardening"
    API_INVENTORY = "api_inventory"
    PER_SERVICE_IDENTITY = "per_service_identity"
    OBSERVABILITY = "observability"


CONTROL_SUMMARY: dict[Control, str] = {
    Control.MTLS: "encrypt east-west traffic and reject callers without a workload certificate",
    Control.AUTHZ: "allow a request only when the caller's identity has a declared call to the callee",
    Control.NETWORK_POLICY: "default deny: a workload may open connections only along declared calls",
    Control.LEAST_PRIVILEGE: "cap each credential to what its holders' declared calls need",
    Control.SECRETS_MANAGER: "no secrets in env vars or files; short-lived, rotated, revocable",
    Control.GATEWAY: "validate input and rate-limit north-south traffic to exposed services",
    Control.RUNTIME_HARDENING: "non-root, read-only, seccomp: container escape far harder",
    Control.API_INVENTORY: "every endpoint inventoried and removed or protected: no shadow APIs",
    Control.PER_SERVICE_IDENTITY: "one service account per service: no shared identities",
    Control.OBSERVABILITY: "detect actions and denied requests, isolate footholds, rotate credentials",
}


@dataclass(frozen=True, slots=True)
class Parameters:
    """Numeric parameters of the controls, used whether or not a control is on."""

    # Kubernetes projected service-account tokens default to 1h and AWS STS
    # AssumeRole sessions to 3600 s: a short-lived secret lives one hour.
    secret_ttl: float = 1.0
    # Assumption: a web application firewall stops half of exploit attempts
    # and doubles the time of the rest.
    gateway_block: float = 0.5
    gateway_slowdown: float = 2.0
    # MAL coreLang: bypassing an enabled defence is VeryHardAndUncertain,
    # Bernoulli(0.5) x Exponential(0.01 per day), a mean of 100 days.
    hardened_escape_success: float = 0.5
    hardened_escape_time: Distribution = exponential(100 * 24.0)
    # Assumption: with observability on, an action is seen with probability
    # 0.3 (scaled by how visible its technique is) and a denied request,
    # which is logged, with probability 0.6.
    detect: float = 0.3
    detect_denied: float = 0.6
    # CrowdStrike's 1-10-60 target (detect in 1 min, investigate in 10,
    # contain in 60): an alert after a mean of 10 minutes, containment after
    # a further mean of 60.
    detection_delay: Distribution = exponential(10 / 60)
    response_delay: Distribution = exponential(1.0)
    # Without observability, CISA's "traditional" stage keeps limited manual
    # logs. Assumption: 1% of actions and 2% of denied requests get noticed,
    # after M-Trends' 2026 median dwell time of 14 days (secondary, unverified).
    baseline_detect: float = 0.01
    baseline_detect_denied: float = 0.02
    baseline_detection_delay: Distribution = exponential(14 * 24.0)
    baseline_response_delay: Distribution = exponential(24.0)


@dataclass(frozen=True, slots=True)
class Posture:
    """A named set of enabled controls with their parameters."""

    name: str
    enabled: frozenset[Control]
    parameters: Parameters = field(default_factory=Parameters)
    description: str = ""

    def has(self, control: Control) -> bool:
        return control in self.enabled

    def with_control(self, control: Control, on: bool) -> Posture:
        enabled = self.enabled | {control} if on else self.enabled - {control}
        name = f"{self.name}{'+' if on else '-'}{control.value}"
        return replace(self, name=name, enabled=frozenset(enabled))


ALL_CONTROLS = frozenset(Control)

# CISA Zero Trust Maturity Model v2.0 (April 2023) stages, mapped to controls.
# The mapping is our inference from the stage descriptions: "initial" isolates
# workloads and guards the edge, "advanced" adds encryption, per-request
# authorization, expiring least-privilege credentials and monitoring,
# "optimal" adds per-workload identity and immutable hardened runtimes.
_INITIAL = frozenset({Control.NETWORK_POLICY, Control.GATEWAY, Control.API_INVENTORY})
_ADVANCED = _INITIAL | {
    Control.MTLS, Control.AUTHZ, Control.LEAST_PRIVILEGE, Control.SECRETS_MANAGER,
    Control.OBSERVABILITY,
}

BUILTIN_POSTURES: dict[str, Posture] = {
    "implicit-trust": Posture("implicit-trust", frozenset(), description="all controls off"),
    "traditional": Posture("traditional", frozenset(), description="CISA ZTMM stage 1: implicit trust"),
    "initial": Posture("initial", _INITIAL, description="CISA ZTMM stage 2"),
    "advanced": Posture("advanced", _ADVANCED, description="CISA ZTMM stage 3"),
    "optimal": Posture("optimal", ALL_CONTROLS, description="CISA ZTMM stage 4: every control"),
    "zero-trust": Posture("zero-trust", ALL_CONTROLS, description="all controls on"),
}
