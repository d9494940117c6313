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


def footer(figure) -> str:
    """The notes under a figure (its supxlabel), "" when none."""
    label = getattr(figure, "_supxlabel", None)
    return label.get_text() if label is not None else ""


def band(ax, axis: str = "y"):
    """The (low, high) of the shaded band beyond five nines, or None."""
    for patch in ax.patches:
        if patch.get_facecolor()[:3] == pytest.approx((0xF2 / 255, 0xE6 / 255, 0xF7 / 255)):
            if axis == "y":
                return patch.get_y(), patch.get_y() + patch.get_height()
            return patch.get_x(), patch.get_x() + patch.get_width()
    return None


def dashed_at(ax, value: float, axis: str = "y") -> bool:
    """Whether a dashed horizontal (vertical) line is drawn at ``value``."""
    for line in ax.lines:
        data = line.get_ydata() if axis == "y" else line.get_xdata()
        if line.get_linestyle() == "--" and len(data) == 2 and np.allclose(data, value):
            return True
    return False


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
    assert "0 nines: too few instances to carry the load" in footer(ax.figure)
    component = keep(plots.availability_vs_replicas(frame, by=None, value="nines")).axes[0]
    assert component.get_ylabel() == "service-only nines, a component [−log10 U]"
    # the nines axis stops at 10: values beyond are drawn on the top edge, with a note
    np.testing.assert_allclose(component.lines[0].get_ydata(), np.minimum(frame["nines"], 10))
    beyond = int((frame["nines"] > 10).sum())
    assert beyond and f"{beyond} point(s) beyond 10 nines" in footer(component.figure)


def test_availability_vs_replicas_shades_beyond_five_nines_and_draws_target_and_mark(grid, keep):
    (ax,) = keep(
        plots.availability_vs_replicas(
            grid, target_availability=0.999, mark={"nodes": 3, "replicas": 2}
        )
    ).axes
    assert band(ax) == pytest.approx((5.0, 10.4))
    assert dashed_at(ax, 3.0)  # 99.9 % = 3 nines
    assert any(text.startswith("target 3 nines (99.9 %)") for text in texts(ax))
    (mine,) = [line for line in ax.lines if line.get_label().startswith("your cluster")]
    assert mine.get_label() == "your cluster (N=3, R=2)"
    row = grid[(grid["nodes"] == 3) & (grid["replicas"] == 2)].iloc[0]
    assert mine.get_xdata()[0] == 2.0
    assert mine.get_ydata()[0] == pytest.approx(min(row["slo_nines"], 10.0))
    assert "your cluster (N=3, R=2)" in [t.get_text() for t in ax.get_legend().get_texts()]
    elsewhere = keep(plots.availability_vs_replicas(grid, mark={"nodes": 5, "replicas": 0.6}))
    assert "your cluster (N=5, R=0.6) is not on this grid" in footer(elsewhere)
    heat = keep(plots.heatmap(grid, mark={"nodes": 5, "replicas": 0.6}))
    assert "your cluster (N=5, R=0.6) is not on this grid" in footer(heat)


def test_availability_vs_replicas_without_by_draws_one_line(keep):
    frame = haplan.sweep(replicas=[1, 2, 3], base=VM)
    (ax,) = keep(plots.availability_vs_replicas(frame, by=None)).axes
    assert len(ax.lines) == 1
    assert ax.get_legend() is None


