"""Durations (`30m`, `4h`, `2d`) and the time distributions built from them.

Simulation time is measured in hours throughout the lab.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

_UNITS = {"s": 1 / 3600, "m": 1 / 60, "h": 1.0, "d": 24.0, "w": 168.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")

# Ten thousand years: longer lifetimes count as non-expiring, which keeps
# every time finite and printable.
MAX_HOURS = 24 * 365 * 10_000


def parse_duration(text: str) -> float:
    """Convert a duration such as `30m`, `4h`, `2d` or `1w` to hours.

    Raises:
        ValueError: the text is not a non-negative number followed by s, m, h, d or w.
    """
    match = _DURATION.match(text)
    if not match:
        raise ValueError(
            f"invalid duration {text!r}: expected a number and a unit, "
            "one of s, m, h, d, w (for example 30m, 4h, 2d)"
        )
    return min(float(match.group(1)) * _UNITS[match.group(2)], MAX_HOURS)


def format_hours(hours: float) -> str:
    """Format a time in hours with the largest unit that keeps it readable."""
    if math.isinf(hours) or math.isnan(hours):
        return "never"
    if hours < 1:
        return f"{hours * 60:.0f}m"
    if hours < 48:
        return f"{hours:.1f}h"
    return f"{hours / 24:.1f}d"


class DistKind(StrEnum):
    FIXED = "fixed"
    EXPONENTIAL = "exponential"
    LOGNORMAL = "lognormal"


@dataclass(frozen=True, slots=True)
class Distribution:
    """A distribution of action durations in hours.

    `value` is the fixed time, the mean of an exponential, or the median of a
    lognormal; `sigma` is the lognormal's shape.
    """

    kind: DistKind
    value: float
    sigma: float = 1.0

    @property
    def mean(self) -> float:
        if self.kind is DistKind.LOGNORMAL:
            return self.value * math.exp(self.sigma**2 / 2)
        return self.value

    def sample(self, u: float) -> float:
        """Return the duration at quantile `u` (0 < u < 1), by inverse transform."""
        if self.kind is DistKind.FIXED:
            return self.value
        if self.kind is DistKind.EXPONENTIAL:
            return -self.value * math.log1p(-u)
        return self.value * math.exp(self.sigma * _normal_quantile(u))

    def scaled(self, factor: float) -> Distribution:
        return Distribution(self.kind, min(self.value * factor, MAX_HOURS), self.sigma)


def fixed(hours: float) -> Distribution:
    return Distribution(DistKind.FIXED, hours)


def exponential(mean_hours: float) -> Distribution:
    return Distribution(DistKind.EXPONENTIAL, mean_hours)


def _normal_quantile(u: float) -> float:
    """Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9)."""
    a = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
         1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
    b = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
         6.680131188771972e01, -1.328068155288572e01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
         -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
         3.754408661907416e00)
    low = 0.02425
    if u < low:
        q = math.sqrt(-2 * math.log(u))
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    if u > 1 - low:
        q = math.sqrt(-2 * math.log1p(-u))
        return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    q = u - 0.5
    r = q * q
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (
        ((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
