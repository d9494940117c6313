"""The ``haplan`` command line: a thin shell over the public API.

One grammar for every command: INPUTS (a TOML scenario and/or YAML manifests), the shared
options of :func:`scenario_options`, and ``--set NAME=VALUE[,VALUE…]`` for any input. A
command that takes one scenario (report, simulate) takes one value each; sweep and plan turn
several values into axes. Every error a user can cause ends as one line on stderr and exit
status 2; an internal error is one line saying it is a bug and exit status 1 (``haplan
--debug`` shows the traceback). ``haplan report --check`` exits 1 when a verdict line fails.
"""

from __future__ import annotations

import gc
import sys
import warnings

import click

from haplan._safe import one_line, quote_path

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
    if not args:  # bare ``haplan``: the help summary, as click users expect
        args = ["--help"]
    with warnings.catch_warnings():
        if argv is None and "--debug" not in args:
            # Run as a program: numpy's overflow notes and libraries' deprecations are not
            # the user's to act on; stderr holds the one error line (haplan --debug shows
            # them). Called in-process (tests), warnings keep the caller's filters.
            for category in (RuntimeWarning, FutureWarning, DeprecationWarning):
                warnings.simplefilter("ignore", category)
        if argv is None:
            # A command is a short process: collecting cyclic garbage every 700 allocations
            # (the default) while matplotlib builds figures costs ~0.2 s of a report with
            # figures and frees little; every 100,000 does the same work less often.
            gc.set_threshold(100_000, 50, 100)
        return _run(args)


def _run(args: list[str]) -> int:
    try:
        # Without standalone mode click returns an Exit's code (e.g. --check) as the result.
        result = cli.main(args=args, prog_name="haplan", standalone_mode=False)
    except click.exceptions.Exit as stop:
        return stop.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        _error("aborted")
        return 1
    except click.exceptions.NoArgsIsHelpError as error:  # a group without its command
        click.echo(error.ctx.get_help() if error.ctx else error.format_message())
        return 0
    except click.ClickException as error:
        _error(error.format_message())
        return EXIT_USAGE
    except (ValueError, OSError) as error:
        _error(_describe_os_error(error) if isinstance(error, OSError) else str(error))
        return EXIT_USAGE
    except (MemoryError, RecursionError) as error:  # an input too big or too deep for its size
        if "--debug" in args:
            raise
        _error(
            f"the request is too big for this machine ({type(error).__name__}): use smaller "
            "inputs or a smaller grid"
        )
        return EXIT_USAGE
    except Exception as error:  # a bug: say so, and how to see it
        if "--debug" in args:
            raise
        click.echo(
            one_line(
                f"haplan: internal error: {type(error).__name__}: {error}. This is a bug in "
                "haplan; run the same command with haplan --debug to see the traceback."
            ),
            err=True,
        )
        return EXIT_BUG
    return result if isinstance(result, int) else 0


def _error(message: str) -> None:
    """The one line on stderr: control characters (a newline too) escaped, so a value in the
    message can neither colour the terminal nor forge a second line."""
    click.echo(f"haplan: error: {one_line(message)}", err=True)


def _describe_os_error(error: OSError) -> str:
    """An OSError in words, naming the user's path (never a temporary file's)."""
    if error.filename is None:
        return str(error)
    reason = error.strerror or str(error)
    return f"{quote_path(error.filename)}: {reason}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
