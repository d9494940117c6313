"""Cluster mode of ``haplan report`` and ``haplan plan``: node types, several workloads, exports.

A command runs in cluster mode when its inputs hold several workloads or a cluster export's
Nodes, or when a cluster option (``--node-types``, ``--pod-cpu``, ``--pod-memory``) is given.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

import click
import pandas as pd

from haplan._safe import escape_controls

__all__ = [
    "cluster_options",
    "wants_cluster",
    "documents_passed_on",
    "cluster_report",
    "cluster_plan",
]

_GIB = 2.0**30


def cluster_options(function):
    """The options of cluster mode, shared by report and plan."""
    options = [
        click.option(
            "--node-types",
            "node_types_path",
            is_flag=False,
            flag_value="",
            default=None,
            metavar="[CSV]",
            help="Plan over node types: a CSV like data/node_types.csv, or none for the "
            "bundled one.",
        ),
        click.option(
            "--node-type",
            "node_type_name",
            metavar="NAME",
            help="Hold the node type (a name from the node types CSV).",
        ),
        click.option("--pod-cpu", metavar="QUANTITY", help="CPU request per pod, e.g. 500m."),
        click.option(
            "--pod-memory", metavar="QUANTITY", help="Memory request per pod, e.g. 512Mi."
        ),
        click.option(
            "--planned-failure",
            type=click.Choice(["node", "zone", "none"]),
            default="node",
            show_default=True,
            help="The failure the cluster must survive with room and capacity to spare.",
        ),
        click.option(
            "--daemonset-cpu", metavar="QUANTITY", help="DaemonSet requests per node (CPU)."
        ),
        click.option(
            "--daemonset-memory", metavar="QUANTITY", help="DaemonSet requests per node (memory)."
        ),
        click.option("--daemonset-pods", type=int, help="DaemonSet pods per node."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _quantity(flag: str, text: str | None, scale: float = 1.0) -> float | None:
    if text is None:
        return None
    from haplan.manifests import parse_quantity

    try:
        value = parse_quantity(text)
    except ValueError as error:
        raise ValueError(f"{flag}: {error}") from None
    return value / scale


def _cluster_flags(flags: dict) -> dict:
    return {
        "node_types_path": flags.pop("node_types_path", None),
        "node_type_name": flags.pop("node_type_name", None),
        "cpu_request": _quantity("--pod-cpu", flags.pop("pod_cpu", None)),
        "memory_request_gib": _quantity("--pod-memory", flags.pop("pod_memory", None), _GIB),
        "planned_failure": flags.pop("planned_failure", "node"),
        "daemonset_cpu": _quantity("--daemonset-cpu", flags.pop("daemonset_cpu", None)),
        "daemonset_memory_gib": _quantity(
            "--daemonset-memory", flags.pop("daemonset_memory", None), _GIB
        ),
        "daemonset_pods": flags.pop("daemonset_pods", None),
    }


def wants_cluster(inputs, workload, flags: dict, command: str = "report"):
    """The cluster options (they leave ``flags``) when the command runs in cluster mode, and
    the inputs' files as read so far.

    ``plan`` plans the cluster whenever manifests are given (their requests, zones and spread
    decide what fits) or a cluster option is; ``report`` does when the inputs hold several
    workloads or a cluster export's Nodes (and no ``--workload`` picks one), or a cluster
    option is given.

    Returns
    -------
    (dict or None, ClusterFiles or None)
        The options (None: one workload, not a cluster) and the
        :class:`~haplan.cluster.inputs.ClusterFiles` of ``inputs`` (None when nothing needed
        reading): hand them on (:func:`cluster_report`, :func:`cluster_plan`,
        :func:`documents_passed_on`) so that each file is read and parsed once.
    """
    cluster = _cluster_flags(flags)
    cluster["workload"] = workload
    given = ("node_types_path", "node_type_name", "cpu_request", "memory_request_gib")
    if any(cluster[k] is not None for k in given):
        return cluster, _files(inputs)
    yamls = [
        Path(p) for p in inputs if Path(p).is_dir() or Path(p).suffix.lower() in (".yaml", ".yml")
    ]
    if not yamls:
        return None, None
    files = _files(inputs)
    if command == "plan":
        return cluster, files
    from haplan.cluster.inputs import build_cluster

    read = build_cluster(files)
    if read.pool is not None:  # a cluster export: its nodes matter, one workload or all
        return cluster, files
    return (cluster if (workload is None and len(read.workloads) > 1) else None), files


def _files(inputs):
    from haplan.cluster.inputs import ClusterFiles

    return ClusterFiles(inputs)


def documents_passed_on(files):
    """A context in which the single-workload reading (:mod:`haplan.manifests`) takes the
    documents ``files`` (from :func:`wants_cluster`) read instead of reading them again."""
    if files is None:
        return nullcontext()
    from haplan.manifests.documents import documents_read

    return documents_read(files.documents_read)


def _node_types(cluster: dict):
    from haplan.cluster import read_node_types

    table = read_node_types(cluster["node_types_path"] or None)
    name = cluster["node_type_name"]
    if name is None:
        return table
    if name not in table.index:
        raise ValueError(
            f"--node-type {name!r} is not in the node types file; known: {', '.join(table.index)}"
        )
    return table.loc[[name]]


def _load(files, overrides, cluster, node_types):
    from haplan.cluster.inputs import build_cluster

    read = build_cluster(
        files,
        overrides,
        node_types=node_types,
        cpu_request=cluster["cpu_request"],
        memory_request_gib=cluster["memory_request_gib"],
    )
    daemonsets = {
        "daemonset_cpu": read.daemonsets["cpu"],
        "daemonset_memory_gib": read.daemonsets["memory_gib"],
        "daemonset_pods": int(read.daemonsets["pods"]),
    }
    for name in daemonsets:
        if cluster[name] is not None:
            daemonsets[name] = cluster[name]
    wanted = cluster.get("workload")
    if wanted is not None:
        chosen = tuple(w for w in read.workloads if w.name == wanted)
        if not chosen:
            names = ", ".join(w.name for w in read.workloads)
            raise ValueError(
                f"--workload {wanted!r} names no workload of the inputs; they hold {names}"
            )
        if read.pool is None:  # on a running cluster the others still take their room
            read = replace(read, workloads=chosen)
    return read, daemonsets


def cluster_report(
    files, overrides, cluster, output_format, out_path, csv_path
) -> tuple[str, bool]:
    """Run ``haplan report`` on a cluster (``files``: :func:`wants_cluster`'s); returns what
    to print and whether it passes."""
    from haplan.cluster import Pool, assess
    from haplan.export import write_csv, write_text
    from haplan.report.cluster import cluster_csv_frame, render_cluster, render_cluster_json

    node_types = _node_types(cluster)
    read, daemonsets = _load(files, overrides, cluster, node_types)
    pool = read.pool
    if pool is None:
        if cluster["node_type_name"] is None:
            raise ValueError(
                "a cluster report needs nodes: give a cluster export with Nodes, or "
                "--node-type NAME with -N NODES (and --set zones=Z)"
            )
        nodes = int(overrides.get("nodes", read.base.nodes))
        zones = _zones(overrides, read)
        if nodes % zones:
            raise ValueError(
                f"nodes={nodes} over zones={zones}: a zonal node pool has the same number of "
                "nodes in every zone; give a multiple of the zones"
            )
        pool = Pool.uniform(node_types.iloc[0], nodes, zones, **daemonsets)
    else:  # an export: its per-node DaemonSet figures stay where no flag replaces them
        given = ("daemonset_cpu", "daemonset_memory_gib", "daemonset_pods")
        pool = replace(pool, **{k: cluster[k] for k in given if cluster[k] is not None})
    assessment = assess(pool, read.workloads, cluster["planned_failure"])
    shown = read.workloads
    if cluster.get("workload") is not None:  # placed with the others, judged alone
        shown = [w for w in read.workloads if w.name == cluster["workload"]]
        assessment = replace(assessment, rows=assessment.rows.loc[[w.name for w in shown]])
    notes = list(read.notes) + [f"{w.name}: {n}" for w in shown for n in _kept(w.notes)]
    if output_format == "json":
        text = render_cluster_json(assessment, notes)
    else:
        text = render_cluster(assessment, output_format, notes)
    message = text
    if out_path is not None:
        write_text(text, out_path)
        message = f"wrote {output_format} cluster report to {escape_controls(out_path)}\n"
    if csv_path is not None:
        write_csv(cluster_csv_frame(assessment), csv_path)
    return message, assessment.ok


def _has_target(scenario) -> bool:
    from haplan._numeric import is_missing

    return any(
        not is_missing(getattr(scenario, name))
        for name in ("target_availability", "target_p99_ms", "target_recovery_s")
    )


def _zones(overrides: dict, read) -> int:
    """The pool's zones: the command line's, else the export's, else the scenario's."""
    if "zones" in overrides:
        return int(overrides["zones"])
    return read.pool.zones if read.pool is not None else int(read.base.zones)


def _kept(notes) -> list[str]:
    """A workload's reading notes that still matter once the cluster gives nodes and zones."""
    dropped = (
        "not the chosen workload",  # the other workloads' HPAs
        "demands no number of zones",  # the pool gives the zones
        "zones are not given",
        "rollout: Kubernetes' defaults",  # how it updates: the single report's topic
        "behavior.scaleUp",
    )
    return [n for n in notes if not any(d in n for d in dropped)]


def cluster_plan(files, values: dict, cluster, runners_up: int, csv_path) -> str:
    """Run ``haplan plan`` on a cluster (``files``: :func:`wants_cluster`'s); ``values`` are
    the command line's inputs (lists)."""
    from haplan.cluster import plan_cluster
    from haplan.export import write_csv
    from haplan.report.cluster import render_cluster_plan

    node_types = _node_types(cluster)
    nodes = values.pop("nodes", None)
    instances = values.pop("instances", None)
    if "replicas" in values:
        raise ValueError(
            "plan over node types searches total pods: give --instances (e.g. --instances 6:30), "
            "not -R"
        )
    overrides = {}
    for name, items in values.items():
        if len(items) != 1:
            raise ValueError(
                f"{name} has {len(items)} values; plan over node types searches nodes and "
                "instances only"
            )
        overrides[name] = items[0]
    read, daemonsets = _load(files, overrides, cluster, node_types)
    untargeted = [w.name for w in read.workloads if not _has_target(w.scenario)]
    if untargeted:
        raise ValueError(
            f"plan needs a target for every workload; {', '.join(untargeted)} has none: give "
            "--target-availability PERCENT (or --target-p99-ms, --target-recovery-s), or a "
            "haplan.io/target_availability annotation on the workload"
        )
    note = ""
    if read.pool is not None and cluster["node_types_path"] is None and "provider" in node_types:
        # an export's cloud: plan on its provider's node types (the table's, by instance type)
        known = node_types.index.intersection(pd.Index(read.pool.node_type))
        providers = set(node_types.loc[known, "provider"])
        if len(providers) == 1 and cluster["node_type_name"] is None:
            provider = providers.pop()
            node_types = node_types[node_types["provider"] == provider]
            note = (
                f"Node types searched: the {provider} ones of the table (the export's nodes are "
                f"{provider}); give --node-types to search every provider.\n"
            )
    zones = _zones(overrides, read)
    search = None
    if instances is not None:
        search = {w.name: [int(v) for v in instances] for w in read.workloads}
    plan = plan_cluster(
        read.workloads,
        node_types,
        nodes=None if nodes is None else [int(n) for n in nodes],
        zones=zones,
        instances=search,
        planned_failure=cluster["planned_failure"],
        **daemonsets,
    )
    if csv_path is not None:
        write_csv(plan.candidates, csv_path)
    text = render_cluster_plan(plan, runners_up=runners_up)
    if read.pool is not None:  # the cluster as it runs, for comparison
        from haplan.cluster import assess
        from haplan.report.cluster import today_line

        today = assess(read.pool, read.workloads, cluster["planned_failure"])
        text = today_line(today) + note + text
    return text
