"""The cluster's nodes and the workloads that run on them.

A :class:`Pool` is a list of nodes (allocatable CPU, memory and pods, zone, price, taints,
and the DaemonSet pods each node runs); :meth:`Pool.uniform` builds a zonal node pool of one
node type, without taints. A :class:`WorkloadSpec` is one Deployment, StatefulSet or swarm
service: its :class:`~haplan.scenario.Scenario` (instances, load, failure and repair times,
targets), its pods' requests, its spread rules (:class:`Spread`) and its tolerations
(:mod:`~haplan.cluster.taints`), which decide the nodes it may use (:meth:`Pool.eligible`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from haplan._numeric import check_range
from haplan.cluster.taints import Taint, Toleration, untolerated
from haplan.scenario import Scenario

__all__ = ["Pool", "Spread", "WorkloadSpec", "DEFAULT_SPREAD"]


@dataclass(frozen=True)
class Spread:
    """A topology spread rule over zones or nodes.

    Attributes
    ----------
    max_skew : int
        The largest allowed difference between the workload's pods in any two domains
        (``topologySpreadConstraints[].maxSkew``) [pods], ≥ 1.
    hard : bool
        ``whenUnsatisfiable: DoNotSchedule`` (True: a pod that would break the rule stays
        Pending) or ``ScheduleAnyway`` (False: the rule only ranks the nodes).
    """

    max_skew: int = 1
    hard: bool = True

    def __post_init__(self):
        check_range("max_skew", self.max_skew, low=1, integer=True)


#: Kubernetes' built-in default when a pod states no spread rule: hostname maxSkew 3 and zone
#: maxSkew 5, both ScheduleAnyway ("Pod Topology Spread Constraints", "Internal default
#: constraints", kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/).
DEFAULT_SPREAD = {"zones": Spread(5, hard=False), "nodes": Spread(3, hard=False)}


@dataclass(frozen=True)
class WorkloadSpec:
    """One workload of a cluster.

    Attributes
    ----------
    name : str
        The workload's name (unique in the cluster).
    scenario : Scenario
        Its instances, load, failure and repair times and targets; the cluster's node and
        zone counts replace the scenario's when it is assessed.
    cpu_request : float
        CPU requested per pod, summed over its containers [cores].
    memory_request_gib : float
        Memory requested per pod [GiB].
    zone_spread, node_spread : Spread or None
        Spread rules over zones and over nodes; None: Kubernetes' defaults
        (``DEFAULT_SPREAD``).
    max_per_node : int or None
        At most this many of its pods on one node (required pod anti-affinity on the
        hostname gives 1).
    tolerations : tuple of Toleration
        Its pod template's tolerations: the tainted nodes it may use (none: only nodes
        without ``NoSchedule``/``NoExecute`` taints).
    notes : tuple of str
        Assumptions made while reading it.
    """

    name: str
    scenario: Scenario
    cpu_request: float = 0.0
    memory_request_gib: float = 0.0
    zone_spread: Spread | None = None
    node_spread: Spread | None = None
    max_per_node: int | None = None
    tolerations: tuple[Toleration, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self):
        check_range(f"cpu_request of {self.name!r}", self.cpu_request, low=0)
        check_range(f"memory_request_gib of {self.name!r}", self.memory_request_gib, low=0)
        if self.max_per_node is not None:
            check_range(f"max_per_node of {self.name!r}", self.max_per_node, low=1, integer=True)

    @property
    def instances(self) -> int:
        """Pods the workload asks for [count]."""
        return int(self.scenario.instances)

    def with_instances(self, instances: int) -> WorkloadSpec:
        """The same workload with another pod count.

        The scenario's node count only has to admit the pods here: the pool's replaces it
        when the workload is assessed.
        """
        count = int(instances)
        nodes = max(int(self.scenario.nodes), count)
        return replace(self, scenario=self.scenario.with_overrides(instances=count, nodes=nodes))

    @property
    def per_node_cap(self) -> float:
        """The most pods of this workload one node may run: a required anti-affinity's
        ``max_per_node`` or the scenario's ``max_instances_per_node`` [count] (inf: none)."""
        cap = float(self.scenario.max_instances_per_node)
        return min(cap, float(self.max_per_node)) if self.max_per_node is not None else cap

    def spread(self, over: str) -> Spread:
        """The spread rule over ``"zones"`` or ``"nodes"`` (Kubernetes' default if unset)."""
        rule = self.zone_spread if over == "zones" else self.node_spread
        return rule if rule is not None else DEFAULT_SPREAD[over]


