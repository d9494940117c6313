"""The options every command shares, and the one grammar of their values."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import click

from haplan._safe import MAX_AXIS_VALUES, MAX_COUNT, MAX_GRID_ROWS, quote, quote_path

__all__ = [
    "scenario_options",
    "parse_values",
    "parse_setting",
    "availability_fraction",
    "settings_from",
    "one_each",
    "split_values",
    "load",
    "save_png",
    "check_output_paths",
    "profile_from",
    "EXIT_USAGE",
    "EXIT_FAILED_CHECK",
    "EXIT_BUG",
]

EXIT_USAGE = 2
#: ``haplan report --check`` when a verdict line fails.
EXIT_FAILED_CHECK = 1
#: An internal error: a bug in haplan, not in the user's input.
EXIT_BUG = 1

#: Inputs that take whole numbers.
INTEGER_INPUTS = frozenset({"nodes", "instances", "min_instances", "zones", "repair_crews"})
#: Inputs that take words.
WORD_INPUTS = frozenset({"orchestrator", "balancer"})

# flag (click parameter name) -> input name; each takes VALUE[,VALUE...] like --set.
FLAG_NAMES = {
    "nodes": "nodes",
    "replicas": "replicas",
    "instances": "instances",
    "request_rate": "request_rate_rps",
    "recovery_speed": "recovery_speed_s",
    "min_instances": "min_instances",
    "orchestrator": "orchestrator",
    "balancer": "balancer",
    "target_availability": "target_availability",
    "target_p99_ms": "target_p99_ms",
    "target_recovery_s": "target_recovery_s",
}


def parse_values(name: str, text: str) -> list:
    """The values of one input from the command line: ``VALUE``, ``V1,V2,…`` or a range
    ``START:STOP[:STEP]`` (inclusive); words for orchestrator and balancer, true/false for
    reschedule, ``inf`` where an input allows it."""
    text = str(text).strip()
    if not text:
        raise ValueError(f"{name}= has no value: give NAME=VALUE, e.g. node_mttf_h=8760")
    if len(text) > 10_000:
        raise ValueError(f"{name}={quote(text)} is too long: give at most 10,000 characters")
    if re.fullmatch(r"[A-Za-z]+\s*\(.*\)", text):  # a distribution: lognormal(718, 0.5)
        return [text]
    if name in WORD_INPUTS:
        return [v.strip() for v in text.split(",") if v.strip()]
    if name == "reschedule":
        words = [v.strip().lower() for v in text.split(",")]
        if not set(words) <= {"true", "false"}:
            raise ValueError(f"reschedule={quote(text)} is not valid: must be true or false")
        return [w == "true" for w in words]
    from haplan.sweeps import parse_axis

    _check_numbers(name, text)
    try:
        return parse_axis(text, integer=name in INTEGER_INPUTS)
    except (ValueError, OverflowError):
        raise ValueError(
            f"{name}={quote(text)} is not valid: give a number, a list V1,V2 or a range "
            "START:STOP[:STEP]"
        ) from None


def _allows_inf(name: str) -> bool:
    from haplan.scenario import NUMERIC_RULES

    if name not in NUMERIC_RULES:  # a recovery stage: inf is "never" (e.g. eviction_s)
        return True
    return bool(NUMERIC_RULES[name].get("allow_inf"))


def _check_numbers(name: str, text: str) -> None:
    """Refuse, before any list is built, numbers that are not finite where a finite one is
    meant, magnitudes beyond what the models hold, and ranges with too many values."""
    from haplan.scenario import COUNT_INPUTS

    parts = text.split(":") if ":" in text else [p for p in text.split(",") if p.strip()]
    numbers = []
    for part in parts:
        try:
            numbers.append(float(part))
        except ValueError:
            return  # not numbers: parse_axis says what the grammar is
    for number in numbers:
        if math.isnan(number):
            raise ValueError(f"{name}={quote(text)} is not valid: nan is not a number")
        if math.isinf(number) and (":" in text or number < 0 or not _allows_inf(name)):
            raise ValueError(
                f"{name}={quote(text)} is out of range: must be a finite number"
                + (" or inf" if _allows_inf(name) and ":" not in text else "")
            )
        if math.isfinite(number) and abs(number) > MAX_COUNT and name in COUNT_INPUTS:
            raise ValueError(
                f"{name}={quote(text)} is out of range: must be at most {MAX_COUNT:g} in size"
            )
    if ":" in text and len(numbers) in (2, 3):
        start, stop = numbers[0], numbers[1]
        step = numbers[2] if len(numbers) == 3 else 1.0
        if step > 0 and stop >= start:
            count = math.floor((stop - start) / step + 1e-9) + 1
            if count > MAX_AXIS_VALUES:
                raise ValueError(
                    f"{name}={quote(text)} has {count:,} values, more than the "
                    f"{MAX_AXIS_VALUES:,} one axis may hold: give a larger STEP or a "
                    "narrower range"
                )


def parse_setting(item: str) -> tuple[str, list]:
    """``NAME=VALUE[,VALUE…]`` from ``--set``: the input's name and its values."""
    name, sep, text = item.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ValueError(f"--set {item!r} is not valid: use NAME=VALUE, e.g. node_mttf_h=8760")
    return name, parse_values(name, text)


