"""A small, safe expression language for conditions, computed values and templates.

Parsed by a Pratt parser into a tree of nodes; evaluated against a `Scope`. There is no `eval`,
no attribute access beyond dictionary keys and a few date fields, and only registered functions
can be called. A failing evaluation (a missing answer, a type mismatch) yields `None` rather than
stopping a conversation: flows skip questions, so missing values are normal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol


class ExpressionError(ValueError):
    """An expression that does not parse; `offset` is the character where it went wrong."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


class EvalError(Exception):
    """An expression failed while running (caught by callers, which use a neutral value)."""


class Scope(Protocol):
    """What an expression can see: names and functions."""

    def lookup(self, name: str) -> Any:
        """The value bound to `name` (None when it has no value)."""

    def call(self, name: str, args: list[Any]) -> Any:
        """Call function `name` with `args`."""


_TOKEN = re.compile(
    r"""\s*(?:
    (?P<number>\d+(?:\.\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|[-+*/%<>()\[\],.|:])
    )""",
    re.VERBOSE,
)
_KEYWORDS = {
    "and",
    "or",
    "not",
    "in",
    "if",
    "else",
    "true",
    "false",
    "none",
    "True",
    "False",
    "None",
}


@dataclass(frozen=True)
class Token:
    """One lexical token: `kind` is number, string, name, op, kw or end."""

    kind: str
    value: str
    offset: int


