"""The small, safe condition language of conditional injects (never Python `eval`).

    not declared and elapsed >= 15m
    declared and since(last_update) > 30m and not restored
    delivered(ceo_call) and count(update) == 0
    traffic_served < 50 or cost > 100000

Grammar (lowest precedence first):

    expr    := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
    sum     := atom (("+" | "-") atom)*
    atom    := NUMBER [unit] | NAME | NAME "(" NAME ")" | "(" expr ")" | "true" | "false"

Numbers may carry a duration unit (`90s`, `15m`, `1h30m`, `2d`) and are then minutes.
Names and function arguments are checked against what the scenario defines when it is
loaded, so a typo is a validation error, not a condition that silently never fires.
A comparison with something that has not happened yet (`since(declared)` before the
declaration) is false.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from .durations import DURATION_UNITS

__all__ = ["Condition", "ConditionError", "ConditionState", "parse_condition", "FUNCTIONS", "STATE_NAMES"]

FUNCTIONS = {
    "since": "minutes since a milestone, `last_update`, or a delivered inject",
    "at": "scenario minute of a milestone (false before it is reached)",
    "delivered": "true once the named inject has been delivered",
    "count": "how many actions of the named kind were taken",
    "done": "true once an action of the named kind was taken",
    "paged": "true once the named role or resolver group was paged",
    "joined": "true once the named role or resolver group is on the bridge (answered a page, or acted)",
    "started": "true once work on the named workaround has started (it may not be done yet)",
}
STATE_NAMES = {
    "elapsed": "minutes since impact start",
    "updates": "stakeholder updates sent so far",
    "cost": "outage cost accrued so far",
    "lost_share": "share of service lost right now (0-1)",
    "bridge_open": "true once the bridge is open",
    "wrong_hypotheses": "hypotheses and identifications that name a wrong cause",
    "failed_workarounds": "workarounds whose work is done and that changed nothing or made things worse",
}

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<number>\d+(?:\.\d+)?(?:\s*[dhms](?:\s*\d+(?:\.\d+)?\s*[dhms])*)?(?![a-z_]))"
    r"|(?P<name>[a-z_][a-z0-9_]*)"
    r"|(?P<op><=|>=|==|!=|<|>|\(|\)|\+|-)"
    r")",
    re.IGNORECASE,
)
_UNIT_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms])")
_COMPARE = {"<", "<=", ">", ">=", "==", "!="}
_KEYWORDS = {"and", "or", "not", "true", "false"}


class ConditionError(ValueError):
    """A condition that does not parse or names something unknown; says where."""


class ConditionState(Protocol):
    """What a condition reads: the drill's state at one scenario minute."""

    def value(self, name: str) -> float | bool | None: ...

    def call(self, function: str, argument: str) -> float | bool | None: ...


@dataclass(frozen=True)
class Condition:
    """A parsed condition: its text and a tiny syntax tree of tuples."""

    text: str
    tree: tuple

    def names(self) -> set[str]:
        return set(_walk(self.tree, "name"))

    def calls(self) -> set[tuple[str, str]]:
        return set(_walk(self.tree, "call"))

    def requires(self) -> set[str]:
        """What must have happened for the condition to hold: the arguments of `delivered()`
        and of `since()` inside comparisons (false before it happens) that every way of
        satisfying it needs. Used to find injects that wait for each other."""
        return _required(self.tree)

    def holds(self, state: ConditionState) -> bool:
        return bool(_evaluate(self.tree, state))

    def __str__(self) -> str:
        return self.text


def _walk(node: tuple, kind: str):
    tag = node[0]
    if tag == kind:
        yield node[1] if kind == "name" else (node[1], node[2])
    for child in node[1:]:
        if isinstance(child, tuple):
            yield from _walk(child, kind)


def _required(node: tuple) -> set[str]:
    tag = node[0]
    if tag == "and":
        return _required(node[1]) | _required(node[2])
    if tag == "or":
        return _required(node[1]) & _required(node[2])
    if tag == "call" and node[1] == "delivered":
        return {node[2]}
    if tag == "compare":
        return {argument for function, argument in _walk(node, "call") if function == "since"}
    return set()


