"""The command line: `launchtui` (the TUI), `check`, `runbook`, `backup`, `restore`, `migrate`, `cleanup`, `init`, `report`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from launchtui import __version__
from launchtui.core.config import CONFIG_FILE, STARTER_TOML, ConfigError, Settings, load_settings
from launchtui.core.logs import setup_logging

# The input flags every command takes, with their help.
INPUT_FLAGS: tuple[tuple[str, str, str], ...] = (
    ("--env-file", "PATH", "dotenv file with the backend's variables (DATABASE_URL, ...)"),
    ("--frontend-env-file", "PATH", "dotenv file with the frontend's VITE_* variables"),
    ("--backend-dir", "PATH", "the Flask backend checkout (config.py, Procfile, migrations/)"),
    ("--frontend-url", "URL", "the deployed frontend, e.g. https://app.vercel.app"),
    ("--backend-url", "URL", "the deployed backend (default: VITE_API_URL)"),
    ("--health-path", "PATH", "the backend's health endpoint (default: /health)"),
    ("--backup-dir", "PATH", "where backups are written and looked for"),
    ("--ca-file", "PATH", "CA bundle for TLS verification (default: the system bundle)"),
    ("--config", "PATH", f"the {CONFIG_FILE} to read (default: ./{CONFIG_FILE}, then user config)"),
    ("--profile", "NAME", "the profile of the config file to use"),
)
INPUT_KEYS = tuple(flag[2:].replace("-", "_") for flag, _, _ in INPUT_FLAGS)

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors exit 2 with one line and a hint, as the contract says."""

    def error(self, message: str) -> Any:
        self.exit(EXIT_USAGE, f"launchtui: error: {message}\nTry `{self.prog} --help`.\n")


def _add_inputs(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    group = parser.add_argument_group("inputs")
    for flag, metavar, text in INPUT_FLAGS:
        # On subcommands, SUPPRESS keeps a flag given before the subcommand from being reset.
        group.add_argument(
            flag, metavar=metavar, help=text, default=argparse.SUPPRESS if suppress else None
        )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="launchtui",
        description="The pre-launch checklist and incident runbooks of a Flask + Vue + "
        "TiDB + Cloudinary stack, with live probes. With no command, opens the TUI.",
    )
    parser.add_argument("--version", action="version", version=f"launchtui {__version__}")
    _add_inputs(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="run the checklist and print verdicts (CI release gate)")
    check.add_argument(
        "--format",
        choices=("text", "json", "markdown", "junit"),
        default="text",
        help="output format (default: text)",
    )
    check.add_argument("--only", nargs="+", metavar="ID", help="run only these check ids")
    check.add_argument(
        "--fail-on",
        choices=("warn", "fail"),
        default="fail",
        help="exit 1 when any result is at or above this level (default: fail)",
    )
    check.add_argument("--list", action="store_true", help="list the check ids and exit")
    _add_inputs(check, suppress=True)

    migrate = sub.add_parser(
        "migrate", help="show the pending migrations, then run `flask db upgrade` (2.1)"
    )
    migrate.add_argument(
        "--sql", action="store_true", help="also show the SQL Alembic would run (offline)"
    )
    _add_action_flags(migrate)

    cleanup = sub.add_parser(
        "cleanup", help="delete temp/upload files older than --older-than (3.2); dry run first"
    )
    cleanup.add_argument(
        "--older-than",
        metavar="AGE",
        default="24h",
        type=_duration,
        help="age of the files to delete: 90m, 36h, 7d (default: 24h)",
    )
    cleanup.add_argument(
        "--tmp-dir", metavar="PATH", help="the temp/upload dir (default: tmp_dir, else config.py's)"
    )
    cleanup.add_argument(
        "--print-cron",
        action="store_true",
        help="print the crontab line that runs this cleanup as a standalone job",
    )
    _add_action_flags(cleanup, yes_help="delete the files (without it: a dry run)")

    from launchtui import cli_backup

    cli_backup.add_parsers(sub, _add_action_flags)
    from launchtui import cli_runbook

    cli_runbook.add_parser(sub, _add_inputs)

    init = sub.add_parser("init", help=f"write a commented starter {CONFIG_FILE}")
    init.add_argument(
        "--path", default=CONFIG_FILE, help=f"where to write (default: ./{CONFIG_FILE})"
    )
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    _add_inputs(init, suppress=True)

    report = sub.add_parser("report", help="print the Markdown sign-off of the last walkthrough")
    _add_inputs(report, suppress=True)
    return parser


