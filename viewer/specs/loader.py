"""Reads spec files: registry layout on disk, whole AsyncAPI documents, and archives over HTTP(S).

Nothing here judges a spec; it turns files into ``SpecSource`` entries and ``Finding``s
(a file that cannot be read is a finding, never an exception).
"""

from __future__ import annotations

import io
import shutil
import tarfile
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import yaml

from viewer.specs import yaml12

SUFFIXES = (".yml", ".yaml")
MAX_ARCHIVE_BYTES = 64 * 1024 * 1024
MAX_FILE_BYTES = 4 * 1024 * 1024
CURATED, AUTO, OVERRIDE = "curated", "auto", "override"


class SpecSourceError(ValueError):
    """A spec dir or URL that cannot be used at all (missing, not an archive, refused)."""


@dataclass
class Finding:
    """One problem with a spec file: a stable ``code``, a sentence, and where it is."""

    code: str
    message: str
    path: str
    pointer: str | None = None  # into the message or spec payload, when there is one

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        out = {"code": self.code, "message": self.message, "path": self.path}
        if self.pointer is not None:
            out["pointer"] = self.pointer
        return out


@dataclass
class SpecSource:
    """One AsyncAPI message object as read from a file, before it is compiled."""

    path: str  # what a person opens: a file path, or archive URL + "#" + member
    rel: str  # path inside its root, posix style (decides curated/auto/override)
    origin: str
    message: dict[str, Any]
    key: str | None = None  # the components.messages key, for a whole AsyncAPI document
    findings: list[Finding] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)  # override fragments merged in


@dataclass
class Loaded:
    """Everything read from the spec roots."""

    sources: list[SpecSource] = field(default_factory=list)
    overrides: list[SpecSource] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # files that produced no spec
    files: int = 0
    roots: list[str] = field(default_factory=list)
    # (path, mtime_ns, size) -> what the file gave: a reload re-parses only changed files.
    parsed: dict[tuple[str, int, int], tuple[list[SpecSource], list[Finding]]] = field(
        default_factory=dict)


def origin_of(rel: str) -> str:
    """``override`` under spec/override, ``auto`` under spec/auto, else ``curated``."""
    parts = PurePosixPath(rel).parts
    if OVERRIDE in parts:
        return OVERRIDE
    if AUTO in parts:
        return AUTO
    return CURATED


def spec_files(root: Path) -> list[Path]:
    """Every ``*.yml``/``*.yaml`` below ``root`` (hidden folders skipped), in a stable order."""
    found = []
    for path in root.rglob("*"):
        rel = path.relative_to(root).parts
        if path.suffix.lower() in SUFFIXES and path.is_file() \
                and not any(p.startswith(".") for p in rel):
            found.append(path)
    return sorted(found)


def read_text_file(path: Path) -> str:
    """A file's text, refusing huge ones (a spec is a few kilobytes)."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"larger than {MAX_FILE_BYTES} bytes")
    return path.read_text(encoding="utf-8")


def parse_file(text: str, path: str, rel: str) -> tuple[list[SpecSource], list[Finding]]:
    """The message objects in one file's text, or the findings that say why there are none."""
    origin = origin_of(rel)
    try:
        doc = yaml12.load(text)
    except yaml.YAMLError as exc:
        return [], [Finding("yaml-error", f"not readable as YAML: {_one_line(exc)}", path)]
    if not isinstance(doc, dict):
        return [], [Finding("not-a-message",
                            f"a YAML {type(doc).__name__} where an AsyncAPI message object "
                            "(name, payload) or document (components.messages) belongs", path)]
    if "asyncapi" in doc or ("components" in doc and "payload" not in doc):
        return _document(doc, path, rel, origin)
    if origin != OVERRIDE and "payload" not in doc:
        return [], [Finding("no-payload", "no payload: nothing to validate against", path)]
    return [SpecSource(path, rel, origin, doc)], []


def _document(doc: dict[str, Any], path: str, rel: str, origin: str
              ) -> tuple[list[SpecSource], list[Finding]]:
    components = doc.get("components")
    messages = components.get("messages") if isinstance(components, dict) else None
    if not isinstance(messages, dict) or not messages:
        return [], [Finding("not-a-message", "an AsyncAPI document without "
                            "components.messages", path)]
    found, findings = [], []
    for key, message in messages.items():
        where = f"/components/messages/{key}"
        if not isinstance(message, dict) or "payload" not in message:
            findings.append(Finding("no-payload", f"message {key!r} has no payload", path, where))
            continue
        message = dict(message)
        payload = message["payload"]
        if isinstance(payload, dict) and isinstance(components, dict) \
                and "components" not in payload and _has_local_ref(payload):
            # "#/components/schemas/X" resolves against the payload's root: carry them along.
            message["payload"] = {**payload, "components": components}
        found.append(SpecSource(path, rel, origin, message, key=str(key)))
    return found, findings


