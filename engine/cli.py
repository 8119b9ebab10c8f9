"""The `engine` command: parse options, make one library call, print, choose the exit code.

Exit codes: 0 done; 1 a check the user asked for found problems; 2 bad input (the message
names file, line, column and the path inside the document); 3 an internal error.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Callable

import click

from . import api, report
from .errors import EngineError
from .formula import suggest

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def _guarded(action: Callable[[], int], json_errors: bool = False) -> None:
    """Run `action`; turn every error into a message and an exit code, never a traceback."""
    try:
        code = action()
    except EngineError as error:
        if json_errors:
            click.echo(report.render_error_json(error), nl=False)
        for problem in error.problems:
            click.echo(str(problem), err=True)
        code = EXIT_BAD_INPUT
    except KeyboardInterrupt:
        click.echo("已中断", err=True)
        code = 130
    except Exception as error:  # noqa: BLE001 - the last line of defence for people, not code
        click.echo(f"内部错误：{type(error).__name__}: {error}", err=True)
        click.echo("这是本程序的缺陷，请把上面这行和所用文件一起报告给维护者（设 ENGINE_DEBUG=1 可看到详细信息）。", err=True)
        if os.environ.get("ENGINE_DEBUG"):
            import traceback

            traceback.print_exc()
        code = EXIT_INTERNAL
    sys.exit(code)


class _ChineseGroup(click.Group):
    """Click's own command-line mistakes (a missing argument, an unknown option) told in Chinese too."""

    def main(self, *args, **kwargs):  # noqa: ANN002, ANN003 - click's signature
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.exceptions.Abort:
            click.echo("已中断", err=True)
            sys.exit(130)
        except click.exceptions.NoArgsIsHelpError as error:
            click.echo(error.ctx.get_help() if error.ctx else "", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except click.ClickException as error:
            usage = error.ctx.get_usage() if getattr(error, "ctx", None) else ""
            if usage:
                click.echo(usage, err=True)
            click.echo(f"命令行有误：{_usage_message(error)}", err=True)
            command = error.ctx.command_path if getattr(error, "ctx", None) else "engine"
            click.echo(f"（用 {command} --help 查看用法）", err=True)
            sys.exit(EXIT_BAD_INPUT if isinstance(error, click.UsageError) else error.exit_code)
        sys.exit(code if isinstance(code, int) else EXIT_OK)


_CLICK_PATH_WORDS = (  # click's own words about a path argument, told in Chinese with the path kept
    (re.compile(r"^(?:File|Directory|Path) '(.*)' is a directory\.$", re.S), "“{}”是一个文件夹，不是文件"),
    (re.compile(r"^(?:File|Directory|Path) '(.*)' is a file\.$", re.S), "“{}”是一个文件，不是文件夹"),
    (re.compile(r"^(?:File|Directory|Path) '(.*)' does not exist\.$", re.S), "“{}”不存在"),
    (re.compile(r"^(?:File|Directory|Path) '(.*)' is not readable\.$", re.S), "“{}”无法读取"),
    (re.compile(r"^(?:File|Directory|Path) '(.*)' is not writable\.$", re.S), "“{}”不可写"),
)


def _path_message(message: str) -> str:
    for pattern, words in _CLICK_PATH_WORDS:
        match = pattern.match(message)
        if match:
            return words.format(match.group(1))
    return message


def _usage_message(error: click.ClickException) -> str:
    if isinstance(error, click.exceptions.MissingParameter):
        name = error.param.human_readable_name if error.param else "参数"
        return f"缺少 {name}"
    if isinstance(error, click.exceptions.NoSuchOption):
        close = f"；是否想写：{'、'.join(error.possibilities)}？" if error.possibilities else ""
        return f"没有选项 {error.option_name}{close}"
    if isinstance(error, click.exceptions.BadParameter):
        name = (error.param.opts[0] if isinstance(error.param, click.Option) else error.param.human_readable_name) \
            if error.param else "参数"
        return f"{name} 的值不对（{_path_message(error.message)}）"
    if isinstance(error, click.exceptions.BadOptionUsage):
        return f"选项 {error.option_name} 用法不对（{error.message}）"
    unknown = re.match(r"No such command '(.+?)'", error.format_message())
    if unknown:
        hint = suggest(unknown.group(1), list(main.commands))
        return f"没有命令 {unknown.group(1)}" + (f"；{hint}" if hint else f"；可用：{'、'.join(main.commands)}")
    return error.format_message()


@click.group(cls=_ChineseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="budget-eval-engine", prog_name="engine")
def main() -> None:
    """预算绩效评价计分引擎：按 YAML 评价方案为绩效自评表计分。"""


def _table_options(function):  # noqa: ANN001, ANN201 - a click decorator
    function = click.option("--table", type=click.IntRange(min=1), default=None,
                            help="CASE 是含几张表的文件时，用第几张（从 1 数起）")(function)
    return _vocabulary_option(function)


def _vocabulary_option(function):  # noqa: ANN001, ANN201 - a click decorator
    return click.option("--vocabulary", "vocabulary", multiple=True, type=click.Path(dir_okay=False),
                        help="补充词表（格式同 schemas/vocabulary.yaml），认表时加上其中的栏目写法；可写多次")(function)


@main.command()
@click.argument("scheme_file", metavar="SCHEME", type=click.Path(dir_okay=False))
@click.argument("case_file", metavar="CASE", type=click.Path(allow_dash=True))
@_table_options
@click.option("--format", "output_format",
              type=click.Choice(["table", "json", "markdown", "csv", "html", "xlsx", "docx"]),
              default="table", show_default=True,
              help="table 表格；json 供其他程序读取；markdown、csv；html 可打印的自评表；xlsx 自评表（须写 -o）；"
                   "docx 自评报告（Word，须写 -o，同 engine report）")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="写到文件（不写则输出到屏幕）")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件")
