"""Exit 3 never comes from input: whatever a scheme, case or scheme test file holds, every command ends
in 0, 1 or 2, never in an internal error (issue 13).

Two kinds of test. The findings of the issue, each by its exact located message (file:line:column:
path：message): numbers a table could never hold, YAML the C parser would crash on, tags, self-merging
mappings, extends that lead nowhere, formulas that fail only on a case's figures, repeated keyword
arguments, set: paths of a scheme test that lead nowhere. Then hypothesis: arbitrary bytes and text as
each kind of file, and shipped schemes, cases and test files with one node mutated (a hostile formula
from tests/hostile/formulas.yaml, a number such as 1e999999999 or one of 5,000 digits, a mapping made a
list, a key deleted), run through every command that reads them with click's CliRunner. Counts join the
fuzz summary printed at the end of the run (`… exit-3`), which must be 0.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.load import load_document

from conftest import FUZZ, ROOT

FIRE = ROOT / "cases" / "zhanyi-2023" / "projects" / "fire-insurance.yaml"
PROJECT = ROOT / "schemes" / "project-self-eval" / "2023.yaml"


def run(*arguments: str, stdin: str | None = None) -> tuple[int, str]:
    """One engine command as a user runs it: its exit code and everything it printed."""
    result = CliRunner().invoke(main, [str(a) for a in arguments], input=stdin, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout + result.stderr


def said(printed: str) -> list[str]:
    """The lines printed, as messages: without the indent and “! ” that check and test put before a problem."""
    return [line.strip().removeprefix("! ") for line in printed.splitlines()]


def variant(tmp_path: Path, old: str, new: str, source: Path = PROJECT, name: str = "bad.yaml") -> Path:
    """`source` with one exact piece of text replaced, written to tmp_path / name."""
    text = source.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def line_of(path: Path, words: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if words in line)


# ------------------------------------------------------------------ numbers --------------


@pytest.mark.parametrize("written, message", [
    ("1e999999999", "数字超出范围（1e999999999）（提示：YAML 把它读作数字；数字最多 100 位、绝对值在 1e±100 之内；本意是文字的请加引号）"),
    ("9" * 5000, "数字过长（5,000 位）（提示：YAML 把它读作数字；数字最多 100 位、绝对值在 1e±100 之内；本意是文字的请加引号）"),
    ("-1e-999999999", "数字超出范围（-1e-999999999）（提示：YAML 把它读作数字；数字最多 100 位、绝对值在 1e±100 之内；本意是文字的请加引号）"),
])
@pytest.mark.parametrize("command", ["score", "explain", "check", "diff", "validate", "template", "resolve"])
def test_a_scheme_number_no_arithmetic_could_take(written, message, command, tmp_path):
    bad = variant(tmp_path, "max_total: 100", f"max_total: {written}")
    arguments = {"score": ["score", bad, FIRE], "explain": ["explain", bad, FIRE], "check": ["check", "--scheme", bad, FIRE],
                 "diff": ["diff", PROJECT, bad], "validate": ["validate", bad], "template": ["template", bad],
                 "resolve": ["resolve", bad]}[command]
    code, printed = run(*arguments)
    assert code == 2
    assert f"{bad}:21:12: max_total：{message}" in said(printed)


@pytest.mark.parametrize("old, new, line", [
    # A quoted figure is text, read by the same rules as a case's figures; in a formula, a literal.
    ("over_completion: 130", "over_completion: '1e999999999'", "over_completion：数值过大（1.000000E+999999999）（提示：整数部分最多 16 位）"),
    ("full_at: 100", "full_at: '1e999999999'",
     "indicators[0].full_at：数字超出范围（1e999999999）（公式第 1 个字符处）（提示：公式中的数最多 40 位、绝对值在 1e±40 之内）"),
    ("over_completion: 130", "over_completion: 1e30", "over_completion：数值过大（1.000000E+30）（提示：整数部分最多 16 位）"),
    ("weight_total: 90", "weight_total: 0.0000000000001", "indicators[1].weight_total：小数位数过多（13 位）（提示：最多 12 位小数）"),
    ("computed: 预算执行率\n    tolerance: 0.01", "computed: 预算执行率\n    tolerance: abc",
     "checks[1].tolerance：应为数字，实际为“abc”（提示：只写阿拉伯数字，可带单位，如 38.50 或 38.50万元）"),
    ("rate_places: 2 ", "rate_places: abc ", "rate_places：应为整数，实际为“abc”（提示：比率（单位为 % 的派生值）保留几位小数，"
     "四舍五入后再与分档界限比较、再计分；默认 2（89.995% 即 90.00%））"),
])
def test_scheme_settings_beyond_a_table_are_located(old, new, line, tmp_path):
    bad = variant(tmp_path, old, new)
    written = line_of(bad, new.splitlines()[-1].strip())
    code, printed = run("score", bad, FIRE)
    assert code == 2
    assert any(text.startswith(f"{bad}:{written}:") and text.endswith(line) for text in said(printed)), printed
    code, printed = run("validate", bad)
    assert code == 1 and any(text.startswith(f"{bad}:{written}:") and text.endswith(line) for text in said(printed))


def test_a_quoted_figure_of_no_decimals_that_underflows_is_refused(tmp_path):
    # 1e-999999999 once read as 0 decimal places: normalize() in a limited context makes it 0.
    case = variant(tmp_path, "executed: 38.50}   # 年度资金总额", 'executed: "1e-999999999"}   # 年度资金总额', FIRE, "case.yaml")
    code, printed = run("score", PROJECT, case)
    assert code == 2
    assert printed.splitlines()[0] == \
        f"{case}:13:77: funds.total.executed：小数位数过多（1.000000E-999999999）（提示：最多 12 位小数）"


# ------------------------------------------------------------------ formulas -------------


@pytest.mark.parametrize("old, new, path, message", [
    ("full_at: 100", "full_at: 全年预算数 / (全年执行数 - 38.5)", "indicators[0].full_at",
     "指标“预算执行率”：公式“全年预算数 / (全年执行数 - 38.5)”代入案例 {case} 的数值后计算出错：除数为 0（全年预算数 = 38.5，全年执行数 = 38.5）"),
    ("value: 预算执行率", "value: 预算执行率 * 10 ** 40", "indicators[0].value",
     "指标“预算执行率”：公式“预算执行率 * 10 ** 40”代入案例 {case} 的数值后计算出错：结果 1.000000E+42 超出任何预算表中数值的范围（整数部分最多 16 位）（预算执行率 = 100）"),
    ("value: 预算执行率", "value: 原表等级 > 1", "indicators[0].value",
     "指标“预算执行率”：公式“原表等级 > 1”代入案例 {case} 的数值后计算出错：文字与数字不能比较大小（文字只能比较是否相等）（原表等级 = 优）"),
    ("value: 预算执行率", "value: round(预算执行率, 13)", "indicators[0].value",
     "指标“预算执行率”：公式“round(预算执行率, 13)”代入案例 {case} 的数值后计算出错：保留位数应在 0–12 之间，实际为 13（预算执行率 = 100）"),
])
def test_formulas_outside_derived_that_fail_on_the_figures(old, new, path, message, tmp_path):
    bad = variant(tmp_path, old, new)
    line = line_of(bad, new)
    column = next(text for text in bad.read_text(encoding="utf-8").splitlines() if new in text).index(new.split(": ")[1]) + 1
    expected = f"{bad}:{line}:{column}: {path}：{message.format(case=FIRE)}"
    for arguments in (["score", bad, FIRE], ["explain", bad, FIRE], ["check", "--scheme", bad, FIRE]):
        code, printed = run(*arguments)
        assert code == 2 and expected in said(printed), printed
    code, printed = run("diff", PROJECT, bad, "--cases", FIRE)
    assert code == 1
    assert f"  ✗ {FIRE}：{expected}" in printed.splitlines()
    code, printed = run("template", bad)  # no case: nothing to fail on
    assert code == 0


@pytest.mark.parametrize("formula, message", [
    ("ratio(全年执行数, 全年预算数, if_zero=0, if_zero=1) * 100", "函数 ratio 的参数“if_zero”写了两次（公式第 32 个字符处）（提示：每个命名参数只写一次）"),
    ("全年执行数 * 1e999999999", "数字超出范围（1e999999999）（公式第 9 个字符处）（提示：公式中的数最多 40 位、绝对值在 1e±40 之内）"),
])
@pytest.mark.parametrize("command", ["score", "validate", "template", "diff", "resolve"])
def test_formulas_refused_when_the_scheme_is_loaded(formula, message, command, tmp_path):
    bad = variant(tmp_path, "formula: ratio(全年执行数, 全年预算数, if_zero=na) * 100", f"formula: {formula}")
    arguments = {"score": ["score", bad, FIRE], "validate": ["validate", bad], "template": ["template", bad],
                 "diff": ["diff", PROJECT, bad], "resolve": ["resolve", bad]}[command]
    code, printed = run(*arguments)
    if command == "resolve":  # resolve shows the merged scheme as written (shape checked); formulas are validate's
        assert code == 0
        return
    assert code == (1 if command == "validate" else 2)
    assert f"{bad}:91:14: derived.预算执行率.formula：{message}" in printed.splitlines(), printed


def test_a_deduct_formula_that_fails_at_the_weight(tmp_path):
    text = (ROOT / "schemes" / "project-evaluation" / "2023.yaml").read_text(encoding="utf-8")
    assert "deduct:" in text
    start = text.index("deduct:")
    end = text.index("\n", start)
    old = text[start:end]
    bad = variant(tmp_path, old, "deduct: weight / (weight - weight)", ROOT / "schemes" / "project-evaluation" / "2023.yaml")
    line = line_of(bad, "deduct: weight / (weight - weight)")
    code, printed = run("validate", bad)
    assert code == 1
    assert any(f"{bad}:{line}:" in text and "每档扣分的公式“weight / (weight - weight)”以分值" in text and "除数为 0" in text
               for text in printed.splitlines()), printed


# ------------------------------------------------------------------ YAML ----------------


@pytest.mark.parametrize("text, line", [
    ("rounding: !!python/object:os.system {places: 2, mode: half_up}",
     "{bad}:19:11: rounding：不支持的 YAML 标签 !!python/object:os.system（映射不写标签）"
     "（提示：删去标签；方案和案例只用 YAML 本身的映射、列表、文字和数字）"),
    ("rounding: !!set {places: 2, mode: half_up}",
     "{bad}:19:11: rounding：不支持的 YAML 标签 !!set（映射不写标签）（提示：删去标签；方案和案例只用 YAML 本身的映射、列表、文字和数字）"),
    ("rounding: &a {places: 2, mode: half_up, <<: *a}",
     "{bad}:19:11: rounding：合并键 << 引用了包含它自己的映射，合并没有尽头（提示：<< 只能引用写在别处、已经写完的映射）"),
])
@pytest.mark.parametrize("command", ["score", "validate", "template", "resolve", "new-year", "diff"])
def test_tags_and_self_merges_on_mappings(text, line, command, tmp_path):
    bad = variant(tmp_path, "rounding: {places: 2, mode: half_up}", text)
    arguments = {"score": ["score", bad, FIRE], "validate": ["validate", bad], "template": ["template", bad],
                 "resolve": ["resolve", bad], "new-year": ["new-year", bad, "2030"], "diff": ["diff", bad, PROJECT]}[command]
    code, printed = run(*arguments)
    assert code == 2
    assert line.format(bad=bad) in printed.splitlines()
    assert not (tmp_path / "2030.yaml").exists()


def test_a_tag_on_a_case_sequence(tmp_path):
    case = variant(tmp_path, "\nindicators:", "\nindicators: !!python/tuple", FIRE, "case.yaml")
    code, printed = run("score", PROJECT, case)
    assert code == 2
    assert printed.splitlines()[0].startswith(f"{case}:") and "不支持的 YAML 标签 !!python/tuple（列表不写标签）" in printed


def test_an_alias_inside_its_own_anchor(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text("scheme: project-self-eval\nname: x\nfunds: &a [*a]\n", encoding="utf-8")
    code, printed = run("score", PROJECT, case)
    assert code == 2
    assert f"{case}:3:8: funds[0]：别名（*）引用了包含它自己的映射或列表，展开后没有尽头（提示：别名只能引用写在别处、已经写完的内容）" \
        in printed.splitlines()


@pytest.mark.parametrize("text, line", [
    ("- " * 40_000 + "x\n", "{f}:1:201: YAML 嵌套过深（超过 100 层）（提示：真实的方案或案例不会嵌套这么多层；请检查文件来源）"),
    ("? " * 40_000 + "x\n", "{f}:1:201: YAML 嵌套过深（超过 100 层）（提示：真实的方案或案例不会嵌套这么多层；请检查文件来源）"),
    ("".join(" " * i + "k:\n" for i in range(3000)),
     "{f}:101:101: YAML 嵌套过深（超过 100 层）（提示：真实的方案或案例不会嵌套这么多层；请检查文件来源）"),
    ("".join(" " * (2 * i) + "- k:\n" for i in range(1500)),
     "{f}:51:101: YAML 嵌套过深（超过 100 层）（提示：真实的方案或案例不会嵌套这么多层；请检查文件来源）"),
    ("a: " + "x" * 5_000_000 + "\n", "{f}:1:1: 第 1 行过长（超过 100,000 个字符）（提示：方案或案例中的一项文字最多 100,000 个字符；请检查文件来源）"),
    ('a: "' + "x" * 5_000_000 + '"\n', "{f}:1:1: 第 1 行过长（超过 100,000 个字符）（提示：方案或案例中的一项文字最多 100,000 个字符；请检查文件来源）"),
    ("a: |\n" + "  x\n" * 60_000, "{f}:1:4: a：文字过长（120,000 个字符，上限 100,000）（提示：请检查文件来源）"),
    ("a: [" + "1," * 2_000_000 + "1]\n", "{f}:1:1: YAML 的项目过多（约 2,000,001 项，上限 50,000 项）（提示：真实的方案或案例不会有这么多项；请检查文件来源）"),
    ("a: {" + "a: 1, " * 800_000 + "b: 1}\n",
     "{f}:1:1: YAML 的项目过多（约 1,600,002 项，上限 50,000 项）（提示：真实的方案或案例不会有这么多项；请检查文件来源）"),
    ("? a\n" * 1_000_000, "{f}:1:1: YAML 的项目过多（约 1,000,000 项，上限 50,000 项）（提示：真实的方案或案例不会有这么多项；请检查文件来源）"),
])
def test_yaml_the_c_parser_would_crash_on_or_bloat_with(text, line, tmp_path):
    # The C composer recurses without a limit: without the checks on the text, the first two kill the process.
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(text, encoding="utf-8")
    for arguments in (["score", scheme, FIRE], ["validate", scheme], ["template", scheme], ["test", scheme]):
        code, printed = run(*arguments)
        assert code == 2 and line.format(f=scheme) in said(printed), printed[:500]


# ------------------------------------------------------------------ extends and tests -----


@pytest.mark.parametrize("target, content, message", [
    ("list.yaml", "- a\n", "继承的文件 {d}/list.yaml 不是方案：应为映射（键: 值），实际为列表"),
    ("scalar.yaml", "hello\n", "继承的文件 {d}/scalar.yaml 不是方案：应为映射（键: 值），实际为“hello”"),
    ("empty.yaml", "", "继承的文件 {d}/empty.yaml 不是方案：应为映射（键: 值），实际为空文件"),
    ("child.yaml", None, "方案继承形成循环：child.yaml → child.yaml"),
    (".", None, "继承的方案文件 {d} 无法读取：这是一个文件夹，不是YAML 文件"),
])
@pytest.mark.parametrize("command", ["score", "validate", "template", "resolve", "new-year", "diff", "explain"])
def test_extends_a_target_that_is_not_a_scheme(target, content, message, command, tmp_path):
    if content is not None:
        (tmp_path / target).write_text(content, encoding="utf-8")
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {target}\nfiscal_year: 2024\n", encoding="utf-8")
    arguments = {"score": ["score", child, FIRE], "validate": ["validate", child], "template": ["template", child],
                 "resolve": ["resolve", child], "new-year": ["new-year", child, "2030"], "diff": ["diff", PROJECT, child],
                 "explain": ["explain", child, FIRE]}[command]
    code, printed = run(*arguments)
    assert code == (1 if command == "validate" else 2)
    assert f"{child}:1:10: extends：{message.format(d=tmp_path)}" in printed.splitlines(), printed


def test_extends_a_fifo(tmp_path):
    import os

    os.mkfifo(tmp_path / "fifo.yaml")
    child = tmp_path / "child.yaml"
    child.write_text("extends: fifo.yaml\nfiscal_year: 2024\n", encoding="utf-8")
    code, printed = run("score", child, FIRE)
    assert code == 2
    assert printed.splitlines() == [
        f"{child}:1:10: extends：继承的方案文件 {tmp_path}/fifo.yaml 无法读取：这不是普通文件（可能是管道、设备或套接字），不能读取"]


@pytest.mark.parametrize("path, message", [
    ("name.x", "name 是“农村房屋火灾保险服务”，不是映射或列表，不能再往下设“x”（提示：检查 set 的路径是否写对）"),
    ("indicators.99.actual", "indicators 只有 3 项，没有第 99 项（序号从 0 数起）"),
    ("indicators.x.actual", "indicators 是列表，路径的下一段应为序号（从 0 数起），实际为“x”"),
    ("funds.total.executed.deep", "funds.total.executed 是数字 38.50，不是映射或列表，不能再往下设“deep”（提示：检查 set 的路径是否写对）"),
    ("funds..executed", "set 的路径“funds..executed”中有空的一段（提示：路径写作 键.键.序号，如 funds.total.executed 或 indicators.0.actual）"),
])
def test_a_set_path_that_leads_nowhere(path, message, tmp_path):
    tests = tmp_path / "bad.test.yaml"
    tests.write_text(f"scheme: {PROJECT}\ntests:\n  - name: 改一个数\n    case: {FIRE}\n    set: {{{path}: 1}}\n"
                     "    expect: {total: 100}\n", encoding="utf-8")
    column = len("    set: {") + len(path) + len(": ") + 1
    line = f"{tests}:5:{column}: tests[0].set[\"{path}\"]：{message}"
    code, printed = run("test", tests)
    assert code == 2 and f"  ! {line}" in printed.splitlines(), printed
    code, printed = run("validate", tests)
    assert code == 1 and line in printed.splitlines(), printed


# ------------------------------------------------------------------ hypothesis ------------

EXAMPLES = 150
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))
SHIPPED = {  # scheme -> a case it scores
    "project-self-eval/2023.yaml": "zhanyi-2023/projects/fire-insurance.yaml",
    "four-dimension/2023.yaml": "zhongfang-2023/department.yaml",
    "four-dimension/2024.yaml": "zhongfang-2023/department.yaml",
    "department-self-eval/2023.yaml": "zhanyi-2023/department.yaml",
    "project-evaluation/2023.yaml": "zhanyi-2023/projects/startup-loan.yaml",
    "project-self-eval-anhui/2023.yaml": "zhanyi-2023/projects/fire-insurance.yaml",
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of schemes/ and cases/: mutants are written beside the files they extend, and new-year may write."""
    root = tmp_path_factory.mktemp("no-exit-3")
    shutil.copytree(ROOT / "schemes", root / "schemes")
    shutil.copytree(ROOT / "cases", root / "cases")
    shutil.copytree(ROOT / "schemas", root / "schemas")
    return root


