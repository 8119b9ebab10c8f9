"""The words of regional forms, held as data: which label means which field of a case.

`schemas/vocabulary.yaml` ships the words seen on published tables across provinces; a bureau
adds its own in a file of the same shape (`--vocabulary FILE`, or `schemes/vocabulary.yaml`
found from the working folder), whose words are added to the shipped ones. Labels are compared
as `label_key` makes them: traditional characters converted by OpenCC, full-width forms folded,
spaces, colons, a leading 其中 or numbering, and bracketed units such as （万元）or (A) removed.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .errors import EngineError, Location, Problem
from .load import load_document

SHIPPED = "vocabulary.yaml"
ENVIRONMENT = "ENGINE_VOCABULARY"


class VocabularyError(EngineError):
    kind = "vocabulary"


@functools.cache
def _converter():  # noqa: ANN202
    try:
        import opencc
    except ImportError:  # pragma: no cover - a dependency; without it traditional labels are not recognised
        return None
    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=65536)
def simplified(text: str) -> str:
    converter = _converter()
    return converter.convert(text) if converter is not None and text else text


_SPACE = re.compile(r"[\s\u3000\xa0]+")
_PUNCT = re.compile(r"[:：、,，.。;；\"“”'‘’*＊]")
_BRACKETS = re.compile(r"[(（\[【〔]([^()（）\[\]【】〔〕]{0,12})[)）\]】〕]")
_LEADING = re.compile(r"^(?:其中|其中[:：]|[一二三四五六七八九十]+[、.]|\d+[、.．]|[(（][一二三四五六七八九十\d]+[)）])")
_SHARE = re.compile(r"[(（]\s*(\d+(?:\.\d+)?)\s*分?\s*[)）]")


# Mirror sites that convert pages to traditional characters write the pinyin after each converted
# character, “項(xiàng)目”; the annotation is the mirror's, never the table's.
PINYIN = re.compile(r"(?<=[\u3400-\u9fff])[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê]{1,7}[)）]")


def fold(text: str) -> str:
    """Simplified characters, ordinary widths, no spaces, no pinyin annotations: text as it is compared."""
    return _SPACE.sub("", simplified(PINYIN.sub("", unicodedata.normalize("NFKC", text))))


@functools.lru_cache(maxsize=65536)
def label_key(text: str) -> str:
    """What a label cell says, for comparing with the vocabulary: “其中：当年财政拨款（万元）” → 当年财政拨款."""
    folded = fold(re.sub(r"[①-⑳]", "", text))  # 小计③=①+② is 小计: circled numbers mark columns, not words
    folded = _LEADING.sub("", folded)
    folded = _BRACKETS.sub("", folded)
    folded = re.sub(r"=[\d+\-×*/÷%]+$", "", folded)
    return _PUNCT.sub("", folded)


def share_in_label(text: str) -> str | None:
    """The weight an 一级 label prints in brackets: “产出指标(50分)” → "50"."""
    match = _SHARE.search(unicodedata.normalize("NFKC", text))
    return match.group(1) if match else None


@dataclass
class Words:
    """One block's words: key -> its synonyms as label keys, and the reverse index."""

    by_key: dict[str, list[str]] = field(default_factory=dict)
    index: dict[str, str] = field(default_factory=dict)
    _memo: dict[tuple[str, bool], str | None] = field(default_factory=dict, repr=False)

    def add(self, key: str, words: list[str]) -> None:
        self._memo.clear()
        entries = self.by_key.setdefault(key, [])
        for word in words:
            folded = label_key(word)
            if folded and folded not in entries:
                entries.append(folded)
            self.index.setdefault(folded, key)

    def match(self, text: str, loose: bool = True) -> str | None:
        """The key a label means: exactly, or (loose) the longest synonym the label starts or ends with."""
        found = self._memo.get((text, loose), self)
        if found is not self:
            return found  # type: ignore[return-value]
        if len(self._memo) > 100_000:  # a long batch meets many texts; keep the memo bounded
            self._memo.clear()
        found = self._memo[(text, loose)] = self._match(text, loose)
        return found

    def _match(self, text: str, loose: bool) -> str | None:
        key = label_key(text)
        if not key:
            return None
        if key in self.index:
            return self.index[key]
        if not loose or len(key) > 24:
            return None
        best = None
        for word, meaning in self.index.items():
            if len(word) >= 3 and (key.startswith(word) or key.endswith(word)) and len(key) - len(word) <= 6:
                if best is None or len(word) > len(best[0]):
                    best = (word, meaning)
        return best[1] if best else None


@dataclass
class Form:
    kind: str
    scheme: str
    titles: list[str]
    requires: tuple[str, ...] = ()


