"""Attacker techniques with their MITRE ATT&CK ids (Enterprise v18.1)."""

from __future__ import annotations

from enum import StrEnum


class Technique(StrEnum):
    EXPLOIT_PUBLIC = "exploit-public-service"
    EXPLOIT_REMOTE = "exploit-internal-service"
    HARVEST_CREDENTIALS = "harvest-credentials"
    FETCH_SECRET = "fetch-secret"
    USE_CREDENTIAL = "use-credential"
    REPLAY_TOKEN = "replay-token"
    CALL_INTERNAL_API = "call-internal-api"
    SHARED_IDENTITY = "abuse-shared-identity"
    SNIFF_TRAFFIC = "sniff-traffic"
    SHADOW_API = "undocumented-endpoint"
    CONTAINER_ESCAPE = "container-escape"
    CONTAINER_ADMIN = "container-admin-command"
    RESPONSE = "response"


# The nearest ATT&CK technique for each action. Calling an internal API
# without credentials has no exact technique, so T1021 (Remote Services) is
# our mapping for it.
ATTACK_IDS: dict[Technique, str] = {
    Technique.EXPLOIT_PUBLIC: "T1190",
    Technique.EXPLOIT_REMOTE: "T1210",
    Technique.HARVEST_CREDENTIALS: "T1552",
    Technique.FETCH_SECRET: "T1528",
    Technique.USE_CREDENTIAL: "T1078",
    Technique.REPLAY_TOKEN: "T1550.001",
    Technique.CALL_INTERNAL_API: "T1021",
    Technique.SHARED_IDENTITY: "T1078",
    Technique.SNIFF_TRAFFIC: "T1040",
    Technique.SHADOW_API: "T1190",
    Technique.CONTAINER_ESCAPE: "T1611",
    Technique.CONTAINER_ADMIN: "T1609",
    Technique.RESPONSE: "",
}
