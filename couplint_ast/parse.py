"""The only caller of libcst.parse_module, and the cheap text prefilter that runs before it."""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Union

if TYPE_CHECKING:
    import libcst


@dataclass(frozen=True, order=True)
class Needle:
    """A regex that occurs in the text of every file a rule can report on.

    `words`: one of them occurs (lower-cased first with `fold`) in any text the regex can
    matter in; a substring test costs a fraction of a regex scan, so the regex runs only
    when one does. `in_code`: the regex counts only where it matches the file's code (its
    strings, names, calls and imports), never in its docstrings or comments; that is
    checked on CPython's tree, which flake8 builds anyway. `imports_only`: all its rule
    reads of a file is its imports, which CPython's tree holds: a file that only such
    needles let through is never parsed by libcst.

    `named` = (names, prefix) makes it a needle of names (tables): the text must hold one
    of `names` as a whole word, one of them right after `prefix`, and `pattern` anywhere.
    Each is read on the lower-cased text, where one of `words` starts: a scan with
    `str.find` instead of a regex alternation tried at every position of the file.
    """

    pattern: str
    words: tuple[str, ...] = ()
    fold: bool = False
    in_code: bool = False
    imports_only: bool = False
    named: tuple[str, ...] = ()  # (names, prefix)


class Text:
    """A file's text and CPython's tree of it, built at most once, when first needed."""

    def __init__(self, text: str, tree: ast.AST | None = None) -> None:
        self.text = text
        self._tree = tree
        self._built = tree is not None

    @property
    def tree(self) -> ast.AST | None:
        """CPython's tree, or None when this Python does not accept the text."""
        if not self._built:
            self._tree, self._built = python_tree(self.text), True
        return self._tree


# What a file needs, as the prefilter decides: nothing, its imports (read from CPython's
# tree), or a libcst parse.
Verdict = Literal["skip", "imports", "parse"]


class Prefilter:
    """Decides from the text alone whether a file can hold a finding, before any parse."""

    def __init__(self, needles: Iterable[Needle]) -> None:
        self._needles = [(_matcher(n), n) for n in sorted(set(needles))]

    def could_matter(self, text: Text) -> bool:
        """False when no rule can fire on this text (then it is never parsed)."""
        return self.verdict(text)[0] != "skip"

    def verdict(self, text: Text) -> tuple[Verdict, str]:
        """What the file needs, and the needle match that decides it (for `--profile`)."""
        folded = None
        imports = None
        in_code = []
        for pattern, needle in self._needles:
            if needle.words:
                if needle.fold and folded is None:
                    folded = text.text.lower()
                haystack = folded if needle.fold and folded is not None else text.text
                if not any(word in haystack for word in needle.words):
                    continue
            if needle.imports_only and imports is not None:
                continue
            found = pattern.find(text.text, folded)
            if found is None:
                continue
            if needle.in_code:
                in_code.append((pattern, needle))
            elif not needle.imports_only:
                return "parse", found
            else:
                imports = found
        if in_code:
            tree = text.tree
            if tree is None:
                return "parse", ""  # not this Python's syntax: parsing decides what it is
            code = code_text(tree)
            code_folded = code.lower() if any(n.fold for _, n in in_code) else None
            for pattern, needle in in_code:
                found = pattern.find(code, code_folded)
                if found is not None and not needle.imports_only:
                    return "parse", found
                if found is not None and imports is None:
                    imports = found
        if imports is not None:
            # Imports come from CPython's tree; without one, libcst decides.
            return ("imports" if text.tree is not None else "parse"), imports
        return "skip", ""


class _Regex:
    """A needle's regex, searched anywhere in the text."""

    def __init__(self, needle: Needle) -> None:
        self.pattern = re.compile(needle.pattern, re.MULTILINE)

    def find(self, text: str, folded: str | None) -> str | None:
        found = self.pattern.search(text)
        return found.group(0) if found is not None else None


# What a prefix of `Needle.named` can end with, right before the name: a blank (or the
# escape of one, `\n`), a bracket, a comma, a quote, or the dot after a schema.
_PREFIX_ENDS = frozenset(" \t\n\r\f\v(,\"'`[.")