def test_availability_vs_replicas_draws_infinite_nines_on_the_edge_and_notes_nan(grid, keep):
    frame = grid.copy()
    frame.loc[frame.index[0], "slo_nines"] = math.inf
    frame.loc[frame.index[1], "slo_nines"] = math.nan
    (ax,) = keep(plots.availability_vs_replicas(frame)).axes
    data = [line for line in ax.lines if line.get_label() in {"2", "3", "4"}]
    assert sum(len(line.get_xdata()) for line in data) == len(frame) - 1
    edges = [
        y
        for line in ax.lines
        if line.get_marker() == "^" and line.get_linestyle() == "None"
        for y in line.get_ydata()
    ]
    beyond = int((frame["slo_nines"] > 10).sum())  # the inf one, and any real one past 10
    assert edges == [10.0] * beyond
    assert ax.get_ylim()[1] == pytest.approx(10.4)
    assert f"{beyond} point(s) beyond 10 nines" in footer(ax.figure)
    assert "1 point(s) without a value" in footer(ax.figure)


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
    load_ax, util_ax, latency_ax, nines_ax = figure.axes
    assert load_ax.get_ylabel() == "per-node load [requests/s]"
    assert util_ax.get_ylabel() == "utilisation [%]"
    assert latency_ax.get_ylabel() == "p99 response time [ms]"
    assert nines_ax.get_ylabel() == "SLO nines\n(load-aware)"
    assert nines_ax.get_xlabel() == "nodes N [count]"
    assert band(nines_ax) is not None
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
    # node counts overloaded on every line are shaded and labelled, not left empty
    both = sorted(busy.groupby("nodes")["overloaded"].all().loc[lambda s: s].index)
    assert len(latency_ax.patches) == len(both) > 0
    assert "overloaded: p99 unbounded\n(arrivals ≥ capacity)" in texts(latency_ax)
    # 100 % (overloaded) is a separate, dotted line above the ceiling
    assert any(
        line.get_linestyle() == ":" and np.allclose(line.get_ydata(), 100.0)
        for line in util_ax.lines
    )
    # the scenario's 70 % ceiling, in percent
    ceilings = [line for line in util_ax.lines if line.get_linestyle() == "--"]
    assert len(ceilings) == 1
    np.testing.assert_allclose(ceilings[0].get_ydata(), [70.0, 70.0])


def test_load_and_latency_explicit_ceiling_and_series_by_rate(keep):
    frame = haplan.sweep(nodes=range(3, 7), request_rate_rps=[100, 200], base=VM)
    figure = keep(plots.load_and_latency(frame, max_utilization=0.5))
    load_ax, util_ax = figure.axes[:2]
    labels = [t.get_text() for t in load_ax.get_legend().get_texts()]
    assert labels == ["request_rate_rps=100", "request_rate_rps=200"]
    ceiling = [line for line in util_ax.lines if line.get_linestyle() == "--"]
    np.testing.assert_allclose(ceiling[0].get_ydata(), [50.0, 50.0])


def test_load_and_latency_marks_points_above_each_rows_own_ceiling(keep):
    frame = haplan.sweep(
        nodes=[2, 4], replicas=1, request_rate_rps=100, max_utilization=[0.3, 0.9], base=VM
    )
    # utilisation: 2 nodes 0.5, 4 nodes 0.25 -> above 0.3 once, above 0.9 never
    util_ax = keep(plots.load_and_latency(frame)).axes[1]
    assert not [line for line in util_ax.lines if line.get_linestyle() == "--"]
    circled = [line for line in util_ax.lines if line.get_markerfacecolor() == "none"]
    assert [list(line.get_xdata()) for line in circled] == [[2.0]]


def test_load_and_latency_every_row_overloaded_reads_as_a_region(keep):
    # 2000 requests/s on at most 8 instances of 100: overloaded at every node count shown
    frame = haplan.sweep(nodes=range(2, 9), replicas=1, request_rate_rps=2000, base=VM)
    assert frame["overloaded"].all()
    figure = keep(plots.load_and_latency(frame, target_p99_ms=200.0, mark={"nodes": 3}))
    latency_ax, nines_ax = figure.axes[2:]
    assert len(latency_ax.patches) == frame["nodes"].nunique()  # the whole axis shaded
    assert "overloaded: p99 unbounded\n(arrivals ≥ capacity)" in texts(latency_ax)
    assert latency_ax.get_ylim()[1] > 200.0  # sensible axis: the target stays in view
    assert dashed_at(latency_ax, 200.0)
    np.testing.assert_array_equal(nines_ax.lines[0].get_ydata(), 0.0)
    # the user's node count: a vertical line through every panel
    for ax in figure.axes:
        assert any(np.allclose(line.get_xdata(), 3.0) for line in ax.lines)
    assert "your cluster (N=3)" in texts(figure.axes[0])[0]
    assert figure.axes[0].get_title().endswith("\n1 instance(s) per node held")
    held = haplan.sweep(nodes=range(3, 7), base=VM)  # the instances kept, R follows
    title = keep(plots.load_and_latency(held)).axes[0].get_title()
    assert title.endswith("\n3 instances held")


