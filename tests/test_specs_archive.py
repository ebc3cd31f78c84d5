"""--spec-url: a .tar.gz or .zip of specs over HTTP, served by a real local server."""

from __future__ import annotations

import functools
import io
import tarfile
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.test_specs_registry import spec_yaml
from viewer.core import Viewer
from viewer.settings import resolve
from viewer.specs.loader import SpecSourceError
from viewer.specs.registry import SpecRegistry

FILES = {
    "registry-main/spec/schemas/a/made.yaml": spec_yaml("arc.thing.made"),
    "registry-main/spec/auto/a/made.yaml": spec_yaml("arc.thing.made"),
    "registry-main/spec/auto/a/gone.yml": spec_yaml("arc.thing.gone"),
    "registry-main/README.md": "# not a spec",
}


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_dir(tmp_path):
    """A real HTTP server on a free loopback port serving ``tmp_path / "www"``."""
    root = tmp_path / "www"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def tar_gz(files: dict[str, str], evil: bool = False) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if evil:
            data = spec_yaml("evil.escape").encode()
            for name in ("../escape.yaml", "/abs/escape.yaml"):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
            link = tarfile.TarInfo("registry-main/spec/schemas/link.yaml")
            link.type = tarfile.SYMTYPE
            link.linkname = "/etc/passwd"
            archive.addfile(link)
    return buffer.getvalue()


def zip_bytes(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        archive.writestr("../../escape.yaml", spec_yaml("evil.escape"))
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["tar.gz", "zip"])
def test_archive_loads_like_a_dir(http_dir, kind):
    root, base = http_dir
    data = tar_gz(FILES, evil=True) if kind == "tar.gz" else zip_bytes(FILES)
    (root / f"specs.{kind}").write_bytes(data)
    url = f"{base}/specs.{kind}"
    reg = SpecRegistry(urls=[url])
    reg.reload()
    assert sorted(reg.index.by_type) == ["arc.thing.gone", "arc.thing.made"]
    made = reg.lookup("arc.thing.made")
    assert made.origin == "curated"
    assert made.path == f"{url}#registry-main/spec/schemas/a/made.yaml"
    assert reg.index.files == 3  # the escapes and the link were dropped, never written
    assert reg.index.roots == [url]
    assert not (root.parent / "escape.yaml").exists()


def test_bad_archive_urls_are_clear_errors(http_dir):
    root, base = http_dir
    (root / "plain.txt").write_text("hello", encoding="utf-8")
    for url, text in ((f"{base}/missing.tar.gz", "404"), (f"{base}/plain.txt", "not a .tar.gz"),
                      ("file:///etc/passwd", "only http and https")):
        with pytest.raises(SpecSourceError, match=text):
            SpecRegistry(urls=[url]).reload()


def test_viewer_loads_spec_url_on_start(http_dir):
    root, base = http_dir
    (root / "specs.tar.gz").write_bytes(tar_gz(FILES))
    values = resolve({"QUEUES": ["unused"], "SPEC_URLS": [f"{base}/specs.tar.gz"],
                      "SPEC_WATCH": False}, environ={})
    viewer = Viewer(values)
    viewer.specs.start()  # what Viewer.start() does first
    body = ('{"eventType":"arc.thing.gone","version":"1","occurredAt":'
            '"2024-10-14T15:09:54+01:00"}')
    stored = viewer.ingest_text(body, "m-1")
    assert stored.validation.spec["path"].endswith("#registry-main/spec/auto/a/gone.yml")
    assert [e["pointer"] for e in stored.validation.errors] == ["/version", "/version"]
    assert viewer.health()["components"]["specs"]["details"]["specs"] == 3
    assert Path(viewer.registry.index.roots[0]).name == "specs.tar.gz"