@dataclass
class Vocabulary:
    forms: list[Form] = field(default_factory=list)
    fields: Words = field(default_factory=Words)
    blocks: dict[str, Words] = field(default_factory=dict)  # "funds.columns", "indicators.level1" …
    natures: Words = field(default_factory=Words)
    totals: Words = field(default_factory=Words)
    ends: list[str] = field(default_factory=list)
    headings: Words = field(default_factory=Words)
    units: set[str] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)
    report_sections: Words = field(default_factory=Words)  # a 自评报告's section headings -> the case's `report:` key
    report_signatures: Words = field(default_factory=Words)  # 填报人 / 审核人 / 日期 -> prepared_by / reviewed_by / date
    report_ends: list[str] = field(default_factory=list)  # a line starting with one of these ends the report
    report_kinds: Words = field(default_factory=Words)  # words in a report's title that say whose report it is

    def words(self, name: str) -> Words:
        return self.blocks.setdefault(name, Words())

    def is_block(self, name: str, text: str) -> bool:
        return self.words(f"{name}.block").match(text, loose=False) is not None

    def scheme_for(self, kind: str, features: set[str]) -> str:
        """The scheme of the first form of `kind` whose requirements the table meets."""
        for form in self.forms:
            if form.kind == kind and set(form.requires) <= features:
                return form.scheme
        return _default_scheme(kind)

    def title(self, text: str) -> Form | None:
        """The form a title cell names: “2022年度项目支出绩效自评表” → the project form."""
        folded = _PUNCT.sub("", fold(text))
        best = None
        for form in self.forms:
            for title in form.titles:
                if title in folded and (best is None or len(title) > len(best[1])):
                    best = (form, title)
        return best[0] if best else None

    def merge(self, data: dict) -> None:
        for entry in data.get("forms") or []:
            titles = [_PUNCT.sub("", fold(t)) for t in entry.get("titles") or []]
            existing = next((f for f in self.forms if f.kind == entry["kind"] and f.scheme == entry.get("scheme", f.scheme)), None)
            if existing is None:
                self.forms.append(Form(entry["kind"], entry.get("scheme") or _default_scheme(entry["kind"]), titles,
                                       tuple(entry.get("requires") or ())))
            else:
                existing.titles.extend(t for t in titles if t not in existing.titles)
        for key, words in (data.get("fields") or {}).items():
            self.fields.add(key, words)
        for block in ("funds", "goals", "indicators", "key_tasks", "annual_goals"):
            for part, value in (data.get(block) or {}).items():
                if isinstance(value, dict):
                    for key, words in value.items():
                        self.words(f"{block}.{part}").add(key, words)
                else:
                    self.words(f"{block}.{part}").add(part, value)
        for key, words in (data.get("natures") or {}).items():
            self.natures.add(key, words)
        for key, words in (data.get("totals") or {}).items():
            self.totals.add(key, words)
        self.headings.add("heading", data.get("headings") or [])
        self.units.update(label_key(unit) or unit for unit in data.get("units") or [])
        self.ends.extend(label_key(word) for word in data.get("ends") or [] if label_key(word) not in self.ends)
        for key, words in (data.get("report_sections") or {}).items():
            if key == "ends":
                self.report_ends.extend(w for w in map(label_key, words) if w and w not in self.report_ends)
            elif key == "kinds":
                for kind, kind_words in words.items():
                    self.report_kinds.add(kind, kind_words)
            elif key in REPORT_SIGNATURES:
                self.report_signatures.add(key, words)
            else:
                self.report_sections.add(key, words)


REPORT_SIGNATURES = ("prepared_by", "reviewed_by", "date")


def _default_scheme(kind: str) -> str:
    return "project-self-eval" if kind == "project" else "department-self-eval"


def _shipped_path() -> Path:
    packaged = importlib.resources.files("engine") / "schemas" / SHIPPED
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "schemas" / SHIPPED


def _read(path: Path | str) -> dict:
    from .validate import check_shape

    try:
        document = load_document(path)
    except EngineError as error:
        raise VocabularyError(error.problems) from None
    if not isinstance(document.data, dict):
        raise VocabularyError(Problem("词表应是一个映射（栏目: [写法, …]）", Location(str(path), 1, 1), code="vocabulary"))
    problems = check_shape(document, "vocabulary")
    if problems:
        raise VocabularyError(problems)
    return document.data


def extra_vocabulary_files(explicit: list[str | Path] | None = None) -> list[Path]:
    """The bureau's own word files: given on the command line, named by ENGINE_VOCABULARY, or schemes/vocabulary.yaml."""
    files = [Path(p) for p in explicit or []]
    if os.environ.get(ENVIRONMENT):
        files.extend(Path(p) for p in os.environ[ENVIRONMENT].split(os.pathsep) if p)
    local = Path.cwd() / "schemes" / SHIPPED
    if local.is_file():
        files.append(local)
    return files


def load_vocabulary(extra: list[str | Path] | None = None) -> Vocabulary:
    files = []
    for path in extra_vocabulary_files(extra):
        try:
            info = path.stat()
            files.append((str(path), info.st_mtime_ns, info.st_size))  # an edited file is read again
        except OSError:
            files.append((str(path), 0, 0))
    return _load(tuple(files))


@functools.lru_cache(maxsize=8)
def _load(files: tuple[tuple[str, int, int], ...]) -> Vocabulary:
    vocabulary = Vocabulary()
    shipped = _shipped_path()
    vocabulary.merge(_read(shipped))
    vocabulary.sources.append(str(shipped))
    for path, _, _ in files:
        if not os.path.lexists(path):
            raise VocabularyError(Problem("词表文件不存在", Location(path), code="file-not-found"))
        # Anything else that is not a readable regular file — a FIFO, a device, a socket, a folder, a link
        # to one or to itself — is told as what it is by the loader, which opens nothing but regular files.
        vocabulary.merge(_read(path))
        vocabulary.sources.append(path)
    return vocabulary