def outcome(arguments: list) -> None:
    """Run one command on hostile input; count it; never exit 3, never an internal error, never a traceback."""
    FUZZ["inputs"] += 1
    try:
        code, printed = run(*arguments)
    except Exception:
        FUZZ["tracebacks"] += 1
        raise
    if code == 3 or "内部错误" in printed:
        FUZZ["exit-3"] += 1
    FUZZ["located errors" if code == 2 else "results"] += 1
    assert code in (0, 1, 2), f"exit {code} for {arguments}: {printed[-1500:]}"
    assert "内部错误" not in printed and "Traceback" not in printed, printed[-1500:]


def command_line(command: str, scheme: Path, case: Path, tests: Path, base: Path) -> list:
    return {
        "validate-scheme": ["validate", scheme], "validate-case": ["validate", "--scheme", base, case],
        "validate-test": ["validate", tests], "score": ["score", scheme, case], "explain": ["explain", scheme, case],
        "check": ["check", "--scheme", scheme, case], "diff": ["diff", base, scheme, "--cases", case],
        "template": ["template", scheme], "test": ["test", tests], "resolve": ["resolve", scheme],
        "new-year": ["new-year", scheme, "2031", "--force"],
    }[command]


# Arbitrary bytes and text: each command, with the random file in each place it reads one.
PLACES = [("validate-scheme", "scheme"), ("validate-case", "case"), ("validate-test", "test"), ("score", "scheme"),
          ("score", "case"), ("explain", "scheme"), ("explain", "case"), ("check", "scheme"), ("check", "case"),
          ("diff", "scheme"), ("diff", "case"), ("template", "scheme"), ("test", "test"), ("test", "scheme"),
          ("resolve", "scheme"), ("new-year", "scheme")]
