"""A scenario seen through one posture: who can reach, call and use what.

`World` answers the static questions (is this connection allowed, what does
this call return, what does this credential grant) and builds the actions an
attacker can try. The trial engine and the static attack graph both use it,
so nothing happens in a trial that the static graph does not contain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lab.controls import Control, Posture
from lab.durations import Distribution, exponential, fixed
from lab.engine.actions import INSIDER, INTERNET, Action, Effect
from lab.model import CLUSTER, Attacker, Call, Credential, Scenario, Service
from lab.schema import Access, ServiceKind, Storage
from lab.techniques import Technique

# Technique timings. Sources are in docs/model.md; "assumption" marks values
# without one.
# CrowdStrike 2026 average eCrime breakout time, 29 minutes (secondary).
LATERAL_TIME = exponential(0.5)
# Assumption: reading env vars and mounted files takes minutes.
HARVEST_TIME = exponential(10 / 60)
# Assumption: finding and calling the secrets manager API takes longer.
FETCH_SECRET_TIME = exponential(0.5)
# Assumption: a token on the wire is seen within hours of ordinary traffic.
SNIFF_TIME = exponential(2.0)
# Assumption: an undocumented endpoint is found by route guessing in hours.
SHADOW_API_TIME = exponential(2.0)
# Assumption: exec into a pod with a valid token takes minutes.
ADMIN_EXEC_TIME = exponential(0.25)
# MAL coreLang EasyAndCertain, Exponential(1.0 per day), for an escape from
# an unhardened container (Sysdig 2021: 58% of containers run as root).
ESCAPE_TIME = exponential(24.0)
# A denied request fails within seconds.
DENIED_TIME = fixed(1 / 60)

# Visibility of each technique to monitoring: a factor on the posture's
# detection probability. Assumptions: calls along declared edges look like
# normal traffic, reading local files and sniffing are quiet, secrets-manager
# reads are audited.
VISIBILITY: dict[Technique, float] = {
    Technique.EXPLOIT_PUBLIC: 1.0,
    Technique.EXPLOIT_REMOTE: 1.0,
    Technique.HARVEST_CREDENTIALS: 0.3,
    Technique.FETCH_SECRET: 1.0,
    Technique.USE_CREDENTIAL: 0.5,
    Technique.REPLAY_TOKEN: 0.5,
    Technique.CALL_INTERNAL_API: 1.0,
    Technique.SHARED_IDENTITY: 0.5,
    Technique.SNIFF_TRAFFIC: 0.2,
    Technique.SHADOW_API: 1.0,
    Technique.CONTAINER_ESCAPE: 1.0,
    Technique.CONTAINER_ADMIN: 1.0,
}
DECLARED_CALL_VISIBILITY = 0.3
# Protocols that encrypt on their own, whatever the mesh does.
ENCRYPTED_PROTOCOLS = frozenset({"https", "grpcs", "tls", "smtps", "ldaps", "imaps", "amqps", "mqtts", "wss"})


def _encrypted(protocol: str) -> bool:
    name = protocol.lower()
    return name in ENCRYPTED_PROTOCOLS or "tls" in name


@dataclass(frozen=True, slots=True)
class CredentialPolicy:
    """Storage and lifetime of a credential under the posture."""

    in_secrets_manager: bool
    lifetime: float | None
    rotation: float | None
    revoke_old: bool

    def copy_expiry(self, obtained_at: float) -> float:
        """Return when a copy taken at `obtained_at` stops working.

        A version is issued at each rotation (or renewal at the end of its
        lifetime) starting at t=0; the copy is the version current at
        `obtained_at`. It ends at its own lifetime, or at the next rotation
        when rotation revokes old versions. Theft never extends it.
        """
        period = self.rotation or self.lifetime
        issued = math.floor(obtained_at / period) * period if period else 0.0
        expiry = issued + self.lifetime if self.lifetime else math.inf
        if self.rotation and self.revoke_old:
            expiry = min(expiry, issued + self.rotation)
        return expiry


class World:
    """The scenario under one posture, for one attacker."""

    def __init__(self, scenario: Scenario, posture: Posture, attacker: Attacker) -> None:
        self.scenario = scenario
        self.posture = posture
        self.attacker = attacker
        self.services: dict[str, Service] = {s.name: s for s in scenario.services}
        self.credentials: dict[str, Credential] = {c.name: c for c in scenario.credentials}
        self.calls = [c for c in scenario.calls if c.source != c.target]
        self.declared = {(c.source, c.target) for c in self.calls}
        self.calls_into: dict[str, list[Call]] = {name: [] for name in self.services}
        self.targets_of_token: dict[str, list[str]] = {}  # credential -> services whose calls carry it
        for call in self.calls:
            self.calls_into[call.target].append(call)
            if call.credential:
                targets = self.targets_of_token.setdefault(call.credential, [])
                if call.target not in targets:
                    targets.append(call.target)
        self.on = posture.enabled
        params = posture.parameters
        observing = Control.OBSERVABILITY in self.on
        self.detect = params.detect if observing else params.baseline_detect
        self.detect_denied = params.detect_denied if observing else params.baseline_detect_denied
        self.detection_delay = params.detection_delay if observing else params.baseline_detection_delay
        self.response_delay = params.response_delay if observing else params.baseline_response_delay
        self.policies = {c.name: self._credential_policy(c) for c in scenario.credentials}
        self.grants = {c.name: self._grants(c) for c in scenario.credentials}
        self.nodes: dict[str, list[str]] = {}
        for service in scenario.services:
            if service.node is not None:
                self.nodes.setdefault(service.node, []).append(service.name)
        self._foothold_cache: dict[str, list[Action]] = {}
        self._by_key: dict[str, list[Action]] = {}  # foothold actions by key, across origins

    # Identity, reachability and authorization

    def identity(self, service: str) -> str:
        if Control.PER_SERVICE_IDENTITY in self.on:
            return service
        return self.services[service].identity

    def reaches(self, origin: str, target: str) -> bool:
        """Return whether a connection from `origin` to `target` gets through the network."""
        service = self.services[target]
        if origin == target:
            return False
        if origin == INTERNET:
            return service.exposed or service.kind is ServiceKind.EXTERNAL
        if origin == INSIDER:
            if service.exposed:
                return True
            if service.kind is ServiceKind.EXTERNAL:
                return True
            # Default-deny policy drops the insider's connection, and strict
            # mTLS rejects a client without a workload certificate.
            return Control.NETWORK_POLICY not in self.on and Control.MTLS not in self.on
        if service.kind is ServiceKind.EXTERNAL and Control.NETWORK_POLICY not in self.on:
            return True
        if Control.NETWORK_POLICY in self.on:
            return (origin, target) in self.declared
        return True

    def permitted_calls(self, origin: str, target: str) -> list[Call] | None:
        """Return the declared calls whose operations a request from `origin` may use.

        Without authorization every operation any caller uses is open to all.
        With it, only calls declared for the origin's identity are allowed, so
        a shared identity carries every call of every service that shares it.
        Returns None when authorization denies the request.
        """
        calls = self.calls_into[target]
        if Control.AUTHZ not in self.on or self.services[target].kind is ServiceKind.EXTERNAL:
            return calls
        if origin in (INTERNET, INSIDER):
            return None
        identity = self.identity(origin)
        allowed = [c for c in calls if self.identity(c.source) == identity]
        return allowed or None

    def authorized(self, origin: str, target: str) -> bool:
        """Return whether authorization lets a request from `origin` reach the code of `target`.

        Traffic from outside enters exposed services through the gateway,
        which is an allowed caller, so only internal services check it.
        """
        service = self.services[target]
        if service.kind is ServiceKind.EXTERNAL or Control.AUTHZ not in self.on:
            return True
        if origin in (INTERNET, INSIDER):
            return service.exposed
        return self.permitted_calls(origin, target) is not None

    # Credentials

    def _credential_policy(self, credential: Credential) -> CredentialPolicy:
        if Control.SECRETS_MANAGER in self.on:
            ttl = self.posture.parameters.secret_ttl
            lifetime = min(credential.lifetime, ttl) if credential.lifetime else ttl
            return CredentialPolicy(True, lifetime, lifetime, True)
        return CredentialPolicy(
            credential.storage is Storage.SECRETS_MANAGER, credential.lifetime,
            credential.rotation, credential.revoke_old,
        )

    def _grants(self, credential: Credential) -> list[tuple[str, Access]]:
        """Return the (target, access) pairs a credential grants under the posture.

        Least privilege keeps only targets that a holder has a declared call
        to, and never more than write access.
        """
        result: list[tuple[str, Access]] = []
        for grant in credential.grants:
            access = grant.access
            if Control.LEAST_PRIVILEGE in self.on:
                if not any((holder, grant.target) in self.declared for holder in credential.holders):
                    continue
                if access is Access.ADMIN:
                    access = Access.WRITE
            result.append((grant.target, access))
        return result

    # Actions

    def entry_actions(self) -> list[Action]:
        """Return the actions open to the attacker before any foothold."""
        entry = self.attacker.entry
        if entry.kind == "internet":
            return self._outside_actions(INTERNET)
        if entry.kind == "insider":
            return self._outside_actions(INSIDER)
        return []

    def _outside_actions(self, origin: str) -> list[Action]:
        actions: list[Action] = []
        for name in self.services:
            if self.reaches(origin, name):
                actions.extend(self._actions_against(origin, name))
        return actions

    def foothold_actions(self, origin: str) -> list[Action]:
        """Return the actions a foothold on `origin` opens, apart from credential use."""
        cached = self._foothold_cache.get(origin)
        if cached is None:
            cached = self._local_actions(origin)
            for name in self.services:
                if self.reaches(origin, name):
                    cached.extend(self._actions_against(origin, name))
            self._foothold_cache[origin] = cached
            for action in cached:
                self._by_key.setdefault(action.key, []).append(action)
        return cached

    def foothold_actions_with_key(self, key: str, origins: list[str]) -> list[Action]:
        """Return the foothold actions with `key` from each of `origins`, in the order of `origins`."""
        for origin in origins:
            self.foothold_actions(origin)
        wanted = set(origins)
        by_origin = {a.source: a for a in self._by_key.get(key, []) if a.source in wanted}
        return [by_origin[o] for o in origins if o in by_origin]

    def _local_actions(self, origin: str) -> list[Action]:
        actions: list[Action] = []
        held = [c for c in self.credentials.values() if origin in c.holders]
        inbound = [c.credential for c in self.calls_into[origin] if c.credential]
        in_files = [c.name for c in held if not self.policies[c.name].in_secrets_manager]
        in_files += [name for name in inbound if name not in in_files]
        if in_files:
            actions.append(self._action(f"harvest|{origin}", Technique.HARVEST_CREDENTIALS, origin, origin,
                                        Effect.OBTAIN, HARVEST_TIME, credentials=tuple(in_files)))
        in_manager = [c.name for c in held if self.policies[c.name].in_secrets_manager and c.name not in in_files]
        if in_manager:
            actions.append(self._action(f"fetch|{origin}", Technique.FETCH_SECRET, origin, origin,
                                        Effect.OBTAIN, FETCH_SECRET_TIME, credentials=tuple(in_manager)))
        if Control.MTLS not in self.on:
            zone = self.services[origin].zone
            sniffed: list[str] = []
            for call in self.calls:
                if not call.credential or call.credential in sniffed or origin in (call.source, call.target):
                    continue
                if _encrypted(call.protocol):
                    continue
                if zone in (self.services[call.source].zone, self.services[call.target].zone):
                    sniffed.append(call.credential)
            if sniffed:
                actions.append(self._action(f"sniff|{origin}", Technique.SNIFF_TRAFFIC, origin, origin,
                                            Effect.OBTAIN, SNIFF_TIME, credentials=tuple(sniffed)))
        node = self.services[origin].node
        if node is not None and len(self.nodes.get(node, ())) > 1:
            if Control.RUNTIME_HARDENING in self.on:
                params = self.posture.parameters
                time, success = params.hardened_escape_time, params.hardened_escape_success
            else:
                time, success = ESCAPE_TIME, 1.0
            actions.append(self._action(f"escape|{origin}", Technique.CONTAINER_ESCAPE, origin, node,
                                        Effect.NODE, time, success=success))
        return actions

    def _actions_against(self, origin: str, target: str) -> list[Action]:
        """API calls, exploits and undocumented endpoints from `origin` against `target`."""
        service = self.services[target]
        outside = origin in (INTERNET, INSIDER)
        actions: list[Action] = []
        denied = not self.authorized(origin, target)
        if origin != INTERNET and self.calls_into[target]:
            actions.append(self._api_call(origin, target))
        if service.kind is not ServiceKind.EXTERNAL:
            for vuln in service.vulnerabilities:
                time, success = vuln.exploit_time, vuln.success
                technique = Technique.EXPLOIT_PUBLIC if origin == INTERNET else Technique.EXPLOIT_REMOTE
                if origin == INTERNET and Control.GATEWAY in self.on:
                    params = self.posture.parameters
                    time = time.scaled(params.gateway_slowdown)
                    success *= 1 - params.gateway_block
                key = f"exploit|{'outside' if outside else 'inside'}|{target}|{vuln.id}"
                actions.append(self._action(key, technique, origin, target, Effect.COMPROMISE, time,
                                            success=success, denied=denied))
        if Control.API_INVENTORY not in self.on:
            for shadow in service.shadow_apis:
                effect = Effect.COMPROMISE if shadow.effect == "compromise" else Effect.EXFILTRATE
                assets = tuple(a.name for a in service.assets)
                key = f"shadow|{'outside' if outside else 'inside'}|{target}|{shadow.name}"
                actions.append(self._action(key, Technique.SHADOW_API, origin, target, effect,
                                            SHADOW_API_TIME, assets=assets, denied=denied))
        return actions

    def _api_call(self, origin: str, target: str) -> Action:
        """Build a call of `target`'s API with every operation the origin may use.

        A declared call that carries a credential is open only to a holder of
        it; other callers are rejected like a denied request. A stolen copy
        is used through its grants instead (use-credential).
        """
        key = f"api|{origin}|{target}"
        permitted = self.permitted_calls(origin, target)
        usable = [c for c in permitted or [] if c.credential is None
                  or origin in self.credentials[c.credential].holders]
        if not usable:
            return self._action(key, Technique.CALL_INTERNAL_API, origin, target, Effect.ACCESS,
                                LATERAL_TIME, denied=True)
        reads: list[str] = []
        for call in usable:
            reads.extend(a for a in call.reads if a not in reads)
        own = (origin, target) in self.declared
        technique = Technique.CALL_INTERNAL_API
        checked = Control.AUTHZ in self.on and self.services[target].kind is not ServiceKind.EXTERNAL
        if checked and not own:
            technique = Technique.SHARED_IDENTITY
        visibility = DECLARED_CALL_VISIBILITY if own else VISIBILITY[technique]
        return self._action(key, technique, origin, target, Effect.ACCESS, LATERAL_TIME,
                            assets=tuple(reads), visibility=visibility)

    def credential_uses(self, credential: str, origins: list[str]) -> list[Action]:
        """Uses of `credential` from the first origin in `origins` that can reach each target."""
        actions: list[Action] = []
        for target, access in self.grants[credential]:
            if target == CLUSTER:
                actions.extend(self._cluster_uses(credential, access, origins))
                continue
            origin = next((o for o in origins if self.reaches(o, target) and self.authorized(o, target)), None)
            if origin is None:
                continue
            service = self.services[target]
            key = f"use|{credential}|{target}"
            if access is Access.ADMIN and service.kind is not ServiceKind.EXTERNAL:
                actions.append(self._action(key, Technique.USE_CREDENTIAL, origin, target, Effect.COMPROMISE,
                                            LATERAL_TIME, credential=credential))
            else:
                assets = tuple(a.name for a in service.assets)
                actions.append(self._action(key, Technique.USE_CREDENTIAL, origin, target, Effect.EXFILTRATE,
                                            LATERAL_TIME, credential=credential, assets=assets))
        for target in self.targets_of_token.get(credential, []):
            action = self._token_replay(credential, target, origins)
            if action is not None:
                actions.append(action)
        return actions

    def _token_replay(self, credential: str, target: str, origins: list[str]) -> Action | None:
        """Build a call of `target`'s API with a stolen token that its declared callers present.

        The request still needs network reach, and authorization still checks
        the origin's identity: only the calls that carry the token and are
        declared for that identity return data.
        """
        for origin in origins:
            if not self.reaches(origin, target):
                continue
            calls = [c for c in self.permitted_calls(origin, target) or [] if c.credential == credential]
            if not calls:
                continue
            reads: list[str] = []
            for call in calls:
                reads.extend(a for a in call.reads if a not in reads)
            return self._action(f"replay|{credential}|{target}", Technique.REPLAY_TOKEN, origin, target,
                                Effect.ACCESS, LATERAL_TIME, credential=credential, assets=tuple(reads))
        return None

    def _cluster_uses(self, credential: str, access: Access, origins: list[str]) -> list[Action]:
        """Container administration commands (exec into pods) through the Kubernetes API.

        The API server sits outside the mesh, so only a foothold inside the
        cluster reaches it. Read access to the cluster is not modelled.
        """
        origin = next((o for o in origins if o not in (INTERNET, INSIDER)), None)
        if origin is None or access is not Access.ADMIN:
            return []
        return [
            self._action(f"exec|{credential}|{name}", Technique.CONTAINER_ADMIN, origin, name,
                         Effect.COMPROMISE, ADMIN_EXEC_TIME, credential=credential)
            for name, service in self.services.items()
            if service.kind is not ServiceKind.EXTERNAL and name != origin
        ]

    def _action(self, key: str, technique: Technique, source: str, target: str, effect: Effect,
                duration: Distribution, success: float = 1.0, denied: bool = False,
                credential: str | None = None, assets: tuple[str, ...] = (),
                credentials: tuple[str, ...] = (), visibility: float | None = None) -> Action:
        if denied:
            detect = self.detect_denied
            duration = DENIED_TIME
        else:
            detect = min(1.0, self.detect * (VISIBILITY[technique] if visibility is None else visibility))
        return Action(key, technique, source, target, effect, duration, success, detect, denied,
                      credential, assets, credentials)
