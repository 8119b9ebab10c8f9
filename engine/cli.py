"""The `engine` command: parse options, make one library call, print, choose the exit code.

Exit codes: 0 done; 1 a check the user asked for found problems; 2 bad input (the message
names file, line, column and the path inside the document); 3 an internal error.
"""

from __future__ import annotations

import sys
import traceback
from typing import Callable

import click

from . import api, report
from .errors import EngineError

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
        click.echo("这是本程序的缺陷，请把上面这行和所用文件一起报告给维护者。", err=True)
        if "--debug" in sys.argv:
            traceback.print_exc()
        code = EXIT_INTERNAL
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="budget-eval-engine", prog_name="engine")
def main() -> None:
    """预算绩效评价计分引擎：按 YAML 评价方案为绩效自评表计分。"""


@main.command()
@click.argument("scheme_file", metavar="SCHEME", type=click.Path(dir_okay=False))
@click.argument("case_file", metavar="CASE", type=click.Path(dir_okay=False))
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="输出格式：table 表格，json 供其他程序读取")
@click.option("--strict", is_flag=True, help="有勾稽核对不符时以退出码 1 结束")
def score(scheme_file: str, case_file: str, output_format: str, strict: bool) -> None:
    """按评价方案 SCHEME 为案例 CASE 计分。"""

    def action() -> int:
        result = api.score(scheme_file, case_file)
        render = report.render_json if output_format == "json" else report.render_table
        click.echo(render(result), nl=False)
        failed = any(check.status == "failed" for check in result.checks)
        return EXIT_FINDINGS if strict and failed else EXIT_OK

    _guarded(action, json_errors=output_format == "json")


if __name__ == "__main__":  # pragma: no cover
    main()
