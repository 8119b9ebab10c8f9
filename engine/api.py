"""The library's front door: each function chains the stages for one job.

load → validate → compile for a scheme; load → validate (against the compiled scheme) for a
case; then evaluate. Everything the CLI does is one call here.
"""

from __future__ import annotations

from pathlib import Path

from .compile import compile_scheme
from .errors import CaseError, SchemeError
from .evaluate import evaluate
from .load import load_document
from .model import CaseData, CompiledScheme, Result
from .validate import bind_case, check_scheme


def load_scheme(path: str | Path) -> CompiledScheme:
    """Read, validate and compile a scheme file; SchemeError lists every problem found."""
    document = load_document(path)
    problems = check_scheme(document)
    if problems:
        raise SchemeError(problems)
    return compile_scheme(document)


def load_case(scheme: CompiledScheme, path: str | Path) -> CaseData:
    """Read a case file and check it supplies what `scheme` needs; CaseError lists every gap."""
    case, problems = bind_case(scheme, load_document(path))
    if problems:
        raise CaseError(problems)
    return case


def score_file(scheme: CompiledScheme, case_path: str | Path) -> Result:
    return evaluate(scheme, load_case(scheme, case_path))


def score(scheme_path: str | Path, case_path: str | Path) -> Result:
    """Score one case file by one scheme file."""
    return score_file(load_scheme(scheme_path), case_path)
