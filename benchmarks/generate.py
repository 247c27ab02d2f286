"""Synthetic workspaces for the benchmark: N projects over D departments.

Every project has 12-15 third-level indicators spread over the 2025
framework, scored by every method of the 2025 ruleset (higher_is_better in
all its target forms, lower_is_better, qualitative_levels by words, by a
named level and by a numeric target reached), the 预算执行率 row, and some
不适用 rows. Weights add up per group and spending lines add up to the
amount executed, so a run has no error findings. The data of project i
depends only on (seed, i): the same seed gives the same files.

    python -m benchmarks.generate 10000 [--departments 100] [--seed 7] [--out DIR]

writes DIR (default benchmarks/out/ws-10000) with rulesets/bench/ruleset.yaml,
a copy of the 2025 ruleset, and projects/2025/<department>/<project>.yaml.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
FORMAT_VERSION = "1"  # bump when the generated data changes

GROUPS = (
    ("产出指标", 65, ("数量指标", "质量指标", "时效指标", "成本指标")),
    ("效益指标", 15, ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标")),
    ("满意度指标", 10, ("服务对象满意度指标",)),
)
QUALITATIVE_TARGETS = ("及时", "合规", "有效", "达标", "显著提升", "效果明显")
UNITS = ("家", "个", "人次", "场", "项", "亩", "公里")


def _q(value, places=2) -> Decimal:
    return Decimal(value).quantize(Decimal(1).scaleb(-places))


def _num(value) -> str:
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` as ``parts`` positive whole numbers."""
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
    bounds = [0] + cuts + [total]
    return [b - a for a, b in zip(bounds, bounds[1:])]


# ---------------------------------------------------------------- indicator rows
# Each returns the row's target/actual (and sometimes method, level,
# reported_score); which scoring path it exercises is in its name.


def _higher(rng, weight):
    target = rng.choice((5, 10, 20, 30, 50, 100, 120, 500, 1000))
    unit = rng.choice(UNITS)
    actual = target + rng.randint(0, target) if rng.random() < 0.6 else _q(target * rng.uniform(0.3, 1), 1)
    form = rng.choice(("≥{t} {u}", "{t}{u}以上", "不低于{t}{u}", ">{t} {u}", "={t}{u}", "{t}{u}"))
    return {"target": form.format(t=target, u=unit), "actual": f"{_num(actual)} {unit}"}


def _money(rng, weight):
    target = rng.choice((1, 2, 5, 10))
    actual = _q(target * 10000 * rng.uniform(0.5, 1.5), 0)
    return {"target": f"≥{target} 亿元", "actual": f"{_num(actual)} 万元"}


def _percent(rng, weight):
    target = rng.choice((80, 90, 95, 98, 100))
    choice = rng.random()
    if choice < 0.3:
        actual = f"≥{target}%"
    elif choice < 0.45:
        actual = f"≥{target - rng.randint(1, 10)}%"
    elif choice < 0.55:
        actual = "达成预期指标"
    else:
        actual = f"{_num(_q(rng.uniform(target * 0.8, 100), 1))}%"
    form = rng.choice(("≥{t}%", "{t}%", "不低于{t}%"))
    return {"target": form.format(t=target), "actual": actual}


def _growth(rng, weight):
    target = rng.choice(("5", "5.5", "8", "10"))
    value = _q(rng.uniform(-3, 40), 1)
    if value < 0:
        actual = f"同比下降 {_num(-value)}%"
    else:
        actual = rng.choice((f"同比增长 {_num(value)}%", f"{_num(value)}%"))
    if rng.random() < 0.2:
        return {"target": "正增长", "actual": rng.choice(("正增长", actual))}
    return {"target": f"增长 {target}% 以上", "actual": actual}


def _lower(rng, weight):
    target = rng.choice((50, 100, 300, 990, 2000))
    actual = _q(target * rng.uniform(0.6, 1.3), 2)
    form = rng.choice(("≤{t} 万元", "控制在{t}万元以内", "<{t} 万元", "不超过{t}万元"))
    if rng.random() < 0.2:
        return {"target": form.format(t=target), "actual": f"≤{target} 万元"}
    return {"target": form.format(t=target), "actual": f"{_num(actual)} 万元"}


def _deadline(rng, weight):
    month = rng.randint(6, 11)
    actual = rng.randint(month - 3, month + 1)
    row = {"target": f"{month}月前", "actual": f"{actual}月"}
    if actual > month:  # a deadline missed is scored by the level the department names
        row["level"] = "部分达成并具有一定效果"
    return row


def _qualitative(rng, weight):
    target = rng.choice(QUALITATIVE_TARGETS)
    choice = rng.random()
    if choice < 0.45:
        return {"target": target, "actual": target}
    if choice < 0.6:
        return {"target": target, "actual": rng.choice(("完成", "已完成", "达到预期"))}
    if choice < 0.75:
        return {"target": target, "actual": rng.choice(("基本完成", "部分完成", "部分达成"))}
    if choice < 0.85:
        return {"target": target, "actual": rng.choice(("未完成", "未达标"))}
    # A named level, with a self-reported score inside the level's band.
    reported = _q(Decimal(weight) * Decimal(rng.randint(60, 80)) / 100, 2)
    return {"target": target, "actual": "有一定效果", "level": "部分达成并具有一定效果",
            "reported_score": reported}


def _numeric_by_levels(rng, weight):
    target = rng.choice((10, 20, 50))
    return {"target": f"≥{target} 个", "actual": f"{target + rng.randint(0, 20)} 个",
            "method": "qualitative_levels"}


