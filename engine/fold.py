"""Settings decided once, not per case: the branches of a rule's snippet its settings rule out, dropped.

A rule's snippet is written for every setting (`if $cut is not None and …`, `if $zero_refused:`); a
scheme fixes the settings, so the code generated for it need not test them again for every row. `fold`
reads the snippet with what is known before it runs — the rule's settings, the shared constants, and
for a scheme's own indicator the slots its weight and target fill — and keeps of each `if` whose test
those decide only the branch taken. A test it cannot decide (one that reads a case's figure) stays as
written; so does everything in a loop or a `try`, where a value known at the top may not be known
inside. What it drops is code that could not run: the folded snippet computes what the snippet does.
"""

from __future__ import annotations

import ast
import operator
from typing import Any

_UNKNOWN = object()
_COMPARE = {
    ast.Is: operator.is_, ast.IsNot: operator.is_not, ast.Eq: operator.eq, ast.NotEq: operator.ne,
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
}
_PLAIN = (type(None), bool, int, str)  # literals read as values
_TERMINAL = (ast.Raise, ast.Return, ast.Continue, ast.Break)


def fold(source: str, known: dict[str, Any]) -> str:
    """`source` (statements) with every branch the `known` values decide kept or dropped."""
    tree = ast.parse(source)
    tree.body = _Folder().block(tree.body, dict(known)) or [ast.Pass()]
    return ast.unparse(tree) + "\n"


class _Folder:
    def block(self, statements: list[ast.stmt], known: dict[str, Any]) -> list[ast.stmt]:
        """The statements as they run in order, `known` updated as they assign."""
        out: list[ast.stmt] = []
        for statement in statements:
            if isinstance(statement, ast.If):
                test = self.value(statement.test, known)
                if test is not _UNKNOWN:
                    taken = self.block(statement.body if test else statement.orelse, known)
                    out += taken
                    if taken and isinstance(taken[-1], _TERMINAL):
                        break  # what follows cannot run
                    continue
                statement.test = self.simplified(statement.test, known)
                for name in _stored(statement.test):  # an assignment expression in the test
                    known.pop(name, None)
                after_body, after_else = dict(known), dict(known)
                statement.body = self.block(statement.body, after_body) or [ast.Pass()]
                statement.orelse = self.block(statement.orelse, after_else)
                _forget_unlike(known, after_body, after_else)
            elif isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                    and isinstance(statement.targets[0], ast.Name):
                value = self.value(statement.value, known)
                if value is _UNKNOWN:
                    known.pop(statement.targets[0].id, None)
                else:
                    known[statement.targets[0].id] = value
            else:
                for name in _stored(statement):  # a loop, a try, a tuple assignment: what it sets is unknown
                    known.pop(name, None)
            out.append(statement)
            if isinstance(statement, _TERMINAL):
                break
        return out

    def value(self, node: ast.expr, known: dict[str, Any]) -> Any:
        """The node's value where the known values decide it (and evaluating it runs nothing of the case's)."""
        if isinstance(node, ast.Constant) and isinstance(node.value, _PLAIN):
            return node.value
        if isinstance(node, ast.Name):
            return known.get(node.id, _UNKNOWN)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            operand = self.value(node.operand, known)
            return _UNKNOWN if operand is _UNKNOWN else not operand
        if isinstance(node, ast.BoolOp):
            # Left to right, as Python runs it: an undecided operand before the deciding one decides nothing.
            for operand in node.values:
                value = self.value(operand, known)
                if value is _UNKNOWN:
                    return _UNKNOWN
                if bool(value) is isinstance(node.op, ast.Or):
                    return value
            return value
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
            left, right = self.value(node.left, known), self.value(node.comparators[0], known)
            if left is _UNKNOWN or right is _UNKNOWN:
                return _UNKNOWN
            try:
                return _COMPARE[type(node.ops[0])](left, right)
            except Exception:  # noqa: BLE001 - values that do not compare: leave the test to run
                return _UNKNOWN
        return _UNKNOWN

    def simplified(self, test: ast.expr, known: dict[str, Any]) -> ast.expr:
        """An undecided `a and b`: its leading operands known to be true dropped."""
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
            values = list(test.values)
            while len(values) > 1 and self.value(values[0], known) is not _UNKNOWN and self.value(values[0], known):
                values.pop(0)
            return values[0] if len(values) == 1 else ast.BoolOp(op=ast.And(), values=values)
        return test


def _forget_unlike(known: dict[str, Any], *branches: dict[str, Any]) -> None:
    """After an undecided `if`: a name stays known only where both branches leave the same value."""
    for name in list(known) + [name for branch in branches for name in branch]:
        values = [branch.get(name, _UNKNOWN) for branch in branches]
        if any(value is _UNKNOWN or value is not values[0] for value in values):
            known.pop(name, None)
        else:
            known[name] = values[0]


def assigned_names(source: str) -> set[str]:
    """Every name the statements assign."""
    return _stored(ast.parse(source))


def _stored(statement: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(statement) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
