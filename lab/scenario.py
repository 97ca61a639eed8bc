"""Loading a scenario file: YAML, schema, cross-references, then the model."""

from __future__ import annotations

import hashlib
import json
from importlib.resources import files
from collections import Counter
from dataclasses import replace
from pathlib import Path as FilePath
from typing import Any

from pydantic import ValidationError

from lab import schema
from lab.controls import BUILTIN_POSTURES, Control, Parameters, Posture
from lab.durations import Distribution, exponential
from lab.errors import Problem, ScenarioError
from lab.model import (CLUSTER, Attacker, Call, Credential, DataAsset, Entry, Exercise, Grant, Scenario,
                       Service, ShadowApi, Vulnerability)
from lab.validation import problems_from, suggest
from lab.yamlsource import MAX_BYTES, Document, Path, load_yaml

# MAL coreLang time-to-compromise profiles (malcompiler Distributions.java),
# in days: critical = EasyAndCertain, Exponential(1.0); high = HardAndCertain,
# Exponential(0.1); medium = HardAndUncertain, Bernoulli(0.5) x Exponential(0.1);
# low = VeryHardAndUncertain, Bernoulli(0.5) x Exponential(0.01). The mapping
# from severity to profile is our inference.
SEVERITY_PROFILES: dict[schema.Severity, tuple[float, Distribution]] = {
    schema.Severity.CRITICAL: (1.0, exponential(1 * 24.0)),
    schema.Severity.HIGH: (1.0, exponential(10 * 24.0)),
    schema.Severity.MEDIUM: (0.5, exponential(10 * 24.0)),
    schema.Severity.LOW: (0.5, exponential(100 * 24.0)),
}


def load_scenario(path: str | FilePath) -> Scenario:
    """Read, validate and build the scenario in the YAML file at `path`.

    Raises:
        ScenarioError: the file is missing, unreadable or invalid; every problem is listed.
    """
    file = str(path)
    try:
        with open(path, "rb") as stream:
            # One byte past the limit is enough to report the file as too large,
            # and an endless device such as /dev/zero is never read to its end.
            raw = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError([Problem(file, 0, 0, "", "file not found", "check the path")]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(file, 0, 0, "", "is a directory, not a scenario file")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(file, 0, 0, "", f"cannot read the file: {exc.strerror}")]) from None
    return parse_scenario(raw, file)


def bundled_scenario(name: str) -> FilePath:
    """Return the path of a scenario shipped with the lab, such as `online-boutique`."""
    return FilePath(str(files("lab") / "scenarios" / f"{name}.yaml"))


def parse_scenario(raw: bytes, file: str = "<scenario>") -> Scenario:
    """Validate and build a scenario from the bytes of a YAML document."""
    doc = load_yaml(raw, file)
    if doc.data is None:
        raise ScenarioError([Problem(file, 1, 1, "", "the scenario file is empty",
                                     "start from `lab generate` or docs/scenario-format.md")])
    if not isinstance(doc.data, dict):
        raise ScenarioError([doc.problem((), "expected a mapping with keys such as services, calls, "
                                         "credentials and attackers")])
    try:
        spec = schema.ScenarioSpec.model_validate(doc.data)
    except ValidationError as exc:
        raise ScenarioError(problems_from(exc, doc, schema.ScenarioSpec)) from None
    checker = _References(spec, doc)
    checker.check()
    if checker.problems:
        raise ScenarioError(checker.problems)
    return replace(_build(spec, doc, checker.notes), digest=hashlib.sha256(raw).hexdigest())