def _has_local_ref(value: Any) -> bool:
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            return True
        return any(_has_local_ref(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_local_ref(v) for v in value)
    return False


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def load_dir(root: Path, label: str | None = None, into: Loaded | None = None,
             cache: dict[tuple[str, int, int], Any] | None = None) -> Loaded:
    """Read every spec file below ``root``; ``label`` replaces the root in reported paths."""
    loaded = into or Loaded()
    if not root.is_dir():
        raise SpecSourceError(f"spec dir {str(root)!r} is not a directory")
    loaded.roots.append(label or str(root))
    for file in spec_files(root):
        rel = file.relative_to(root).as_posix()
        shown = f"{label}#{rel}" if label else str(file)
        loaded.files += 1
        try:
            st = file.stat()
            key = (shown, st.st_mtime_ns, st.st_size)
            if cache is not None and key in cache:
                sources, findings = cache[key]
            else:
                sources, findings = parse_file(read_text_file(file), shown, rel)
            loaded.parsed[key] = (sources, findings)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            loaded.findings.append(Finding("yaml-error", f"not readable: {exc}", shown))
            continue
        loaded.findings.extend(findings)
        for source in sources:
            (loaded.overrides if source.origin == OVERRIDE else loaded.sources).append(source)
    return loaded


def load(dirs: list[str], urls: list[str], timeout: float = 30.0,
         cache: dict[tuple[str, int, int], Any] | None = None) -> Loaded:
    """Read every spec dir and archive URL (SpecSourceError if one cannot be used).

    ``cache`` is a previous ``Loaded.parsed``: files unchanged since are not parsed again.
    """
    loaded = Loaded()
    for d in dirs:
        load_dir(Path(d), into=loaded, cache=cache)
    for url in urls:
        with tempfile.TemporaryDirectory(prefix="viewer-specs-") as tmp:
            fetch_archive(url, Path(tmp), timeout)
            load_dir(Path(tmp), label=url, into=loaded)
    return loaded


# -- archives ------------------------------------------------------------------------------


def fetch_archive(url: str, dest: Path, timeout: float = 30.0) -> None:
    """Download a ``.tar.gz``/``.tgz``/``.zip`` over HTTP(S) and unpack it safely into ``dest``."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise SpecSourceError(f"spec URL {url!r}: only http and https are supported")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - checked
            data = response.read(MAX_ARCHIVE_BYTES + 1)
    except OSError as exc:
        raise SpecSourceError(f"spec URL {url!r}: {exc}") from None
    if len(data) > MAX_ARCHIVE_BYTES:
        raise SpecSourceError(f"spec URL {url!r}: archive larger than {MAX_ARCHIVE_BYTES} bytes")
    unpack(data, dest, url)


def unpack(data: bytes, dest: Path, name: str) -> None:
    """Unpack a zip or (gzipped) tar, keeping only regular files inside ``dest``."""
    if data[:4] == b"PK\x03\x04":
        _unzip(data, dest, name)
        return
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
    except tarfile.TarError:
        raise SpecSourceError(f"{name}: not a .tar.gz or .zip archive") from None
    with archive:
        for member in archive.getmembers():
            target = _safe_target(dest, member.name)
            if target is None or not member.isfile():
                continue  # links, devices and escapes are dropped, never followed
            source = archive.extractfile(member)
            if source is None:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)


def _unzip(data: bytes, dest: Path, name: str) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise SpecSourceError(f"{name}: a damaged .zip archive") from None
    with archive:
        for info in archive.infolist():
            target = _safe_target(dest, info.filename)
            if target is None or info.is_dir():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)


def _safe_target(dest: Path, member: str) -> Path | None:
    """Where a member goes, or None when its name is absolute or climbs out of ``dest``."""
    parts = PurePosixPath(member.replace("\\", "/")).parts
    if not parts or parts[0] == "/" or ".." in parts or ":" in parts[0]:
        return None
    target = dest.joinpath(*parts)
    return target if dest.resolve() in target.resolve().parents else None
