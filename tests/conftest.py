"""Scenario set-ups that several test modules share.

- ``overloaded_checkout``: the service-model issue's checkout service, 6 pods of 150 req/s on
  3 nodes at a 2,000 req/s peak: many service-only nines, none at its load.
- ``harsh_cluster``: 4 nodes, 6 instances (k = 4) in 2 zones that fail, with container
  crashes, failures frequent enough (node MTTR/MTTF = 10 %) that a short simulation sees
  many; tests add crews, rescheduling or room with ``with_overrides``.

Hypothesis draws the same examples on every run (tests use fixed seeds, so a red CI is a
change, not a new draw); ``pytest --hypothesis-profile=explore`` searches afresh.
"""

import pytest
from hypothesis import settings

from haplan import Scenario

settings.register_profile("fixed", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("fixed")


@pytest.fixture
def overloaded_checkout() -> Scenario:
    return Scenario.default().with_overrides(
        instances=6, instance_capacity_rps=150.0, request_rate_rps=2000.0
    )


@pytest.fixture
def harsh_cluster() -> Scenario:
    return Scenario(
        nodes=4,
        instances=6,
        min_instances=4,
        node_mttf_h=100.0,
        node_mttr_h=10.0,
        instance_mttf_h=50.0,
        instance_mttr_h=1.0,
        zones=2,
        zone_mttf_h=500.0,
        zone_mttr_h=5.0,
    )
