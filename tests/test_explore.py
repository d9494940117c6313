"""haplan.explore: static output without ipywidgets, live recomputation with it (a fake
ipywidgets and, when installed, the real one)."""

from __future__ import annotations

import sys
import types

import pytest

import haplan
from haplan.explore import CHOICES, SLIDERS, Explorer


def test_explore_is_public_and_does_not_load_matplotlib_at_import():
    code = "import sys, haplan; assert callable(haplan.explore); print('matplotlib' in sys.modules)"
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert "explore" in haplan.__all__


def test_without_ipywidgets_the_output_is_static(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets fails
    explorer = haplan.explore(target_availability=0.9995)
    assert isinstance(explorer, Explorer)
    assert explorer.widget is None and explorer.controls == {}
    bundle = explorer._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    assert bundle["text/plain"].startswith("SLO availability 99.999923 % (6.11 nines")
    assert "PASS availability" in bundle["text/plain"]
    assert "R = C/N = 3/3 = 1 instances per node" in bundle["text/plain"]
    assert bundle["text/html"].count("data:image/png;base64,") == 2
    assert list(explorer.figures) == [
        "Load, latency and SLO nines against nodes",
        "SLO nines against instances per node",
    ]
    with pytest.raises(ImportError, match=r"pip install 'haplan\[explore\]'"):
        haplan.explore(interactive=True)


def test_set_recomputes_from_code_and_refuses_what_describes_no_scenario():
    explorer = haplan.explore(interactive=False, target_availability=0.9995)
    assert explorer.row["slo_nines"] > 6
    explorer.set(request_rate_rps=250.0)  # 3 instances of 100 req/s, 70 % ceiling: too few
    assert explorer.row["slo_nines"] == 0
    assert explorer.headline.endswith(
        "3 instances cannot carry 250 req/s under 70% utilisation: 4 are needed"
    )
    assert not explorer.verdict[1].passed
    explorer.set(nodes=6)  # instances kept: R = 3/6 follows
    assert (explorer.row["nodes"], explorer.row["instances"]) == (6, 3)
    explorer.set(min_instances=9)
    assert explorer.error.startswith("min_instances=9 is out of range")
    assert explorer.row["nodes"] == 6  # the previous scenario stays
    assert explorer.text().splitlines()[-1].startswith("Not applied: min_instances=9")


class _Trait:
    """A minimal traitlets-like widget: ``value`` with observers, any other keyword kept."""

    def __init__(self, **kwargs):
        self._observers = []
        self.__dict__["value"] = kwargs.pop("value", None)
        self.kwargs = kwargs
        self.outputs = ()
        self.children = kwargs.get("children")

    def observe(self, callback, names):
        assert names == "value"
        self._observers.append(callback)

    def __setattr__(self, name, value):
        old = self.__dict__.get(name)
        super().__setattr__(name, value)
        if name == "value" and old != value:
            for callback in self._observers:
                callback({"name": "value", "old": old, "new": value})

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": "Box", "application/vnd.jupyter.widget-view+json": {"id": "x"}}


def _fake_ipywidgets():
    module = types.ModuleType("ipywidgets")
    for name in ("IntSlider", "FloatSlider", "FloatLogSlider", "Dropdown", "Output"):
        setattr(module, name, type(name, (_Trait,), {}))
    module.VBox = lambda children: _Trait(children=children)
    module.HBox = lambda children: _Trait(children=children)
    return module


def test_with_a_fake_ipywidgets_every_control_recomputes(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", _fake_ipywidgets())
    explorer = haplan.explore(target_availability=0.9995)
    assert list(explorer.controls) == [*SLIDERS, *CHOICES]
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "text/html" in bundle
    (shown,) = explorer._output.outputs
    assert shown["data"]["text/plain"] == explorer.text()
    explorer.controls["request_rate_rps"].value = 250.0
    assert explorer.scenario.request_rate_rps == 250.0 and explorer.row["slo_nines"] == 0
    assert "cannot carry 250 req/s" in explorer._output.outputs[0]["data"]["text/plain"]
    explorer.controls["instances"].value = 6
    assert explorer.row["instances"] == 6 and explorer.row["replicas"] == 2
    explorer.controls["orchestrator"].value = "swarm"
    assert explorer.row["orchestrator"] == "swarm"
    assert explorer.row["recovery_node_failure_s"] < 60  # swarm's pipeline is quick
    explorer.controls["balancer"].value = "round_robin"
    assert explorer.row["balancer"] == "round_robin"
    for name, value in [("node_mttf_h", 100.0), ("node_mttr_h", 1.0), ("zones", 2)]:
        explorer.controls[name].value = value
        assert explorer.row[name] == value
    explorer.controls["recovery_speed_s"].value = 60.0
    assert explorer.row["doc_recovery_time_s"] == pytest.approx(3 / 2 * 60.0)  # T = N/R × S
    # a refused change puts the control back and says why
    explorer.controls["zones"].value = 5  # 3 nodes cannot span 5 zones
    assert explorer.error and explorer.controls["zones"].value == 2


def test_with_the_real_ipywidgets_the_callback_recomputes():
    widgets = pytest.importorskip("ipywidgets")
    explorer = haplan.explore(target_availability=0.9995)
    assert isinstance(explorer.widget, widgets.VBox)
    explorer.controls["nodes"].value = 5
    assert explorer.row["nodes"] == 5
    assert "R = C/N = 3/5 = 0.6" in explorer._output.outputs[0]["data"]["text/plain"]