YAML_BITS = ["a", ":", ": ", "- ", "? ", "\n", "  ", "\t", "[", "]", "{", "}", ",", "'", '"', "&x ", "*x", "<<: ", "!!str ",
             "!!python/object ", "!!set ", "!foo ", "#", "1", "0.5", "1e999999999", "-", ".inf", "~", "|", ">", "\x00",
             "\ufeff", "extends: ", "scheme: ", "tests:", "indicators:", "formula: ", "1/0", "set: ", "name: ", "case: "]
SHIPPED_TEXT = {path: (ROOT / "schemes" / path).read_text(encoding="utf-8") for path in SHIPPED}


def spliced(text: str):
    """A shipped file with a piece cut out or something pasted in."""
    return st.tuples(st.integers(0, len(text)), st.integers(0, 200), st.text(max_size=30)).map(
        lambda t: text[:t[0]] + t[2] + text[t[0] + t[1]:])


ANY_TEXT = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=400),
    st.lists(st.sampled_from(YAML_BITS), max_size=40).map("".join),
    spliced(SHIPPED_TEXT["project-self-eval/2023.yaml"]),
    spliced((ROOT / "schemes/project-self-eval/2023.test.yaml").read_text(encoding="utf-8")),
    spliced(FIRE.read_text(encoding="utf-8")),
)