def _tokens(text: str) -> list[tuple[str, object, int]]:
    out = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        match = _TOKEN.match(stripped, pos)
        if not match or match.end() == pos:
            raise ConditionError(f"unexpected {stripped[pos:].strip()[:12]!r} at column {pos + 1}")
        column = match.start(match.lastgroup) + 1
        if match["number"] is not None:
            raw = match["number"].lower()
            parts = _UNIT_PART.findall(raw)
            value = sum(float(n) * DURATION_UNITS[u] for n, u in parts) if parts else float(raw)
            out.append(("number", value, column))
        elif match["name"] is not None:
            word = match["name"].lower()
            out.append(("keyword" if word in _KEYWORDS else "name", word, column))
        else:
            out.append(("op", match["op"], column))
        pos = match.end()
    out.append(("end", None, len(stripped) + 1))
    return out


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self):
        return self.tokens[self.pos]

    def take(self):
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, kind: str, value=None):
        token = self.take()
        if token[0] != kind or (value is not None and token[1] != value):
            wanted = repr(value) if value is not None else kind
            raise ConditionError(f"expected {wanted} at column {token[2]}, got {_show(token)}")
        return token

    def parse(self) -> tuple:
        if self.peek()[0] == "end":
            raise ConditionError("empty condition")
        tree = self.disjunction()
        token = self.peek()
        if token[0] != "end":
            raise ConditionError(f"unexpected {_show(token)} at column {token[2]}")
        return tree

    def disjunction(self):
        left = self.conjunction()
        while self.peek()[:2] == ("keyword", "or"):
            self.take()
            left = ("or", left, self.conjunction())
        return left

    def conjunction(self):
        left = self.negation()
        while self.peek()[:2] == ("keyword", "and"):
            self.take()
            left = ("and", left, self.negation())
        return left

    def negation(self):
        if self.peek()[:2] == ("keyword", "not"):
            self.take()
            return ("not", self.negation())
        return self.comparison()

    def comparison(self):
        left = self.sum()
        token = self.peek()
        if token[0] == "op" and token[1] in _COMPARE:
            self.take()
            return ("compare", token[1], left, self.sum())
        return left

    def sum(self):
        left = self.atom()
        while self.peek()[0] == "op" and self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            left = ("arith", op, left, self.atom())
        return left

    def atom(self):
        token = self.take()
        kind, value, column = token
        if kind == "number":
            return ("number", value)
        if kind == "keyword" and value in ("true", "false"):
            return ("number", value == "true")
        if kind == "op" and value == "(":
            inner = self.disjunction()
            self.expect("op", ")")
            return inner
        if kind == "name":
            if self.peek()[:2] == ("op", "("):
                if value not in FUNCTIONS:
                    raise ConditionError(f"unknown function {value!r} at column {column} (known: {', '.join(FUNCTIONS)})")
                self.take()
                argument = self.expect("name")[1]
                self.expect("op", ")")
                return ("call", value, argument)
            return ("name", value)
        raise ConditionError(f"expected a value at column {column}, got {_show(token)}")


def _show(token) -> str:
    kind, value, _ = token
    if kind == "end":
        return "the end of the condition"
    if kind == "number":
        return f"number {value:g}"
    return repr(value)


def parse_condition(text: str) -> Condition:
    """Parse a condition; raise ConditionError saying what is wrong and at which column."""
    if not isinstance(text, str):
        raise ConditionError(f"a condition must be text, got {text!r}")
    if len(text) > 2000:
        raise ConditionError(f"a condition must be at most 2000 characters, got {len(text)}")
    try:
        return Condition(text.strip(), _Parser(text).parse())
    except RecursionError:
        raise ConditionError("the condition is nested too deeply") from None


def _evaluate(node: tuple, state: ConditionState):
    tag = node[0]
    if tag == "number":
        return node[1]
    if tag == "name":
        return state.value(node[1])
    if tag == "call":
        return state.call(node[1], node[2])
    if tag == "not":
        return not _truthy(_evaluate(node[1], state))
    if tag == "and":
        return _truthy(_evaluate(node[1], state)) and _truthy(_evaluate(node[2], state))
    if tag == "or":
        return _truthy(_evaluate(node[1], state)) or _truthy(_evaluate(node[2], state))
    if tag == "arith":
        left, right = _evaluate(node[2], state), _evaluate(node[3], state)
        if left is None or right is None or isinstance(left, bool) or isinstance(right, bool):
            return None
        return left + right if node[1] == "+" else left - right
    if tag == "compare":
        op, left, right = node[1], _evaluate(node[2], state), _evaluate(node[3], state)
        if left is None or right is None:
            return False
        return {
            "<": left < right, "<=": left <= right, ">": left > right,
            ">=": left >= right, "==": left == right, "!=": left != right,
        }[op]
    raise AssertionError(f"unknown node {tag!r}")


def _truthy(value) -> bool:
    return value is not None and value is not False and value != 0
