"""Node types: the shapes a node pool can be built from, and how many pods each one holds.

A node type is a row of ``data/node_types.csv`` (or the user's own CSV with the same
columns): vCPU and memory, what the kubelet leaves allocatable to pods after the provider's
system reservations, the max-pods limit, and the on-demand price with its region, date and
source. :func:`pods_per_node` is the scheduler's resource filter turned into a count.

References
----------
.. [1] Kubernetes documentation, "Reserve Compute Resources for System Daemons": a node's
   allocatable = capacity − kube-reserved − system-reserved − eviction threshold; the
   scheduler places a pod only where the sum of requests stays within allocatable
   (kubernetes.io/docs/tasks/administer-cluster/reserve-compute-resources/).
.. [2] Kubernetes documentation, "Considerations for large clusters": at most 110 pods per
   node by default (kubelet ``maxPods``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from haplan._data import data_path
from haplan._numeric import check_range, restore
from haplan.availability import HOURS_PER_YEAR

__all__ = [
    "NODE_TYPE_COLUMNS",
    "HOURS_PER_MONTH",
    "monthly_cost_usd",
    "read_node_types",
    "pods_per_node",
]

#: Hours in the average month of the package's calendar (365.25 days / 12) [h].
HOURS_PER_MONTH = HOURS_PER_YEAR / 12.0


def monthly_cost_usd(cost_per_hour_usd):
    """An hourly price over the average month [USD/month] (``HOURS_PER_MONTH`` hours)."""
    return cost_per_hour_usd * HOURS_PER_MONTH


#: The columns a node-types CSV must have; units: cores, GiB, pods, USD per hour.
NODE_TYPE_COLUMNS = (
    "name",
    "vcpu",
    "memory_gib",
    "allocatable_cpu",
    "allocatable_memory_gib",
    "max_pods",
    "price_per_hour_usd",
)
_NUMERIC_RULES = {
    "vcpu": dict(low=0, low_open=True),
    "memory_gib": dict(low=0, low_open=True),
    "allocatable_cpu": dict(low=0, low_open=True),
    "allocatable_memory_gib": dict(low=0, low_open=True),
    "max_pods": dict(low=1, integer=True),
    "price_per_hour_usd": dict(low=0),
}


def read_node_types(path: str | Path | None = None) -> pd.DataFrame:
    """Node types from a CSV (the bundled ``data/node_types.csv`` when ``path`` is None).

    Parameters
    ----------
    path : path, optional
        A CSV with at least the columns of ``NODE_TYPE_COLUMNS``: ``name``, ``vcpu``
        [cores], ``memory_gib`` [GiB], ``allocatable_cpu`` [cores] and
        ``allocatable_memory_gib`` [GiB] after system reservations, ``max_pods`` [count] and
        ``price_per_hour_usd`` [USD/h]. Other columns (provider, region, price date and
        source) are kept.

    Returns
    -------
    pandas.DataFrame
        One row per node type, indexed by ``name``, cheapest first.

    Raises
    ------
    ValueError
        A missing file or column, a duplicate name, or a value out of range (allocatable
        above capacity, a negative price), naming the file, row and column.
    """
    source = Path(path) if path is not None else data_path("node_types.csv")
    try:
        table = pd.read_csv(source)
    except FileNotFoundError:
        raise ValueError(f"node types file {str(source)!r} does not exist") from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise ValueError(f"node types file {str(source)!r} is not a CSV: {error}") from None
    missing = [c for c in NODE_TYPE_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(
            f"node types file {str(source)!r} lacks the column(s) {', '.join(missing)}; "
            f"needed: {', '.join(NODE_TYPE_COLUMNS)}"
        )
    if table.empty:
        raise ValueError(f"node types file {str(source)!r} has no rows")
    table["name"] = table["name"].astype(str)
    duplicated = table["name"][table["name"].duplicated()]
    if len(duplicated):
        raise ValueError(
            f"node types file {str(source)!r}: node type {duplicated.iloc[0]!r} appears twice"
        )
    for column, rule in _NUMERIC_RULES.items():
        for name, value in zip(table["name"], table[column], strict=True):
            try:
                check_range(f"{column} of {name!r}", pd.to_numeric(value, errors="coerce"), **rule)
            except ValueError as error:
                raise ValueError(f"node types file {str(source)!r}: {error}") from None
        table[column] = pd.to_numeric(table[column])
    for allocatable, capacity in (
        ("allocatable_cpu", "vcpu"),
        ("allocatable_memory_gib", "memory_gib"),
    ):
        over = table[table[allocatable] > table[capacity]]
        if len(over):
            row = over.iloc[0]
            raise ValueError(
                f"node types file {str(source)!r}: {allocatable}={row[allocatable]:g} of "
                f"{row['name']!r} is above its {capacity}={row[capacity]:g}; allocatable is "
                "what remains after system reservations"
            )
    table["max_pods"] = table["max_pods"].astype(int)
    return table.sort_values(["price_per_hour_usd", "name"], kind="stable").set_index("name")


def pods_per_node(
    allocatable_cpu,
    allocatable_memory_gib,
    max_pods,
    cpu_request,
    memory_request_gib,
    daemonset_cpu=0.0,
    daemonset_memory_gib=0.0,
    daemonset_pods=0,
):
    """Pods of one kind that fit on an otherwise empty node, by requests and the pod limit.

    Parameters
    ----------
    allocatable_cpu : numeric
        The node's allocatable CPU [cores].
    allocatable_memory_gib : numeric
        The node's allocatable memory [GiB].
    max_pods : numeric
        The kubelet's pod limit on the node [count].
    cpu_request : numeric
        The pod's CPU request, summed over its containers [cores]; 0 when none is set.
    memory_request_gib : numeric
        The pod's memory request, summed over its containers [GiB]; 0 when none is set.
    daemonset_cpu, daemonset_memory_gib : numeric, default 0
        Requests of the DaemonSet pods every node runs [cores, GiB].
    daemonset_pods : numeric, default 0
        DaemonSet pods on every node [count]; they count against ``max_pods``.

    Returns
    -------
    numeric
        ⌊min((cpu − DaemonSets) / request, (memory − DaemonSets) / request, max pods −
        DaemonSet pods)⌋ [count], at least 0; a resource the pod does not request does not
        limit it. Broadcasts over its inputs; a float for scalars, a Series (the first
        Series' index) when one is given.

    Notes
    -----
    The scheduler's NodeResourcesFit filter admits a pod only where the node's allocatable
    covers the requests of the pods already bound plus its own [1]_, and the kubelet refuses
    pods beyond ``maxPods``.

    References
    ----------
    .. [1] Kubernetes documentation, "Resource Management for Pods and Containers", section
       "How Pods with resource requests are scheduled".

    Examples
    --------
    >>> int(pods_per_node(3.92, 14.8, 110, 0.5, 1.0, daemonset_cpu=0.2,
    ...                   daemonset_memory_gib=0.3, daemonset_pods=3))
    7
    """
    cpu = np.asarray(allocatable_cpu, dtype=float) - np.asarray(daemonset_cpu, dtype=float)
    memory = np.asarray(allocatable_memory_gib, dtype=float) - np.asarray(
        daemonset_memory_gib, dtype=float
    )
    pods = np.asarray(max_pods, dtype=float) - np.asarray(daemonset_pods, dtype=float)
    cpu_request = np.asarray(cpu_request, dtype=float)
    memory_request = np.asarray(memory_request_gib, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_cpu = np.where(cpu_request > 0, cpu / cpu_request, np.inf)
        by_memory = np.where(memory_request > 0, memory / memory_request, np.inf)
    # a tiny tolerance so that 4 pods of 0.25 cores fill 1.0 cores exactly
    fitting = np.floor(np.minimum(np.minimum(by_cpu, by_memory), pods) * (1 + 1e-12))
    return restore(
        np.maximum(fitting, 0.0),
        allocatable_cpu,
        allocatable_memory_gib,
        max_pods,
        cpu_request,
        memory_request_gib,
        daemonset_cpu,
        daemonset_memory_gib,
        daemonset_pods,
    )
