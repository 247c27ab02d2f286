"""evalrun starts quickly: the heavy libraries are imported only by the commands and formats that use them."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import REPO

HEAVY = ("openpyxl", "docx", "docxtpl", "jsonschema", "jinja2")


def imported_after(code: str) -> set:
    """The top-level packages imported by ``code`` in a fresh interpreter."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("code", [
    "import engine.cli",
    "import engine",
    "import engine.api",
    # what `evalrun --help` does
    "from engine.cli import cli\ntry:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass",
])
def test_heavy_libraries_are_not_imported(code):
    assert not imported_after(code) & set(HEAVY)


def test_validate_imports_only_what_checking_templates_needs():
    """`evalrun validate` renders the Markdown, HTML and Word templates (Jinja2, docxtpl), nothing else."""
    code = "from engine.cli import cli\ntry:\n    cli.main(['validate', '--ruleset', '2025'])\nexcept SystemExit:\n    pass"
    assert not imported_after(code) & {"openpyxl", "jsonschema", "sqlalchemy", "starlette"}


def test_each_library_is_imported_by_what_uses_it():
    assert "jsonschema" in imported_after(
        "from engine.files.validate import schema_errors\nschema_errors({'x': 1}, 'project', 'p.yaml')")
    assert "openpyxl" in imported_after("from engine import api\napi.ExportOptions")
    assert {"docx", "docxtpl"} <= imported_after(
        "from engine.outputs import formats as outputs\ntry:\n    outputs.FORMATS['docx'].render(None, None)\nexcept Exception:\n    pass")


def test_library_names_are_still_there():
    from engine import api
    import engine

    assert engine.RunOptions is api.RunOptions and engine.run is api.run
    assert api.ImportOptions.__module__ == "engine.forms.import_forms"
    assert api.ExportOptions.__module__ == "engine.forms.export"
    with pytest.raises(AttributeError):
        api.no_such_name  # noqa: B018
    with pytest.raises(AttributeError):
        engine.no_such_name  # noqa: B018


@pytest.mark.parametrize("first", ["", "import engine.scoring.evaluate, engine.files.validate\n", "import engine.cli\n"])
def test_engine_evaluate_and_validate_are_the_api_functions(first):
    code = first + ("from engine import evaluate, validate\nfrom engine import api\n"
                    "assert evaluate is api.evaluate and validate is api.validate\n"
                    "from engine.scoring.evaluate import evaluate_project\nfrom engine.files.validate import check_schema\n"
                    "print('ok')")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr


def test_validate_of_an_unchanged_workspace_loads_no_engine(tmp_path):
    """The second `evalrun validate` prints what the first printed (engine.files.runcache) without loading
    the engine's API, its scoring or any library that reads or renders."""
    from tests.helpers import copy_workspace

    workspace = copy_workspace(tmp_path / "ws")
    probe = ("from engine.cli import cli\ntry:\n    cli.main(['validate', '--ruleset', '2025', '--workspace', "
             f"{str(workspace)!r}])\nexcept SystemExit:\n    pass\n"
             "import json, sys\nprint(json.dumps(sorted(sys.modules)))")

    def modules() -> set:
        done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return set(json.loads(done.stdout.splitlines()[-1]))

    assert {"engine.api", "jinja2"} <= modules()
    again = modules()
    assert not again & {"engine.api", "engine.model", "engine.scoring", "yaml", "sqlalchemy", *HEAVY}


def test_validate_again_prints_the_same(tmp_path):
    from tests.helpers import copy_workspace

    workspace = copy_workspace(tmp_path / "ws")
    command = [sys.executable, "-m", "engine.cli", "validate", "--ruleset", "2025", "--workspace", str(workspace)]
    runs = [subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120) for _ in range(3)]
    assert runs[0].returncode == 0 and "2025.1" in runs[0].stdout
    assert {(r.returncode, r.stdout, r.stderr) for r in runs} == {(0, runs[0].stdout, runs[0].stderr)}