def test_load_and_latency_draws_the_availability_target(busy, keep):
    nines_ax = keep(plots.load_and_latency(busy, target_availability=0.9999)).axes[3]
    assert dashed_at(nines_ax, 4.0)
    assert any(t.startswith("target 4 nines (99.99 %)") for t in texts(nines_ax))


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


def test_recovery_breakdown_target_and_the_users_orchestrator(stages, keep):
    (ax,) = keep(plots.recovery_breakdown(stages, target_recovery_s=60.0, mark="swarm")).axes
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "swarm (yours)" in labels and "kubernetes" in labels
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["swarm (yours)"]
    assert dashed_at(ax, 60.0, axis="x")
    assert "target 60 s" in texts(ax)


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
    assert sorted(t.get_text() for t in ax.get_xticklabels()) == ["random", "round_robin"]
    linear = keep(plots.heatmap(haplan.sweep(nodes=[2, 3, 4], base=VM), value="nines"))
    assert not isinstance(linear.axes[0].images[0].norm, LogNorm)
    wide = haplan.sweep(nodes=[2, 4, 6], replicas=[1, 2], base=VM)
    (ax, _) = keep(plots.heatmap(wide, value="service_unavailability")).axes
    assert isinstance(ax.images[0].norm, LogNorm)  # spans many decades


def test_heatmap_nines_target_band_and_mark(keep):
    frame = haplan.sweep(nodes=[2, 3, 4, 5], replicas=[1, 2, 3, 4], base=VM)
    figure = keep(plots.heatmap(frame, target_availability=0.999, mark={"nodes": 3, "replicas": 2}))
    ax, colorbar_ax = figure.axes
    # colours stop at the nines cap; cells beyond still read their value
    assert ax.images[0].norm.vmax == pytest.approx(min(10.0, frame["slo_nines"].max()))
    (legend,) = figure.legends
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == [
        "edge of the cells beyond ~5 nines (independent-failure models only)",
        "edge of the cells meeting the target (3 nines)",
        "your cluster (N=3, R=2)",
    ]
    (frame_patch,) = [p for p in ax.patches if p.get_label().startswith("your cluster")]
    replicas = sorted(frame["replicas"].unique())
    assert frame_patch.get_x() == pytest.approx(replicas.index(2.0) - 0.45)
    assert frame_patch.get_y() == pytest.approx([2, 3, 4, 5].index(3) - 0.45)
    # the target's edge separates cells meeting 3 nines from the others
    grid_ = frame.pivot(index="nodes", columns="replicas", values="slo_nines").to_numpy()
    meets = grid_ >= 3.0
    edges = (meets[:, 1:] != meets[:, :-1]).sum() + (meets[1:, :] != meets[:-1, :]).sum()
    target_lines = [line for line in ax.lines if line.get_color() == plots.PALETTE[3]]
    assert len(target_lines) == edges > 0


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
    beyond = int((candidates["slo_nines"] > 10).sum())
    assert beyond  # this grid reaches past the cap: those are counted, not drawn
    assert drawn == np.isfinite(candidates["slo_nines"]).sum() - beyond
    assert f"{beyond} candidate(s) beyond 10 nines not drawn" in footer(ax.figure)
    step = next(line for line in ax.lines if line.get_label() == "Pareto frontier")
    ordered = front.sort_values("cost")
    # the frontier stops at its first point beyond the cap, drawn on the top edge
    last = int(np.argmax(ordered["slo_nines"].to_numpy() > 10))
    kept = ordered.iloc[: last + 1]
    np.testing.assert_allclose(step.get_xdata(), kept["cost"])
    np.testing.assert_allclose(step.get_ydata(), np.minimum(kept["slo_nines"], 10))
    assert step.get_drawstyle() == "steps-post"
    labels = [t for t in texts(ax) if t.startswith("N=")]
    assert len(labels) == len(kept)  # N, R labels on each frontier point drawn
    assert band(ax) == pytest.approx((5.0, 10.4))