@pytest.mark.parametrize("command, place", PLACES, ids=[f"{c}-{p}" for c, p in PLACES])
def test_any_bytes_in_any_file(command, place, tree):
    folder = tree / "schemes" / "project-self-eval"
    base = folder / "2023.yaml"

    @PROPERTY
    @given(content=ANY_TEXT)
    def attempt(content):
        scheme, case, tests = base, tree / "cases" / SHIPPED["project-self-eval/2023.yaml"], folder / "2023.test.yaml"
        target = folder / {"scheme": "random.yaml", "case": "random-case.yaml", "test": "random.test.yaml"}[place]
        target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
        if place == "scheme":
            scheme = target
            tests = folder / "random-scheme.test.yaml"
            tests.write_text((folder / "2023.test.yaml").read_text(encoding="utf-8").replace(
                "scheme: 2023.yaml", "scheme: random.yaml"), encoding="utf-8")
        elif place == "case":
            case = target
        else:
            tests = target
        outcome(command_line(command, scheme, case, tests, base))

    attempt()


# One node of a shipped file mutated: reaches far deeper than random bytes.
PLACEHOLDER = "@@hostile@@"


def _formula_text(spec) -> str:  # noqa: ANN001 - an entry of tests/hostile/formulas.yaml
    if isinstance(spec, dict):
        return spec.get("prefix", "") + spec["repeat"] * spec["times"] + spec.get("then", "") + spec.get("close", "") * spec["times"]
    return spec


