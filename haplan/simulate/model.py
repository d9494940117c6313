"""The simulation model: what every chunk of replications needs, derived once per scenario.

``build_model`` places the instances as ``haplan.availability`` does, sizes the load, picks
the zone, container and recovery-pipeline distributions and the warm-up; ``node_timelines``
draws the nodes' reachability (node and zone both up) for a chunk.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from haplan import availability, load, recovery
from haplan.scenario import Scenario
from haplan.simulate.distributions import Deterministic, Distribution, Exponential
from haplan.simulate.fastpath import FastPlan, fast_plan
from haplan.simulate.timelines import (
    combine_timelines,
    crew_timelines,
    cycles_needed,
    never_down,
    renewal_timeline,
)


@dataclass(frozen=True)
class Model:
    """Everything a chunk needs, derived once from the scenario (picklable for Dask)."""

    instances_per_node: np.ndarray
    zone_of_node: np.ndarray
    zones: int
    min_instances: int
    instances_needed: float
    node_lifetime: Distribution
    node_repair: Distribution
    zone_lifetime: Distribution | None
    zone_repair: Distribution | None
    instance_lifetime: Distribution | None
    instance_repair: Distribution | None
    repair_crews: int | None
    recovery_time: Distribution | None  # pipeline time [h]; None: no rescheduling
    max_per_node: int  # M, capped at C (as much room as inf)
    warmup_h: float
    horizon_h: float

    @property
    def nodes(self) -> int:
        return len(self.instances_per_node)

    @functools.cached_property
    def fast(self) -> FastPlan:
        """The fast path's settings (see ``fastpath.independent_nodes``), computed once."""
        return fast_plan(self)

    @property
    def instances(self) -> int:
        return int(self.instances_per_node.sum())

    @property
    def nodes_fail(self) -> bool:
        return math.isfinite(self.node_lifetime.mean) and self.node_repair.mean > 0

    @property
    def independent_nodes_only(self) -> bool:
        """True when only independently repaired nodes fail (the sort-merge fast path)."""
        return (
            self.repair_crews is None
            and self.zone_lifetime is None
            and self.instance_lifetime is None
            and self.recovery_time is None
        )

    def elements_per_replication(self) -> float:
        """A rough count of array elements one replication needs (for chunk sizing)."""
        if self.independent_nodes_only and self.nodes_fail:
            return float(self.nodes * self.fast.slots)
        total = self.warmup_h + self.horizon_h
        per_node = 0.0
        if self.nodes_fail:
            per_node = 2.0 * cycles_needed(self.node_lifetime, self.node_repair, total, 2.0)
        count = self.nodes * per_node
        if self.zone_lifetime is not None:
            count += (
                self.nodes * 2.0 * cycles_needed(self.zone_lifetime, self.zone_repair, total, 2.0)
            )
        per_instance = 0.0
        if self.instance_lifetime is not None:
            per_instance = 2.0 * cycles_needed(
                self.instance_lifetime, self.instance_repair, total, 2.0
            )
        if self.recovery_time is not None:
            events = 2.0 * count  # reachability and eviction events, merged
            if self.instance_lifetime is None:
                return max(events, 1.0)
            # Node states (int8) and instances running (bool) per event, then per-instance
            # timelines; small types, so about half an element each.
            count = events * (self.nodes + self.instances) / 2.0
            return max(count + 3.0 * self.instances * per_instance, 1.0)
        if self.instance_lifetime is not None:
            count = self.instances * (per_instance + count / self.nodes)
        return max(count, 1.0)


def node_timelines(model: Model, rng: np.random.Generator, replications: int):
    """Reachability timelines (replications × nodes × events): node and its zone both up."""
    total = model.warmup_h + model.horizon_h
    shape = (replications, model.nodes)
    if not model.nodes_fail:
        nodes = never_down(shape)
    elif model.repair_crews is None:
        nodes = renewal_timeline(rng, model.node_lifetime, model.node_repair, shape, total)
    else:
        nodes = crew_timelines(
            rng,
            model.node_lifetime,
            model.node_repair,
            replications,
            model.nodes,
            model.repair_crews,
            total,
        )
    if model.zone_lifetime is not None:
        lead = (replications, model.zones)
        zones = renewal_timeline(rng, model.zone_lifetime, model.zone_repair, lead, total)
        zones = tuple(x[:, model.zone_of_node, :] for x in zones)
        nodes = combine_timelines([nodes, zones], [1, 1], np.multiply)
    return nodes


