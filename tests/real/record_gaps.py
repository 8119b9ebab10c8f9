"""Record what `engine import` does today with each corpus file, in the `files:` list of its expect.yaml.

    python tests/real/record_gaps.py && git diff tests/data/real

The hand-written expectations (`import:`, `score:`, `findings:`) are never touched: this only rewrites,
per file, `refused:` (the message fragment) or `gaps:` (the exact differences from the hand-written
import) so that a fix to the importer can be recorded in one step. Read the diff before committing:
a gap that grows, or a file that turns from imported to refused, is a regression, not a record.
"""
import re, sys, glob, yaml
sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parent.parent))
from engine.importer import import_tables
from engine.errors import EngineError
from real.compare import differences

def q(text):
    return '"' + text.replace('\\', '\\\\').replace('"', '\\"') + '"'

for exp in sorted(glob.glob('tests/data/real/*.expect.yaml')):
    text = open(exp).read()
    e = yaml.safe_load(text)
    for item in e['files']:
        if item['layout'] == 'html' and False: pass
        path = 'tests/data/real/' + item['file']
        year = item.get('year')
        try:
            cases = import_tables(path, year=year)
        except EngineError as err:
            msg = str(err.problems[0].message)
            if '没有找到年度' in msg and year is None:
                year = e['fiscal_year']
                try:
                    cases = import_tables(path, year=year)
                except EngineError as err2:
                    msg = str(err2.problems[0].message); cases = None
            else:
                cases = None
        lines = [f"  - file: {item['file']}", f"    layout: {item['layout']}"]
        if year is not None:
            lines.append(f"    year: {year}                 # the table prints no year: the clerk gives it with --year")
        if cases is None:
            if '单元格之间没有可辨认的分隔' in msg:
                frag = '单元格之间没有可辨认的分隔'
            elif '没有找到自评表的标题' in msg:
                frag = '没有找到自评表的标题'
            else:
                m = re.search(r'但(没有找到[^；（]*|[^；（]*是空的|绩效指标表头[^；（]*)', msg)
                frag = m.group(1) if m else msg[:40]
            lines.append(f"    refused: {q(frag)}")
        else:
            if len(cases) != 1:
                lines.append(f"    tables: {len(cases)}")
            d = differences(e['import'], cases[0].data)
            if d:
                lines.append("    gaps:                   # what the importer does not read right yet, exactly")
                for x in d:
                    lines.append(f"      - {q(x)}")
        # replace the files entry
        pattern = re.compile(r"^  - \{file: " + re.escape(item['file']) + r",[^\n]*\}[^\n]*$", re.M)
        m = pattern.search(text)
        if not m:
            # already block style: replace block
            pattern = re.compile(r"^  - file: " + re.escape(item['file']) + r"\n(?:    [^\n]*\n|      [^\n]*\n)*", re.M)
            m = pattern.search(text)
            assert m, (exp, item['file'])
            text = text[:m.start()] + "\n".join(lines) + "\n" + text[m.end():]
        else:
            text = text[:m.start()] + "\n".join(lines) + text[m.end():]
    open(exp, 'w').write(text)
    yaml.safe_load(open(exp))
print("done")