HOSTILE_FORMULAS = [_formula_text(entry["formula"]) for entry in load_document(ROOT / "tests/hostile/formulas.yaml").data
                    if "formula" in entry]
HOSTILE_FORMULAS += ["1/0", "ratio(1, 0)", "10 ** 27", "round(1, 13)", "原表等级 > 1", "'a' < 1", "x if 1/0 else 1",
                     "ratio(全年执行数, 全年预算数, if_zero=0, if_zero=1)", "weight / 0", "9 ** 9 ** 9", "1e999999999",
                     "sum(1)", "count(2)", "min()", "clamp(1, 2)", "na", "na + 1", "True", "1 < 2 < 'x'"]
RAW_VALUES = ["1e999999999", "9" * 5000, "-0", "0.0000000000001", "-1e-999999999", "1E+30", "'1e999999999'", ".nan",
              "9999999999999999", "-9999999999999999", "0.000000000001", "9999999999999999.999999999999",
              "-.inf", "~", "[]", "{}", "-1", "0", "true", "'—'", "'95%'", "!!python/object:os.system x", "*nowhere",
              "&a {<<: *a}", '"' + "x" * 200_000 + '"', "[" * 150 + "]" * 150]


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    pass


_Dumper.add_representer(Decimal, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:float", str(value)))


def paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from paths(value, prefix + (i,))


def mutated(data, path, action, value) -> str:
    """YAML text of `data` with the node at `path` changed by `action`."""
    import copy

    data = copy.deepcopy(data)
    if not path:
        return value if action == "raw" else yaml.dump([data], Dumper=_Dumper, allow_unicode=True)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    key = path[-1]
    node = parent[key] if isinstance(parent, list) or key in parent else None  # a set: a test did not have
    if action == "delete":
        del parent[key]
    elif action == "formula":
        parent[key] = value
    elif action == "raw":
        parent[key] = PLACEHOLDER
    elif action == "to-list":
        parent[key] = list(node.values()) if isinstance(node, dict) else [node]
    elif action == "to-mapping":
        parent[key] = {str(i): item for i, item in enumerate(node)} if isinstance(node, list) else {"x": node}
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1_000_000)
    return text.replace(f"'{PLACEHOLDER}'", value).replace(PLACEHOLDER, value) if action == "raw" else text


