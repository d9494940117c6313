"""An explorer for Jupyter: move the inputs, watch the headline, the verdict and the trade-offs.

``haplan.explore(scenario)`` shows sliders for the nodes N, the instances C (the article's
R = C/N is derived and shown), the request rate P, the article's recovery speed S, node MTTF
and MTTR, the zones, and menus for the orchestrator and the balancing strategy. Every change
recomputes the scenario through the public API (``haplan.analysis.analyse``, which composes
``haplan.metrics`` and ``haplan.service.verdict``) and redraws the load-aware SLO headline, the
verdict lines, the article's C, L and T beside them, and two trade-off figures from
``haplan.plots``: load, latency and SLO nines against nodes, and SLO nines against instances
per node. Nothing here computes a model.

Without ipywidgets (``pip install 'haplan[explore]'``), or where no widget front-end runs
(CI, nbconvert, a notebook viewer), the same content is shown as static HTML with the
figures embedded: the returned :class:`Explorer` carries both, and a front-end picks what it
can render. :meth:`Explorer.set` changes inputs from code, with or without widgets.
"""

from __future__ import annotations

import base64
import html
import io
import math

from haplan import balancing, recovery
from haplan.scenario import Scenario

__all__ = ["Explorer", "SLIDERS", "CHOICES", "explore"]

#: The sliders: input → (kind, low, high, step). "int" and "float" sliders are linear; "log"
#: sliders take powers of ten (low and high are exponents).
SLIDERS: dict[str, tuple[str, float, float, float]] = {
    "nodes": ("int", 1, 30, 1),
    "instances": ("int", 1, 120, 1),
    "request_rate_rps": ("float", 0.0, 5000.0, 10.0),
    "recovery_speed_s": ("float", 0.0, 300.0, 5.0),
    "node_mttf_h": ("log", 1.0, 6.0, 0.1),
    "node_mttr_h": ("log", -2.0, 2.0, 0.1),
    "zones": ("int", 1, 6, 1),
}
#: The menus: input → its choices.
CHOICES: dict[str, tuple[str, ...]] = {
    "orchestrator": tuple(recovery.PRESETS),
    "balancer": tuple(balancing.STRATEGIES),
}
_DESCRIPTIONS = {
    "nodes": "N nodes",
    "instances": "C instances",
    "request_rate_rps": "P [req/s]",
    "recovery_speed_s": "S [s]",
    "node_mttf_h": "node MTTF [h]",
    "node_mttr_h": "node MTTR [h]",
    "zones": "zones",
    "orchestrator": "orchestrator",
    "balancer": "balancer",
}


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    return buffer.getvalue()