def _duration(text: str) -> float:
    from launchtui.actions.cleanup import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_action_flags(parser: argparse.ArgumentParser, *, yes_help: str | None = None) -> None:
    parser.add_argument(
        "--yes", action="store_true", help=yes_help or "do it without asking (for scripts)"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="output format; json ends with one object (default: text)",
    )
    _add_inputs(parser, suppress=True)


def _settings(args: argparse.Namespace, known_ids: frozenset[str] | None = None) -> Settings:
    flags = {k: getattr(args, k, None) for k in INPUT_KEYS}
    return load_settings(flags, known_ids=known_ids)


def _use_color(stream: Any) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def unconfigured_hint(cwd: Path | None = None) -> str:
    """One line for a run with no profile and no input flag: where launchtui looked."""
    from launchtui.core.config import user_config_dir

    here = (cwd or Path.cwd()) / CONFIG_FILE
    return (
        f"launchtui: no {CONFIG_FILE} in {here.parent} or {user_config_dir()} and no input "
        "flags, so most items are not set: run `launchtui` to set up a profile on its setup "
        "screen, or `launchtui init` to write one, or pass --env-file, --backend-dir, "
        "--frontend-url and --backend-url."
    )


def cmd_check(args: argparse.Namespace) -> int:
    from launchtui.core import report
    from launchtui.core.context import Context
    from launchtui.core.registry import default_registry
    from launchtui.core.runner import UnknownCheckError, run

    registry = default_registry()
    if args.list:
        for c in registry:
            print(f"{c.id:<28} {c.section:<4} {c.kind:<7} {c.title}")
        return EXIT_OK
    settings = _settings(args, registry.ids())
    if settings.config_path is None and not any(getattr(args, k, None) for k in INPUT_KEYS):
        print(unconfigured_hint(), file=sys.stderr)
    ctx = Context.build(settings)
    setup_logging(ctx.redactor)
    try:
        final = asyncio.run(run(registry, ctx, args.only))
    except UnknownCheckError as exc:
        raise ConfigError(str(exc)) from None
    finally:
        ctx.close()
    if args.format == "json":
        out = report.to_json(final, settings.profile, scrub=ctx.redactor.scrub_any)
    elif args.format == "markdown":
        out = report.to_markdown(final, settings.profile)
    elif args.format == "junit":
        out = report.to_junit(final, settings.profile)
    else:
        out = report.to_text(final, settings.profile, color=_use_color(sys.stdout))
    # Secrets a later check learned are scrubbed from earlier results too.
    sys.stdout.write(out if args.format == "json" else ctx.redactor.scrub(out))
    if not out.endswith("\n"):
        sys.stdout.write("\n")
    if not args.only:  # a whole-checklist run is a walkthrough: `launchtui report` prints it
        sys.stdout.flush()  # the verdicts first; the history write must not delay them
        try:
            from launchtui.core.history import record_run

            record_run(settings, final)
        except Exception as exc:  # the history must never break the release gate
            logging.getLogger("launchtui").warning("could not record the run: %s", exc)
    threshold = 1 if args.fail_on == "warn" else 2
    return EXIT_FAIL if report.worst(final.results) >= threshold else EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if path.exists() and not args.force:
        raise ConfigError(f"{path} already exists; pass --force to overwrite it.")
    from launchtui.core.files import write_atomic

    try:  # whole or not at all, and readable by its owner only, as the setup screen writes it
        write_atomic(path, STARTER_TOML, overwrite=args.force)
    except FileExistsError:
        raise ConfigError(f"{path} already exists; pass --force to overwrite it.") from None
    except OSError as exc:
        raise ConfigError(f"Cannot write {path}: {exc.strerror}.") from None
    print(f"Wrote {path}. Edit its [profiles.production] table, then run `launchtui check`.")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from launchtui.core.history import markdown_report

    settings = _settings(args)
    text = markdown_report(settings)
    if text is None:
        print(
            "No walkthrough recorded yet: run `launchtui` or `launchtui check` first.",
            file=sys.stderr,
        )
        return EXIT_FAIL
    sys.stdout.write(text)
    return EXIT_OK


