"""A rules-as-config engine for Chinese budget performance evaluation (预算绩效评价).

    import engine
    result = engine.score("schemes/project-self-eval/2023.yaml", "cases/…/fire-insurance.yaml")
    print(result.total, result.grade)
"""

from .api import load_case, load_scheme, score, score_file
from .errors import CaseError, EngineError, Problem, SchemeError
from .evaluate import evaluate
from .model import CaseData, CompiledScheme, Result

__all__ = [
    "CaseData", "CaseError", "CompiledScheme", "EngineError", "Problem", "Result", "SchemeError",
    "evaluate", "load_case", "load_scheme", "score", "score_file",
]
__version__ = "0.1.0"
