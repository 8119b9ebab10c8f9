"""Writing YAML: whatever text goes in reads back exactly, through the engine's own loader and PyYAML's.

The importer writes cell text a table's author chose; YAML misreads much of it (a trailing colon, `yes`,
`0123`, a leading `- `, a line break, a NUL). `engine.yamlwrite` must be total: for any text, as a value,
in a flow mapping, as a key, in a comment, at any length. Hypothesis generates the text, biased to the
pieces YAML treats specially; a list of hostile strings is checked by name; the importer's own output is
read back and compared with what it imported.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.importer import MAX_FILE_NAME_BYTES, case_yaml, import_tables, suggested_file_name
from engine.load import MAX_SCALAR_CHARS, parse_document
from engine.yamlwrite import document_yaml, flow_mapping, key_value, yaml_comment, yaml_key, yaml_scalar

PIECES = ["\r", "\n", "\r\n", "\x00", "\t", " ", ": ", ":", "#", " #", "- ", "-", "&", "*", "!", "%", "@", "`", "'",
          '"', "\\", "---", "...", "yes", "No", "ON", "off", "null", "~", "0123", "1e3", ".inf", ".nan", "<<", "=",
          "?", "|", ">", "{", "}", "[", "]", ",", "\u202e", "\u202a", "\u2066", "\u200f", "\u2028", "\u2029",
          "\ufeff", "\x85", "\x1b", "\x7f", "\x9f", "\ufffe", "\uffff", "\U0001f600", "中文", "０", "１２", "1_000",
          "0x1F", "1:30", "2023-01-01", "+1", "-1", ".5", "1.", "%YAML", "&a *a", "!!str", "\u3000", "\xa0"]
TEXT = st.lists(st.sampled_from(PIECES) | st.characters(blacklist_categories=("Cs",)), max_size=24).map("".join)
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HOSTILE = {
    "carriage return": "a\rb", "line feed": "a\nb", "CRLF": "a\r\nb", "NUL": "a\x00b", "tab": "a\tb",
    "leading and trailing spaces": "  a  ", "colon space inside": "a: b", "trailing colon": "乡村道路:",
    "hash": "a #b", "leading hash": "#a", "leading dash": "- a", "anchor": "&a", "alias": "*a", "tag": "!a",
    "directive": "%a", "at": "@a", "backtick": "`a", "single quote": "'a", "double quote": '"a"',
    "document start": "---", "document end": "...", "yes": "yes", "no": "No", "on": "ON", "off": "off",
    "null": "null", "tilde": "~", "octal-looking": "0123", "exponent": "1e3", "infinity": ".inf",
    "merge key": "<<", "value key": "=", "bidi override": "\u202eabc\u202c", "line separator": "a\u2028b",
    "paragraph separator": "a\u2029b", "BOM inside": "a\ufeffb", "next line": "a\x85b", "escape": "\x1b[2J",
    "backslash": "C:\\表格\\", "empty": "", "only spaces": "   ", "full-width space": "\u3000项目\u3000",
}


def _value(text: str, flow: bool = False, typed: bool = True) -> object:
    rendered = yaml_scalar(text, in_flow=flow, typed=typed)
    document = f"k: {{v: {rendered}}}\n" if flow else f"k: {rendered}\n"
    engine_data = parse_document(document, "t.yaml").data
    pyyaml_data = yaml.safe_load(document)
    engine_value = engine_data["k"]["v"] if flow else engine_data["k"]
    pyyaml_value = pyyaml_data["k"]["v"] if flow else pyyaml_data["k"]
    if typed:
        assert pyyaml_value == text, (document, pyyaml_value)
    return engine_value


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_text_reads_back_as_written(name):
    text = HOSTILE[name]
    assert _value(text) == text
    assert _value(text, flow=True) == text
    assert list(parse_document(key_value("", text, " 1") + "\n", "t.yaml").data) == [text]


@SETTINGS
@given(TEXT)
def test_any_text_reads_back_as_a_value_in_block_and_flow_style(text):
    assert _value(text) == text
    assert _value(text, flow=True) == text


@SETTINGS
@given(TEXT)
def test_figures_written_bare_read_back_as_the_same_number_and_other_text_as_text(text):
    value = _value(text, typed=False)
    assert value == text or (isinstance(value, (int, Decimal)) and Decimal(text) == value)


@SETTINGS
@given(TEXT, TEXT)
def test_any_text_reads_back_as_a_key_with_any_value_and_any_comment(key, text):
    document = key_value("", key, f" {yaml_scalar(text, typed=True)}  # {yaml_comment(text)}") + "\n"
    assert parse_document(document, "t.yaml").data == {key: text}
    assert yaml.safe_load(document) == {key: text}
    assert "\n" not in yaml_comment(text) and "\r" not in yaml_comment(text)


@SETTINGS
@given(st.dictionaries(TEXT, TEXT, max_size=4))
def test_flow_mappings_of_any_keys_and_texts(mapping):
    document = f"row: {flow_mapping(mapping, typed=True)}\n"
    assert parse_document(document, "t.yaml").data == {"row": mapping}


@SETTINGS
@given(st.recursive(TEXT, lambda inner: st.lists(inner, min_size=1, max_size=3)
                    | st.dictionaries(TEXT, inner, min_size=1, max_size=3), max_leaves=8))
def test_whole_documents_read_back(value):
    data = {"top": value}
    assert parse_document(document_yaml(data, {}, "t.yaml"), "t.yaml").data == data


def test_a_lone_surrogate_which_no_file_can_hold_is_written_as_the_replacement_character():
    lone, pair = "a\ud800b", "\ud83d\ude00"  # a pair from a UTF-16 source is the one character it encodes
    assert parse_document("k: " + yaml_scalar(lone) + "\n", "t.yaml").data == {"k": "a\ufffdb"}
    assert parse_document("k: " + yaml_scalar(pair) + "\n", "t.yaml").data == {"k": "\U0001f600"}


@pytest.mark.parametrize("text", ["\u2028" * 20_000, "\x00" * 20_000, " a" * 10_000, "表" * 20_000 + " "])
def test_long_text_is_folded_within_the_loaders_line_limit_and_reads_back(text):
    document = "top:\n  - " + yaml_scalar(text, typed=True, indent=4) + "\n  - " + \
        key_value("", text, " 1").replace("\n", "\n    ") + "\n"
    assert max(len(line) for line in document.split("\n")) < MAX_SCALAR_CHARS
    assert parse_document(document, "t.yaml").data == {"top": [text, {text: Decimal(1)}]}


def test_a_key_longer_than_yaml_simple_keys_is_written_as_an_explicit_key():
    key = "栏目" * 600
    assert yaml_key(key).startswith('? "')
    assert parse_document(key_value("  ", key, " 1").join(["a:\n", "\n"]), "t.yaml").data == {"a": {key: Decimal(1)}}
    assert parse_document(f"a: {flow_mapping({key: 'x'}, typed=True)}\n", "t.yaml").data == {"a": {key: "x"}}


# ------------------------------------------------------------------ the importer's own output ----

def _table(name: str, department: str = "某县交通运输局") -> str:
    rows = [["2023年度项目支出绩效自评表"], ["项目名称", name], ["主管部门", department, "", "", "实施单位", "某县公路事务中心"],
            ["项目资金（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
            ["", "年度资金总额", "50", "50", "45", "10", "90%", "9"],
            ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "实际完成值", "分值", "得分"],
            ["产出指标", "数量指标", "养护里程", "≥", "120", "公里", "120", "100", "100"]]

    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"' if any(ch in text for ch in ',"\r\n') else text

    return "\r\n".join(",".join(cell(text) for text in row) for row in rows) + "\r\n"


# A NUL makes the file binary to the read stage (refused there); a blank name is no name.
@pytest.mark.parametrize("name", [text for text in HOSTILE.values() if text.strip(" \t\r\n\u3000") and "\x00" not in text])
def test_an_imported_case_reads_back_as_it_was_imported(name, tmp_path):
    path = tmp_path / "table.csv"
    path.write_text(_table(name, department=name.replace("\t", " ")), encoding="utf-8", newline="")
    case = import_tables(path)[0]
    written = parse_document(case_yaml(case), "case.yaml").data
    assert written["name"] == case.data["name"] and written["department"] == case.data["department"]
    assert written["name"] not in ("", None)


def test_text_that_looks_like_a_number_stays_text_where_the_case_takes_text(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text(_table("0123", department="2023"), encoding="utf-8")
    written = parse_document(case_yaml(import_tables(path)[0]), "case.yaml").data
    assert (written["name"], written["department"]) == ("0123", "2023")
    assert written["funds"]["total"]["executed"] == Decimal("45")  # figures are still numbers


def test_a_title_holding_line_breaks_adds_no_line_to_the_file(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text(_table("乡村道路养护").replace("2023年度项目支出绩效自评表", '"2023年度项目支出绩效自评表\rhacked: 1"'),
                    encoding="utf-8", newline="")
    case = import_tables(path)[0]
    text = case_yaml(case, schema_path="a\nb: 1")
    assert "\nhacked" not in text and "\nb: 1" not in text
    assert "hacked" not in parse_document(text, "case.yaml").data


@pytest.mark.parametrize("name, expected", [
    ("乡村道路养护", "项目-乡村道路养护.yaml"),
    ("../../etc/passwd", "项目-etc-passwd.yaml"),
    ("a\\b:c*d?e\"f<g>h|i", "项目-a-b-c-d-e-f-g-h-i.yaml"),
    ("道路\x1b[2J\u202e养护\u2028", "项目-道路-[2J-养护.yaml"),
    ("...", "项目-case.yaml"),
    (".hidden", "项目-hidden.yaml"),
    ("", "项目-case.yaml"),
])
def test_file_names_derived_from_a_name_stay_one_plain_name(name, expected):
    assert suggested_file_name(SimpleNamespace(name=name, kind="project")) == expected


def test_a_300_character_name_gives_a_file_name_within_the_byte_limit(tmp_path):
    name = "乡村道路养护工程" * 37 + "收尾"
    path = tmp_path / "table.csv"
    path.write_text(_table(name), encoding="utf-8")
    folder = tmp_path / "out"
    folder.mkdir()
    result = CliRunner().invoke(main, ["import", str(path), "-o", str(folder)])
    assert result.exit_code == 0, result.output
    [written] = folder.iterdir()
    assert len(written.name.encode("utf-8")) <= MAX_FILE_NAME_BYTES
    assert written.name.startswith("项目-乡村道路养护工程") and written.name.endswith(".yaml")
    assert parse_document(written.read_bytes(), str(written)).data["name"] == name
