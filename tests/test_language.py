"""The console's language: Chinese by default, English with --lang en or an English locale (issue 16).

Help, usage errors and messages come from the catalogs of engine/i18n; the
file:line:column prefix is the same in both languages.
"""
from __future__ import annotations

import re
import subprocess
import sys

import click
import pytest

from engine.cli import cli
from tests.helpers import REFERENCE_PROJECT, REPO

CJK = re.compile(r"[\u4e00-\u9fff]")
CJK_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff01-\uff1f]")


def all_commands(group=cli, path=()):
    yield path, group
    for name, command in getattr(group, "commands", {}).items():
        yield from all_commands(command, path + (name,))


COMMANDS = list(all_commands())
IDS = [" ".join(path) or "evalrun" for path, _ in COMMANDS]



@pytest.mark.parametrize("path,command", COMMANDS, ids=IDS)
def test_help_is_chinese_by_default(run_cli, path, command):
    result = run_cli(*path, "--help")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("用法: "), out[:80]
    assert "选项:" in out and "退出码：" in out and "显示本帮助并退出。" in out
    assert not re.search(r"\b(Usage|Options|Show this message|Exit codes)\b", out)
    for param in command.params:  # every option's help is Chinese
        if isinstance(param, click.Option) and not param.hidden:
            record = param.get_help_record(click.Context(command))
            assert record and CJK.search(record[1]), (path, param.name, record)


@pytest.mark.parametrize("path,command", COMMANDS, ids=IDS)
def test_help_is_english_with_lang_en(run_cli, path, command):
    result = run_cli("--lang", "en", *path, "--help")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Usage: ") and "Options:" in out and "Exit codes:" in out
    assert "Show this message and exit." in out
    # English sentences: staff terms (自评表, 主管部门, 全年执行数) may stay in Chinese, Chinese punctuation may not
    assert not CJK_PUNCTUATION.search(out), out
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            record = param.get_help_record(click.Context(command))
            assert record and re.search(r"\b[A-Za-z]{3,} [a-z]{2,}\b", record[1]), (path, param.name, record)


def test_lang_may_follow_the_command(run_cli):
    before = run_cli("--lang", "en", "validate", "--help").stdout
    after = run_cli("validate", "--help", "--lang", "en").stdout
    assert before == after and before.startswith("Usage: ") and " validate [OPTIONS]" in before
    assert run_cli("validate", "--lang=en", "--help").stdout == before


