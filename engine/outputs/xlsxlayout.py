"""xlsxlayout: which cell of the self-evaluation table (项目支出绩效自评表) holds what.

This is the one place that says which cell holds what; the
writer (engine.outputs.xlsx) uses it, and an importer reading a filled-in sheet back should too.
Columns A-I, rows 1-based:

====  ======================================================================
row   cells
====  ======================================================================
1     A1:I1 title "<year> 年度项目支出绩效自评表"
2     A 项目支出名称 | B2:I2 project name
3     A 主管部门 | B3:D3 department | E3:F3 实施单位 | G3:I3 implementing unit
4     A4:A8 项目资金（<unit>） | D..I headers 年初预算数 全年预算数 全年执行数 分值 执行率 自评得分
5     B5:C5 年度资金总额 | D initial | E full year | F executed | G weight | H rate | I score
6-8   B:C 其中：当年财政拨款 / 上年结转资金 / 其他资金 | D amount
9     A9:A10 年度总体目标 | B9:E9 预期目标 | F9:I9 实际完成情况
10    B10:E10 expected goals, one per line "1.…" | F10:I10 achieved, likewise
11    A11:A<last indicator row> 绩效指标 | B..I headers 一级指标 … 偏差原因分析及改进措施
12..  one row per third-level indicator: B 一级 (merged over its group's rows,
      "产出指标（65分）") | C 二级 (merged over its run) | D 三级 | E 年度指标值 |
      F 实际完成值 | G 分值 | H 自评得分 | I 偏差原因分析及改进措施
total the row after the last indicator: A:F 总分 | G full marks | H total score
+1..  below the table, unbordered: 评价等级, the ruleset, the signature line
====  ======================================================================

Numbers are stored as numbers: amounts as given (General), 执行率 as the
published fraction (55.32% -> 0.5532, format 0.00%), 自评得分 with format
0.00. A not-applicable row leaves G and H empty.
"""

COLUMNS = "ABCDEFGHI"

TITLE_ROW = 1
NAME_ROW = 2
DEPARTMENT_ROW = 3
BUDGET_HEADER_ROW = 4
BUDGET_TOTAL_ROW = 5
BUDGET_PART_ROWS = {6: ("其中：当年财政拨款", "current_appropriation"), 7: ("上年结转资金", "carried_over"),
                    8: ("其他资金", "other")}
BUDGET_COLUMNS = {"initial": "D", "full_year": "E", "executed": "F", "weight": "G", "rate": "H", "score": "I"}
BUDGET_HEADERS = {"initial": "年初预算数", "full_year": "全年预算数", "executed": "全年执行数",
                  "weight": "分值", "rate": "执行率", "score": "自评得分"}
# The labels of the table's blocks (the importer finds blocks by these, and by their common variants).
LABELS = {"name": "项目支出名称", "department": "主管部门", "implementing_unit": "实施单位", "funds": "项目资金",
          "budget_total": "年度资金总额", "goals": "年度总体目标", "expected": "预期目标", "achieved": "实际完成情况",
          "indicators": "绩效指标", "total": "总分"}
GOALS_HEADER_ROW = 9
GOALS_ROW = 10
INDICATOR_HEADER_ROW = 11
FIRST_INDICATOR_ROW = 12
INDICATOR_COLUMNS = {"group": "B", "subgroup": "C", "label": "D", "target": "E", "actual": "F",
                     "weight": "G", "score": "H", "explanation": "I"}
INDICATOR_HEADERS = {"group": "一级指标", "subgroup": "二级指标", "label": "三级指标", "target": "年度指标值",
                     "actual": "实际完成值", "weight": "分值", "score": "自评得分",
                     "explanation": "偏差原因分析及改进措施"}

AMOUNT, RATE, SCORE, WEIGHT = "General", "0.00%", "0.00", "General"
FONT = "宋体"