@click.option("--strict", is_flag=True, help="有勾稽核对不符时以退出码 1 结束")
@click.option("--explain", "with_explanation", is_flag=True, help="在表格后列出每个指标的计算过程")
def score(scheme_file: str, case_file: str, table: int | None, vocabulary: tuple[str, ...], output_format: str,
          output: str | None, force: bool, strict: bool, with_explanation: bool) -> None:
    """按评价方案 SCHEME 为案例 CASE 计分。

    CASE 是案例文件（.yaml），或任何可导入的自评表（Excel、Word、网页、PDF、文本；- 为标准输入），直接计分。
    """
    words = list(vocabulary)
    inputs = (scheme_file,) if case_file == "-" else (scheme_file, case_file)

    def action() -> int:
        result = api.score(scheme_file, case_file, table, words)
        if output_format in ("markdown", "csv", "html", "xlsx", "docx"):
            if output is None and output_format in ("xlsx", "docx"):
                raise api.CaseError(api.Problem(f"{output_format} 须用 -o 指定输出文件", api.Location("命令行"),
                                                code="needs-output"))
            content = (api.word_report(scheme_file, case_file, None, table, words) if output_format == "docx"
                       else api.export(scheme_file, case_file, output_format, table, words))
            if output is None:
                click.echo(content, nl=False)
            else:
                api.write_atomic(output, content, force=force, inputs=inputs)
                click.echo(f"已写入 {output}", err=True)
            failed = any(check.status == "failed" for check in result.checks)
            return EXIT_FINDINGS if strict and failed else EXIT_OK
        render = report.render_json if output_format == "json" else report.render_table
        text = render(result)
        if output is not None:
            api.write_atomic(output, text, force=force, inputs=inputs)
        else:
            click.echo(text, nl=False)
        if with_explanation and output_format == "table":
            click.echo("")
            click.echo(api.explain_file(scheme_file, case_file, None, table, words), nl=False)
        failed = any(check.status == "failed" for check in result.checks)
        return EXIT_FINDINGS if strict and failed else EXIT_OK

    _guarded(action, json_errors=output_format == "json")


@main.command(name="report")
@click.argument("scheme_file", metavar="SCHEME", type=click.Path(dir_okay=False))
@click.argument("case_file", metavar="CASE", type=click.Path(allow_dash=True))
@_table_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="报告文件（.docx）")
@click.option("--template", "template_file", type=click.Path(dir_okay=False),
              help="Word 模板（.docx，可在 Word 中编辑；默认用随程序附带的模板）")
