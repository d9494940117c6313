"""The ``haplan`` command line: a thin shell over the public API.

One grammar for every command: INPUTS (a TOML scenario and/or YAML manifests), the shared
options of :func:`scenario_options`, and ``--set NAME=VALUE[,VALUE…]`` for any input. A
command that takes one scenario (report, simulate) takes one value each; sweep and plan turn
several values into axes. Every error a user can cause ends as one line on stderr and exit
status 2; an internal error is one line saying it is a bug and exit status 1 (``haplan
--debug`` shows the traceback). ``haplan report --check`` exits 1 when a verdict line fails.
"""

from __future__ import annotations

import sys

import click

# Each command registers itself on the group when its module is imported.
from haplan.cli import autoscale, fit, grid, report, simulate, whatif  # noqa: F401
from haplan.cli.group import cli
from haplan.cli.options import (
    EXIT_BUG,
    EXIT_USAGE,
    availability_fraction,
    parse_setting,
    parse_values,
    scenario_options,
)

__all__ = [
    "cli",
    "main",
    "scenario_options",
    "parse_values",
    "parse_setting",
    "availability_fraction",
]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI.

    A usage or input error (a bad flag, an out-of-range input, an unreadable file) is one
    line on stderr and exit status 2. Anything else is a bug in haplan: one line saying so and
    exit status 1; ``haplan --debug ...`` shows its traceback.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        # Without standalone mode click returns an Exit's code (e.g. --check) as the result.
        result = cli.main(args=args, prog_name="haplan", standalone_mode=False)
    except click.exceptions.Exit as stop:
        return stop.exit_code
    except click.exceptions.Abort:
        click.echo("haplan: error: aborted", err=True)
        return 1
    except click.ClickException as error:
        click.echo(f"haplan: error: {error.format_message()}", err=True)
        return EXIT_USAGE
    except (ValueError, OSError) as error:
        click.echo(f"haplan: error: {error}", err=True)
        return EXIT_USAGE
    except Exception as error:  # a bug: say so, and how to see it
        if "--debug" in args:
            raise
        click.echo(
            f"haplan: internal error: {type(error).__name__}: {error}. This is a bug in "
            "haplan; run the same command with haplan --debug to see the traceback.",
            err=True,
        )
        return EXIT_BUG
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
