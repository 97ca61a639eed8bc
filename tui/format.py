"""Number formats shared by every panel, so the same value always reads the same."""

from __future__ import annotations

import math

import lab

CONTROL_NAMES: dict[lab.Control, str] = {
    lab.Control.MTLS: "mTLS",
    lab.Control.AUTHZ: "authorization",
    lab.Control.NETWORK_POLICY: "network policy",
    lab.Control.LEAST_PRIVILEGE: "least privilege",
    lab.Control.SECRETS_MANAGER: "secrets manager",
    lab.Control.GATEWAY: "API gateway",
    lab.Control.RUNTIME_HARDENING: "runtime hardening",
    lab.Control.API_INVENTORY: "API inventory",
    lab.Control.PER_SERVICE_IDENTITY: "per-service identity",
    lab.Control.OBSERVABILITY: "observability",
}
# Keys 1 to 9 and 0 toggle the controls in this order.
CONTROL_KEYS = "1234567890"


def count(value: float) -> str:
    """Format a count of services, with one decimal only when it is not whole (a mean, say)."""
    if not math.isfinite(value):
        return "–"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def percent(probability: float) -> str:
    if not math.isfinite(probability):
        return "–"
    return f"{probability * 100:.1f}%"


def hours(value: float) -> str:
    """Format simulated hours with `lab.format_hours`; infinity reads `never`."""
    return lab.format_hours(value)


def cost(value: float) -> str:
    return f"{value:g}"


def signed(value: float, unit: str = "") -> str:
    """Format a change with its sign and one decimal, using a true minus sign."""
    if not math.isfinite(value):
        return "–"
    return f"{value:+.1f}".replace("-", "−") + unit