@dataclass(frozen=True)
class Pool:
    """The nodes of a cluster.

    Attributes
    ----------
    allocatable_cpu, allocatable_memory_gib, max_pods : numpy.ndarray
        Per node: what pods may request [cores, GiB] and the pod limit [count].
    zone : numpy.ndarray
        Per node: the index of its zone in ``zone_names``.
    zone_names : tuple of str
        The zones.
    node_type : numpy.ndarray
        Per node: its type (instance-type label or node-types CSV name).
    price_per_hour_usd : numpy.ndarray
        Per node: on-demand price [USD/h]; NaN where unknown.
    daemonset_cpu, daemonset_memory_gib : float or numpy.ndarray
        Requests of the DaemonSet pods on every node [cores, GiB], or per node where the
        DaemonSets do not all run everywhere (a taint one of them does not tolerate).
    daemonset_pods : int or numpy.ndarray
        DaemonSet pods on every node [count], or per node.
    node_names : tuple of str
        Node names (``node-1``… when built from a node type).
    taints : tuple of tuple of Taint
        Per node: its taints (empty: none on any node).
    """

    allocatable_cpu: np.ndarray
    allocatable_memory_gib: np.ndarray
    max_pods: np.ndarray
    zone: np.ndarray
    zone_names: tuple[str, ...]
    node_type: np.ndarray
    price_per_hour_usd: np.ndarray
    daemonset_cpu: float | np.ndarray = 0.0
    daemonset_memory_gib: float | np.ndarray = 0.0
    daemonset_pods: int | np.ndarray = 0
    node_names: tuple[str, ...] = ()
    taints: tuple[tuple[Taint, ...], ...] = ()

    def __post_init__(self):
        if not self.node_names:
            names = tuple(f"node-{i + 1}" for i in range(len(self.zone)))
            object.__setattr__(self, "node_names", names)
        if not self.taints:
            object.__setattr__(self, "taints", tuple(() for _ in range(len(self.zone))))
        elif len(self.taints) != len(self.zone):
            raise ValueError(
                f"taints: {len(self.taints)} entries for {len(self.zone)} nodes; give one "
                "tuple of taints per node"
            )

    @classmethod
    def uniform(
        cls,
        node_type: pd.Series,
        nodes: int,
        zones: int = 1,
        *,
        daemonset_cpu: float = 0.0,
        daemonset_memory_gib: float = 0.0,
        daemonset_pods: int = 0,
    ) -> Pool:
        """``nodes`` nodes of one type (a row of :func:`read_node_types`) over ``zones`` zones.

        Nodes go to zones in turn, as a zonal node pool or a cluster autoscaler balancing
        similar node groups places them; with ``nodes`` a multiple of ``zones`` every zone
        holds the same number. The nodes carry no taints.
        """
        n = int(check_range("nodes", nodes, low=1, integer=True))
        z = int(check_range("zones", zones, low=1, integer=True))
        if z > n:
            raise ValueError(f"zones={z} is out of range: must be <= nodes ({n})")
        ones = np.ones(n)
        return cls(
            allocatable_cpu=float(node_type["allocatable_cpu"]) * ones,
            allocatable_memory_gib=float(node_type["allocatable_memory_gib"]) * ones,
            max_pods=(int(node_type["max_pods"]) * ones).astype(int),
            zone=np.arange(n) % z,
            zone_names=tuple(
                f"zone-{chr(ord('a') + i)}" if i < 26 else f"zone-{i}" for i in range(z)
            ),
            node_type=np.full(n, str(node_type.name), dtype=object),
            price_per_hour_usd=float(node_type["price_per_hour_usd"]) * ones,
            daemonset_cpu=float(daemonset_cpu),
            daemonset_memory_gib=float(daemonset_memory_gib),
            daemonset_pods=int(daemonset_pods),
        )

    @property
    def nodes(self) -> int:
        """Nodes in the pool [count]."""
        return len(self.zone)

    @property
    def zones(self) -> int:
        """Zones in the pool [count]."""
        return len(self.zone_names)

    def nodes_per_zone(self) -> np.ndarray:
        """Nodes in each zone [count]."""
        return np.bincount(self.zone, minlength=self.zones)

    def cost_per_hour_usd(self) -> float:
        """The pool's on-demand price [USD/h] (NaN when a node's price is unknown)."""
        return float(np.sum(self.price_per_hour_usd))

    def cost_per_month_usd(self) -> float:
        """The pool's on-demand price over the average month [USD/month]."""
        from haplan.cluster.node_types import monthly_cost_usd

        return float(monthly_cost_usd(self.cost_per_hour_usd()))

    @property
    def tainted(self) -> bool:
        """Some node has a taint."""
        return any(self.taints)

    def eligible(self, tolerations: tuple[Toleration, ...] = ()) -> np.ndarray:
        """Per node: a pod with ``tolerations`` may run there (it tolerates every
        ``NoSchedule`` and ``NoExecute`` taint of the node) [bool]."""
        return np.array([not untolerated(t, tolerations) for t in self.taints], dtype=bool)

    def disfavoured(self, tolerations: tuple[Toleration, ...] = ()) -> np.ndarray:
        """Per node: its ``PreferNoSchedule`` taints a pod with ``tolerations`` does not
        tolerate [count] (the scheduler ranks nodes with fewer first)."""
        return np.array(
            [len(untolerated(t, tolerations, ("PreferNoSchedule",))) for t in self.taints],
            dtype=int,
        )

    def without(self, lost: np.ndarray) -> Pool:
        """The pool without the nodes where ``lost`` (a boolean mask) is true."""
        keep = ~np.asarray(lost, dtype=bool)

        def per_node(value):
            return value[keep] if np.ndim(value) else value

        return replace(
            self,
            allocatable_cpu=self.allocatable_cpu[keep],
            allocatable_memory_gib=self.allocatable_memory_gib[keep],
            max_pods=self.max_pods[keep],
            zone=self.zone[keep],
            node_type=self.node_type[keep],
            price_per_hour_usd=self.price_per_hour_usd[keep],
            node_names=tuple(n for n, k in zip(self.node_names, keep, strict=True) if k),
            taints=tuple(t for t, k in zip(self.taints, keep, strict=True) if k),
            daemonset_cpu=per_node(self.daemonset_cpu),
            daemonset_memory_gib=per_node(self.daemonset_memory_gib),
            daemonset_pods=per_node(self.daemonset_pods),
        )