class _Names:
    """A needle of names (`Needle.named`), read where one of its words occurs."""

    # How far before a name its prefix may start (a keyword, a schema, quotes and blanks).
    WINDOW = 400

    def __init__(self, needle: Needle) -> None:
        names, prefix = needle.named
        self.words = needle.words
        self.names = re.compile(names)
        self.prefix = re.compile(rf"(?:{prefix})\Z")
        self.pattern = re.compile(needle.pattern, re.MULTILINE)

    def find(self, text: str, folded: str | None) -> str | None:
        lower = folded if folded is not None else text.lower()
        plain = named = False
        for at in self._occurrences(lower):
            name = self.names.match(lower, at)
            if name is None:
                continue
            before = lower[at - 1] if at else " "
            escaped = before in "nrt" and lower[at - 2 : at - 1] == "\\"  # `FROM\\n\\tstock`
            plain = plain or escaped or not (before.isalnum() or before in "_$")
            named = named or (
                (escaped or before in _PREFIX_ENDS)
                and self.prefix.search(lower, max(0, at - self.WINDOW), at) is not None
            )
            if plain and named:
                found = self.pattern.search(text)
                return found.group(0) if found is not None else None
        return None

    def _occurrences(self, lower: str) -> Iterator[int]:
        if "" in self.words:  # a glob that starts with a wildcard: every name is a candidate
            yield from (m.start() for m in self.names.finditer(lower))
            return
        for word in self.words:
            at = lower.find(word)
            while at != -1:
                yield at
                at = lower.find(word, at + 1)


def _matcher(needle: Needle) -> _Regex | _Names:
    return _Names(needle) if needle.named else _Regex(needle)


def without_docstrings(text: str) -> str:
    """`text` with the lines of its string statements (docstrings) blanked; unchanged when
    this Python does not accept it. SQLAlchemy's docstrings alone hold thousands of
    `session.query(User)` examples."""
    tree = python_tree(text)
    if tree is None:
        return text
    lines = text.splitlines(keepends=True)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Expr) or not isinstance(node.value, ast.Constant):
            continue
        if isinstance(node.value.value, str) and node.end_lineno is not None:
            for index in range(node.lineno - 1, min(node.end_lineno, len(lines))):
                lines[index] = "\n"
    return "".join(lines)


def code_text(tree: ast.AST) -> str:
    """What a file's code says, one piece per line, without its docstrings or comments.

    Each string constant quoted, `class Name(bases)`, `callee(`, `keyword=` and `target =`
    (with what they are given when it is a string, True, or a name in a class body:
    `table = "stock"`, `table = stock_table`) and each import statement: the text every
    `in_code` needle is written against.
    """
    pieces = []
    prose = set()  # a string that is a statement of its own does nothing: a docstring
    attributes: set[int] = set()  # statements of a class body (walked before them: breadth first)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (str, bytes)) and id(node) not in prose:
                value = node.value
                text = value if isinstance(value, str) else value.decode("latin-1")
                pieces.append(f'"{text}"')
        elif isinstance(node, ast.Expr):
            if isinstance(node.value, ast.Constant):
                prose.add(id(node.value))
        elif isinstance(node, ast.Call):
            pieces.append(f"{_last_name(node.func)}(")
        elif isinstance(node, ast.keyword):
            if node.arg:
                pieces.append(f"{node.arg}={_given(node.value, False)}")
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            given = _given(node.value, id(node) in attributes)
            pieces.extend(f"{_last_name(t)} = {given}" for t in targets)
        elif isinstance(node, ast.ClassDef):
            attributes.update(id(statement) for statement in node.body)
            bases = ", ".join(_dotted(b) for b in node.bases)
            pieces.append(f"class {node.name}({bases})")
        elif isinstance(node, ast.Import):
            pieces.append("import " + ", ".join(a.name for a in node.names))
        elif isinstance(node, ast.ImportFrom):
            names = ", ".join(a.name for a in node.names)
            pieces.append(f"from {'.' * node.level}{node.module or ''} import {names}")
    return "\n".join(pieces)


