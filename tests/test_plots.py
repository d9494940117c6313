"""Figures from haplan.plots: right axes, labels and artists on small real tables; inf/NaN rows
left out with a note; missing columns named in the error; no pyplot."""

from __future__ import annotations

import io
import math
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import haplan  # noqa: E402
from haplan import plots, simulate  # noqa: E402

# Nodes down 1 % of the time and a service needing two instances: every value stays finite.
VM = haplan.Scenario(nodes=3, instances=3, min_instances=2, node_mttf_h=2000.0, node_mttr_h=20.0)


@pytest.fixture
def keep():
    """Collect figures, render each once (Agg) at teardown, then clear it."""
    made: list[Figure] = []

    def add(figure):
        assert isinstance(figure, Figure)
        made.append(figure)
        return figure

    yield add
    for figure in made:
        figure.savefig(io.BytesIO(), format="png", dpi=40)  # draws every artist
        figure.clear()


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


@pytest.fixture(scope="module")
def grid():
    return haplan.sweep(nodes=[2, 3, 4], replicas=[1, 2, 3], base=VM)


# -- axis_label ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "label"),
    [
        ("nodes", "nodes N [count]"),
        ("p99_response_ms", "p99 response time [ms]"),
        ("mean_wait_ms", "mean wait [ms]"),
        ("recovery_node_failure_s", "recovery node failure [s]"),
        ("outage_frequency_per_year", "outages [1/yr]"),
        ("capacity_unavailability", "capacity unavailability [probability]"),
        ("my_column", "my column"),
    ],
)
def test_axis_label_gives_units(column, label):
    assert plots.axis_label(column) == label


# -- availability_vs_replicas ----------------------------------------------------------------


def test_availability_vs_replicas_one_line_per_node_count(grid, keep):
    figure = keep(plots.availability_vs_replicas(grid))
    (ax,) = figure.axes
    assert ax.get_xlabel() == "replicas R [instances per node]"
    assert ax.get_ylabel() == "SLO nines (load-aware) [−log10 U]"
    assert len(ax.lines) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["2", "3", "4"]
    for line, (_, part) in zip(ax.lines, grid.groupby("nodes"), strict=True):
        part = part.sort_values("replicas")
        np.testing.assert_allclose(line.get_xdata(), part["replicas"])
        np.testing.assert_allclose(line.get_ydata(), part["slo_nines"])


def test_availability_vs_replicas_plots_the_load_aware_headline(keep):
    # 6 instances of 150 req/s at 2,000 req/s: overloaded, so the headline is 0 nines even
    # though the service-only component (1 instance up) has about ten.
    overloaded = haplan.Scenario(nodes=3, instances=6, instance_capacity_rps=150.0)
    frame = haplan.sweep(replicas=[1, 2, 3], request_rate_rps=2000.0, base=overloaded)
    assert (frame["nines"] > 9).all()
    (ax,) = keep(plots.availability_vs_replicas(frame, by=None)).axes
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [0.0, 0.0, 0.0])
    assert ax.get_title().startswith("SLO nines (load-aware) vs replicas")
    component = keep(plots.availability_vs_replicas(frame, by=None, value="nines")).axes[0]
    assert component.get_ylabel() == "service-only nines, a component [−log10 U]"
    np.testing.assert_allclose(component.lines[0].get_ydata(), frame["nines"])


def test_availability_vs_replicas_without_by_draws_one_line(keep):
    frame = haplan.sweep(replicas=[1, 2, 3], base=VM)
    (ax,) = keep(plots.availability_vs_replicas(frame, by=None)).axes
    assert len(ax.lines) == 1
    assert ax.get_legend() is None


def test_availability_vs_replicas_leaves_out_infinite_nines_with_a_note(grid, keep):
    frame = grid.copy()
    frame.loc[frame.index[0], "slo_nines"] = math.inf
    frame.loc[frame.index[1], "slo_nines"] = math.nan
    (ax,) = keep(plots.availability_vs_replicas(frame)).axes
    assert sum(len(line.get_xdata()) for line in ax.lines) == len(frame) - 2
    assert any("2 point(s)" in text for text in texts(ax))


def test_availability_vs_replicas_refuses_ambiguous_rows():
    frame = haplan.sweep(nodes=[2, 3], replicas=[1, 2], request_rate_rps=[10, 20], base=VM)
    with pytest.raises(ValueError, match="several rows"):
        plots.availability_vs_replicas(frame)


