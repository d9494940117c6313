"""The article's three formulas, implemented verbatim and vectorised.

Source: the article "Docker 集群与高可用性" ("Docker cluster and high availability"), sections
3.1–3.3 (quoted in ``notebooks/01_article_formulas.ipynb``). Its symbols:

- N — number of nodes ("节点数量");
- R — replication factor, "how many container instances each node runs"
  ("复制因子表示每个节点运行多少个容器实例");
- P — request rate ("请求率");
- S — "failure recovery speed" ("故障恢复速度").

haplan keeps these formulas exactly as written so a reader can compare them with its own
engineering models (``haplan.availability``, ``haplan.queueing``, ``haplan.recovery``), which are
what the planner uses. The formulas are not models: read each docstring's *Notes*.
"""

from __future__ import annotations

from haplan._numeric import check_range, restore

__all__ = ["total_containers", "balancer_load", "recovery_time", "C", "L", "T"]


def _nodes_replicas(nodes, replicas):
    n = check_range("nodes", nodes, low=1)
    r = check_range("replicas", replicas, low=0, low_open=True)
    return n, r


def total_containers(nodes, replicas):
    r"""The article's total number of container instances, C = N × R.

    Parameters
    ----------
    nodes : numeric
        N, number of nodes [count], ≥ 1.
    replicas : numeric
        R, the article's replication factor: container instances per node [count], > 0.

    Returns
    -------
    numeric
        C, total container instances [count]; same kind as the inputs (float, ndarray or
        Series keeping the first Series' index).

    Notes
    -----
    Quoted from the article (section 3.1): ":math:`C = N \times R`, where C is the total number
    of container instances, N the number of nodes, R the replication factor". The article
    defines R per node, so C counts instances cluster-wide. A Kubernetes Deployment's
    ``replicas`` is C, not R: ``replicas: 3`` on 3 nodes is R = 1.

    References
    ----------
    .. [1] "Docker 集群与高可用性" (Docker cluster and high availability), section 3.1.
    """
    n, r = _nodes_replicas(nodes, replicas)
    return restore(n * r, nodes, replicas)


def balancer_load(nodes, replicas, request_rate):
    r"""The article's "load of the load balancer", L = (N / R) × P.

    Parameters
    ----------
    nodes : numeric
        N, number of nodes [count], ≥ 1.
    replicas : numeric
        R, container instances per node [count], > 0.
    request_rate : numeric
        P, request rate [requests/s], ≥ 0.

    Returns
    -------
    numeric
        L [requests/s as the article's formula gives it]; same kind as the inputs.

    Notes
    -----
    Quoted from the article (section 3.2): ":math:`L = \frac{N}{R} \times P`, where L is the
    load of the load balancer". What it does **not** mean: L is not a per-node or
    per-instance load. It grows with N (more nodes give a *larger* L for the same traffic)
    and shrinks with R, and for N = R it equals P. Per-node load is P / N and per-instance
    load P / (N × R) (haplan's ``per_node_load_rps`` and ``per_instance_load_rps``).

    References
    ----------
    .. [1] "Docker 集群与高可用性", section 3.2.
    """
    n, r = _nodes_replicas(nodes, replicas)
    p = check_range("request_rate", request_rate, low=0)
    return restore(n / r * p, nodes, replicas, request_rate)


def recovery_time(nodes, replicas, recovery_speed):
    r"""The article's "failure recovery time", T = (N / R) × S.

    Parameters
    ----------
    nodes : numeric
        N, number of nodes [count], ≥ 1.
    replicas : numeric
        R, container instances per node [count], > 0.
    recovery_speed : numeric
        S, the article's "failure recovery speed" [s], ≥ 0. haplan reads S as seconds per
        unit of N/R; the article gives no unit.

    Returns
    -------
    numeric
        T [s when S is in seconds]; same kind as the inputs.

    Notes
    -----
    Quoted from the article (section 3.3): ":math:`T = \frac{N}{R} \times S`, where T is the
    failure recovery time and S the failure recovery speed". T is a time only if S is a time
    per unit of N/R; a *speed* in the usual sense (units per second) would have to divide, not
    multiply. The formula has no detection or grace period, so it is not what an orchestrator
    does after a failure: see ``haplan.recovery`` for the real pipeline.

    References
    ----------
    .. [1] "Docker 集群与高可用性", section 3.3.
    """
    n, r = _nodes_replicas(nodes, replicas)
    s = check_range("recovery_speed", recovery_speed, low=0)
    return restore(n / r * s, nodes, replicas, recovery_speed)


#: The article's letters as aliases.
C = total_containers
L = balancer_load
T = recovery_time