def _given(value: ast.expr | None, names: bool) -> str:
    # What a target is given, when it is a string, True or (with `names`) a name: what a
    # model's table attribute is (`table = "stock"`, `table = stock_table`, `table=True`).
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return '"' + value.value.split("\n", 1)[0][:200] + '"'
    if isinstance(value, ast.Constant) and value.value is True:
        return "True"
    return value.id if names and isinstance(value, ast.Name) else ""


def _last_name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


@dataclass(frozen=True)
class Parsed:
    """A libcst module, and where its import statements start (line, column), in order.

    The positions come from CPython's `ast`, which is built anyway (by flake8, or here to
    vet the text): libcst's PositionProvider would cost a code-generation pass per file.
    """

    module: libcst.Module
    import_spans: tuple[tuple[int, int], ...] | None  # None: libcst computes them


def parse(text: Text) -> Parsed | None:
    """Parse once with libcst, reusing CPython's tree of the text when it is built."""
    tree = text.tree
    if tree is None:
        if not _newer_syntax_candidate(text.text):
            return None
        # Valid for a newer Python (PEP 701 f-strings on 3.11): libcst reads it, and
        # computes the import positions itself.
        module = _libcst_module(text.text)
        return Parsed(module, None) if module is not None else None
    module = _libcst_module(text.text)
    if module is None:
        return None
    return Parsed(module, _import_spans(tree, text.text))


def parse_module(text: str, python_accepts: bool = False) -> libcst.Module | None:
    """The libcst tree of `text`, or None when it is not valid Python (flake8 says E999)."""
    if not python_accepts and python_tree(text) is None and not _newer_syntax_candidate(text):
        return None
    return _libcst_module(text)


def python_tree(text: str) -> ast.AST | None:
    """CPython's tree of `text`, or None when this Python does not accept it (no warnings)."""
    # libcst's native parser crashes the process on input nested past CPython's own limits
    # (3,000 parentheses), so CPython's parser vets the text first, at a ninth of the cost.
    try:
        with warnings.catch_warnings():  # the user's flake8 or compiler reports those
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return None


# Bounds under which libcst's native parser is safe on text this CPython rejects: it only
# crashes far past them (thousands of nested brackets, or of operators on one line).
_SAFE_DEPTH = 100
_SAFE_LINE = 10_000
_SAFE_SIZE = 2_000_000


def _newer_syntax_candidate(text: str) -> bool:
    """True when text this CPython rejects may be newer Python that libcst safely reads."""
    if len(text) > _SAFE_SIZE or any(len(line) > _SAFE_LINE for line in text.splitlines()):
        return False
    depth = deepest = 0
    for char in text:  # brackets inside strings only make this more cautious
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth = max(depth - 1, 0)
    return deepest < _SAFE_DEPTH


def _libcst_module(text: str) -> libcst.Module | None:
    import libcst  # deferred: 0.2 s of start-up that files without candidates never pay

    try:
        return libcst.parse_module(text)
    except (
        libcst.ParserSyntaxError,
        libcst.CSTValidationError,  # text CPython rejects, read by libcst's newer grammar
        RecursionError,
        MemoryError,
        ValueError,
    ):
        return None


_STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")


def _import_spans(tree: ast.AST, text: str) -> tuple[tuple[int, int], ...]:
    """(line, character column) of every import statement, in source order."""
    return tuple((line, col) for line, col, _ in import_statements(tree, text))


ImportNode = Union[ast.Import, ast.ImportFrom]


def import_statements(tree: ast.AST, text: str) -> list[tuple[int, int, ImportNode]]:
    """Every import statement with its (line, character column), in source order."""
    found: list[tuple[int, int, ImportNode]] = []
    stack = [tree]
    while stack:  # statements only: imports never sit inside expressions
        node = stack.pop()
        for name in _STATEMENT_LISTS:
            for child in getattr(node, name, ()):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    found.append((child.lineno, child.col_offset, child))
                elif isinstance(child, ast.AST):
                    stack.append(child)
    found.sort(key=lambda item: (item[0], item[1]))
    lines = text.splitlines()
    located = []
    for line, col, node in found:
        source = lines[line - 1] if line <= len(lines) else ""
        if not source.isascii():  # ast counts UTF-8 bytes, flake8 users read characters
            col = len(source.encode()[:col].decode("utf-8", "ignore"))
        located.append((line, col, node))
    return located