class Explorer:
    """One scenario, its analysis and figures, and (with ipywidgets) the controls that move it.

    Attributes
    ----------
    scenario : Scenario
        The scenario shown now.
    analysis : haplan.analysis.Analysis
        Its analysis (with the figure tables).
    figures : dict
        Title → matplotlib Figure, drawn from ``analysis``.
    error : str
        Why the last change was refused ("" when it was not): a combination of inputs that
        describes no scenario (e.g. fewer instances than ``min_instances``) keeps the previous
        scenario and says so.
    controls : dict
        Input name → its widget (empty without ipywidgets).
    """

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.error = ""
        self.controls: dict[str, object] = {}
        self._output = None
        self._box = None
        self._resetting = False
        self._html = None
        self._compute()

    # -- state ---------------------------------------------------------------------------

    def _compute(self) -> None:
        from haplan.analysis import analyse

        self.analysis = analyse(self.scenario, figures=True)
        self._figures = None

    @property
    def figures(self) -> dict:
        """Title → matplotlib Figure of the scenario shown now (drawn when first asked for)."""
        if self._figures is None:
            self._figures = self._draw()
        return self._figures

    def _draw(self) -> dict:
        from haplan import plots

        tables = self.analysis.figures
        row = self.analysis.row
        s = self.scenario
        target = None if _missing(row["target_availability"]) else row["target_availability"]
        p99 = None if _missing(row["target_p99_ms"]) else row["target_p99_ms"]
        mark = {"nodes": s.nodes, "replicas": s.replicas}
        return {
            "Load, latency and SLO nines against nodes": (
                plots.load_and_latency(
                    tables.by_nodes,
                    max_utilization=s.max_utilization,
                    target_availability=target,
                    target_p99_ms=p99,
                    mark={"nodes": s.nodes},
                )
            ),
            "SLO nines against instances per node": plots.availability_vs_replicas(
                tables.by_replicas, target_availability=target, mark=mark
            ),
        }

    @property
    def row(self):
        """The scenario's metrics row (``haplan.metrics``)."""
        return self.analysis.row

    @property
    def verdict(self):
        """The verdict lines (``haplan.service.verdict``): the headline, then one per target."""
        return self.analysis.verdict

    @property
    def headline(self) -> str:
        """The load-aware SLO headline, as the reports word it."""
        return self.verdict[0].message

    def set(self, **inputs) -> Explorer:
        """Change inputs (any Scenario field) and recompute; returns the explorer.

        Changing ``nodes`` keeps the instances C (the article's R = C/N follows); pass
        ``instances`` to change C. Inputs that describe no scenario are refused: the previous
        scenario stays and :attr:`error` says why.
        """
        try:
            scenario = self.scenario.with_overrides(**inputs)
            previous, self.scenario = self.scenario, scenario
            try:
                self._compute()
            except ValueError:
                self.scenario = previous
                raise
        except ValueError as exc:
            self.error = str(exc)
        else:
            self.error = ""
        self._redraw()
        return self

    # -- rendering -----------------------------------------------------------------------

    def lines(self) -> list[str]:
        """The headline, the verdict lines and the article's view, as text."""
        from haplan.report import format_number, verdict_lines

        row = self.row
        out = []
        for status, message in verdict_lines(self.verdict):
            out.append(f"{status} {message}" if status else message)
        n, c, r = int(row["nodes"]), int(row["instances"]), float(row["replicas"])
        out.append(
            f"The article's view: R = C/N = {c}/{n} = {format_number(r)} instances per node; "
            f"C = N×R = {format_number(row['doc_total_containers'])}, "
            f"L = N/R×P = {format_number(row['doc_balancer_load_rps'])} req/s (grows with N: "
            f"not the per-node load, {format_number(row['per_node_load_rps'])} req/s), "
            f"T = N/R×S = {format_number(row['doc_recovery_time_s'])} s (the orchestrator "
            f"recovers a node failure in {format_number(row['recovery_node_failure_s'])} s)."
        )
        out += [note for note in self.analysis.notes if "assume independent failures" in note]
        if self.error:
            out.append(f"Not applied: {self.error}")
        return out

    def text(self) -> str:
        return "\n".join(self.lines()) + "\n"

    def html(self) -> str:
        """The headline, verdict, article's view and figures as one HTML fragment."""
        key = (id(self.analysis), self.error)
        if self._html is None or self._html[0] != key:
            self._html = (key, self._render_html())
        return self._html[1]

    def _render_html(self) -> str:
        items = self.lines()
        parts = [f"<p><strong>{html.escape(items[0])}</strong></p>", "<ul>"]
        parts += [f"<li>{html.escape(line)}</li>" for line in items[1:]]
        parts.append("</ul>")
        for title, figure in self.figures.items():
            data = base64.b64encode(_png(figure)).decode("ascii")
            parts.append(
                f'<figure style="margin:0.5em 0"><img alt="{html.escape(title)}" '
                f'src="data:image/png;base64,{data}"><figcaption>{html.escape(title)}'
                "</figcaption></figure>"
            )
        return "\n".join(parts)

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": self.text(), "text/html": self.html()}
        if self._box is not None:
            widget = self._box._repr_mimebundle_(include=include, exclude=exclude) or {}
            bundle.update({k: v for k, v in widget.items() if k != "text/plain"})
        return bundle

    # -- widgets -------------------------------------------------------------------------

    def _attach(self, widgets) -> None:
        """Build the controls and the output area, and wire every control to :meth:`set`."""
        s = self.scenario
        for name, (kind, low, high, step) in SLIDERS.items():
            value = getattr(s, name)
            options = {
                "description": _DESCRIPTIONS[name],
                "continuous_update": False,
                "style": {"description_width": "initial"},
            }
            if kind == "int":
                value = int(value)
                control = widgets.IntSlider(
                    value=min(max(value, int(low)), max(int(high), value)),
                    min=int(low),
                    max=max(int(high), value),
                    step=int(step),
                    **options,
                )
            elif kind == "log":
                exponent = math.log10(value) if value > 0 else low
                control = widgets.FloatLogSlider(
                    value=value,
                    base=10,
                    min=min(low, math.floor(exponent)),
                    max=max(high, math.ceil(exponent)),
                    step=step,
                    **options,
                )
            else:
                control = widgets.FloatSlider(
                    value=float(value), min=low, max=max(high, float(value)), step=step, **options
                )
            self.controls[name] = control
        for name, choices in CHOICES.items():
            value = str(getattr(s, name))
            options = list(choices) if value in choices else [value, *choices]
            self.controls[name] = widgets.Dropdown(
                options=options, value=value, description=_DESCRIPTIONS[name]
            )
        for name, control in self.controls.items():
            control.observe(self._changed(name), names="value")
        self._output = widgets.Output()
        controls = list(self.controls.values())
        self._box = widgets.VBox(
            [
                widgets.HBox([widgets.VBox(controls[:5]), widgets.VBox(controls[5:])]),
                self._output,
            ]
        )
        self._redraw()

    def _changed(self, name: str):
        def callback(change) -> None:
            if self._resetting:
                return
            self.set(**{name: change["new"]})
            if self.error:  # refused: the control goes back to the scenario's value
                self._resetting = True
                try:
                    self.controls[name].value = getattr(self.scenario, name)
                finally:
                    self._resetting = False

        return callback

    def _redraw(self) -> None:
        if self._output is None:
            return
        self._output.outputs = (
            {
                "output_type": "display_data",
                "data": {"text/html": self.html(), "text/plain": self.text()},
                "metadata": {},
            },
        )

    @property
    def widget(self):
        """The ipywidgets box (controls and output), or None without ipywidgets."""
        return self._box