@pytest.mark.parametrize("missing", ["slo_nines", "replicas", "nodes"])
def test_availability_vs_replicas_names_a_missing_column(grid, missing):
    with pytest.raises(ValueError, match=f"no column '{missing}'"):
        plots.availability_vs_replicas(grid.drop(columns=missing))


def test_plots_refuse_a_non_frame():
    with pytest.raises(ValueError, match="pandas.DataFrame"):
        plots.heatmap({"nodes": [1]})


def test_plots_refuse_an_empty_frame(grid):
    with pytest.raises(ValueError, match="empty"):
        plots.availability_vs_replicas(grid.iloc[:0])


# -- load_and_latency ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def busy():
    """1000 requests/s on 100-requests/s instances: C ≤ 10 is overloaded."""
    return haplan.sweep(nodes=range(2, 9), replicas=[1, 2], request_rate_rps=1000, base=VM)


def test_load_and_latency_panels_and_overloaded_rows(busy, keep):
    figure = keep(plots.load_and_latency(busy))
    load_ax, util_ax, latency_ax = figure.axes
    assert load_ax.get_ylabel() == "per-node load [requests/s]"
    assert util_ax.get_ylabel() == "utilisation [%]"
    assert latency_ax.get_ylabel() == "p99 response time [ms]"
    assert latency_ax.get_xlabel() == "nodes N [count]"
    # one load line per replicas value, labelled with it
    assert [t.get_text() for t in load_ax.get_legend().get_texts()] == [
        "replicas=1",
        "replicas=2",
    ]
    overloaded = busy["overloaded"].to_numpy()
    assert 0 < overloaded.sum() < len(busy)
    finite_points = sum(
        len(line.get_xdata()) for line in latency_ax.lines if line.get_marker() != "^"
    )
    markers = sum(len(line.get_xdata()) for line in latency_ax.lines if line.get_marker() == "^")
    assert finite_points == (~overloaded).sum()
    assert markers == overloaded.sum()
    assert all(np.isfinite(line.get_ydata()).all() for line in latency_ax.lines)
    assert any("overloaded" in text and "N = 2–8" in text for text in texts(latency_ax))
    # the scenario's 70 % ceiling, in percent
    ceilings = [line for line in util_ax.lines if line.get_linestyle() == "--"]
    assert len(ceilings) == 1
    np.testing.assert_allclose(ceilings[0].get_ydata(), [70.0, 70.0])


def test_load_and_latency_explicit_ceiling_and_series_by_rate(keep):
    frame = haplan.sweep(nodes=range(3, 7), request_rate_rps=[100, 200], base=VM)
    figure = keep(plots.load_and_latency(frame, max_utilization=0.5))
    load_ax, util_ax, _ = figure.axes
    labels = [t.get_text() for t in load_ax.get_legend().get_texts()]
    assert labels == ["request_rate_rps=100", "request_rate_rps=200"]
    ceiling = [line for line in util_ax.lines if line.get_linestyle() == "--"]
    np.testing.assert_allclose(ceiling[0].get_ydata(), [50.0, 50.0])


def test_load_and_latency_marks_points_above_each_rows_own_ceiling(keep):
    frame = haplan.sweep(
        nodes=[2, 4], replicas=1, request_rate_rps=100, max_utilization=[0.3, 0.9], base=VM
    )
    # utilisation: 2 nodes 0.5, 4 nodes 0.25 -> above 0.3 once, above 0.9 never
    _, util_ax, _ = keep(plots.load_and_latency(frame)).axes
    assert not [line for line in util_ax.lines if line.get_linestyle() == "--"]
    circled = [line for line in util_ax.lines if line.get_markerfacecolor() == "none"]
    assert [list(line.get_xdata()) for line in circled] == [[2.0]]


def test_load_and_latency_refuses_ambiguous_rows():
    frame = haplan.sweep(nodes=[3, 4], node_mttr_h=[1.0, 2.0], base=VM)
    with pytest.raises(ValueError, match="several rows for one value of nodes"):
        plots.load_and_latency(frame)


@pytest.mark.parametrize("ceiling", [0, 1.5, "high", True])
def test_load_and_latency_rejects_a_bad_ceiling(busy, ceiling):
    with pytest.raises(ValueError, match="max_utilization"):
        plots.load_and_latency(busy, max_utilization=ceiling)


def test_load_and_latency_names_a_missing_column(busy):
    with pytest.raises(ValueError, match="no column 'p99_response_ms'"):
        plots.load_and_latency(busy.drop(columns="p99_response_ms"))


# -- recovery_breakdown ----------------------------------------------------------------------