def _placement(nodes: int, instances: int, zones: int) -> tuple[np.ndarray, np.ndarray]:
    """Instances per node and zone per node, as ``haplan.availability`` places them."""
    per_node = np.asarray(availability.instances_per_node(nodes, instances), dtype=np.int64)
    return per_node, np.arange(nodes) % zones


def default_recovery_time(scenario: Scenario) -> Deterministic:
    """The orchestrator's recovery time [h] for ⌈C/N⌉ instances, as a fixed duration."""
    moved = int(recovery.instances_to_move(scenario.nodes, scenario.instances))
    return Deterministic(
        float(recovery.node_failure_recovery_s(scenario.orchestrator, moved)) / 3600
    )


def build_model(
    scenario: Scenario,
    horizon_h: float,
    node_lifetime: Distribution,
    node_repair: Distribution,
    recovery_time: Distribution | None = None,
) -> Model:
    """The model of ``scenario`` over a window of ``horizon_h`` [h], durations in [h]."""
    per_node, zone_of_node = _placement(scenario.nodes, scenario.instances, scenario.zones)
    needed = float(
        load.instances_needed(
            scenario.request_rate_rps, scenario.instance_capacity_rps, scenario.max_utilization
        )
    )
    zone_life = zone_repair = None
    if math.isfinite(scenario.zone_mttf_h) and scenario.zone_mttr_h > 0:
        zone_life, zone_repair = (
            Exponential(scenario.zone_mttf_h),
            Exponential(scenario.zone_mttr_h),
        )
    instance_life = instance_repair = None
    if math.isfinite(scenario.instance_mttf_h) and scenario.instance_mttr_h > 0:
        instance_life = Exponential(scenario.instance_mttf_h)
        instance_repair = Exponential(scenario.instance_mttr_h)
    pipeline = None
    warmup = 0.0
    if scenario.reschedule:
        pipeline = recovery_time if recovery_time is not None else default_recovery_time(scenario)
        # An unreachable interval in progress at time 0 looks as if it began at 0, so its
        # eviction comes late. At the end of the warm-up W the simulated eviction state is
        # still right unless that interval is still open and its drawn pipeline time exceeds
        # W: W covers 10 (mean + sd) of the pipeline time, or 20 mean repairs (intervals
        # still open after that are negligible), whichever is shorter.
        repairs = [node_repair.mean if math.isfinite(node_lifetime.mean) else 0.0]
        repairs += [zone_repair.mean] if zone_repair is not None else []
        pipeline_span = 10.0 * (pipeline.mean + math.sqrt(pipeline.variance))
        warmup = min(pipeline_span, 20.0 * max(repairs))
    chain = (  # the crew queue as a Markov chain, started stationary (``crews``)
        isinstance(node_lifetime, Exponential)
        and isinstance(node_repair, Exponential)
        and zone_life is None
        and instance_life is None
        and pipeline is None
    )
    if scenario.repair_crews is not None and not chain:
        # All nodes start up; let the crew queue settle first (generous: the bias decays
        # within a few repair times).
        queue_depth = math.ceil(scenario.nodes / scenario.repair_crews)
        warmup = max(warmup, 20.0 * node_repair.mean * queue_depth)
    return Model(
        instances_per_node=per_node,
        zone_of_node=zone_of_node,
        zones=scenario.zones,
        min_instances=scenario.min_instances,
        instances_needed=needed,
        node_lifetime=node_lifetime,
        node_repair=node_repair,
        zone_lifetime=zone_life,
        zone_repair=zone_repair,
        instance_lifetime=instance_life,
        instance_repair=instance_repair,
        repair_crews=scenario.repair_crews,
        recovery_time=pipeline,
        max_per_node=int(min(scenario.max_instances_per_node, scenario.instances)),
        warmup_h=warmup,
        horizon_h=horizon_h,
    )