def _missing(value) -> bool:
    try:
        return value is None or math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def _ipywidgets():
    try:
        import ipywidgets
    except ImportError:
        return None
    return ipywidgets


def explore(scenario: Scenario | None = None, *, interactive: bool | None = None, **inputs):
    """Explore a scenario in Jupyter: sliders and menus that redraw the headline, the verdict
    and the trade-off figures as they move.

    Parameters
    ----------
    scenario : Scenario, optional
        Where to start (default: ``Scenario.default()``).
    interactive : bool or None
        None (default): controls when ipywidgets is installed, static output otherwise;
        False: static output only; True: controls, or ImportError naming the extra to install.
    **inputs
        Scenario fields to override first, e.g. ``target_availability=0.9995``.

    Returns
    -------
    Explorer
        Displays itself: the controls and a live output where a widget front-end runs, and
        the same headline, verdict and figures as static HTML elsewhere. ``Explorer.set``
        changes inputs from code; ``Explorer.controls`` holds the widgets.
    """
    base = Scenario.default() if scenario is None else scenario
    if not isinstance(base, Scenario):
        raise ValueError(
            f"scenario={type(base).__name__} is not valid: pass a haplan.Scenario or nothing"
        )
    explorer = Explorer(base.with_overrides(**inputs) if inputs else base)
    if interactive is False:
        return explorer
    widgets = _ipywidgets()
    if widgets is None:
        if interactive:
            raise ImportError(
                "haplan.explore(interactive=True) needs ipywidgets: pip install 'haplan[explore]'"
            )
        return explorer
    explorer._attach(widgets)
    return explorer