PRESETS = ("kubernetes", "swarm", "nomad")


@pytest.fixture(scope="module")
def stages():
    return pd.concat([haplan.recovery.stages_table(p, instances_to_move=2) for p in PRESETS])


def test_recovery_breakdown_bars_add_up_to_each_pipeline(stages, keep):
    (ax,) = keep(plots.recovery_breakdown(stages)).axes
    assert ax.get_xlabel() == "time after a node failure [s]"
    assert [t.get_text() for t in ax.get_yticklabels()] == list(reversed(PRESETS))
    stage_count = len(haplan.recovery.NODE_FAILURE_STAGES)
    assert len(ax.patches) == len(PRESETS) * stage_count
    ends = {}
    for patch in ax.patches:
        y = round(patch.get_y() + patch.get_height() / 2)
        ends[y] = max(ends.get(y, 0.0), patch.get_x() + patch.get_width())
    for position, name in enumerate(reversed(PRESETS)):
        expected = haplan.recovery.node_failure_recovery_s(name, instances_to_move=2)
        assert ends[position] == pytest.approx(expected, rel=1e-12)


def test_recovery_breakdown_draws_the_article_time(stages, keep):
    (ax,) = keep(plots.recovery_breakdown(stages, article_time_s=90.0)).axes
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("article")
    assert len(labels) == len(PRESETS) + 1
    assert len(ax.patches) == len(PRESETS) * len(haplan.recovery.NODE_FAILURE_STAGES) + 1
    vertical = [line for line in ax.lines if np.allclose(line.get_xdata(), 90.0)]
    assert len(vertical) == 1
    (legend,) = ax.figure.legends
    assert "article's T" in [t.get_text() for t in legend.get_texts()]


def test_recovery_breakdown_errors(stages):
    with pytest.raises(ValueError, match="no column 'seconds'"):
        plots.recovery_breakdown(stages.drop(columns="seconds"))
    with pytest.raises(ValueError, match="node_failure"):
        plots.recovery_breakdown(stages[stages["event"] == "container_crash"])
    with pytest.raises(ValueError, match="several node_failure rows"):
        plots.recovery_breakdown(pd.concat([stages, stages]))
    with pytest.raises(ValueError, match="article_time_s"):
        plots.recovery_breakdown(stages, article_time_s=-1.0)


# -- heatmap ---------------------------------------------------------------------------------


def test_heatmap_cells_and_annotations(grid, keep):
    figure = keep(plots.heatmap(grid))
    ax, colorbar_ax = figure.axes
    (image,) = ax.images
    expected = grid.pivot(index="nodes", columns="replicas", values="slo_nines")
    np.testing.assert_allclose(image.get_array(), expected.to_numpy())
    assert len(ax.texts) == expected.size
    assert f"{expected.loc[2, 1.0]:.3g}" in texts(ax)
    assert ax.get_xlabel() == "replicas R [instances per node]"
    assert ax.get_ylabel() == "nodes N [count]"
    assert colorbar_ax.get_ylabel() == "SLO nines (load-aware) [−log10 U]"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2", "3", "4"]


def test_heatmap_marks_infinite_and_missing_cells(grid, keep):
    frame = grid.copy()
    frame.loc[frame.index[0], "slo_nines"] = math.inf
    frame = frame.drop(index=frame.index[-1])  # one (x, y) pair missing
    (ax, _) = keep(plots.heatmap(frame)).axes
    cells = ax.images[0].get_array()
    assert np.ma.count_masked(cells) == 2
    assert "∞" in texts(ax) and "n/a" in texts(ax)


def test_heatmap_categories_and_log_colour_scale(keep):
    frame = haplan.sweep(
        nodes=[12, 14], replicas=2, request_rate_rps=2000, balancer=["random", "round_robin"]
    )
    (ax, _) = keep(plots.heatmap(frame, value="p99_response_ms", x="balancer")).axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["random", "round_robin"]
    linear = keep(plots.heatmap(haplan.sweep(nodes=[2, 3, 4], base=VM), value="nines"))
    assert not isinstance(linear.axes[0].images[0].norm, LogNorm)
    wide = haplan.sweep(nodes=[2, 4, 6], replicas=[1, 2], base=VM)
    (ax, _) = keep(plots.heatmap(wide, value="service_unavailability")).axes
    assert isinstance(ax.images[0].norm, LogNorm)  # spans many decades