@pytest.mark.parametrize("environ, english", [
    ({"LANG": "en_US.UTF-8"}, True),
    ({"LANG": "zh_CN.UTF-8"}, False),
    ({"LANG": "C.UTF-8"}, False),
    ({"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "en_GB.UTF-8"}, True),
    ({"LANG": "en_US.UTF-8", "LC_ALL": "zh_CN.UTF-8"}, False),
])
def test_the_locale_chooses_the_language_as_gettext_does(run_cli, monkeypatch, environ, english):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    out = run_cli("--help").stdout
    assert out.startswith("Usage:" if english else "用法:")


def test_lang_overrides_the_locale(run_cli, monkeypatch):
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    assert run_cli("--lang", "zh_CN", "--help").stdout.startswith("用法:")


def test_an_unknown_language_falls_back_to_chinese_with_one_note(run_cli):
    result = run_cli("--lang", "fr", "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith("用法:")
    notes = result.stderr.splitlines()
    assert len(notes) == 1 and "fr" in notes[0] and "中文" in notes[0]


def test_usage_errors_speak_the_language(run_cli, workspace):
    chinese = run_cli("--no-such-option", workspace=workspace)
    assert chinese.exit_code == 2
    assert "错误：没有选项 '--no-such-option'。" in chinese.stderr
    english = run_cli("--lang", "en", "--no-such-option", workspace=workspace)
    assert english.exit_code == 2 and "Error: No such option '--no-such-option'." in english.stderr
    missing = run_cli(workspace=workspace)
    assert missing.exit_code == 2 and "缺少 --ruleset" in missing.stderr


def test_closing_lines_and_table_in_chinese_and_english(run_cli, reference_workspace):
    chinese = run_cli("--ruleset", "2025", "--format", "md", "--no-db", workspace=reference_workspace)
    assert chinese.exit_code == 0, chinese.output
    assert "已在 reports/out/2025/ 下写出 2 个文件" in chinese.stdout
    assert re.search(r"^部门\s+项目\s+总分\s+等级", chinese.stdout, re.M)
    english = run_cli("--lang", "en", "--ruleset", "2025", "--format", "md", "--no-db", workspace=reference_workspace)
    assert "wrote 2 files under reports/out/2025/" in english.stdout
    assert re.search(r"^department\s+project\s+total\s+grade", english.stdout, re.M)


def test_the_table_aligns_chinese_by_display_width(run_cli, reference_workspace):
    from engine.i18n.width import display_width

    out = run_cli("--ruleset", "2025", "--format", "md", "--no-db", workspace=reference_workspace).stdout
    lines = [line for line in out.splitlines() if line.startswith(("部门", "-", "益阳市"))]
    header, rule, row = lines[:3]
    columns = [m.start() for m in re.finditer(r"-+", rule)]
    for line in (header, row):  # each column starts at the same display column as its dashes
        starts = [display_width(line[:m.start()]) for m in re.finditer(r"(?:(?<=  )|^)\S", line)]
        assert starts == columns, (line, starts, columns)


def test_the_language_reaches_the_worker_processes(run_cli, workspace):
    (workspace / "projects" / "2025" / "益阳市商务局").mkdir(parents=True, exist_ok=True)
    broken = workspace / "projects" / "2025" / "益阳市商务局" / "坏文件.yaml"
    broken.write_text("project: 坏\nbudjet: 1\n", encoding="utf-8")
    chinese = run_cli("--ruleset", "2025", "--jobs", "2", "--json", "--no-db", workspace=workspace)
    assert "未知的键 `budjet`" in chinese.stderr
    english = run_cli("--lang", "en", "--ruleset", "2025", "--jobs", "2", "--json", "--no-db", workspace=workspace)
    assert "unknown key `budjet`" in english.stderr


def test_evalrun_help_in_a_fresh_process_is_chinese_without_babel():
    code = ("import sys\nfrom engine.cli import main\nsys.argv = ['evalrun', '--help']\ntry:\n    main()\n"
            "except SystemExit:\n    pass\nprint('babel' in sys.modules)")
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60, env=env)
    assert done.stdout.startswith("用法: evalrun"), done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("False")


def test_english_labels_in_the_rules_are_used_under_lang_en_only(run_cli, reference_workspace):
    """name_en/label_en are optional: --lang en shows them on the console and in explain; reports stay Chinese."""
    ruleset = reference_workspace / "rulesets" / "2025" / "ruleset.yaml"
    text = ruleset.read_text(encoding="utf-8")
    for old, new in (("{grade: 优, min: 90}", "{grade: 优, name_en: Excellent, min: 90}"),
                     ("  name: 预算执行率\n", "  name: 预算执行率\n  name_en: Budget execution rate\n"),
                     ("  - name: 产出指标\n", "  - name: 产出指标\n    name_en: Outputs\n")):
        assert old in text, old
        text = text.replace(old, new, 1)
    label = re.search(r"^(\s+)label: 正向指标.*$", text, re.M)
    text = text[:label.end()] + f"\n{label.group(1)}label_en: higher is better" + text[label.end():]
    ruleset.write_text(text, encoding="utf-8")
    project = next((reference_workspace / "projects" / "2025").rglob("*.yaml"))
    source = project.read_text(encoding="utf-8")
    row = re.search(r"^(\s+)name: 引进 500 强企业$", source, re.M)
    project.write_text(source[:row.end()] + f"\n{row.group(1)}name_en: Fortune 500 firms attracted" + source[row.end():],
                       encoding="utf-8")

    english = run_cli("--lang", "en", "explain", "--ruleset", "2025", "--project", project.stem,
                      workspace=reference_workspace)
    assert english.exit_code == 0, english.output
    out = english.stdout
    assert "Budget execution rate" in out and "Fortune 500 firms attracted  [Outputs / " in out
    assert "method higher_is_better: higher is better" in out and "grade Excellent: total 95.53" in out
    chinese = run_cli("explain", "--ruleset", "2025", "--project", project.stem, workspace=reference_workspace).stdout
    assert "引进 500 强企业  [产出指标 / " in chinese and "等级 优：总分 95.53" in chinese and "Excellent" not in chinese

    table = run_cli("--lang", "en", "--ruleset", "2025", "--format", "md", "--no-db", workspace=reference_workspace)
    assert re.search(r"95\.53\s+Excellent", table.stdout), table.stdout
    report = (reference_workspace / "reports" / "out" / "2025").rglob(f"{project.stem}.md")
    assert "Excellent" not in next(report).read_text(encoding="utf-8")  # reports keep their templates' language


def test_db_check_reports_in_the_language_of_the_console(run_cli, workspace):
    """Every line `evalrun db check` prints, passed or not, is in Chinese by default, in English with --lang en."""
    import sqlite3

    assert run_cli("--ruleset", "2025", "--json", workspace=workspace).exit_code == 0
    passed = run_cli("db", "check", workspace=workspace)
    assert passed.exit_code == 0, passed.output
    lines = passed.stdout.splitlines()
    assert len(lines) == 7 and all(CJK.search(line) for line in lines), lines
    assert "  通过：SQLite 文件完整，外键无误" in lines and "  通过：2 个不同结果，每个都有指标行且与其哈希相符" in lines
    db = sqlite3.connect(workspace / "evalrun.db")
    db.execute("UPDATE evalrun_result SET total = 99 WHERE project = '高标准农田建设项目'")
    db.execute("UPDATE evalrun_run SET projects = 3")
    db.commit()
    db.close()
    failed = run_cli("db", "check", workspace=workspace)
    assert failed.exit_code != 0
    problems = failed.stderr.splitlines()
    assert problems == ["  问题：结果 #1（益阳市农业农村局 / 高标准农田建设项目，2025 年度）与其哈希不符：它在 evalrun 之外被改动过",
                        "  问题：运行 #1 评价了 3 个项目，但只关联了 2 个结果"], problems
    english = run_cli("db", "check", "--lang", "en", workspace=workspace)
    assert "  problem: run #1 evaluated 3 project(s) but is linked to 2 result(s)" in english.stderr.splitlines()
    assert not any(CJK.search(line) for line in english.stdout.splitlines()[1:])


def test_a_console_that_cannot_show_chinese_gets_escapes_not_a_failed_run(workspace):
    """Output redirected on Windows is written in the code page (GBK), which lacks some characters a project may
    hold; latin-1 here lacks them all. The run finishes, its reports written, each such character as \\uXXXX."""
    import os

    done = subprocess.run([sys.executable, "-m", "engine.cli", "--ruleset", "2025", "--no-db", "--workspace",
                           str(workspace)], capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONIOENCODING": "latin-1", "EVALRUN_LANG": "zh_CN"})
    assert done.returncode == 0, done.stderr.decode("latin-1")
    out = done.stdout.decode("latin-1")
    assert "95.53  \\u4f18" in out and "\\u5df2\\u5728 reports/out/2025/" in out  # 优, 已在
    assert (workspace / "reports/out/2025/汇总.md").exists()


def test_findings_on_the_console_say_their_severity_in_the_language(run_cli, reference_workspace):
    """提示 and 错误 for Chinese staff, on every console that lists findings: the run, review and explain."""
    run = run_cli("--ruleset", "2025", "--format", "md", "--no-db", workspace=reference_workspace).stderr
    review = run_cli("review", "--ruleset", "2025", workspace=reference_workspace).stdout
    explain = run_cli("explain", "--ruleset", "2025", "--project", REFERENCE_PROJECT,
                      workspace=reference_workspace).stdout
    assert re.search(r"\.yaml:\d+:\d+: 提示：\S", run)
    assert re.search(r"^    提示：\S", review, re.M)
    assert "审核提示：" in explain
    for chinese in (run, review, explain):
        assert not re.search(r"\b(warning|error)\b", chinese), chinese
    english = run_cli("--lang", "en", "--ruleset", "2025", "--format", "md", "--no-db",
                      workspace=reference_workspace).stderr
    assert re.search(r"\.yaml:\d+:\d+: warning: \S", english)
    assert "提示" not in english