MUTATION = st.one_of(
    st.tuples(st.just("formula"), st.sampled_from(HOSTILE_FORMULAS)),
    st.tuples(st.just("raw"), st.sampled_from(RAW_VALUES)),
    st.tuples(st.sampled_from(["delete", "to-list", "to-mapping"]), st.just("")),
)
SCHEME_DATA = {path: load_document(ROOT / "schemes" / path).data for path in SHIPPED}
SCHEME_PATHS = {path: [p for p in paths(data) if p] for path, data in SCHEME_DATA.items()}
SCHEME_COMMANDS = ["validate-scheme", "score", "explain", "check", "diff", "template", "test", "resolve", "new-year"]


@pytest.mark.parametrize("command", SCHEME_COMMANDS)
def test_a_shipped_scheme_with_one_node_mutated(command, tree):
    @PROPERTY
    @given(shipped=st.sampled_from(sorted(SHIPPED)), choice=st.data(), mutation=MUTATION)
    def attempt(shipped, choice, mutation):
        path = choice.draw(st.sampled_from(SCHEME_PATHS[shipped]))
        folder = tree / "schemes" / Path(shipped).parent
        scheme = folder / "mutant.yaml"
        scheme.write_text(mutated(SCHEME_DATA[shipped], path, *mutation), encoding="utf-8")
        tests = folder / "mutant.test.yaml"
        tests.write_text((ROOT / "schemes" / shipped.replace(".yaml", ".test.yaml")).read_text(encoding="utf-8")
                         .replace(f"scheme: {Path(shipped).name}", "scheme: mutant.yaml"), encoding="utf-8")
        outcome(command_line(command, scheme, tree / "cases" / SHIPPED[shipped], tests, tree / "schemes" / shipped))

    attempt()