def test_heatmap_errors(grid):
    with pytest.raises(ValueError, match="no column 'cost'"):
        plots.heatmap(grid, value="cost")
    with pytest.raises(ValueError, match="several rows"):
        plots.heatmap(grid, x="replicas", y="request_rate_rps")
    with pytest.raises(ValueError, match="not numeric"):
        plots.heatmap(grid, value="orchestrator")
    with pytest.raises(ValueError, match="same column"):
        plots.heatmap(grid, x="nodes", y="nodes")


# -- pareto_frontier -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def candidates():
    result = haplan.plan(
        0.999, 300.0, instance_cost=0.1, search={"nodes": range(1, 7), "replicas": [1, 2, 3]}
    )
    return result.candidates


def test_pareto_frontier_points_and_step_line(candidates, keep):
    front = haplan.pareto(candidates[candidates["feasible"]], {"cost": "min", "slo_nines": "max"})
    (ax,) = keep(plots.pareto_frontier(candidates, front)).axes
    assert ax.get_xlabel() == "cost [cost units]"
    assert ax.get_ylabel() == "SLO nines (load-aware) [−log10 U]"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["feasible", "rejected", "Pareto frontier"]
    drawn = sum(len(c.get_offsets()) for c in ax.collections)
    assert drawn == np.isfinite(candidates["slo_nines"]).sum()
    step = next(line for line in ax.lines if line.get_label() == "Pareto frontier")
    ordered = front.sort_values("cost")
    np.testing.assert_allclose(step.get_xdata(), ordered["cost"])
    np.testing.assert_allclose(step.get_ydata(), ordered["slo_nines"])
    assert step.get_drawstyle() == "steps-post"
    assert len(ax.texts) == len(front)  # N, R labels on each frontier point


def test_pareto_frontier_notes_hidden_rows_and_empty_front(candidates, keep):
    frame = candidates.copy()
    frame.loc[frame.index[0], "slo_nines"] = math.inf
    (ax,) = keep(plots.pareto_frontier(frame, frame.iloc[:0])).axes
    note = texts(ax)[-1]
    assert "1 candidate(s)" in note and "frontier is empty" in note


def test_pareto_frontier_names_a_missing_column(candidates):
    front = candidates.iloc[:2]
    with pytest.raises(ValueError, match="front has no column 'slo_nines'"):
        plots.pareto_frontier(candidates, front.drop(columns="slo_nines"))
    with pytest.raises(ValueError, match="no column 'cost'"):
        plots.pareto_frontier(candidates.drop(columns="cost"), front)


# -- simulation_vs_analytic ------------------------------------------------------------------


@pytest.fixture(scope="module")
def comparison():
    """Rescheduling: one panel per metric of the comparison, whatever it holds."""
    scenario = haplan.Scenario(
        nodes=3,
        instances=6,
        min_instances=3,
        node_mttf_h=200.0,
        node_mttr_h=10.0,
        instance_mttf_h=math.inf,
        instance_mttr_h=0.0,
        request_rate_rps=100.0,
        reschedule=True,
    )
    return simulate.compare_with_analytic(scenario, 2000.0, 20, seed=3)


def test_simulation_vs_analytic_one_panel_per_metric(comparison, keep):
    figure = keep(plots.simulation_vs_analytic(comparison))
    assert len(figure.axes) == len(comparison) >= 4
    for ax, (metric, row) in zip(figure.axes, comparison.iterrows(), strict=True):
        assert ax.get_ylabel() == plots.axis_label(metric)
        if np.isnan(row["simulated"]):  # no outage simulated: no mean outage length
            assert "no estimate" in texts(ax) and not ax.containers
        else:
            assert len(ax.containers) == 1  # the error bar
            (point,) = ax.containers[0].lines[0].get_ydata()
            assert point == pytest.approx(row["simulated"])
        if np.isnan(row["analytic"]):
            assert "no closed\nform" in texts(ax)
        else:
            diamond = [line for line in ax.lines if line.get_marker() == "D"]
            assert diamond[0].get_ydata()[0] == pytest.approx(row["analytic"])
            if np.isfinite(row["z"]):
                assert any(text.startswith("z = ") for text in texts(ax))


def test_simulation_vs_analytic_missing_estimate_and_metric_column(comparison, keep):
    table = comparison.reset_index()
    where = int(np.flatnonzero(table["metric"] == "mean_outage_duration_min")[0])
    table.loc[where, "simulated"] = math.nan
    figure = keep(plots.simulation_vs_analytic(table))
    assert figure.axes[where].get_title() == "mean outage duration"
    assert "no estimate" in texts(figure.axes[where])
    single = keep(plots.simulation_vs_analytic(comparison.iloc[:1]))
    assert len(single.axes) == 1


