"""Node drains and cluster upgrades: evictions through the PodDisruptionBudget, node by node.

:func:`drain` drains the nodes one at a time, the way a cluster upgrade does (``kubectl
drain``: cordon, then evict every pod through the eviction API; upgrade; uncordon), and
simulates it event by event: which evictions the PodDisruptionBudget allows, where the
evicted pods' replacements find room, when they are ready, when each node is back. The
result is the step function of the instances that serve, judged against the scenario's SLO
by :func:`haplan.disruptions.timeline.make_timeline`, with the drain's own totals (how long
the upgrade takes, the dip) and a finding — not an exception — when the budget blocks the
drain for ever.
"""

from __future__ import annotations

import math

from haplan.disruptions.rollout import (
    at_rate,
    finish,
    fmt_s,
    number,
    plural,
    pod_start_s,
    rate_text,
    whole,
)
from haplan.disruptions.timeline import Timeline

__all__ = ["drain", "pdb_min_available"]


def pdb_min_available(min_available, replicas) -> int:
    """A PodDisruptionBudget's ``minAvailable`` as a pod count.

    Parameters
    ----------
    min_available : int or str
        A count in [0, replicas], or a whole percentage such as ``"50%"`` (of ``replicas``,
        rounded **up**, as the disruption controller does).
    replicas : int
        The pods the budget covers [count], ≥ 1.

    Returns
    -------
    int
        minAvailable [count]; the eviction API lets a healthy pod go while
        ``disruptionsAllowed = healthy − minAvailable ≥ 1``.

    References
    ----------
    .. [1] Kubernetes documentation, "Specifying a Disruption Budget for your Application"
       (percentages round up), https://kubernetes.io/docs/tasks/run-application/configure-pdb/ .
    .. [2] kubernetes/kubernetes, pkg/controller/disruption/disruption.go
       (``getExpectedPodCount``: ``GetScaledValueFromIntOrPercent(minAvailable, expected,
       true)``).
    """
    c = whole("replicas", replicas, 1, math.inf, "must be a whole number >= 1")
    valid = f'must be a whole number in [0, {c}] or a percentage such as "50%" (at most 100%)'
    if isinstance(min_available, str):
        text = min_available.strip()
        digits = text[:-1].strip()
        if not text.endswith("%") or not digits.isdigit():
            raise ValueError(f"min_available={min_available!r} is not valid: {valid}")
        percent = int(digits)
        if percent > 100:
            raise ValueError(f"min_available={min_available!r} is out of range: {valid}")
        return -(-percent * c // 100)
    return whole("min_available", min_available, 0, c, valid)


def _drain_order(nodes_to_drain, n: int) -> list[int]:
    valid = f"must be a whole number in [0, {n}] or distinct node indices in [0, {n - 1}]"
    if nodes_to_drain is None:
        return list(range(n))
    if isinstance(nodes_to_drain, (list, tuple, range)):
        order = [whole("nodes_to_drain", i, 0, n - 1, valid) for i in nodes_to_drain]
        if len(set(order)) != len(order):
            raise ValueError(f"nodes_to_drain={nodes_to_drain!r} is not valid: {valid}")
        return order
    return list(range(whole("nodes_to_drain", nodes_to_drain, 0, n, valid)))


def drain(
    scenario,
    *,
    nodes_to_drain=None,
    surge_nodes=0,
    min_available=None,
    pod_ready_s=None,
    node_upgrade_s=600.0,
    at_rps=None,
) -> Timeline:
    """Drain and upgrade nodes one at a time, evicting pods through the PodDisruptionBudget.

    Parameters
    ----------
    scenario : haplan.Scenario
        N = ``nodes`` holding C = ``instances`` pods spread evenly (the first C mod N nodes
        one more); room: ``max_instances_per_node`` pods a node; load and targets.
    nodes_to_drain : int or sequence of int, optional
        How many nodes to drain (the first ones), or which (node indices in [0, N), in
        order); default all N, a whole-cluster upgrade.
    surge_nodes : int
        Fresh, empty nodes added before the upgrade [count], ≥ 0 (room for the evicted pods;
        not drained, not removed afterwards).
    min_available : int or str, optional
        The PodDisruptionBudget's ``minAvailable`` (a count in [0, C] or ``"50%"``, see
        :func:`pdb_min_available`); default ``scenario.min_instances``.
    pod_ready_s : float, optional
        Creation → ready of a replacement pod [s]; default
        :func:`haplan.disruptions.rollout.pod_start_s` (scheduling, image pull, container start
        and readiness of the orchestrator's pipeline; Kubernetes 14.02 s).
    node_upgrade_s : float
        From a node's last eviction until it is back, upgraded and uncordoned, empty [s], ≥ 0
        (default 600 s, an assumption: reboot or reimage, kubelet and CNI ready).
    at_rps : float, optional
        Request rate to judge the drain at [req/s]; default the scenario's.

    Returns
    -------
    Timeline
        Steps of ``instances_ready`` (healthy pods) and ``instances_pending`` (replacements
        without room), stages ``"drain node i"`` (evictions waiting for the budget),
        ``"upgrade node i"``, ``"pods starting"``. Besides
        :func:`~haplan.disruptions.timeline.summarize`'s totals: ``drain_s`` [s] (until the
        last node is back and every pod ready; inf when blocked), ``upgrade_s`` [s] (until
        the last node is back; inf when blocked), ``nodes_drained`` [count], ``dip`` [count]
        (C − fewest ready), ``time_short_s`` [s] (fewer than C ready), ``min_available``
        [count], ``pod_ready_s`` [s], ``blocked`` and ``blocked_reason``.

    Notes
    -----
    Event-driven; at each instant, until nothing changes:

    * a node whose upgrade is over comes back empty and schedulable;
    * replacements waiting for room go to the schedulable node with the fewest pods and a
      free slot (lowest index on ties; the drained node is cordoned);
    * once the previous node is back, the next node is cordoned and its drain starts;
    * the eviction API lets a healthy pod of the draining node go while ``healthy − 1 ≥
      minAvailable`` (disruptionsAllowed ≥ 1), a not-yet-ready one while ``healthy ≥
      minAvailable``; the ReplicaSet creates its replacement at once (ready ``pod_ready_s``
      after it is placed);
    * a node without pods starts its upgrade (``node_upgrade_s``).

    With 3 nodes × 2 pods, minAvailable 4, room everywhere, pods ready in P and upgrades of U
    (U > 2P): node 0 loses both pods at once (4 ready for P); nodes 1 and 2 hold 3 pods each
    by then, two go at once and the third P later (4 for P, 5 for P): the upgrade takes
    3U + 2P. When the budget allows no eviction — minAvailable equal to the replicas, or
    every further eviction waiting for a replacement that has no room while the draining
    node is cordoned — nothing changes any more: the drain never finishes. That is reported
    in ``event``, ``totals["blocked"]`` and ``totals["blocked_reason"]``, not raised; the
    Timeline then ends where the drain stuck.

    Not modelled: kubectl's 5 s back-off between refused evictions (evictions here happen
    the moment the budget allows), graceful termination (a pod stops serving when evicted),
    DaemonSets, the scheduler's other scoring (spread by fewest pods stands for it), pods
    moving back after the upgrade (Kubernetes does not rebalance), removing the surge nodes.

    References
    ----------
    .. [1] Kubernetes documentation, "Safely Drain a Node" and "API-initiated Eviction"
       (evictions refused with 429 while the budget has no disruption left),
       https://kubernetes.io/docs/tasks/administer-cluster/safely-drain-node/ ,
       https://kubernetes.io/docs/concepts/scheduling-eviction/api-eviction/ .
    .. [2] Kubernetes documentation, "Disruptions: Pod disruption budgets"
       (``disruptionsAllowed``; unhealthy pods and ``unhealthyPodEvictionPolicy``
       IfHealthyBudget), https://kubernetes.io/docs/concepts/workloads/pods/disruptions/ .
    .. [3] Kubernetes documentation, "Upgrading kubeadm clusters" (drain, upgrade, uncordon
       one node at a time),
       https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-upgrade/ .
    """
    scenario = at_rate(scenario, at_rps)
    n, c = scenario.nodes, scenario.instances
    order = _drain_order(nodes_to_drain, n)
    extra_nodes = whole("surge_nodes", surge_nodes, 0, math.inf, "must be a whole number >= 0")
    k = scenario.min_instances if min_available is None else pdb_min_available(min_available, c)
    ready_s = pod_start_s(scenario, pod_ready_s)
    upgrade = number("node_upgrade_s", node_upgrade_s, "must be a finite number >= 0 [s]")
    room = scenario.max_instances_per_node  # may be inf

    # pods[node] = the ready times of the pods placed on it
    pods: list[list[float]] = [[0.0] * (c // n + (1 if i < c % n else 0)) for i in range(n)] + [
        [] for _ in range(extra_nodes)
    ]
    back_at: dict[int, float] = {}  # node → when its upgrade ends
    queue = list(order)
    current: int | None = None
    pending = 0
    rows: list[tuple] = []
    t = 0.0
    last_back = 0.0

    def place() -> bool:
        nonlocal pending
        placed = False
        while pending:
            free = [
                (len(pods[i]), i)
                for i in range(len(pods))
                if i != current and i not in back_at and len(pods[i]) < room
            ]
            if not free:
                break
            pods[min(free)[1]].append(t + ready_s)
            pending -= 1
            placed = True
        return placed

    while True:
        changed = True
        while changed:
            changed = False
            for node in [i for i, end in back_at.items() if end <= t]:
                last_back = max(last_back, back_at.pop(node))
                changed = True
            changed |= place()
            if current is None and queue and not back_at:
                current = queue.pop(0)
                changed = True
            if current is not None:
                while pods[current]:
                    healthy = sum(1 for node in pods for r in node if r <= t)
                    starting = [r for r in pods[current] if r > t]
                    if starting and healthy >= k:
                        pods[current].remove(starting[0])
                    elif not starting and healthy - 1 >= k:
                        pods[current].pop()
                    else:
                        break
                    pending += 1
                    place()
                    changed = True
                if not pods[current]:
                    back_at[current] = t + upgrade
                    current = None
                    changed = True
        healthy = sum(1 for node in pods for r in node if r <= t)
        if current is not None:
            stage = f"drain node {current}"
        elif back_at:
            stage = f"upgrade node {min(back_at, key=back_at.get)}"
        elif pending or healthy < c:
            stage = "pods starting"
        else:
            stage = ""
        rows.append((t, healthy, pending, stage))
        future = [r for node in pods for r in node if r > t] + list(back_at.values())
        if not future:
            break
        t = min(future)

    done = current is None and not queue and not pending
    extra = {
        "drain_s": t if done else math.inf,
        "upgrade_s": math.inf,
        "nodes_drained": len(order) - len(queue) - (0 if current is None else 1),
        "min_available": k,
        "pod_ready_s": ready_s,
        "blocked": not done,
        "blocked_reason": "",
    }
    head = (
        f"drain of {plural(len(order), 'node')} one at a time (PodDisruptionBudget "
        f"minAvailable {k} of {c}, {plural(extra_nodes, 'surge node')}, pods ready "
        f"{ready_s:g} s after creation, upgrade {upgrade:g} s a node) at "
        f"{rate_text(scenario)} req/s"
    )
    if done:
        extra["upgrade_s"] = last_back
        event = f"{head}: done in {fmt_s(t)}"
    else:
        if pending:
            reason = (
                f"the PodDisruptionBudget (minAvailable {k} of {c}) allows no further "
                f"eviction while {plural(pending, 'evicted pod')} "
                f"{'waits' if pending == 1 else 'wait'} for room "
                f"(max_instances_per_node {room:g}, node {current} cordoned): the drain of "
                f"node {current} never finishes"
            )
        else:
            reason = (
                f"the PodDisruptionBudget (minAvailable {k} of {c}) allows no eviction: "
                f"the drain of node {current} never finishes"
            )
        extra["blocked_reason"] = reason
        event = f"{head}: {reason}"
    return finish(event, rows, scenario, t, extra)
