"""Kubernetes-native planning: node types, pods packed by requests, zones and spread, cost.

- :mod:`~haplan.cluster.node_types`: node shapes and prices (``data/node_types.csv``) and
  :func:`pods_per_node`;
- :mod:`~haplan.cluster.pool`: :class:`Pool` (the nodes) and :class:`WorkloadSpec`;
- :mod:`~haplan.cluster.taints`: node taints and pod tolerations (:class:`Taint`,
  :class:`Toleration`), the nodes a workload may use;
- :mod:`~haplan.cluster.schedule`: placing pods as the scheduler does, rescheduling after a
  loss, and an exact even-spread check;
- :mod:`~haplan.cluster.availability`: availability over any placement;
- :mod:`~haplan.cluster.assess`: a cluster judged as a whole (:func:`assess`);
- :mod:`~haplan.cluster.planning`: the cheapest cluster (:func:`plan_cluster`);
- :mod:`~haplan.cluster.inputs`: several workloads and a cluster export read from files
  (:func:`load_cluster`).
"""

from haplan.cluster.assess import PLANNED_FAILURES, ClusterAssessment, assess
from haplan.cluster.availability import placement_unavailability
from haplan.cluster.inputs import ANNOTATION_PREFIX, ClusterInputs, load_cluster
from haplan.cluster.node_types import HOURS_PER_MONTH, pods_per_node, read_node_types
from haplan.cluster.planning import ClusterPlan, default_instances, plan_cluster
from haplan.cluster.pool import DEFAULT_SPREAD, Pool, Spread, WorkloadSpec
from haplan.cluster.schedule import Placement, even_spread_exists, reschedule, schedule
from haplan.cluster.taints import Taint, Toleration

__all__ = [
    "PLANNED_FAILURES",
    "ClusterAssessment",
    "assess",
    "placement_unavailability",
    "ANNOTATION_PREFIX",
    "ClusterInputs",
    "load_cluster",
    "HOURS_PER_MONTH",
    "read_node_types",
    "pods_per_node",
    "DEFAULT_SPREAD",
    "Pool",
    "Spread",
    "WorkloadSpec",
    "Taint",
    "Toleration",
    "Placement",
    "even_spread_exists",
    "reschedule",
    "schedule",
    "ClusterPlan",
    "default_instances",
    "plan_cluster",
]