@click.option("--force", is_flag=True, help="覆盖已存在的报告文件")
def word_report(scheme_file: str, case_file: str, table: int | None, vocabulary: tuple[str, ...], output: str,
                template_file: str | None, force: bool) -> None:
    """生成自评报告（Word）：各节文字取自案例的 report，总分、等级、执行率、失分指标、核对不符和评分表由程序填入。"""
    inputs = tuple(path for path in (scheme_file, case_file, template_file) if path and path != "-")

    def action() -> int:
        content = api.word_report(scheme_file, case_file, template_file, table, list(vocabulary))
        api.write_atomic(output, content, force=force, inputs=inputs)
        click.echo(f"已写入 {output}", err=True)
        return EXIT_OK

    _guarded(action)


@main.command()
@click.argument("scheme_file", metavar="SCHEME", type=click.Path(dir_okay=False))
@click.argument("case_file", metavar="CASE", type=click.Path(dir_okay=False))
@click.argument("indicator", required=False)
@_table_options
def explain(scheme_file: str, case_file: str, indicator: str | None, table: int | None, vocabulary: tuple[str, ...]) -> None:
    """列出计算过程：每个指标代入的数值、所走的分支、舍入，小计、等级与距上一等级的差距。

    CASE 可以是案例文件，也可以是可导入的自评表。INDICATOR 为指标编号或名称时只列这一个指标。
    """
    _guarded(lambda: click.echo(api.explain_file(scheme_file, case_file, indicator, table, list(vocabulary)),
                                nl=False) or EXIT_OK)


@main.command()
@click.argument("files", metavar="FILE...", nargs=-1, required=True, type=click.Path())
@click.option("--scheme", "scheme_file", type=click.Path(dir_okay=False), help="检查案例时所用的方案（默认按案例的 scheme 和 fiscal_year 查找）")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def validate(files: tuple[str, ...], scheme_file: str | None, output_format: str) -> None:
    """检查方案、案例或测试文件（自动识别），一次列出全部问题。

    退出码：0 无问题；1 发现问题；2 有文件无法读取。
    """

    def action() -> int:
        checks = api.validate_files(list(files), scheme_file)
        if output_format == "json":
            click.echo(report.dumps(report.validation_to_dict(checks)))
        else:
            click.echo(report.render_validation(checks), nl=False)
        if any(check.unreadable for check in checks):
            return EXIT_BAD_INPUT
        return EXIT_FINDINGS if any(check.problems for check in checks) else EXIT_OK

    _guarded(action)


@main.command(name="test")
@click.argument("paths", metavar="[PATH...]", nargs=-1, type=click.Path())
@click.option("--coverage", is_flag=True, help="列出测试覆盖了哪些规则分支、评价要点和等级，哪些从未覆盖")
def run_tests(paths: tuple[str, ...], coverage: bool) -> None:
    """运行方案测试文件（*.test.yaml；默认为 schemes 文件夹下的全部）。

    有测试不通过时退出码为 1，有测试文件无法读取时为 2。
    """
    from . import scheme_tests

    def action() -> int:
        files = scheme_tests.find_test_files(list(paths) or ["schemes"])
        reports = [scheme_tests.run_test_file(path) for path in files]
        click.echo(scheme_tests.render_test_report(reports), nl=False)
        if coverage:
            for covered in scheme_tests.coverage_of(reports):
                click.echo("")
                click.echo(covered.render(), nl=False)
        if any(r.problems for r in reports) or not files:
            if not files:
                click.echo("没有找到测试文件（*.test.yaml）", err=True)
            return EXIT_BAD_INPUT
        return EXIT_FINDINGS if any(not o.passed for r in reports for o in r.outcomes) else EXIT_OK

    _guarded(action)


@main.command()
@click.argument("old_file", metavar="OLD", type=click.Path(dir_okay=False))
@click.argument("new_file", metavar="NEW", type=click.Path(dir_okay=False))
@click.option("--cases", "case_paths", multiple=True, type=click.Path(), metavar="PATH",
              help="用两个版本分别为这些案例（文件或文件夹）计分，列出总分或等级变化的案例；可写多次")
def diff(old_file: str, new_file: str, case_paths: tuple[str, ...]) -> None:
    """对比两个版本的方案：新增、删除的指标，分值、公式、规则、分档、等级的变化。

    有 --cases 时，用两个版本为各案例计分；有案例无法计分时另列，退出码为 1。
    """

    def action() -> int:
        report = api.diff(old_file, new_file, list(case_paths) or None)
        click.echo(report.text, nl=False)
        return EXIT_FINDINGS if report.failed else EXIT_OK

    _guarded(action)


