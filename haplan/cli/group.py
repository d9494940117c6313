"""The ``haplan`` command group; each command registers on it from its own file."""

from __future__ import annotations

import click

__all__ = ["cli"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="haplan")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def cli(debug):
    """haplan: capacity planning for highly available container clusters.

    Every command takes INPUTS (one TOML scenario and/or Kubernetes / compose YAML
    manifests; none: the built-in default) and the same options: the article's N, R, P, S as
    -N, -R, -P, -S, the SLO targets, and any input as --set NAME=VALUE.
    """