def test_simulation_vs_analytic_names_a_missing_column(comparison):
    with pytest.raises(ValueError, match="no column 'ci_high'"):
        plots.simulation_vs_analytic(comparison.drop(columns="ci_high"))


# -- no pyplot, thread safe ------------------------------------------------------------------


def test_plots_do_not_import_pyplot():
    code = "import sys, haplan.plots; sys.exit('matplotlib.pyplot' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_figures_can_be_made_in_threads(grid):
    def render(_):
        figure = plots.heatmap(grid)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=30)
        return buffer.getvalue()[:8]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(render, range(4)))
    assert all(header == b"\x89PNG\r\n\x1a\n" for header in results)


# -- tornado ---------------------------------------------------------------------------------


def test_tornado_orders_bars_by_swing_and_marks_the_medians(keep):
    from haplan.uncertainty import sensitivity, split_uncertain

    point, laws = split_uncertain(
        {"node_mttr_h": "lognormal(0.26, 1.0)", "node_mttf_h": "uniform(700, 740)"}
    )
    table = sensitivity(haplan.Scenario.default().with_overrides(**point), laws)
    (ax,) = keep(plots.tornado(table)).axes
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["node MTTF", "node MTTR"]  # largest swing on top (the last tick)
    widths = [patch.get_width() for patch in ax.patches]
    assert widths == pytest.approx(sorted(table["swing"]), rel=1e-12)
    assert ax.get_lines()[0].get_xdata()[0] == pytest.approx(table["baseline"].iloc[0])
    assert ax.get_xlabel() == plots.axis_label("slo_nines")


def test_tornado_leaves_out_infinite_swings_with_a_note(keep):
    table = pd.DataFrame(
        {
            "input": ["node_mttr_h", "node_mttf_h"],
            "value_low": [0.1, 500.0],
            "value_high": [1.0, 900.0],
            "metric_low": [np.inf, 4.0],
            "metric_high": [5.0, 5.0],
            "baseline": [4.5, 4.5],
        }
    )
    (ax,) = keep(plots.tornado(table)).axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["node MTTF"]
    assert any("1 input(s) left out" in t.get_text() for t in ax.texts)


# -- timeline --------------------------------------------------------------------------------


def test_timeline_draws_ready_instances_p99_and_the_stages(keep):
    from haplan.disruptions import whatif

    scenario = haplan.Scenario(nodes=3, instances=6, request_rate_rps=400.0)
    event = whatif(scenario, "nodes")
    figure = keep(plots.timeline(event.frame, title=event.event, stages=event.stages))
    top, bottom = figure.axes
    steps = top.patches[0]  # the stairs of instances ready
    assert list(steps.get_data().values) == event.frame["instances_ready"].tolist()
    # Long stages are named; consecutive short ones share one label ("scheduling–readiness").
    names = [t.get_text() for t in top.texts]
    assert names[:2] == ["detection", "eviction"]
    assert names[2] == f"{event.stages[2][0]}–{event.stages[-1][0]}"
    assert bottom.get_yscale() == "log"
    assert figure._suptitle.get_text() == event.event
    # 4 instances at 400 req/s of 100 each: overloaded, so the note says how p99 is drawn.
    assert any("overloaded" in t.get_text() for t in bottom.texts)


def test_autoscaling_draws_load_replicas_and_p99(keep):
    from haplan import autoscaling

    scenario = haplan.Scenario(nodes=3, instances=3, target_p99_ms=200.0)
    profile = autoscaling.step(200.0, 900.0, at_s=300.0, duration_s=1200.0)
    result = autoscaling.simulate_hpa(
        scenario, profile, min_replicas=3, max_replicas=20, target_utilization=0.5
    )
    figure = keep(plots.autoscaling(result.frame, title="step"))
    load, pods, latency = figure.axes
    times = (result.frame["time_s"] / 3600.0).to_numpy()

    def drawn(patch):
        # The value the stairs show at each of the frame's times (runs are merged).
        values, edges = patch.get_data().values, patch.get_data().edges
        return values[np.searchsorted(edges, times, side="right") - 1].tolist()

    assert drawn(load.patches[0]) == result.frame["rps"].tolist()
    assert [t.get_text() for t in pods.get_legend().get_texts()] == ["created", "ready"]
    assert drawn(pods.patches[1]) == result.frame["ready_replicas"].tolist()
    assert latency.get_yscale() == "log" and latency.get_xlabel() == "time [h]"