def test_pareto_frontier_feasible_only_with_target_and_mark(candidates, keep):
    # a frontier computed over every candidate, rejected ones included, is cut to the
    # feasible ones
    front = haplan.pareto(candidates, {"cost": "min", "slo_nines": "max"})
    assert not front["feasible"].all()
    (ax,) = keep(
        plots.pareto_frontier(
            candidates, front, target_availability=0.999, mark={"nodes": 2, "replicas": 1}
        )
    ).axes
    step = next(line for line in ax.lines if line.get_label() == "Pareto frontier")
    feasible_costs = set(front[front["feasible"]]["cost"])
    assert set(step.get_xdata()) <= feasible_costs
    assert dashed_at(ax, 3.0)
    (mine,) = [line for line in ax.lines if line.get_label() == "your cluster (N=2, R=1)"]
    row = candidates[(candidates["nodes"] == 2) & (candidates["replicas"] == 1)].iloc[0]
    assert (mine.get_xdata()[0], mine.get_ydata()[0]) == pytest.approx(
        (row["cost"], row["slo_nines"])
    )
    # a configuration that is not a candidate is said so
    (ax,) = keep(plots.pareto_frontier(candidates, front, mark={"nodes": 99})).axes
    assert "your cluster (N=99) is not among the candidates" in footer(ax.figure)


def test_pareto_frontier_notes_hidden_rows_and_empty_front(candidates, keep):
    frame = candidates.copy()
    frame.loc[frame.index[0], "slo_nines"] = math.inf
    (ax,) = keep(plots.pareto_frontier(frame, frame.iloc[:0])).axes
    note = footer(ax.figure)
    assert "frontier is empty" in note and "candidate(s) beyond 10 nines not drawn" in note


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


def test_simulation_vs_analytic_says_when_the_run_saw_nothing(comparison, keep):
    table = comparison.copy()
    table.loc["service_unavailability", ["simulated", "ci_low", "ci_high"]] = 0.0
    figure = keep(plots.simulation_vs_analytic(table))
    where = list(table.index).index("service_unavailability")
    assert "none in this run" in texts(figure.axes[where])
    others = [t for i, ax in enumerate(figure.axes) if i != where for t in texts(ax)]
    assert "none in this run" not in others or (table["simulated"] == 0).sum() > 1


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
    bars = [
        p for p in ax.patches if p.get_facecolor()[:3] == pytest.approx((0, 0x72 / 255, 0xB2 / 255))
    ]
    widths = [patch.get_width() for patch in bars]
    assert widths == pytest.approx(sorted(table["swing"]), rel=1e-12)
    assert ax.get_lines()[0].get_xdata()[0] == pytest.approx(table["baseline"].iloc[0])
    assert ax.get_xlabel() == plots.axis_label("slo_nines")
    with_target = keep(plots.tornado(table, target_availability=0.99999)).axes[0]
    assert dashed_at(with_target, 5.0, axis="x")
    assert band(with_target, axis="x")[0] == pytest.approx(5.0)


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
    # 4 instances at 400 req/s of 100 each: overloaded while a node is down. p99 is then
    # unbounded: the span is shaded and labelled, and no made-up value is drawn.
    p99 = event.frame["p99_response_ms"].to_numpy()
    over = ~np.isfinite(p99)
    assert over.any() and (~over).any()
    assert "overloaded:\np99 unbounded" in [t.get_text() for t in bottom.texts]
    drawn = [v for p in bottom.patches if hasattr(p, "get_data") for v in p.get_data().values]
    assert sorted(drawn) == sorted(p99[~over].tolist())
    shaded = [p for p in bottom.patches if not hasattr(p, "get_data")]
    spans = [(p.get_x(), p.get_x() + p.get_width()) for p in shaded]
    start = event.frame["time_s"].to_numpy()[over][0]
    assert any(low == pytest.approx(start) for low, _ in spans)


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
    # p99 is drawn only where it is finite; overloaded steps are shaded instead
    p99 = result.frame["p99_response_ms"].to_numpy()
    drawn = [y for c in latency.collections for seg in c.get_segments() for y in seg[:, 1]]
    assert np.isfinite(drawn).all()
    assert set(np.round(p99[np.isfinite(p99)], 9)) <= set(np.round(drawn, 9))
