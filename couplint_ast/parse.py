"""The only caller of libcst.parse_module, and the cheap text prefilter that runs before it."""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable
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
    """

    pattern: str
    words: tuple[str, ...] = ()
    fold: bool = False
    in_code: bool = False
    imports_only: bool = False


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
        self._needles = [(re.compile(n.pattern, re.MULTILINE), n) for n in sorted(set(needles))]

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
            found = pattern.search(text.text)
            if found is None:
                continue
            if needle.in_code:
                in_code.append((pattern, needle))
            elif not needle.imports_only:
                return "parse", found.group(0)
            else:
                imports = found.group(0)
        if in_code:
            tree = text.tree
            if tree is None:
                return "parse", ""  # not this Python's syntax: parsing decides what it is
            code = code_text(tree)
            for pattern, needle in in_code:
                found = pattern.search(code)
                if found is not None and not needle.imports_only:
                    return "parse", found.group(0)
                if found is not None and imports is None:
                    imports = found.group(0)
        if imports is not None:
            # Imports come from CPython's tree; without one, libcst decides.
            return ("imports" if text.tree is not None else "parse"), imports
        return "skip", ""


def code_text(tree: ast.AST) -> str:
    """What a file's code says, one piece per line, without its docstrings or comments.

    Each string constant quoted, `class Name(bases)`, `callee(`, `keyword=`, `target =` and
    each import statement: the text every `in_code` needle is written against.
    """
    pieces = []
    prose = set()  # a string that is a statement of its own does nothing: a docstring
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
                pieces.append(f"{node.arg}=")
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            pieces.extend(f"{_last_name(t)} =" for t in targets)
        elif isinstance(node, ast.ClassDef):
            bases = ", ".join(_dotted(b) for b in node.bases)
            pieces.append(f"class {node.name}({bases})")
        elif isinstance(node, ast.Import):
            pieces.append("import " + ", ".join(a.name for a in node.names))
        elif isinstance(node, ast.ImportFrom):
            names = ", ".join(a.name for a in node.names)
            pieces.append(f"from {'.' * node.level}{node.module or ''} import {names}")
    return "\n".join(pieces)


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
