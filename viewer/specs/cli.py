"""The spec subcommands: ``validate``, ``lint-specs`` and ``draft-spec``."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from viewer import cli, jsontext, settings
from viewer.message import INVALID, UNKNOWN, UNPARSEABLE
from viewer.sns import unwrap
from viewer.specs import draft
from viewer.specs.loader import Finding, SpecSourceError
from viewer.specs.registry import SpecRegistry
from viewer.validation import Judge

FAILING = (UNPARSEABLE, INVALID)


def _read(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    return Path(name).read_text(encoding="utf-8")


def _registry(args: argparse.Namespace) -> SpecRegistry | None:
    values = settings.resolve(cli.flags_to_config(args))
    if not values["SPEC_DIRS"] and not values["SPEC_URLS"]:
        return None
    registry = SpecRegistry(values["SPEC_DIRS"], values["SPEC_URLS"])
    registry.reload()
    return registry


def _configure_validate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="a JSON message, bare or in an SNS envelope ('-' reads stdin)")
    cli.add_setting_flags(parser, keys=["SPEC_DIRS", "SPEC_URLS"])
    parser.add_argument("--strict", action="store_true",
                        help="also fail a message whose event type has no spec (unknown)")
    parser.add_argument("--json", action="store_true", help="one JSON verdict per line")


@cli.command("validate")
def validate(args: argparse.Namespace) -> int:
    """Judge each file against the envelope and the loaded specs; 1 if any fails."""
    try:
        registry = _registry(args)
    except SpecSourceError as exc:
        print(f"events-viewer validate: {exc}", file=sys.stderr)
        return 2
    judge = Judge(registry)
    failed = unreadable = 0
    for name in args.files:
        try:
            text = _read(name)
        except (OSError, UnicodeDecodeError) as exc:
            print(f"{name}: cannot read: {exc}", file=sys.stderr)
            unreadable += 1
            continue
        raw, _, _, attributes, _ = unwrap(text, name)
        parsed = jsontext.parse(raw)
        verdict = judge.judge(parsed.value if parsed.error is None else None, parsed.error,
                              attributes.get("eventType"), parsed.warnings)
        fails = verdict.status in FAILING or (args.strict and verdict.status == UNKNOWN)
        failed += fails
        if args.json:
            print(orjson.dumps({"file": name, **verdict.as_dict()}).decode())
            continue
        spec = verdict.spec
        used = f" (spec {spec['name']}: {spec['path']})" if spec else ""
        print(f"{name}: {verdict.status}{used}")
        for error in verdict.errors:
            blame = "  <- the spec's fault: its own example fails here too" \
                if error.get("specFault") else ""
            print(f"  {error['pointer'] or '/'}: {error['message']} "
                  f"[{error['schema']} {error.get('keyword', '')}]{blame}")
        for warning in verdict.warnings:
            print(f"  warning: {warning}")
    if unreadable:
        return 2
    return 1 if failed else 0


def _configure_lint(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dirs", nargs="*", metavar="DIR",
                        help="a spec dir in the registry layout (repeatable)")
    parser.add_argument("--spec-url", dest="SPEC_URLS", action="append", metavar="URL",
                        help="a .tar.gz or .zip archive of specs over HTTP(S)")
    parser.add_argument("--json", action="store_true", help="the findings as JSON")


def all_findings(registry: SpecRegistry) -> list[Finding]:
    """Every finding of the registry's current build, file by file."""
    index = registry.index
    found = list(index.findings) + [f for s in index.specs for f in s.findings]
    return sorted(found, key=lambda f: (f.path, f.code, f.pointer or ""))


@cli.command("lint-specs")
def lint_specs(args: argparse.Namespace) -> int:
    """Print the registry's problems grouped per file; 1 if there are any."""
    urls = args.SPEC_URLS or []
    if not args.dirs and not urls:
        print("events-viewer lint-specs: give a spec DIR (or --spec-url URL)", file=sys.stderr)
        return 2
    registry = SpecRegistry(args.dirs, urls)
    try:
        registry.reload()
    except SpecSourceError as exc:
        print(f"events-viewer lint-specs: {exc}", file=sys.stderr)
        return 2
    findings = all_findings(registry)
    index = registry.index
    if args.json:
        print(orjson.dumps({"files": index.files, "specs": len(index.specs),
                            "eventTypes": len(index.by_type),
                            "findings": [f.as_dict() for f in findings]}).decode())
        return 1 if findings else 0
    last = None
    for finding in findings:
        if finding.path != last:
            print(finding.path)
            last = finding.path
        where = f" {finding.pointer}" if finding.pointer else ""
        print(f"  {finding.code}{where}: {finding.message}")
    counts = Counter(f.code for f in findings)
    files = len({f.path for f in findings})
    summary = ", ".join(f"{code}: {n}" for code, n in sorted(counts.items()))
    print(f"{index.files} files, {len(index.specs)} specs, {len(index.by_type)} event types; "
          f"{len(findings)} findings in {files} files" + (f" ({summary})" if summary else ""))
    return 1 if findings else 0


def _configure_draft(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="observed messages of one event type, bare or in SNS envelopes")
    parser.add_argument("--event-type", help="the spec's name (default: the messages' eventType)")


@cli.command("draft-spec")
def draft_spec(args: argparse.Namespace) -> int:
    """Print an AsyncAPI message YAML drafted from the files."""
    texts: list[str] = []
    for name in args.files:
        try:
            texts.append(_read(name))
        except (OSError, UnicodeDecodeError) as exc:
            print(f"events-viewer draft-spec: {name}: cannot read: {exc}", file=sys.stderr)
            return 2
    try:
        sys.stdout.write(draft.draft_yaml(texts, args.event_type))
    except draft.DraftError as exc:
        print(f"events-viewer draft-spec: {exc}", file=sys.stderr)
        return 2
    return 0


SUBCOMMANDS: dict[str, tuple[str, Any]] = {
    "validate": ("check JSON messages against the envelope and the specs (exit 1 on failure)",
                 _configure_validate),
    "lint-specs": ("print a spec registry's problems (exit 1 if any)", _configure_lint),
    "draft-spec": ("draft an AsyncAPI message spec from observed messages", _configure_draft),
}
cli.SUBCOMMANDS.update(SUBCOMMANDS)
