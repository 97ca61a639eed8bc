"""A discrete-event simulator of lateral movement in microservice architectures.

The public API: load a scenario, run a study of postures against its
attackers, and read the statistics, timelines and static attack graph.
"""

from lab.analysis import Difference, PostureStats, Summary, TimeSummary, compare, posture_stats
from lab.controls import BUILTIN_POSTURES, CONTROL_SUMMARY, Control, Parameters, Posture
from lab.durations import format_hours, parse_duration
from lab.engine.actions import Event, Outcome
from lab.engine.runner import sample_trial, simulate, static_graph
from lab.engine.static import StaticGraph, shortest_attack_path
from lab.engine.trial import TrialResult
from lab.errors import EngineError, LabError, Problem, ScenarioError
from lab.model import Attacker, Call, Credential, DataAsset, Scenario, Service
from lab.output import write_study
from lab.replay import ReplayState, replay
from lab.scenario import bundled_scenario, load_scenario, parse_scenario, scenario_json_schema
from lab.study import DEFAULT_POSTURES, Study, plan_study, run_study, study_document
from lab.techniques import ATTACK_IDS, Technique

__all__ = [
    "ATTACK_IDS", "BUILTIN_POSTURES", "CONTROL_SUMMARY", "DEFAULT_POSTURES", "Attacker", "Call", "Control",
    "Credential", "DataAsset", "Difference", "EngineError", "Event", "LabError", "Outcome", "Parameters",
    "Posture", "PostureStats", "Problem", "ReplayState", "Scenario", "ScenarioError", "Service", "StaticGraph", "Study",
    "Summary", "Technique", "TimeSummary", "TrialResult", "bundled_scenario", "compare", "format_hours",
    "load_scenario",
    "parse_duration", "parse_scenario", "plan_study", "posture_stats", "replay", "run_study", "sample_trial",
    "scenario_json_schema", "shortest_attack_path", "simulate", "static_graph", "study_document",
    "write_charts", "write_study",
]


def __getattr__(name: str) -> object:
    # The charts pull in matplotlib, so they load on first use only.
    if name == "write_charts":
        from lab.charts import write_charts

        return write_charts
    raise AttributeError(f"module 'lab' has no attribute {name!r}")