def availability_fraction(percent: float, flag: str = "--target-availability") -> float:
    """A percentage from the command line as the fraction the scenario holds.

    Every availability flag takes a percentage in [1, 100): 99.95 means 99.95 %. A value
    below 1 is refused rather than guessed at (0.9995 % is never meant);
    ``--set target_availability=0.9995`` takes the fraction. The decimal point is shifted in
    the text, so 99.95 becomes exactly the float nearest 0.9995.
    """
    if not 1 <= percent < 100:
        raise ValueError(
            f"{flag}={percent:g} is out of range: must be a percentage in [1, 100), e.g. 99.95 "
            "(or --set target_availability=0.9995 as a fraction)"
        )
    return float(f"{percent!r}e-2")


def scenario_options(function):
    """The options every command shares: INPUTS, --workload, the article's letters and
    friends, the SLO targets and ``--set``. Each takes VALUE or, where the command sweeps or
    searches, V1,V2,… or START:STOP[:STEP]."""
    value = "VALUE[,…]"
    options = [
        click.argument("inputs", nargs=-1, type=click.Path(dir_okay=True, path_type=Path)),
        click.option("--workload", help="Which workload of the manifests to use."),
        click.option("-N", "--nodes", metavar=value, help="N, number of nodes."),
        click.option("-R", "--replicas", metavar=value, help="R, instances per node."),
        click.option("--instances", metavar=value, help="C, total instances (instead of -R)."),
        click.option("-P", "--request-rate", metavar=value, help="P, requests/s."),
        click.option(
            "-S", "--recovery-speed", metavar=value, help="S, the article's recovery speed [s]."
        ),
        click.option("-k", "--min-instances", metavar=value, help="Instances the service needs."),
        click.option("--orchestrator", metavar=value, help="Recovery preset."),
        click.option("--balancer", metavar=value, help="Balancing strategy."),
        click.option(
            "--target-availability",
            metavar="PERCENT",
            help="SLO availability target in percent, e.g. 99.95 (the input "
            "target_availability is the fraction 0.9995).",
        ),
        click.option("--target-p99-ms", metavar=value, help="SLO p99 response-time target [ms]."),
        click.option(
            "--target-recovery-s", metavar=value, help="SLO node-failure recovery target [s]."
        ),
        click.option(
            "--set",
            "settings",
            multiple=True,
            metavar="NAME=VALUE[,…]",
            help="Any input or recovery stage, e.g. --set node_mttf_h=8760 (repeatable).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def settings_from(flags: dict, settings: tuple[str, ...]) -> dict[str, list]:
    """Every input given on the command line → its values (--set, then flags: a flag wins
    over a --set of the same input)."""
    out: dict[str, list] = {}
    for item in settings:
        name, values = parse_setting(item)
        out[name] = values
    for flag, name in FLAG_NAMES.items():
        text = flags.get(flag)
        if text is None:
            continue
        if name == "target_availability":
            out[name] = [
                availability_fraction(float(v)) for v in parse_values("--target-availability", text)
            ]
        else:
            out[name] = parse_values(name, text)
    return out


def one_each(values: dict[str, list], command: str) -> dict[str, object]:
    """A command that takes one scenario: one value per input."""
    for name, items in values.items():
        if len(items) != 1:
            raise ValueError(
                f"{name} has {len(items)} values but haplan {command} takes one: use "
                "haplan sweep or haplan plan for several"
            )
    return {name: items[0] for name, items in values.items()}


def check_output_paths(*paths: Path | None, inputs=()) -> None:
    """Refuse, before any work, an output path whose directory does not exist, two outputs
    naming the same file (through symlinks and relative paths too), an output that is one of
    the inputs, and an output that is a directory."""
    seen: dict[str, Path] = {}
    for path in inputs:
        seen[_resolved(Path(path))] = Path(path)
    given = {_resolved(Path(p)) for p in inputs}
    for path in paths:
        if path is None:
            continue
        path = Path(path)
        if not path.parent.is_dir():
            raise ValueError(
                f"output path {quote_path(path)} is not valid: its directory does not exist"
            )
        if path.is_dir():
            raise ValueError(
                f"output path {quote_path(path)} is not valid: it is a directory; name a file"
            )
        key = _resolved(path)
        if key in seen:
            other = seen[key]
            what = "an input" if key in given else "another output"
            raise ValueError(
                f"output path {quote_path(path)} is the same file as {what} "
                f"({quote_path(other)}): give each output its own file"
            )
        seen[key] = path


def _resolved(path: Path) -> str:
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):  # a symlink loop: compare as written
        return str(path.absolute())


def check_finite(flag: str, value, *, low=None, high=None, open_ends: bool = False) -> None:
    """Refuse a non-finite or out-of-range number given to a command's own option."""
    if value is None:
        return
    number = float(value)
    ok = math.isfinite(number)
    if ok and low is not None:
        ok = number > low if open_ends else number >= low
    if ok and high is not None:
        ok = number < high if open_ends else number <= high
    if not ok:
        bounds = []
        if low is not None:
            bounds.append(f"{'>' if open_ends else '>='} {low:g}")
        if high is not None:
            bounds.append(f"{'<' if open_ends else '<='} {high:g}")
        allowed = " and ".join(bounds) or "finite"
        raise ValueError(
            f"{flag}={quote(value)} is out of range: must be a finite number {allowed}"
        )


def dask_backend() -> None:
    """Refuse ``--dask`` in one line when the dask extra is not installed."""
    try:
        import dask  # noqa: F401
        import dask.distributed  # noqa: F401
    except ImportError:
        raise ValueError(
            "--dask needs the dask extra, which is not installed: pip install 'haplan[dask]'"
        ) from None


def simulated_events(scenario, horizon_h: float, replications: int) -> float:
    """About how many failure and repair events a simulation of ``scenario`` draws: two per
    failure of each node, instance and zone over the horizon, and one per unit to start."""
    units = (
        (scenario.nodes, scenario.node_mttf_h),
        (scenario.instances, scenario.instance_mttf_h),
        (scenario.zones if scenario.zones > 1 else 0, scenario.zone_mttf_h),
    )
    per_run = sum(count * (2 * horizon_h / mttf + 1) for count, mttf in units if count)
    return per_run * replications


def check_simulation_size(scenario, horizon_h: float, replications: int, flag="--horizon-h"):
    """Refuse a simulation whose events would not fit in memory, saying how many."""
    import dataclasses

    from haplan._safe import MAX_SIMULATED_EVENTS

    times = {
        name: getattr(scenario, name)
        for name in ("node_mttf_h", "node_mttr_h", "instance_mttf_h", "instance_mttr_h")
        + ("zone_mttf_h", "zone_mttr_h")
    }
    if dataclasses.is_dataclass(scenario.orchestrator):
        for field in dataclasses.fields(scenario.orchestrator):
            value = getattr(scenario.orchestrator, field.name)
            if field.name.endswith("_s") and isinstance(value, (int, float)):
                times[field.name] = value
    for name, value in times.items():
        if math.isfinite(value) and abs(value) > MAX_COUNT:
            raise ValueError(
                f"{name}={value:g} is out of range for a simulation: its random draws need "
                f"times of at most {MAX_COUNT:g} (inf where the input allows it)"
            )
    events = simulated_events(scenario, horizon_h, replications)
    if not events <= MAX_SIMULATED_EVENTS:
        raise ValueError(
            f"the simulation would draw about {events:,.3g} failure and repair events "
            f"({replications:,} replications of {horizon_h:,.6g} h on {scenario.nodes:,} nodes "
            f"and {scenario.instances:,} instances), more than the "
            f"{MAX_SIMULATED_EVENTS:,.0f} haplan simulates at once (about "
            f"{events * 16 / 2**30:,.3g} GiB): lower {flag} or the replications"
        )


#: Most instances (and nodes) a report covers: besides the metrics it steps an upgrade drain
#: through every node and instance (see :data:`MAX_DRAIN_UNITS`), which takes seconds at
#: 10,000 and minutes beyond.
MAX_REPORT_UNITS = 10_000
#: Most instances one scenario of a sweep or plan may have: its metrics are exact k-out-of-n
#: sums over the instances, seconds at a million.
MAX_GRID_INSTANCES = 1_000_000
#: Most nodes a report draws figures for (HTML and Markdown with --out).
MAX_FIGURE_NODES = 5_000


def check_report_size(scenario, output_format: str = "text", simulate_replications=None):
    """Refuse, with the size stated, a report that would take minutes or gigabytes: more
    instances or nodes than :data:`MAX_REPORT_UNITS`, figures over more nodes than
    :data:`MAX_FIGURE_NODES`, or a cross-check simulation too big to hold."""
    for name in ("instances", "nodes"):
        count = getattr(scenario, name)
        if count > MAX_REPORT_UNITS:
            raise ValueError(
                f"{name}={count:,} is more than the {MAX_REPORT_UNITS:,} a report covers (it "
                "steps an upgrade drain through every node and instance): use haplan sweep "
                "for the metrics alone, or report on one node pool or zone"
            )
    if output_format in ("html", "markdown") and scenario.nodes > MAX_FIGURE_NODES:
        raise ValueError(
            f"nodes={scenario.nodes:,} is more than the {MAX_FIGURE_NODES:,} a report draws "
            "figures for: use --format text or json, or haplan sweep for the numbers"
        )
    if simulate_replications:
        from haplan.analysis import SIMULATION_HORIZON_H

        check_simulation_size(
            scenario, SIMULATION_HORIZON_H, simulate_replications, flag="--simulate"
        )


#: Most nodes (with surge nodes) and instances a drain steps through node by node.
MAX_DRAIN_UNITS = 10_000


def check_whatif_size(scenario, event, surge_nodes=0, count=1, zone=0, share=None, at_rps=None):
    """Refuse, in one line, what-if options out of range and a drain too big to step through
    in reasonable time (it moves every instance off every node in turn)."""
    check_finite("--surge-nodes", surge_nodes, low=0, high=MAX_DRAIN_UNITS)
    check_finite("--count", count, low=0, high=MAX_COUNT)
    check_finite("--zone", zone, low=0, high=MAX_COUNT)
    check_finite("--share", share, low=0, high=1)
    check_finite("--at-rps", at_rps, low=0, high=MAX_COUNT)
    if event == "drain":
        nodes = scenario.nodes + (surge_nodes or 0)
        if nodes > MAX_DRAIN_UNITS or scenario.instances > MAX_DRAIN_UNITS:
            raise ValueError(
                f"a drain of {nodes:,} nodes and {scenario.instances:,} instances is more than "
                f"the {MAX_DRAIN_UNITS:,} of each haplan steps through (one step per node and "
                "instance): drain one node pool or zone at a time"
            )


#: Longest load profile the autoscaler simulations step through [s]: a month of the HPA's
#: 15 s sync periods (a week takes seconds).
MAX_PROFILE_SPAN_S = 31 * 86400.0


def check_profile_span(profile, path) -> None:
    """Refuse a profile too long to step through every HPA sync period, saying how long."""
    span = float(profile.index[-1] - profile.index[0]) if len(profile) else 0.0
    if not span <= MAX_PROFILE_SPAN_S:
        raise ValueError(
            f"profile file {quote_path(path)} spans {span:,.6g} s, about "
            f"{span / 15:,.3g} HPA sync periods of 15 s, more than the "
            f"{MAX_PROFILE_SPAN_S / 86400:,.0f} days haplan steps through: give a shorter "
            "profile (e.g. its busiest week)"
        )


def check_grid_instances(axes: dict[str, list], base) -> None:
    """Refuse a grid whose largest scenario has more instances than a report computes
    exactly (:data:`MAX_GRID_INSTANCES`), before any row is built."""

    def largest(name):
        values = axes.get(name)
        return max(float(v) for v in values) if values else None

    instances = largest("instances")
    if instances is None:
        nodes = largest("nodes") or base.nodes
        replicas = largest("replicas")
        instances = nodes * replicas if replicas is not None else None
        if instances is None:
            instances = nodes * base.replicas if base.sized_by == "replicas" else base.instances
    if instances > MAX_GRID_INSTANCES:
        raise ValueError(
            f"the grid's largest scenario has {instances:,.0f} instances, more than the "
            f"{MAX_GRID_INSTANCES:,} haplan computes exactly per scenario: lower -N, -R or "
            "--instances"
        )


def check_sampled_grid(rows: int, samples: int) -> None:
    """Refuse a plan with distributions whose candidates x samples exceed what is evaluated
    at once (:data:`MAX_GRID_ROWS` scenarios), saying how many."""
    total = rows * samples
    if total > MAX_GRID_ROWS:
        raise ValueError(
            f"plan --confidence would evaluate {total:,} scenarios ({rows:,} candidates x "
            f"{samples:,} samples), more than the {MAX_GRID_ROWS:,} haplan evaluates at once: "
            "lower --samples or narrow the search"
        )


def check_grid_size(axes: dict[str, list], what: str = "sweep") -> int:
    """The number of scenarios a grid holds, refused past :data:`MAX_GRID_ROWS` before any
    row is built, with how big it would be and how to go on."""
    rows = 1
    for values in axes.values():
        rows *= max(len(values), 1)
    if rows > MAX_GRID_ROWS:
        sizes = " x ".join(f"{len(v):,} {name}" for name, v in axes.items())
        hint = (
            "split it into smaller sweeps each written with --csv, or write it in chunks "
            "from Python: haplan.sweeps.sweep(..., out=DIR, backend='dask')"
            if what == "sweep"
            else "narrow the search (fewer -N / -R values, or a larger STEP)"
        )
        raise ValueError(
            f"the {what} grid has {rows:,} scenarios ({sizes}), more than the "
            f"{MAX_GRID_ROWS:,} haplan builds at once (about {rows * 600 / 2**30:,.0f} GiB): "
            f"{hint}"
        )
    return rows


def save_png(figure, path: Path) -> None:
    """Write a figure as PNG (atomically) to a path :func:`check_output_paths` accepted."""
    from haplan.export import write_bytes

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    write_bytes(buffer.getvalue(), path)


def load(inputs, workload, overrides, *, distributions_allowed=False, command="report"):
    from haplan.inputs import load_inputs

    loaded = load_inputs(inputs, workload=workload, overrides=overrides)
    if loaded.distributions and not distributions_allowed:
        name, law = next(iter(loaded.distributions.items()))
        raise ValueError(
            f"{name}={law} is a distribution, which haplan {command} does not propagate: "
            "give a number, or use haplan report for the headline's interval"
        )
    return loaded


def split_values(values: dict[str, list]) -> tuple[dict[str, object], dict[str, list]]:
    """Single values (the base scenario's overrides) and lists (axes)."""
    single = {name: items[0] for name, items in values.items() if len(items) == 1}
    axes = {name: items for name, items in values.items() if len(items) > 1}
    return single, axes


def profile_from(scenario, profile_path=None, nasa=False, peak_to_mean=2.0, days=1):
    """The load profile the options name, and its description: a CSV, the NASA-HTTP 1995
    week scaled to the scenario's peak, or a diurnal profile peaking at it."""
    from haplan import autoscaling

    if profile_path is not None and nasa:
        raise ValueError("give --profile or --nasa, not both")
    if profile_path is not None:
        from haplan._safe import check_file_size, escape_controls

        check_file_size(profile_path, "profile file")
        profile = autoscaling.read_profile(profile_path)
        check_profile_span(profile, profile_path)
        return profile, escape_controls(profile_path)
    check_finite("--days", days, low=1, high=3660)
    peak = scenario.request_rate_rps
    if nasa:
        trace = autoscaling.scale_to_peak(autoscaling.nasa_trace(), peak)
        return trace, f"the NASA-HTTP 1995 week scaled to a {peak:,.4g} req/s peak"
    shape = autoscaling.diurnal(peak, peak_to_mean=peak_to_mean, days=days)
    return (
        shape,
        f"{days} diurnal day(s) peaking at {peak:,.4g} req/s (peak / mean {peak_to_mean:g})",
    )