CASES = sorted(set(SHIPPED.values()))
CASE_DATA = {path: load_document(ROOT / "cases" / path).data for path in CASES}
CASE_PATHS = {path: [p for p in paths(data) if p] for path, data in CASE_DATA.items()}
CASE_SCHEME = {case: scheme for scheme, case in reversed(list(SHIPPED.items()))}


@pytest.mark.parametrize("command", ["validate-case", "score", "explain", "check", "diff"])
def test_a_shipped_case_with_one_node_mutated(command, tree):
    @PROPERTY
    @given(shipped=st.sampled_from(CASES), choice=st.data(), mutation=MUTATION)
    def attempt(shipped, choice, mutation):
        path = choice.draw(st.sampled_from(CASE_PATHS[shipped]))
        case = tree / "cases" / "mutant.yaml"
        case.write_text(mutated(CASE_DATA[shipped], path, *mutation), encoding="utf-8")
        scheme = tree / "schemes" / CASE_SCHEME[shipped]
        outcome(command_line(command, scheme, case, case, scheme))

    attempt()


TEST_FILES = ["project-self-eval/2023.test.yaml", "four-dimension/2023.test.yaml", "project-evaluation/2023.test.yaml"]
TEST_DATA = {path: load_document(ROOT / "schemes" / path).data for path in TEST_FILES}
TEST_PATHS = {path: [p for p in paths(data) if p] for path, data in TEST_DATA.items()}
SET_PATHS = ["name.x", "indicators.99.actual", "indicators.x", "funds.total.executed.deep", "..", "", "-1", "0",
             "funds", "data.人员.编制数", "tables.x.0", "indicators.0.name.x", "a.b.c.d.e.f"]