@main.command()
@click.argument("scheme_file", metavar="SCHEME", type=click.Path(dir_okay=False))
def resolve(scheme_file: str) -> None:
    """输出合并继承（extends）之后的完整方案，每行注明出自哪个文件的哪一行。"""
    _guarded(lambda: click.echo(api.resolve(scheme_file), nl=False) or EXIT_OK)


@main.command(name="new-year")
@click.argument("scheme_file", metavar="SCHEME", type=click.Path(dir_okay=False))
@click.argument("year", type=click.IntRange(2000, 2100))
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
def new_year(scheme_file: str, year: int, force: bool) -> None:
    """为新的年度生成方案：在 SCHEME 旁写 YEAR.yaml（继承 SCHEME，只写变化）和 YEAR.test.yaml。"""

    def action() -> int:
        for path in api.new_year(scheme_file, year, force):
            click.echo(f"已写入 {path}")
        return EXIT_OK

    _guarded(action)


@main.command(name="import")
@click.argument("source", metavar="FILE", type=click.Path(allow_dash=True))
@click.option("-o", "--output", type=click.Path(), help="写到这个案例文件；或写一个文件夹，每张表存为一个文件")
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
@_vocabulary_option
@click.option("--year", type=click.IntRange(2000, 2100), default=None, help="表中没有印年度时，用这个年度")
def import_command(source: str, output: str | None, force: bool, vocabulary: tuple[str, ...], year: int | None) -> None:
    """从自评表导入案例：Excel（xlsx、xls、ods）、Word（docx）、网页（html）、PDF（有文字层）或文本。

    文本可以是制表符、逗号、竖线、连续空格分隔，或每行一个单元格（从网页复制）；FILE 为 - 时读标准输入。
    识别“项目支出绩效自评表”“部门整体支出绩效自评表”及各地的同类表，一个文件可含多张表；每个值都注明
    出自哪个单元格，认不出的单元格列在 unmapped 下。不写 -o 时输出到屏幕。
    """

    def action() -> int:
        from .importer import import_report

        written = api.import_file(source, output, force, list(vocabulary), year)
        if output is None:
            click.echo("\n---\n".join(text for _, text, _ in written), nl=False)
        for line in import_report([case for _, _, case in written], [target for target, _, _ in written]):
            click.echo(line, err=True)
        return EXIT_OK

    _guarded(action)


@main.command()
@click.argument("files", metavar="FILE...", nargs=-1, required=True, type=click.Path())
@click.option("--scheme", "scheme_file", type=click.Path(dir_okay=False), help="所用方案（默认按案例的 scheme 和 fiscal_year 查找）")
@_vocabulary_option
def check(files: tuple[str, ...], scheme_file: str | None, vocabulary: tuple[str, ...]) -> None:
    """只做勾稽核对：列出表中所填与其自身数字不符之处（案例文件，或可导入的自评表）。

    有不符时退出码为 1，有文件无法读取时为 2。
    """

    def action() -> int:
        checked = api.check_files(list(files), scheme_file, list(vocabulary))
        click.echo(report.render_check_results(checked), nl=False)
        if any(item.result is None for item in checked):
            return EXIT_BAD_INPUT
        return EXIT_FINDINGS if any(item.failed for item in checked) else EXIT_OK

    _guarded(action)


@main.command()
@click.argument("scheme_file", metavar="SCHEME", type=click.Path(dir_okay=False))
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(),  # a folder is refused by run_batch, in Chinese
              help="结果文件：.csv、.jsonl（每个案例的完整结果）、.xlsx（每个案例一行，另附复核各表）"
                   "或 .html（复核页）")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="并行进程数（默认为全部 CPU 核；至多为核数的 4 倍，也不多于案例数）")
@click.option("--lowest", type=click.IntRange(min=1, max=1000), default=10, show_default=True,
              help="复核中列出总分最低的案例个数（不论等级）")
