"""The README's library example, run as written in a copy of the example workspace: it prints what the README says."""
from __future__ import annotations

import contextlib
import io
import re
import tokenize

from tests.helpers import REPO, copy_workspace


def readme_example(readme: str = "README.en.md", heading: str = "The library") -> tuple[str, str]:
    """(the Python block, the text block after it) of the README's section `The library` (库 in README.md)."""
    readme = (REPO / readme).read_text(encoding="utf-8")
    section = readme.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)
    assert [kind for kind, _ in blocks] == ["python", "text"], "the section holds the example and what it prints"
    return blocks[0][1], blocks[1][1]


def test_the_readme_library_example_runs_and_prints_what_the_readme_says(tmp_path, monkeypatch):
    code, printed = readme_example()
    workspace = copy_workspace(tmp_path / "ws")
    monkeypatch.chdir(workspace)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md (The library)", "exec"), {"__name__": "readme_example"})
    assert out.getvalue() == printed
    assert sorted(p.name for p in (workspace / "reports" / "out" / "2025").rglob("*.md")) == \
        ["开放型经济发展与三产业发展引导资金.md", "汇总.md", "高标准农田建设项目.md"]


def test_the_names_the_readme_documents_are_the_librarys():
    import engine
    from engine import api, errors

    code, _ = readme_example()
    for name in ("RunOptions", "evaluate", "load_project", "load_ruleset", "run", "validate"):
        assert f" {name}" in code and getattr(engine, name) is getattr(api, name), name
    for name in ("EvalrunException", "EvalrunError", "UsageError", "InternalError", "exit_code", "problems"):
        section = (REPO / "README.en.md").read_text(encoding="utf-8").split("\n## The library\n", 1)[1]
        assert f"`{name}`" in section, name
    assert issubclass(errors.EvalrunError, errors.EvalrunException)


def without_comments(code: str) -> list:
    """The code's tokens, its comments left out (each README comments the example in its own language)."""
    return [(t.type, t.string) for t in tokenize.generate_tokens(io.StringIO(code).readline)
            if t.type not in (tokenize.COMMENT, tokenize.NL)]


def test_the_chinese_readme_shows_the_same_example():
    (chinese, printed), (english, printed_en) = readme_example("README.md", "库"), readme_example()
    assert without_comments(chinese) == without_comments(english) and printed == printed_en
    assert all(re.search(r"[\u4e00-\u9fff]", line) for line in chinese.splitlines() if line.lstrip().startswith("#"))