@pytest.mark.parametrize("command", ["test", "validate-test", "new-year"])
def test_a_shipped_test_file_with_one_node_mutated(command, tree):
    @PROPERTY
    @given(shipped=st.sampled_from(TEST_FILES), choice=st.data(),
           mutation=st.one_of(MUTATION, st.tuples(st.just("set"), st.sampled_from(SET_PATHS))))
    def attempt(shipped, choice, mutation):
        path = choice.draw(st.sampled_from(TEST_PATHS[shipped]))
        data = TEST_DATA[shipped]
        if mutation[0] == "set":  # a set: path of one test replaced by one that may lead nowhere
            index = choice.draw(st.integers(0, len(data["tests"]) - 1))
            path, mutation = ("tests", index, "set"), ("formula", {mutation[1]: 1})
        folder = tree / "schemes" / Path(shipped).parent
        tests = folder / "mutant.test.yaml"  # beside mutant.yaml, a copy of its scheme: new-year copies its tests
        tests.write_text(mutated(data, path, *mutation), encoding="utf-8")
        scheme = folder / "mutant.yaml"
        scheme.write_bytes((ROOT / "schemes" / shipped.replace(".test.yaml", ".yaml")).read_bytes())
        outcome(command_line(command, scheme, tests, tests, tests))

    attempt()


@pytest.mark.parametrize("name, text, command, line", [
    ("child.yaml", 'extends: "base\\0.yaml"\nfiscal_year: 2024\n', "score",
     "{f}:1:10: extends：extends 的路径中含有空字符（\\0），不是有效的文件名"),
    ("bad.test.yaml", 'scheme: "s\\0.yaml"\ntests:\n  - {name: x, case: c.yaml, expect: {total: 100}}\n', "test",
     "{f}:1:9: scheme：方案文件的路径中含有空字符（\\0），不是有效的文件名"),
    ("bad.test.yaml", f"scheme: '{PROJECT}'\ntests:\n  - {{name: x, case: \"c\\0.yaml\", expect: {{total: 100}}}}\n", "validate",
     "{f}:3:21: tests[0].case：案例文件的路径中含有空字符（\\0），不是有效的文件名"),
])
def test_a_path_written_in_a_document_with_a_nul(name, text, command, line, tmp_path):
    # A NUL in a path made os.stat raise ValueError: an internal error.
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code, printed = run(*([command, path, FIRE] if command == "score" else [command, path]))
    assert code == (1 if command == "validate" else 2)
    assert line.format(f=path) in said(printed), printed


@pytest.mark.parametrize("text, line", [
    ("- a\n", "{f}:1:1: 应为映射（键: 值），实际为列表"),
    ("scheme: 2023.yaml\ntests: [1, 2]\n", "{f}:2:9: tests[0]：应为映射（键: 值），实际为数字 1（提示：一项测试：一个案例和它应有的结果）"),
])
def test_new_year_with_last_years_test_file_not_one(text, line, tmp_path):
    scheme = tmp_path / "2023.yaml"
    scheme.write_bytes(PROJECT.read_bytes())
    tests = tmp_path / "2023.test.yaml"
    tests.write_text(text, encoding="utf-8")
    code, printed = run("new-year", scheme, "2024")
    assert code == 2
    assert any(said_line.startswith(line.format(f=tests)) for said_line in said(printed)), printed
    assert not (tmp_path / "2024.yaml").exists() and not (tmp_path / "2024.test.yaml").exists()