def tokenize(source: str) -> list[Token]:
    """Split `source` into tokens, raising ExpressionError on a character that cannot start one."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        if source[pos:].strip() == "":
            break
        match = _TOKEN.match(source, pos)
        if not match or match.end() == pos:
            offending = source[pos:].lstrip()[:1]
            raise ExpressionError(f"unexpected character {offending!r}", pos)
        group = match.lastgroup or "op"
        value = match.group(group)
        kind = "kw" if group == "name" and value in _KEYWORDS else group
        tokens.append(Token(kind, value, match.start(group)))
        pos = match.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


class Node:
    """A node of an expression tree."""

    def evaluate(self, scope: Scope) -> Any:
        """Compute the value of this node."""
        raise NotImplementedError

    def children(self) -> Iterator[Node]:
        """The direct sub-nodes (for validation walks)."""
        return iter(())

    def walk(self) -> Iterator[Node]:
        """This node and all nodes below it."""
        yield self
        for child in self.children():
            yield from child.walk()


@dataclass(frozen=True)
class Literal(Node):
    """A constant."""

    value: Any

    def evaluate(self, scope: Scope) -> Any:
        """Return the constant."""
        return self.value


@dataclass(frozen=True)
class Name(Node):
    """A name: an answer, a computed value, or a root such as `user`."""

    name: str

    def evaluate(self, scope: Scope) -> Any:
        """Look the name up in the scope."""
        return scope.lookup(self.name)


@dataclass(frozen=True)
class ListNode(Node):
    """A list literal."""

    items: tuple[Node, ...]

    def evaluate(self, scope: Scope) -> Any:
        """Evaluate every item."""
        return [item.evaluate(scope) for item in self.items]

    def children(self) -> Iterator[Node]:
        """The items."""
        return iter(self.items)


_DATE_FIELDS = {"year", "month", "day"}


def get_item(container: Any, key: Any) -> Any:
    """`container[key]` or `container.key`, None when absent; only data, never Python attributes."""
    if container is None:
        return None
    if isinstance(container, Mapping):
        if key in container:
            return container[key]
        # YAML and JSON turn integer keys into strings and back; accept either spelling.
        alt = str(key) if not isinstance(key, str) else (int(key) if key.isdigit() else None)
        return container.get(alt) if alt is not None else None
    if isinstance(container, list | tuple | str):
        if isinstance(key, int | Decimal) and not isinstance(key, bool):
            index = int(key)
            return container[index] if -len(container) <= index < len(container) else None
        return None
    if isinstance(container, date) and key in _DATE_FIELDS:
        return getattr(container, key)
    return None


@dataclass(frozen=True)
class Index(Node):
    """`a[b]` or `a.b`."""

    target: Node
    key: Node

    def evaluate(self, scope: Scope) -> Any:
        """Look the key up in the target."""
        return get_item(self.target.evaluate(scope), self.key.evaluate(scope))

    def children(self) -> Iterator[Node]:
        """Target and key."""
        return iter((self.target, self.key))


@dataclass(frozen=True)
class Call(Node):
    """A call of a registered function."""

    function: str
    args: tuple[Node, ...]

    def evaluate(self, scope: Scope) -> Any:
        """Evaluate the arguments and call the function through the scope."""
        return scope.call(self.function, [arg.evaluate(scope) for arg in self.args])

    def children(self) -> Iterator[Node]:
        """The arguments."""
        return iter(self.args)


def _num(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _arith(op: str, left: Any, right: Any) -> Any:
    if op == "+" and isinstance(left, list) and isinstance(right, list):
        return left + right
    if op == "+" and (isinstance(left, str) or isinstance(right, str)):
        return f"{'' if left is None else left}{'' if right is None else right}"
    a, b = _num(left), _num(right)
    if not isinstance(a, int | float) or not isinstance(b, int | float):
        raise EvalError(f"cannot compute {left!r} {op} {right!r}")
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise EvalError("division by zero")
    if op == "/":
        return a / b
    return a % b


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        if left is None or right is None:
            return left is right
        # answers typed as text ("3") compare equal to numbers (3), as authors expect
        return bool(_num(left) == _num(right)) or str(left) == str(right)
    if op == "!=":
        return not _compare("==", left, right)
    if op == "in":
        return _contains(right, left)
    if op == "not in":
        return not _contains(right, left)
    a, b = _num(left), _num(right)
    try:
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        return bool(a >= b)
    except TypeError:
        return False


def _contains(container: Any, item: Any) -> bool:
    if container is None:
        return False
    if isinstance(container, str):
        return str(item) in container
    if isinstance(container, Mapping):
        return item in container or str(item) in container
    try:
        return any(_compare("==", element, item) for element in container)
    except TypeError:
        return False


@dataclass(frozen=True)
class Binary(Node):
    """Arithmetic and comparison operators."""

    op: str
    left: Node
    right: Node

    def evaluate(self, scope: Scope) -> Any:
        """Apply the operator."""
        left, right = self.left.evaluate(scope), self.right.evaluate(scope)
        if self.op in {"+", "-", "*", "/", "%"}:
            return _arith(self.op, left, right)
        return _compare(self.op, left, right)

    def children(self) -> Iterator[Node]:
        """Both operands."""
        return iter((self.left, self.right))


@dataclass(frozen=True)
class Logical(Node):
    """`and` / `or`, short-circuiting, returning booleans."""

    op: str
    left: Node
    right: Node

    def evaluate(self, scope: Scope) -> Any:
        """Apply the logical operator."""
        if self.op == "and":
            return truthy(self.left.evaluate(scope)) and truthy(self.right.evaluate(scope))
        return truthy(self.left.evaluate(scope)) or truthy(self.right.evaluate(scope))

    def children(self) -> Iterator[Node]:
        """Both operands."""
        return iter((self.left, self.right))


@dataclass(frozen=True)
class Unary(Node):
    """`not x` and `-x`."""

    op: str
    operand: Node

    def evaluate(self, scope: Scope) -> Any:
        """Apply the unary operator."""
        value = self.operand.evaluate(scope)
        if self.op == "not":
            return not truthy(value)
        return _arith("-", 0, value)

    def children(self) -> Iterator[Node]:
        """The operand."""
        return iter((self.operand,))


@dataclass(frozen=True)
class Conditional(Node):
    """`a if condition else b`."""

    condition: Node
    then: Node
    otherwise: Node

    def evaluate(self, scope: Scope) -> Any:
        """Pick one branch."""
        if truthy(self.condition.evaluate(scope)):
            return self.then.evaluate(scope)
        return self.otherwise.evaluate(scope)

    def children(self) -> Iterator[Node]:
        """Condition and branches."""
        return iter((self.condition, self.then, self.otherwise))


def truthy(value: Any) -> bool:
    """Truth of a flow value: empty lists, empty texts, 0, none and false are false."""
    if isinstance(value, str):
        return value.strip() != ""
    return bool(value)


_BINDING = {
    "if": 5, "or": 10, "and": 20, "not": 30,
    "==": 40, "!=": 40, "<": 40, "<=": 40, ">": 40, ">=": 40, "in": 40,
    "|": 45, "+": 50, "-": 50, "*": 60, "/": 60, "%": 60,
    "(": 90, "[": 90, ".": 90,
}  # fmt: skip


_ESCAPES = {"n": "\n", "t": "\t"}


def _unescape(body: str) -> str:
    r"""The text of a string literal: `\n`, `\t`; a backslash keeps any other character."""
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body, flags=re.DOTALL)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.pos = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        if self.token.value != value or self.token.kind not in {"op", "kw"}:
            found = self.token.value or "the end"
            raise ExpressionError(f"expected {value!r} but found {found!r}", self.token.offset)
        self.advance()

    def binding(self, token: Token) -> int:
        if token.kind == "kw" and token.value == "not":
            # only `not in` continues an expression; a bare `not` starts one
            nxt = self.tokens[self.pos + 1] if self.pos + 1 < len(self.tokens) else token
            return 40 if nxt.value == "in" else 0
        if token.kind in {"op", "kw"}:
            return _BINDING.get(token.value, 0)
        return 0

    def parse(self, rbp: int = 0) -> Node:
        left = self.prefix(self.advance())
        while rbp < self.binding(self.token):
            left = self.infix(self.advance(), left)
        return left

    def prefix(self, token: Token) -> Node:
        if token.kind == "number":
            return Literal(float(token.value) if "." in token.value else int(token.value))
        if token.kind == "string":
            return Literal(_unescape(token.value[1:-1]))
        if token.kind == "kw":
            if token.value in {"true", "True"}:
                return Literal(True)
            if token.value in {"false", "False"}:
                return Literal(False)
            if token.value in {"none", "None"}:
                return Literal(None)
            if token.value == "not":
                return Unary("not", self.parse(30))
        if token.kind == "name":
            if self.token.value == "(" and self.token.kind == "op":
                self.advance()
                return Call(token.value, self.arguments(")"))
            return Name(token.value)
        if token.value == "-":
            return Unary("-", self.parse(70))
        if token.value == "(":
            inner = self.parse()
            self.expect(")")
            return inner
        if token.value == "[":
            return ListNode(self.arguments("]"))
        found = token.value or "the end"
        raise ExpressionError(f"unexpected {found!r}", token.offset)

    def arguments(self, closing: str) -> tuple[Node, ...]:
        args: list[Node] = []
        if self.token.value == closing:
            self.advance()
            return ()
        while True:
            args.append(self.parse())
            if self.token.value == ",":
                self.advance()
                continue
            self.expect(closing)
            return tuple(args)

    def infix(self, token: Token, left: Node) -> Node:
        op = token.value
        if op in {"and", "or"}:
            return Logical(op, left, self.parse(_BINDING[op]))
        if op == "not":
            self.expect("in")
            return Binary("not in", left, self.parse(40))
        if op == "if":
            condition = self.parse(5)
            self.expect("else")
            return Conditional(condition, left, self.parse(4))
        if op == "(":
            raise ExpressionError("only named functions can be called", token.offset)
        if op == "[":
            key = self.parse()
            self.expect("]")
            return Index(left, key)
        if op == ".":
            name = self.advance()
            if name.kind not in {"name", "number"}:
                raise ExpressionError("expected a name after '.'", name.offset)
            return Index(left, Literal(int(name.value) if name.kind == "number" else name.value))
        if op == "|":
            func = self.advance()
            if func.kind != "name":
                raise ExpressionError("expected a function name after '|'", func.offset)
            extra: tuple[Node, ...] = ()
            if self.token.value == "(":
                self.advance()
                extra = self.arguments(")")
            return Call(func.value, (left, *extra))
        return Binary(op, left, self.parse(_BINDING[op]))


def parse_expression(source: str) -> Node:
    """Parse `source` into an expression tree.

    Raises:
        ExpressionError: with a readable message and the offset where parsing failed.
    """
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("empty expression")
    parser = _Parser(source)
    node = parser.parse()
    if parser.token.kind != "end":
        raise ExpressionError(f"unexpected {parser.token.value!r}", parser.token.offset)
    return node


def names_in(node: Node) -> set[str]:
    """Root names an expression reads (for checking references at load time)."""
    return {n.name for n in node.walk() if isinstance(n, Name)}


def functions_in(node: Node) -> set[str]:
    """Functions an expression calls."""
    return {n.function for n in node.walk() if isinstance(n, Call)}


def evaluate(node: Node, scope: Scope, default: Any = None) -> Any:
    """Evaluate `node`, returning `default` when evaluation fails on the data at hand."""
    try:
        return node.evaluate(scope)
    except (EvalError, TypeError, ValueError, ArithmeticError, LookupError, RecursionError):
        return default


FunctionTable = Mapping[str, Callable[..., Any]]
