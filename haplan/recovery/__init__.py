"""Recovery after failures: the pipeline an orchestrator really runs, with sourced timings.

The article's third mechanism, automatic failure detection and recovery, gives one formula,
T = N/R × S (``haplan.document.recovery_time``). What Kubernetes, Docker Swarm and Nomad do is a
sequence of stages, each with its own default timing:

node failure (the node's instances move to other nodes)
    detection → eviction → scheduling → image pull → container start → readiness
container crash (the instance restarts, in place or as a new task)
    restart delay (back-off) → [scheduling → image pull] → container start → readiness

Every default comes from ``data/orchestrators.csv`` (value, unit and source on every row;
deployment-dependent values such as the image size carry "assumption" as their source). A
preset is a frozen :class:`RecoveryPipeline`; any stage can be overridden with
``preset("kubernetes", eviction_s=30)`` or :func:`dataclasses.replace`.

Conventions
-----------
* Times are means measured from the failure instant [s]. The failure falls at a uniformly
  random moment between two heartbeats and the health check runs periodically, so detection is
  ``down_after − heartbeat_interval / 2 + monitor_period / 2``.
* A node failure's recovery time is the time until the *last* moved instance is ready; stages
  are summed as if sequential (scheduling and image pulls of different instances overlap in
  practice, so the sum is slightly pessimistic when many instances move).

The node-failure recovery time is what :mod:`haplan.service` waits before a failed node's
instances are evicted and restarted on the survivors (where they have room); a node failure
moves :func:`instances_to_move` = ⌈C/N⌉ instances.

Layout (one topic a module; every public name is importable from ``haplan.recovery``):

- :mod:`~haplan.recovery.pipeline` — :class:`RecoveryPipeline` and the stage names;
- :mod:`~haplan.recovery.presets` — the presets read from ``data/orchestrators.csv``;
- :mod:`~haplan.recovery.stages` — stage timings, crash back-off, the instances moved;
- :mod:`~haplan.recovery.repair` — :func:`effective_repair_h`, recovery feeding availability;
- :mod:`~haplan.recovery.note` — the prose note on the article's T = N/R × S.
"""

from haplan.recovery.note import document_recovery_note
from haplan.recovery.pipeline import CONTAINER_CRASH_STAGES, NODE_FAILURE_STAGES, RecoveryPipeline
from haplan.recovery.presets import (
    PRESETS,
    orchestrator_defaults,
    preset,
    preset_names,
    resolve_preset,
)
from haplan.recovery.repair import effective_repair_h
from haplan.recovery.stages import (
    container_crash_recovery_s,
    container_crash_stages,
    instances_to_move,
    node_failure_recovery_s,
    node_failure_stages,
    restart_delay_s,
    stages_table,
)

__all__ = [
    "PRESETS",
    "NODE_FAILURE_STAGES",
    "CONTAINER_CRASH_STAGES",
    "RecoveryPipeline",
    "orchestrator_defaults",
    "preset_names",
    "preset",
    "resolve_preset",
    "instances_to_move",
    "restart_delay_s",
    "node_failure_stages",
    "node_failure_recovery_s",
    "container_crash_stages",
    "container_crash_recovery_s",
    "stages_table",
    "effective_repair_h",
    "document_recovery_note",
]