ROW_KINDS = (
    (_higher, 30), (_money, 5), (_percent, 15), (_growth, 10), (_lower, 12),
    (_deadline, 5), (_qualitative, 20), (_numeric_by_levels, 3),
)
_KINDS, _KIND_WEIGHTS = zip(*ROW_KINDS)


def _group_rows(rng, level1, weight, subgroups, count, not_applicable=()):
    """``count`` scored rows whose weights add up to ``weight``, then 不适用 rows."""
    rows = []
    scored = [s for s in subgroups if s not in not_applicable]
    for index, w in enumerate(_split(weight, count, rng)):
        level2 = scored[index % len(scored)]
        kind = rng.choices(_KINDS, _KIND_WEIGHTS)[0]
        row = {"level1": level1, "level2": level2, "name": f"{level2[:2]}指标{index + 1}", "weight": w}
        row.update(kind(rng, w))
        rows.append(row)
    for level2 in not_applicable:
        rows.append({"level1": level1, "level2": level2, "applicable": False, "note": "不适用"})
    rows.sort(key=lambda r: subgroups.index(r["level2"]))
    return rows


def project_data(seed: int, index: int, departments: int) -> dict:
    """The data of project ``index``, as the YAML file holds it."""
    rng = random.Random(seed * 1_000_003 + index)
    department = f"模拟部门{index % departments:03d}"
    total_rows = rng.randint(12, 15)
    satisfaction = rng.randint(1, 2)
    na = tuple(rng.sample(("生态效益指标", "可持续影响指标"), rng.randint(0, 2)))
    benefit = rng.randint(2, 3)
    output = total_rows - satisfaction - benefit - len(na)
    full_year = _q(rng.uniform(50, 5000), 0)
    executed = _q(full_year * Decimal(str(rng.uniform(0.4, 1.0))), 4)
    lines = rng.randint(2, 5)
    amounts = [_q(executed * Decimal(str(rng.uniform(0.05, 0.2))), 4) for _ in range(lines - 1)]
    amounts.append(executed - sum(amounts))
    return {
        "project": f"模拟项目{index:06d}",
        "department": department,
        "fiscal_year": 2025,
        "report": {"title": f"2025 年度模拟项目{index:06d}支出绩效自评报告", "kind": "部门评价"},
        "budget": {"unit": "万元", "initial": full_year, "full_year": full_year, "executed": executed},
        "spending": [{"item": f"支出事项{k + 1}", "amount": a} for k, a in enumerate(amounts)],
        "goals": [{"expected": "完成年度绩效目标", "achieved": "基本完成年度绩效目标"}],
        "indicators": (
            _group_rows(rng, "产出指标", 65, GROUPS[0][2], output, ())
            + _group_rows(rng, "效益指标", 15, GROUPS[1][2], benefit, na)
            + _group_rows(rng, "满意度指标", 10, GROUPS[2][2], satisfaction, ())
        ),
        "narrative": {
            "intro": f"现将{department}模拟项目{index:06d} 2025 年度支出绩效自评情况报告如下。",
            "overview": ["本项目为基准测试生成的模拟数据，数字随机但符合评分规则。"],
        },
    }


def to_yaml(data) -> str:
    """Block-style YAML; text as JSON strings (valid YAML), numbers as written."""
    out: list[str] = []
    _emit(data, 0, out)
    return "\n".join(out) + "\n"


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return _num(value)
    return json.dumps(value, ensure_ascii=False)


def _emit(value, indent, out, prefix=""):
    pad = " " * indent
    if isinstance(value, dict):
        first = True
        for key, item in value.items():
            lead = prefix if first and prefix else pad
            first = False
            if isinstance(item, (dict, list)) and item:
                out.append(f"{lead}{key}:")
                _emit(item, indent + 2, out)
            else:
                out.append(f"{lead}{key}: {_scalar(item) if not isinstance(item, (dict, list)) else '{}' if isinstance(item, dict) else '[]'}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                _emit(item, indent + 2, out, prefix=f"{pad}- ")
            else:
                out.append(f"{pad}- {_scalar(item)}")


def write_workspace(count: int, departments: int = 100, seed: int = 7, out: Path | None = None) -> Path:
    """Write (or reuse, when already complete) a workspace of ``count`` projects."""
    target = out or OUT / f"ws-{count}"
    stamp = f"{FORMAT_VERSION} {count} {departments} {seed}"
    marker = target / ".generated"
    ruleset_source = ROOT / "rulesets" / "2025" / "ruleset.yaml"
    ruleset_target = target / "rulesets" / "bench" / "ruleset.yaml"
    if marker.is_file() and marker.read_text() == stamp and ruleset_target.is_file() \
            and ruleset_target.read_bytes() == ruleset_source.read_bytes():
        return target
    if target.exists():
        shutil.rmtree(target)
    ruleset_target.parent.mkdir(parents=True)
    shutil.copyfile(ruleset_source, ruleset_target)
    root = target / "projects" / "2025"
    departments = min(departments, count) or 1
    for d in range(departments):
        (root / f"模拟部门{d:03d}").mkdir(parents=True)
    for index in range(count):
        data = project_data(seed, index, departments)
        path = root / data["department"] / f"p{index:06d}.yaml"
        path.write_text(to_yaml(data), encoding="utf-8")
    marker.write_text(stamp)
    return target


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic evalrun workspace for the benchmark.")
    parser.add_argument("count", type=int, help="number of projects")
    parser.add_argument("--departments", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="folder [default: benchmarks/out/ws-COUNT]")
    args = parser.parse_args(argv)
    print(write_workspace(args.count, args.departments, args.seed, args.out))


if __name__ == "__main__":
    main()
