"""One Monte Carlo trial: a simpy simulation of an attacker and a defender.

Each attempt is one simpy Timeout with a callback rather than a Process,
which keeps the engine fast. Random numbers come from `TrialRandom`, keyed by
the attempt, so the trial depends only on (seed, trial index) and the world.
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass, field

import simpy

from lab.engine.actions import INSIDER, INTERNET, Action, Effect, Event, Outcome
from lab.engine.rng import TrialRandom
from lab.engine.world import World
from lab.schema import Strategy
from lab.techniques import ATTACK_IDS, Technique


@dataclass
class TrialResult:
    """Final state of one trial. Times are hours, and `math.inf` means never."""

    index: int
    entry: str | None
    compromised: dict[str, float] = field(default_factory=dict)
    accessed: dict[str, float] = field(default_factory=dict)
    touched: dict[str, float] = field(default_factory=dict)
    exfiltrated: dict[str, float] = field(default_factory=dict)
    credentials: dict[str, float] = field(default_factory=dict)
    isolated: dict[str, float] = field(default_factory=dict)
    first_detection: float = math.inf
    attempts: int = 0
    events: list[Event] = field(default_factory=list)

    @property
    def reached(self) -> set[str]:
        """Services compromised or accessed, apart from the entry foothold."""
        return (set(self.compromised) | set(self.accessed)) - {self.entry}

    @property
    def blast_radius(self) -> int:
        return len(self.reached)

    @property
    def compromised_count(self) -> int:
        return len(set(self.compromised) - {self.entry})


class Trial:
    """The state and processes of one simulated attack."""

    def __init__(self, world: World, index: int, seed: int, keep_events: bool = True,
                 distances: dict[str, float] | None = None) -> None:
        self.world = world
        self.attacker = world.attacker
        self.random = TrialRandom(seed, index)
        self.env = simpy.Environment()
        self.keep_events = keep_events
        entry = world.attacker.entry
        self.result = TrialResult(index, entry.name if entry.kind == "service" else None)
        self.live: dict[str, None] = {}  # ordered set of footholds not isolated
        self.copies: dict[str, float] = {}  # credential -> expiry of the best stolen copy
        self.revoked: dict[str, float] = {}
        self.started: set[str] = set()
        self.available: dict[str, Action] = {}
        self.running: dict[str, tuple[Action, float, bool]] = {}  # attempts in flight: start, detected
        self.plan: list[tuple[float, int, str]] = []  # heap of the targeted attacker's options
        self.offered = itertools.count()  # breaks cost ties by the order actions were offered
        self.busy = False
        self.whole_action = world.scenario.credential_check == "whole_action"
        self.targeted = world.attacker.strategy is Strategy.TARGETED
        self.distances = distances or {}
        self.objective = set(world.attacker.objective)

    def run(self) -> TrialResult:
        entry = self.attacker.entry
        if entry.kind == "service" and entry.name is not None:
            self._compromise(entry.name, 0.0)
        elif entry.kind == "credential" and entry.name is not None:
            self._obtain(entry.name, 0.0)
        self._offer(self.world.entry_actions())
        self._proceed()
        horizon = self.attacker.horizon
        self.env.run(until=horizon)
        for action, started, detected in self.running.values():
            self._record(started, horizon, action.technique, action.source, action.target, action.credential,
                         Outcome.UNFINISHED, detected)
        return self.result

    # Choosing and starting actions

    def _offer(self, actions: list[Action]) -> None:
        for action in actions:
            if action.key not in self.started and action.key not in self.available and self._useful(action):
                self.available[action.key] = action
                if self.targeted and not action.denied and action.success > 0:
                    remaining = self.distances.get(action.key, math.inf)
                    if math.isfinite(remaining):
                        cost = remaining + action.duration.mean / self.attacker.skill / action.success
                        heapq.heappush(self.plan, (cost, next(self.offered), action.key))

    def _useful(self, action: Action) -> bool:
        target = action.target
        if target in self.result.isolated:
            return False
        if action.effect is Effect.COMPROMISE:
            return target not in self.result.compromised
        if target in self.result.compromised and action.effect is not Effect.OBTAIN:
            return False
        # An attempt that can add nothing is never made: once a service is
        # accessed and its data exposed, calling it from another foothold
        # changes no result and only adds noise.
        if action.effect is Effect.ACCESS:
            touched = self.result.touched
            return target not in self.result.accessed or any(a not in touched for a in action.assets)
        if action.effect is Effect.EXFILTRATE:
            exfiltrated = self.result.exfiltrated
            return target not in self.result.accessed or any(a not in exfiltrated for a in action.assets)
        return True

    def _proceed(self) -> None:
        if self.targeted:
            if not self.busy:
                action = self._best_action()
                if action is not None:
                    self._start(action)
            return
        for action in list(self.available.values()):
            self._start(action)

    def _best_action(self) -> Action | None:
        """Pick the action on the fastest expected path to the objective, never a denied one.

        The expected cost of an action is its expected duration over its
        success probability plus the static distance from its result to the
        objective. The attacker has full knowledge of the architecture, so when no open
        action leads to the objective it stops.
        """
        if self.objective <= set(self.result.exfiltrated):
            return None
        while self.plan:
            _, _, key = heapq.heappop(self.plan)
            action = self.available.get(key)
            if action is not None and self._useful(action):
                return action
            # Actions stop being useful for good (their target was taken,
            # isolated or already read), so a discarded entry never returns.
            self.available.pop(key, None)
        return None

    def _start(self, action: Action) -> None:
        del self.available[action.key]
        if not self._useful(action) or not self._origin_live(action.source):
            return
        if action.credential is not None and not self._usable(action.credential, action.source):
            return
        self.started.add(action.key)
        self.result.attempts += 1
        u = self.random.uniforms(action.key)
        now = self.env.now
        duration = action.duration.sample(u[0]) / self.attacker.skill
        succeeded = u[1] < action.success
        detected = u[2] < action.detect
        if detected:
            alert = now + self.world.detection_delay.sample(u[3])
            respond = alert + self.world.response_delay.sample(u[4])
            if alert < self.attacker.horizon:
                self.result.first_detection = min(self.result.first_detection, alert)
                self._schedule(respond - now, lambda _: self._respond(action))
        self.busy = True
        self.running[action.key] = (action, now, detected)
        self._schedule(duration, lambda _: self._finish(action, now, succeeded, detected))

    def _schedule(self, delay: float, callback: object) -> None:
        timeout = self.env.timeout(delay)
        timeout.callbacks.append(callback)  # type: ignore[arg-type]

    # Completing actions

    def _finish(self, action: Action, started: float, succeeded: bool, detected: bool) -> None:
        self.busy = False
        del self.running[action.key]
        now = self.env.now
        outcome = self._outcome(action, succeeded)
        if outcome is Outcome.SUCCESS:
            gained = action.credentials if action.effect is Effect.OBTAIN else action.assets
            self._record(started, now, action.technique, action.source, action.target, action.credential,
                         outcome, detected, action.effect, gained)
        else:
            self._record(started, now, action.technique, action.source, action.target, action.credential,
                         outcome, detected)
        if outcome is Outcome.SUCCESS:
            self._apply(action, now)
        elif outcome in (Outcome.ABORTED, Outcome.EXPIRED):
            self.started.discard(action.key)
            self._reoffer(action)
        self._proceed()

    def _outcome(self, action: Action, succeeded: bool) -> Outcome:
        if not self._origin_live(action.source):
            return Outcome.ABORTED
        if action.target in self.result.isolated:
            return Outcome.BLOCKED
        if action.denied:
            return Outcome.DENIED
        if action.credential is not None and self.whole_action and not self._usable(action.credential, action.source):
            return Outcome.EXPIRED
        return Outcome.SUCCESS if succeeded else Outcome.FAILED

    def _apply(self, action: Action, now: float) -> None:
        result = self.result
        if action.effect is Effect.COMPROMISE:
            self._compromise(action.target, now)
        elif action.effect is Effect.ACCESS:
            result.accessed.setdefault(action.target, now)
            for asset in action.assets:
                result.touched.setdefault(asset, now)
        elif action.effect is Effect.EXFILTRATE:
            result.accessed.setdefault(action.target, now)
            for asset in action.assets:
                result.exfiltrated.setdefault(asset, now)
        elif action.effect is Effect.OBTAIN:
            for credential in action.credentials:
                self._obtain(credential, now)
        elif action.effect is Effect.NODE:
            for name in self.world.nodes[action.target]:
                if name not in result.compromised and name not in result.isolated:
                    self._record(now, now, Technique.CONTAINER_ESCAPE, action.target, name, None,
                                 Outcome.SUCCESS, False, Effect.COMPROMISE)
                    self._compromise(name, now)

    def _compromise(self, name: str, now: float) -> None:
        result = self.result
        if name in result.compromised or name in result.isolated:
            return
        result.compromised[name] = now
        result.accessed.setdefault(name, now)
        for asset in self.world.services[name].assets:
            result.exfiltrated.setdefault(asset.name, now)
        self.live[name] = None
        self._offer(self.world.foothold_actions(name))
        origins = list(self.live)
        for credential in list(self.copies) + self._held_by(name):
            self._offer(self.world.credential_uses(credential, [name, *origins]))

    def _held_by(self, name: str) -> list[str]:
        return [c.name for c in self.world.credentials.values() if name in c.holders]

    def _obtain(self, credential: str, now: float) -> None:
        policy = self.world.policies[credential]
        expiry = policy.copy_expiry(now)
        if credential in self.revoked and self.revoked[credential] > now:
            expiry = min(expiry, self.revoked[credential])
        self.result.credentials.setdefault(credential, now)
        if expiry <= now:
            return
        self.copies[credential] = max(self.copies.get(credential, 0.0), expiry)
        self._offer(self.world.credential_uses(credential, self._origins()))

    def _origins(self) -> list[str]:
        origins = list(self.live)
        if self.attacker.entry.kind == "insider":
            origins.append(INSIDER)
        origins.append(INTERNET)
        return origins

    def _reoffer(self, action: Action) -> None:
        """Offer an attempt that was cut short again, from whatever origin can still make it."""
        if action.credential is not None:
            self._offer(self.world.credential_uses(action.credential, self._origins()))
            return
        self._offer([a for a in self.world.entry_actions() if a.key == action.key])
        self._offer(self.world.foothold_actions_with_key(action.key, list(self.live)))

    def _origin_live(self, origin: str) -> bool:
        return origin in (INTERNET, INSIDER) or origin in self.live

    def _usable(self, credential: str, origin: str) -> bool:
        """Return whether the attacker has a working copy, or a live foothold that can re-read it."""
        holders = self.world.credentials[credential].holders
        if any(holder in self.live for holder in holders):
            return True
        return self.env.now < self.copies.get(credential, -math.inf)

    # The defender

    def _respond(self, action: Action) -> None:
        """Isolate the foothold behind a detected action and revoke what it exposed."""
        now = self.env.now
        to_isolate = [action.source] if action.source in self.live else []
        if action.effect in (Effect.COMPROMISE, Effect.NODE) and action.target in self.live:
            to_isolate.append(action.target)
        revoke = [action.credential] if action.credential else []
        for name in to_isolate:
            if name in self.result.isolated:
                continue
            del self.live[name]
            self.result.isolated[name] = now
            self._record(now, now, Technique.RESPONSE, "defender", name, None, Outcome.ISOLATED, True)
            revoke.extend(self._held_by(name))
        for credential in dict.fromkeys(revoke):
            self.revoked[credential] = now
            if credential in self.copies and self.copies[credential] > now:
                self.copies[credential] = now
                self._record(now, now, Technique.RESPONSE, "defender", credential, credential,
                             Outcome.REVOKED, True)

    def _record(self, start: float, end: float, technique: Technique, source: str, target: str,
                credential: str | None, outcome: Outcome, detected: bool, effect: Effect | None = None,
                gained: tuple[str, ...] = ()) -> None:
        if self.keep_events:
            self.result.events.append(Event(start, end, technique, ATTACK_IDS[technique], source, target,
                                            credential, outcome, detected, effect, gained))


def run_trial(world: World, index: int, seed: int, keep_events: bool = True,
              distances: dict[str, float] | None = None) -> TrialResult:
    """Simulate trial `index` of `world` with the given seed."""
    return Trial(world, index, seed, keep_events, distances).run()