def _action(action_id: str, args: argparse.Namespace, options: dict[str, Any]) -> int:
    from launchtui.actions import default_actions
    from launchtui.cli_actions import run_action
    from launchtui.core.context import Context

    settings = _settings(args)
    ctx = Context.build(settings)
    setup_logging(ctx.redactor)
    try:
        return run_action(default_actions()[action_id], ctx, options, fmt=args.format, yes=args.yes)
    finally:
        ctx.close()


def cmd_migrate(args: argparse.Namespace) -> int:
    return _action("migrate", args, {"sql": args.sql})


def cmd_cleanup(args: argparse.Namespace) -> int:
    tmp_dir = Path(args.tmp_dir).expanduser() if args.tmp_dir else None
    options = {"tmp_dir": tmp_dir, "older_than": args.older_than}
    if args.print_cron:
        from launchtui.actions.cleanup import cron_line

        print(cron_line(_settings(args), options))
        return EXIT_OK
    return _action("cleanup", args, options)


def cmd_backup(args: argparse.Namespace) -> int:
    from launchtui.cli_backup import backup_options

    settings = _settings(args)
    return _action(f"backup-{args.kind}", args, backup_options(args, settings))


def cmd_restore(args: argparse.Namespace) -> int:
    from launchtui.cli_backup import restore_options

    settings = _settings(args)
    return _action(f"restore-{args.kind}", args, restore_options(args, settings))


def cmd_runbook(args: argparse.Namespace) -> int:
    from launchtui.cli_runbook import cmd_runbook as run
    from launchtui.core.context import Context

    settings = _settings(args)
    setup_logging(Context.build(settings).redactor)  # the log knows the secrets to scrub
    return run(args, settings)


def cmd_tui(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from launchtui.tui.app import run_app

    # Nothing configured: the setup screen opens first.
    first_run = settings.config_path is None and not any(getattr(args, k, None) for k in INPUT_KEYS)
    return run_app(settings, first_run=first_run)


def sigterm_as_ctrl_c(signum: int, frame: object) -> None:
    """A SIGTERM handler: do what ctrl+c does (inside asyncio.run, a cancel of the run)."""
    signal.raise_signal(signal.SIGINT)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    commands = {
        "check": cmd_check,
        "migrate": cmd_migrate,
        "cleanup": cmd_cleanup,
        "backup": cmd_backup,
        "restore": cmd_restore,
        "runbook": cmd_runbook,
        "init": cmd_init,
        "report": cmd_report,
    }
    if args.command in ("check", "runbook"):
        # A `kill` (systemd, `timeout`, a CI job's cancel) stops a run as ctrl+c does: a
        # watched runbook still prints its timeline. Actions install their own handler.
        signal.signal(signal.SIGTERM, sigterm_as_ctrl_c)
    try:
        return commands.get(args.command, cmd_tui)(args)
    except ConfigError as exc:
        print(f"launchtui: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("launchtui: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (`| head`) went away: stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAIL


if __name__ == "__main__":
    raise SystemExit(main())
