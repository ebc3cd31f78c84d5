"""The live view's HTML: every module the page imports is named for preloading."""

from __future__ import annotations

import re
from pathlib import Path

from viewer.app import create_app
from viewer.web.pages import module_graph


def test_module_graph_follows_imports_of_every_form(tmp_path: Path):
    (tmp_path / "js").mkdir()
    (tmp_path / "app.js").write_text(
        'import { a,\n  b } from "./js/a.js";\nimport "./js/side.js";\n'
        '// import { x } from "./js/commented.js" is not at the start of a line\n')
    (tmp_path / "js" / "a.js").write_text('import { c } from "./c.js";\nexport const a = 1;\n')
    (tmp_path / "js" / "c.js").write_text('import { a } from "./a.js";\n')  # a cycle
    (tmp_path / "js" / "side.js").write_text("document.title = 'x';\n")
    (tmp_path / "js" / "unused.js").write_text("")
    assert module_graph(str(tmp_path)) == ("js/a.js", "js/c.js", "js/side.js")


def test_the_page_preloads_every_module_it_imports():
    app = create_app({"SPEC_WATCH": False})
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    preloaded = re.findall(r'<link rel="modulepreload" href="/static/([^"]+)">', page)
    assert preloaded == list(module_graph(app.static_folder))
    assert "js/list.js" in preloaded and "js/detail.js" in preloaded
    for module in preloaded:
        with client.get("/static/" + module) as served:
            assert served.status_code == 200
