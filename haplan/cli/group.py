"""The ``haplan`` command group; each command registers on it from its own file."""

from __future__ import annotations

import math

import click

__all__ = ["cli"]


def _max_input_mb(ctx, param, value):
    if value is None:
        return None
    if not (math.isfinite(value) and 0 < value < 1e9):
        raise click.BadParameter(f"{value!r} is out of range: must be a size in MiB > 0, e.g. 50")
    return value


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="haplan")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
@click.option(
    "--max-input-mb",
    type=float,
    callback=_max_input_mb,
    metavar="MIB",
    help="Largest input file read [MiB] (default 10, or $HAPLAN_MAX_INPUT_MB).",
)
@click.pass_context
def cli(ctx, debug, max_input_mb):
    """haplan: capacity planning for highly available container clusters.

    Every command takes INPUTS (one TOML scenario and/or Kubernetes / compose YAML
    manifests; none: the built-in default) and the same options: the article's N, R, P, S as
    -N, -R, -P, -S, the SLO targets, and any input as --set NAME=VALUE.
    """
    if max_input_mb is not None:
        from haplan._safe import input_limit

        limit = input_limit(max_input_mb)
        limit.__enter__()
        ctx.call_on_close(lambda: limit.__exit__(None, None, None))
