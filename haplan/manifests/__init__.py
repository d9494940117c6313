"""Read Kubernetes manifests and Docker compose / swarm stack files into scenario inputs.

Users describe a service in the files they deploy, not in haplan's vocabulary. This module
reads those files (YAML, one or many documents per file, ``yaml.safe_load_all`` only) and
maps what they say onto the shared inputs:

========================================  =================================================
manifest                                  haplan
========================================  =================================================
Deployment / StatefulSet ``spec.replicas``  ``instances`` (Kubernetes' default 1 if absent)
PodDisruptionBudget ``minAvailable``        ``min_instances`` = the number, or
                                            ceil(p % × replicas)
PodDisruptionBudget ``maxUnavailable``      ``min_instances`` = replicas − the number, or
                                            replicas − ceil(p % × replicas), at least 0
readinessProbe                              recovery overrides ``probe_initial_delay_s``,
                                            ``probe_period_s``, ``probe_success_threshold``
podAntiAffinity / topologySpreadConstraints  ``placement`` (and ``zones`` when a zone spread
                                            demands a number of zones)
compose ``deploy.replicas``                 ``instances``; ``orchestrator`` = ``swarm``
compose ``deploy.restart_policy``           recovery overrides ``restart_delay_s``,
                                            ``eviction_s``, ``restart_attempts``
compose ``healthcheck``                     the readiness probe overrides
Deployment ``spec.strategy``,               ``rollout`` (reported): ``strategy``,
``spec.minReadySeconds``                    ``max_surge``, ``max_unavailable``,
                                            ``min_ready_s``
StatefulSet ``spec.updateStrategy``         ``rollout``: ``strategy``, ``partition``,
                                            ``max_unavailable``, ``min_ready_s``
compose ``deploy.update_config``            ``rollout``: ``parallelism``, ``delay_s``,
                                            ``order``, ``failure_action``, ``monitor_s``
HorizontalPodAutoscaler (``autoscaling/v2``  ``hpa`` (reported): ``min_replicas``,
or ``v1``) whose ``scaleTargetRef`` names    ``max_replicas``, ``target_utilization`` (CPU),
the workload                                ``scale_up``, ``scale_down`` (``behavior``)
========================================  =================================================

Everything else a manifest says that matters to a reader (liveness probes, probe timeouts
and failure thresholds, grace periods, restart windows, container resources, Services, the
rollout strategy, the HorizontalPodAutoscaler) is reported, not modelled. The recovery overrides are
:class:`haplan.recovery.RecoveryPipeline` field names, so
``haplan.recovery.preset(orchestrator, **inputs.recovery_overrides)`` applies them. Every
assumption made along the way is written to ``ManifestInputs.notes``.

A file that cannot be used raises :class:`ManifestError` (a ``ValueError``) with one line:
the file, what is wrong and how to fix it.

The package holds one topic per module:

- :mod:`~haplan.manifests.reading`: :func:`read_manifests` and :func:`scenario_from_manifests`;
- :mod:`~haplan.manifests.documents`: loading the YAML documents, classifying them, choosing the
  workload, :class:`ManifestError` and :class:`ManifestInputs`;
- :mod:`~haplan.manifests.selectors`: Kubernetes label selectors (which pods a
  PodDisruptionBudget or a spread rule selects);
- :mod:`~haplan.manifests.kubernetes`: a Deployment / StatefulSet's replicas,
  PodDisruptionBudgets and Services;
- :mod:`~haplan.manifests.kubernetes_pods`: its pod template (probes, tolerations,
  topology spread and anti-affinity, container resources);
- :mod:`~haplan.manifests.compose`: Docker compose / swarm stack services;
- :mod:`~haplan.manifests.rollout`: how the workload is updated (a Deployment's or
  StatefulSet's strategy, a swarm service's ``update_config``), with each orchestrator's
  defaults;
- :mod:`~haplan.manifests.autoscaler`: the HorizontalPodAutoscaler that scales the workload
  (replica bounds, CPU target, ``behavior``), with Kubernetes' defaults;
- :mod:`~haplan.manifests.units`: quantities, durations and memory sizes.

References
----------
.. [1] Kubernetes API, apps/v1 DeploymentSpec and StatefulSetSpec (``replicas`` defaults to
   1); core/v1 Probe (initialDelaySeconds 0, periodSeconds 10, timeoutSeconds 1,
   successThreshold 1, failureThreshold 3) and PodSpec (terminationGracePeriodSeconds 30).
   github.com/kubernetes/api, apps/v1/types.go and core/v1/types.go.
.. [2] Kubernetes disruption controller, ``getExpectedPodCount``: both ``minAvailable`` and
   ``maxUnavailable`` percentages are scaled with
   ``intstr.GetScaledValueFromIntOrPercent(..., roundUp=true)``, and
   desiredHealthy = expected − maxUnavailable is clamped at 0.
   github.com/kubernetes/kubernetes, pkg/controller/disruption/disruption.go.
.. [3] "Specifying a Disruption Budget for your Application", section "Rounding logic when
   specifying percentages": 7 pods with minAvailable "50%" need 4 available.
   kubernetes.io/docs/tasks/run-application/configure-pdb/.
.. [4] "Pod Topology Spread Constraints", section "Internal default constraints":
   hostname maxSkew 3 and zone maxSkew 5, both ScheduleAnyway.
   kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/.
.. [5] Compose file reference, ``deploy`` (replicas default 1; restart_policy condition
   default ``any``, max_attempts default unlimited, window default 0) and ``healthcheck``;
   docs.docker.com/reference/compose-file/deploy/. Swarm's task restart delay default 5 s
   and stop grace period 10 s: github.com/moby/swarmkit, api/defaults/service.go.
.. [6] Dockerfile reference, HEALTHCHECK: interval 30 s, timeout 30 s, start period 0 s,
   retries 3; the first check runs one interval after the container starts.
.. [7] Kubernetes resource quantities (``500m``, ``128Mi``, ``1G``, ``1e3``):
   k8s.io/apimachinery/pkg/api/resource, quantity.go. Compose memory sizes (``512m``,
   ``1g``) are binary multiples: github.com/docker/go-units, ``RAMInBytes``.
.. [8] Rollout defaults: Kubernetes API, apps/v1 DeploymentStrategy (RollingUpdate, maxSurge
   and maxUnavailable 25 %, minReadySeconds 0) and StatefulSetUpdateStrategy (RollingUpdate,
   partition 0), github.com/kubernetes/api, apps/v1/types.go; compose ``deploy.update_config``
   (docs.docker.com/reference/compose-file/deploy/) and ``docker service update``
   (--update-parallelism 1, --update-delay 0s, --update-order stop-first,
   --update-failure-action pause, --update-monitor 5s;
   docs.docker.com/reference/cli/docker/service/update/). Details in
   :mod:`haplan.manifests.rollout`.
.. [9] HorizontalPodAutoscaler: Kubernetes documentation, "Horizontal Pod Autoscaling"
   ("Default Behavior": scale up window 0 s, Percent 100 and Pods 4 per 15 s, Max; scale down
   window 300 s, Percent 100 per 15 s),
   kubernetes.io/docs/concepts/workloads/autoscaling/horizontal-pod-autoscale/, and the
   autoscaling/v2 API reference. Details in :mod:`haplan.manifests.autoscaler`.
"""

from haplan.manifests.documents import IGNORED_KINDS as IGNORED_KINDS
from haplan.manifests.documents import SUPPORTING_KINDS as SUPPORTING_KINDS
from haplan.manifests.documents import WORKLOAD_KINDS as WORKLOAD_KINDS
from haplan.manifests.documents import ManifestError, ManifestInputs
from haplan.manifests.reading import read_manifests, scenario_from_manifests
from haplan.manifests.units import parse_compose_memory, parse_duration_s, parse_quantity

__all__ = [
    "ManifestError",
    "ManifestInputs",
    "read_manifests",
    "scenario_from_manifests",
    "parse_quantity",
    "parse_duration_s",
    "parse_compose_memory",
]