@click.option("--force", is_flag=True, help="覆盖已存在的结果文件")
def batch(scheme_file: str, inputs: tuple[str, ...], output: str, jobs: int | None, lowest: int, force: bool) -> None:
    """批量计分并复核：等级、自评与计分不符、最低分、各主管部门、失分最多的三级指标、核对不符。

    INPUT 为案例文件、文件夹、.jsonl（每行一个案例）或可导入的自评表（.txt/.tsv/.csv/.xlsx）。
    出错的案例逐个报告（文件、行、原因）并跳过，其余照常计分；有出错时退出码为 1。屏幕上只列前 20 个出错的案例，
    全部见结果文件。结果写完整后才替换结果文件。-o 复核.html 写复核页，-o 结果.xlsx 写每个案例一行的“结果”表
    和复核各表（自评不符、最低、按主管部门、失分指标、核对不符、汇总）。
    """
    from . import batch as batching
    from .safe_text import printable, printable_lines

    def action() -> int:
        show_progress = sys.stderr.isatty()
        bar = click.progressbar(length=batching.count_items(list(inputs)), label="计分", file=sys.stderr) \
            if show_progress else None
        listed = 0

        def report_error(record: dict) -> None:
            nonlocal listed
            if record["error"] is not None:
                listed += 1
                if listed <= ERRORS_LISTED:
                    message = printable(record["error"].splitlines()[0])
                    click.echo(("\n" if show_progress else "") + message, err=True)

        if bar is not None:
            bar.__enter__()
        try:
            outcome = batching.run_batch(scheme_file, list(inputs), output, jobs=jobs, force=force,
                                         on_record=report_error, progress=bar.update if bar is not None else None,
                                         lowest=lowest)
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
        errors = outcome.summary.errors
        if errors > ERRORS_LISTED:
            click.echo(f"另有 {errors - ERRORS_LISTED} 个案例出错，见结果文件", err=True)
        if outcome.repeated:
            click.echo(f"有 {outcome.repeated} 处文件或文件夹重复出现（经链接或重复列出），各只计分一次", err=True)
        click.echo(printable_lines(outcome.summary.render()), nl=False)
        click.echo(f"结果已写入 {printable(outcome.output)}")
        if errors:
            click.echo(f"{errors} 个案例出错未计分", err=True)
            return EXIT_FINDINGS
        return EXIT_OK

    _guarded(action)


ERRORS_LISTED = 20  # error lines a batch prints; every one is in the results file


@main.command(name="template")
@click.argument("scheme_file", metavar="SCHEME", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="写到这个文件（不写则输出到屏幕）")
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
def template_command(scheme_file: str, output: str | None, force: bool) -> None:
    """生成空白案例：方案要读的每一项、每个评价要点和评价人打分，都标明要填什么。"""

    def action() -> int:
        text = api.template(scheme_file, output, force)
        if output is None:
            click.echo(text, nl=False)
        else:
            click.echo(f"已写入 {output}", err=True)
        return EXIT_OK

    _guarded(action)


@main.command()
@click.option("--schemes", "schemes_folder", type=click.Path(file_okay=False), default="schemes", show_default=True,
              help="方案文件夹（其中为 方案编号/年度.yaml）；工作台只读写这个文件夹中的方案")
@click.option("--cases", "cases_folder", type=click.Path(file_okay=False), default=None,
              help="案例文件夹（只读，对比方案版本时用来重新计分；默认为方案文件夹旁的 cases）")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听的地址；非本机地址须同时写 --allow-remote")
@click.option("--port", type=click.IntRange(0, 65535), default=8421, show_default=True, help="端口（0 为自动选择）")
@click.option("--allow-remote", is_flag=True, help="允许其他电脑访问（须带启动时显示的令牌）")
@click.option("--no-browser", is_flag=True, help="不自动打开浏览器")
def serve(schemes_folder: str, cases_folder: str | None, host: str, port: int, allow_remote: bool,
          no_browser: bool) -> None:
    """启动本机网页工作台：上传自评表计分、查看和修改方案、批量复核，不用命令行。"""
    from .web.serve import serve as run

    _guarded(lambda: run(schemes_folder, cases_folder, host, port, allow_remote, not no_browser, click.echo))


@main.command()
@click.argument("kind", type=click.Choice(["scheme", "case", "test"]))
def schema(kind: str) -> None:
    """输出方案（scheme）、案例（case）或测试文件（test）的 JSON Schema，供编辑器补全和检查。"""
    from .validate import schema_text
    _guarded(lambda: click.echo(schema_text(kind), nl=False) or EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()
