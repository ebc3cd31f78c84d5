"""Every setting, declared once: it drives the CLI, the environment, the README table and a test."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


def _int(value: str) -> int:
    return int(value)


def _float(value: str) -> float:
    return float(value)


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _list(value: str) -> list[str]:
    # Environment lists are comma separated; the CLI repeats the flag instead.
    return [part.strip() for part in value.split(",") if part.strip()]


@dataclass(frozen=True)
class Setting:
    """One setting: its config key, CLI flag, environment variable, default and help."""

    key: str
    flag: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str
    repeatable: bool = False
    metavar: str | None = None

    @property
    def env(self) -> str:
        """The environment variable that sets it."""
        return "VIEWER_" + self.key


SETTINGS: tuple[Setting, ...] = (
    Setting("HOST", "--host", "127.0.0.1", "Interface to bind."),
    Setting("PORT", "--port", 8080, "Port to listen on (0 picks a free one).", _int),
    Setting(
        "QUEUES", "--queue", [],
        "SQS queue to watch: a name, a URL, or label=name-or-URL. Repeatable. "
        "None (and no HMPPS_SQS_QUEUES_*) runs the embedded demo.",
        _list, repeatable=True, metavar="QUEUE",
    ),
    Setting("SQS_WAIT_SECONDS", "--sqs-wait-seconds", 20,
            "Long-poll wait of each ReceiveMessage call (1-20 s).", _int),
    Setting("EMBEDDED", "--embedded", False,
            "Start a local SQS/SNS endpoint on loopback with demo traffic.", _bool),
    Setting("DEMO_RATE", "--demo-rate", 1.5, "Demo events per second in embedded mode.", _float),
    Setting("BUFFER_SIZE", "--buffer-size", 10_000,
            "Messages kept in the rolling buffer (oldest evicted first).", _int),
    Setting("SPEC_DIRS", "--spec-dir", [],
            "Directory of AsyncAPI message specs (registry layout). Repeatable.",
            _list, repeatable=True, metavar="DIR"),
    Setting("SPEC_URLS", "--spec-url", [],
            "A .tar.gz or .zip archive of specs over HTTP(S). Repeatable.",
            _list, repeatable=True, metavar="URL"),
    Setting("SPEC_WATCH", "--spec-watch", True,
            "Reload specs when files under a spec dir change.", _bool),
    Setting("HIDE_EVENT_TYPES", "--hide-event-type", [],
            "Event type hidden in the page by default (noise control). Repeatable.",
            _list, repeatable=True, metavar="TYPE"),
    Setting("DISPLAY_LIMIT", "--display-limit", 64 * 1024,
            "Bytes of a message sent to the list; larger ones are truncated there.", _int),
    Setting("STORE", "--store", "memory",
            "Where the buffer lives: memory, or redis://... / rediss://...", metavar="URL"),
    Setting("STORE_TTL", "--store-ttl", 24 * 3600,
            "Seconds a message is kept in a Redis store.", _int),
    Setting("ALLOWED_ORIGINS", "--allowed-origin", [],
            "Extra origin allowed to open the websocket (the page's own is always allowed). "
            "Repeatable.", _list, repeatable=True, metavar="ORIGIN"),
    Setting("AUTH", "--auth", "none",
            "Authentication: none, basic, or proxy (trusted reverse-proxy header)."),
    Setting("AUTH_BASIC_USER", "--auth-basic-user", "viewer", "User name for basic auth."),
    Setting("AUTH_BASIC_HASH", "--auth-basic-hash", "",
            "Werkzeug password hash for basic auth (see `events-viewer hash-password`)."),
    Setting("AUTH_PROXY_USER_HEADER", "--auth-proxy-user-header", "X-Forwarded-User",
            "Header carrying the user name set by the trusted proxy."),
    Setting("AUTH_PROXY_GROUPS_HEADER", "--auth-proxy-groups-header", "X-Forwarded-Groups",
            "Header carrying the user's groups (comma separated) set by the trusted proxy."),
    Setting("AUTH_ALLOW", "--auth-allow", [],
            "User or group allowed in with proxy auth (empty: anyone the proxy lets through). "
            "Repeatable.", _list, repeatable=True, metavar="NAME"),
    Setting("OUTBOX_SIZE", "--outbox-size", 2_000,
            "Frames a websocket client may have queued before it is told it fell behind.", _int),
    Setting("WS_MAX_MESSAGE", "--ws-max-message", 64 * 1024,
            "Largest inbound websocket frame, in bytes.", _int),
    Setting("LOG_FORMAT", "--log-format", "text", "Log format: text or json."),
    Setting("LOG_LEVEL", "--log-level", "INFO", "Log level."),
)

BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}


def defaults() -> dict[str, Any]:
    """The default value of every setting, keyed by config key."""
    return {s.key: (list(s.default) if isinstance(s.default, list) else s.default)
            for s in SETTINGS}


def from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    """Settings given by ``VIEWER_*`` variables; a bad value raises ValueError naming it."""
    found: dict[str, Any] = {}
    for s in SETTINGS:
        if s.env in environ:
            try:
                found[s.key] = s.parse(environ[s.env])
            except ValueError as exc:
                raise ValueError(f"{s.env}: {exc}") from None
    return found


def resolve(config: Mapping[str, Any] | None = None,
            environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Defaults, then the environment, then explicit config (CLI flags or a test's overrides)."""
    values = defaults()
    values.update(from_environ(os.environ if environ is None else environ))
    values.update(config or {})
    return values


def markdown_table() -> str:
    """The settings as the Markdown table in ``docs/settings.md``."""
    rows = ["| flag | environment | default | what |", "|---|---|---|---|"]
    for s in SETTINGS:
        flag = s.flag + (" (repeatable)" if s.repeatable else "")
        default = ", ".join(s.default) if isinstance(s.default, list) else s.default
        rows.append(f"| `{flag}` | `{s.env}` | `{default!s}` | {s.help} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