def scenario_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of scenario files, for editors."""
    result = _with_shorthands(schema.ScenarioSpec.model_json_schema(by_alias=True))
    result["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    result["title"] = "Microservice security lab scenario"
    return result


_SHORTHANDS = {
    "#/$defs/EntrySpec": {"enum": ["internet", "insider"]},
    "#/$defs/DistributionSpec": {"type": "string", "description": "a fixed duration such as 30m"},
    **{f"#/$defs/{name}": {"type": "boolean"} for name in (
        "ControlSpec", "SecretsManagerSpec", "GatewaySpec", "RuntimeHardeningSpec", "ObservabilitySpec")},
}


def _with_shorthands(node: Any) -> Any:
    """Let the schema accept the short forms the loader accepts (`entry: internet`, `mtls: true`, `30m`)."""
    if isinstance(node, dict):
        reference = node.get("$ref")
        if reference in _SHORTHANDS:
            others = {key: value for key, value in node.items() if key not in ("$ref", "default")}
            return {"anyOf": [_SHORTHANDS[reference], {"$ref": reference}], **others}
        return {key: _with_shorthands(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_with_shorthands(item) for item in node]
    return node


def scenario_json_schema_text() -> str:
    return json.dumps(scenario_json_schema(), indent=2, sort_keys=True) + "\n"


class _References:
    """Checks names and cross-references between sections, gathering every problem."""

    def __init__(self, spec: schema.ScenarioSpec, doc: Document) -> None:
        self.spec = spec
        self.doc = doc
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.services = {s.name for s in spec.services}
        self.credentials = {c.name for c in spec.credentials}
        self.assets = {a.name: s.name for s in spec.services for a in s.data}
        self._callees: dict[str, list[str]] = {}
        for call in spec.calls:
            self._callees.setdefault(call.from_, []).append(call.to)

    def add(self, path: Path, message: str, hint: str = "", at_key: bool = False) -> None:
        self.problems.append(self.doc.problem(path, message, hint, at_key=at_key))

    def check(self) -> None:
        self._unique("services", [s.name for s in self.spec.services])
        self._unique("credentials", [c.name for c in self.spec.credentials])
        self._unique("attackers", [a.name for a in self.spec.attackers])
        self._unique("postures", [p.name for p in self.spec.postures])
        self._unique_assets()
        self._services()
        self._calls()
        self._credentials()
        self._postures()
        self._attackers()
        self._exercise()

    def _unique(self, section: str, names: list[str]) -> None:
        first: dict[str, int] = {}
        for index, name in enumerate(names):
            if name in first:
                line = self.doc.locate((section, first[name]))[0]
                self.add((section, index, "name"), f"duplicate name {name!r} (first used at line {line})",
                         "give each entry a unique name")
            else:
                first[name] = index

    def _services(self) -> None:
        for i, service in enumerate(self.spec.services):
            if service.name == CLUSTER:
                self.add(("services", i, "name"), f"the name {CLUSTER!r} is reserved for the Kubernetes API "
                         "in credential grants", "rename the service")
            if service.kind is schema.ServiceKind.EXTERNAL and service.node is not None:
                self.add(("services", i, "node"), "an external service runs on no node of the cluster",
                         "remove `node`, or change `kind`")

    def _unique_assets(self) -> None:
        seen: dict[str, str] = {}
        for i, service in enumerate(self.spec.services):
            for j, asset in enumerate(service.data):
                if asset.name in seen:
                    self.add(("services", i, "data", j, "name"),
                             f"duplicate data asset {asset.name!r} (also held by {seen[asset.name]!r})",
                             "data asset names are unique across the scenario")
                seen.setdefault(asset.name, service.name)

    def _service_ref(self, path: Path, name: str, allow_cluster: bool = False) -> bool:
        if name in self.services or (allow_cluster and name == CLUSTER):
            return True
        candidates = self.services | ({CLUSTER} if allow_cluster else set())
        self.add(path, f"unknown service {name!r}", suggest(name, candidates))
        return False

    def _calls(self) -> None:
        pairs: dict[tuple[str, str], int] = {}
        for i, call in enumerate(self.spec.calls):
            known = self._service_ref(("calls", i, "from"), call.from_)
            known = self._service_ref(("calls", i, "to"), call.to) and known
            if call.credential is not None and call.credential not in self.credentials:
                self.add(("calls", i, "credential"), f"unknown credential {call.credential!r}",
                         suggest(call.credential, self.credentials))
            if not known:
                continue
            if call.from_ == call.to:
                self.notes.append(f"call {call.from_}>{call.to} is a self-call; it moves the attacker nowhere")
            pair = (call.from_, call.to)
            if pair in pairs:
                line = self.doc.locate(("calls", pairs[pair]))[0]
                self.add(("calls", i), f"duplicate call {call.from_}>{call.to} (first declared at line {line})",
                         "merge the operations and reads into one entry")
            pairs.setdefault(pair, i)
            for j, asset in enumerate(call.reads):
                holder = self.assets.get(asset)
                if holder is None:
                    self.add(("calls", i, "reads", j), f"unknown data asset {asset!r}", suggest(asset, self.assets))
                elif holder not in self._downstream(call.to):
                    self.add(("calls", i, "reads", j),
                             f"data asset {asset!r} is held by {holder!r}, which {call.to!r} does not reach "
                             "through declared calls", "a call can only return data its callee holds or fetches")

    def _downstream(self, service: str) -> set[str]:
        """Return `service` and every service it reaches through declared calls."""
        seen = {service}
        stack = [service]
        while stack:
            for callee in self._callees.get(stack.pop(), []):
                if callee not in seen:
                    seen.add(callee)
                    stack.append(callee)
        return seen

    def _credentials(self) -> None:
        for i, credential in enumerate(self.spec.credentials):
            counts = Counter(credential.held_by)
            for j, holder in enumerate(credential.held_by):
                self._service_ref(("credentials", i, "held_by", j), holder)
                if counts[holder] > 1:
                    self.add(("credentials", i, "held_by", j), f"{holder!r} is listed twice")
                    counts[holder] = 1
            for j, grant in enumerate(credential.grants):
                self._service_ref(("credentials", i, "grants", j, "target"), grant.target, allow_cluster=True)
            if not credential.grants:
                self.notes.append(f"credential {credential.name!r} grants nothing; it cannot change any result")
            elif all(set(credential.held_by) == {g.target} for g in credential.grants):
                self.notes.append(f"credential {credential.name!r} grants only access its holders already "
                                  "have; it cannot change any result")

    def _postures(self) -> None:
        user = {p.name: p for p in self.spec.postures}
        for i, posture in enumerate(self.spec.postures):
            if posture.name in BUILTIN_POSTURES:
                self.add(("postures", i, "name"), f"posture name {posture.name!r} is built in",
                         "choose another name and set `base: " + posture.name + "`")
            if posture.base not in BUILTIN_POSTURES and posture.base not in user:
                self.add(("postures", i, "base"), f"unknown base posture {posture.base!r}",
                         suggest(posture.base, [*BUILTIN_POSTURES, *user]))
                continue
            chain = [posture.name]
            base = posture.base
            while base in user and base not in chain:
                chain.append(base)
                base = user[base].base
            if base in chain:
                self.add(("postures", i, "base"), "posture bases form a cycle: " + " -> ".join(chain + [base]))

    def _attackers(self) -> None:
        for i, attacker in enumerate(self.spec.attackers):
            entry = attacker.entry
            if entry.service is not None:
                self._service_ref(("attackers", i, "entry", "service"), entry.service)
            if entry.credential is not None and entry.credential not in self.credentials:
                self.add(("attackers", i, "entry", "credential"), f"unknown credential {entry.credential!r}",
                         suggest(entry.credential, self.credentials))
            for j, asset in enumerate(attacker.objective):
                if asset in attacker.objective[:j]:
                    self.add(("attackers", i, "objective", j), f"{asset!r} is listed twice",
                             "list each objective asset once")
                    continue
                if asset not in self.assets:
                    hint = suggest(asset, self.assets)
                    if not hint and asset in self.services:
                        hint = "the objective lists data assets; name one held by this service"
                    self.add(("attackers", i, "objective", j), f"unknown data asset {asset!r}", hint)


    def _exercise(self) -> None:
        exercise = self.spec.exercise
        if exercise is None:
            return
        for name in exercise.costs:
            if name not in schema.CONTROL_NAMES:
                self.add(("exercise", "costs", name), f"unknown control {name!r}",
                         suggest(name, schema.CONTROL_NAMES) or f"controls are: {', '.join(schema.CONTROL_NAMES)}",
                         at_key=True)
        if exercise.attacker is None:
            return
        names = [a.name for a in self.spec.attackers]
        if exercise.attacker not in names:
            self.add(("exercise", "attacker"), f"unknown attacker {exercise.attacker!r}",
                     suggest(exercise.attacker, names))


def _build(spec: schema.ScenarioSpec, doc: Document, notes: list[str]) -> Scenario:
    node_count = spec.simulation.nodes
    services = []
    for index, item in enumerate(spec.services):
        node = item.node
        if node is None and item.kind is not schema.ServiceKind.EXTERNAL:
            node = f"node-{index % node_count + 1}"
        services.append(Service(
            name=item.name,
            kind=item.kind,
            zone=item.zone,
            exposed=item.exposed,
            assets=tuple(DataAsset(a.name, item.name, a.sensitivity) for a in item.data),
            vulnerabilities=tuple(_vulnerability(v) for v in item.vulnerabilities),
            identity=item.identity or item.name,
            node=None if item.kind is schema.ServiceKind.EXTERNAL else node,
            shadow_apis=tuple(ShadowApi(s.name, s.effect) for s in item.shadow_apis),
            description=item.description,
        ))
    calls = tuple(
        Call(c.from_, c.to, c.protocol, c.port, tuple(c.operations), tuple(c.reads), c.credential)
        for c in spec.calls
    )
    credentials = tuple(
        Credential(
            name=c.name, kind=c.kind, storage=c.storage, holders=tuple(c.held_by),
            grants=tuple(Grant(g.target, g.access) for g in c.grants),
            lifetime=schema.parse_hours(c.lifetime) if c.lifetime else None,
            rotation=schema.parse_hours(c.rotation.every) if c.rotation else None,
            revoke_old=c.rotation.revoke_old if c.rotation else False,
        )
        for c in spec.credentials
    )
    attackers = tuple(
        Attacker(
            name=a.name, entry=_entry(a.entry), skill=a.skill, strategy=a.strategy,
            objective=tuple(a.objective), horizon=schema.parse_hours(a.horizon),
        )
        for a in spec.attackers
    )
    return Scenario(
        name=spec.name, description=spec.description, source=spec.source, file=doc.file,
        services=tuple(services), calls=calls, credentials=credentials,
        postures=_postures(spec.postures), attackers=attackers, trials=spec.simulation.trials,
        seed=spec.simulation.seed, credential_check=spec.simulation.credential_check,
        notes=tuple(notes), exercise=_exercise(spec.exercise),
    )


def _exercise(spec: schema.ExerciseSpec | None) -> Exercise | None:
    if spec is None:
        return None
    return Exercise(spec.description, spec.attacker, spec.goal.max_blast_radius_p95,
                    spec.goal.max_objective_probability, spec.budget, dict(spec.costs))


def _vulnerability(spec: schema.VulnerabilitySpec) -> Vulnerability:
    success, time = SEVERITY_PROFILES[spec.severity]
    if spec.exploit_time is not None:
        time = spec.exploit_time.to_distribution()
    if spec.success is not None:
        success = spec.success
    return Vulnerability(spec.id, spec.severity, time, success)


def _entry(spec: schema.EntrySpec) -> Entry:
    if spec.service is not None:
        return Entry("service", spec.service)
    if spec.credential is not None:
        return Entry("credential", spec.credential)
    return Entry("internet" if spec.internet else "insider")


def _postures(specs: list[schema.PostureSpec]) -> dict[str, Posture]:
    postures = dict(BUILTIN_POSTURES)
    pending = {p.name: p for p in specs}
    while pending:
        for name, spec in list(pending.items()):
            if spec.base in postures:
                postures[name] = _apply(postures[spec.base], spec)
                del pending[name]
    return postures


def _apply(base: Posture, spec: schema.PostureSpec) -> Posture:
    enabled = set(base.enabled)
    parameters = base.parameters
    for control in Control:
        setting: schema.ControlSpec | None = getattr(spec.controls, control.value)
        if setting is None:
            continue
        if setting.enabled:
            enabled.add(control)
        else:
            enabled.discard(control)
        parameters = _parameters(parameters, setting)
    return Posture(spec.name, frozenset(enabled), parameters, spec.description)


def _parameters(parameters: Parameters, setting: schema.ControlSpec) -> Parameters:
    changes: dict[str, Any] = {}
    ttl = getattr(setting, "ttl", None)
    if ttl is not None:
        changes["secret_ttl"] = schema.parse_hours(ttl)
    for source, target in (("block", "gateway_block"), ("slowdown", "gateway_slowdown"),
                           ("escape_success", "hardened_escape_success"), ("detect", "detect"),
                           ("detect_denied", "detect_denied")):
        if getattr(setting, source, None) is not None:
            changes[target] = getattr(setting, source)
    for source, target in (("escape_time", "hardened_escape_time"), ("detection_delay", "detection_delay"),
                           ("response_delay", "response_delay")):
        value = getattr(setting, source, None)
        if value is not None:
            changes[target] = value.to_distribution()
    return replace(parameters, **changes)
