"""The command line: ``events-viewer [serve|validate|lint-specs|draft-spec] ...``.

A thin shell over the viewer: every ``serve`` flag comes from ``viewer.settings``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from viewer import __version__, settings

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str) -> Callable[[Callable[[argparse.Namespace], int]],
                                   Callable[[argparse.Namespace], int]]:
    """Register a subcommand's runner."""
    def register(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS[name] = fn
        return fn
    return register


def add_setting_flags(parser: argparse.ArgumentParser, keys: Sequence[str] | None = None
                      ) -> None:
    """One flag per setting, its help naming the environment variable and the default."""
    for s in settings.SETTINGS:
        if keys is not None and s.key not in keys:
            continue
        help_text = f"{s.help} [env {s.env}; default {s.default!r}]"
        if s.repeatable:
            parser.add_argument(s.flag, dest=s.key, action="append", metavar=s.metavar,
                                help=help_text)
        elif s.parse is settings._bool:
            parser.add_argument(s.flag, dest=s.key, nargs="?", const=True, type=s.parse,
                                metavar="BOOL", help=help_text)
        else:
            parser.add_argument(s.flag, dest=s.key, type=s.parse, metavar=s.metavar,
                                help=help_text)


def flags_to_config(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line (the rest come from the environment)."""
    return {s.key: getattr(args, s.key) for s in settings.SETTINGS
            if getattr(args, s.key, None) is not None}


def build_parser() -> argparse.ArgumentParser:
    """The parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="events-viewer",
        description="A live, schema-aware viewer for HMPPS domain events on SNS/SQS. "
                    "With no queue it runs the embedded demo (local SQS/SNS + traffic).")
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the viewer (the default command)")
    add_setting_flags(serve)
    for name, (help_text, configure) in SUBCOMMANDS.items():
        configure(sub.add_parser(name, help=help_text))
    return parser


SUBCOMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {}


def setup_logging(fmt: str, level: str) -> None:
    """Plain or JSON-lines logs on stderr."""
    from viewer.logs import configure

    configure(fmt, level)


@command("serve")
def serve(args: argparse.Namespace) -> int:
    """Run the app with a threaded server until SIGTERM or Ctrl-C."""
    from werkzeug.serving import make_server

    from viewer.app import create_app

    config = flags_to_config(args)
    values = settings.resolve(config)
    setup_logging(values["LOG_FORMAT"], values["LOG_LEVEL"])
    app = create_app(config)
    viewer = app.extensions["viewer"]
    viewer.start()
    server = make_server(values["HOST"], values["PORT"], app, threaded=True)
    host = values["HOST"]
    shown = f"[{host}]" if ":" in host else host
    print(f"events-viewer {__version__} on http://{shown}:{server.server_port}/"
          + (" (embedded demo: local SQS/SNS on loopback)" if viewer.embedded_mode else ""),
          flush=True)
    stopping = threading.Event()

    def shutdown(signum: int, _frame: Any) -> None:
        if stopping.is_set():
            return
        stopping.set()
        logging.getLogger(__name__).info("signal %d: stopping", signum)

        def stop() -> None:
            app.extensions["viewer.hub"].close_all()
            viewer.stop()
            server.shutdown()

        threading.Thread(target=stop, name="shutdown", daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    server.serve_forever()
    return 0


def _configure_hash_password(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of stdin (for scripts)")


SUBCOMMANDS["hash-password"] = (
    "print a password hash for VIEWER_AUTH_BASIC_HASH (basic auth)", _configure_hash_password)


@command("hash-password")
def hash_password(args: argparse.Namespace) -> int:
    """Prompt for a password (or read stdin) and print its Werkzeug hash."""
    import getpass

    from viewer.web.auth import hash_password as make_hash

    if args.password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("events-viewer: the passwords differ", file=sys.stderr)
            return 2
    if not password:
        print("events-viewer: an empty password is not allowed", file=sys.stderr)
        return 2
    print(make_hash(password))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``events-viewer`` script."""
    import viewer.specs.cli  # noqa: F401 - registers validate, lint-specs, draft-spec

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["serve", *argv]
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ValueError as exc:  # a bad setting: say which, and stop
        print(f"events-viewer: {exc}", file=sys.stderr)
        return 2
