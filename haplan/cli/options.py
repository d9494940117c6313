"""The options every command shares, and the one grammar of their values."""

from __future__ import annotations

import io
import re
from pathlib import Path

import click

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
    if re.fullmatch(r"[A-Za-z]+\s*\(.*\)", text):  # a distribution: lognormal(718, 0.5)
        return [text]
    if name in WORD_INPUTS:
        return [v.strip() for v in text.split(",") if v.strip()]
    if name == "reschedule":
        words = [v.strip().lower() for v in text.split(",")]
        if not set(words) <= {"true", "false"}:
            raise ValueError(f"reschedule={text!r} is not valid: must be true or false")
        return [w == "true" for w in words]
    from haplan.sweeps import parse_axis

    try:
        return parse_axis(text, integer=name in INTEGER_INPUTS)
    except ValueError:
        raise ValueError(
            f"{name}={text!r} is not valid: give a number, a list V1,V2 or a range "
            "START:STOP[:STEP]"
        ) from None


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
        click.argument("inputs", nargs=-1, type=click.Path(dir_okay=False, path_type=Path)),
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


def check_output_paths(*paths: Path | None) -> None:
    """Refuse, before any work, an output path whose directory does not exist."""
    for path in paths:
        if path is not None and not path.parent.is_dir():
            raise ValueError(
                f"output path {str(path)!r} is not valid: its directory does not exist"
            )


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
        return autoscaling.read_profile(profile_path), str(profile_path)
    peak = scenario.request_rate_rps
    if nasa:
        trace = autoscaling.scale_to_peak(autoscaling.nasa_trace(), peak)
        return trace, f"the NASA-HTTP 1995 week scaled to a {peak:,.4g} req/s peak"
    shape = autoscaling.diurnal(peak, peak_to_mean=peak_to_mean, days=days)
    return (
        shape,
        f"{days} diurnal day(s) peaking at {peak:,.4g} req/s (peak / mean {peak_to_mean:g})",
    )
