"""`couplint server`: a Language Server over stdio that shows what `couplint check` reports.

The whole workspace is checked once when the client is ready, and again on every save (the
facts cache makes that cheap): each open file shows its findings, the workspace ones
(CPL501, CPL502) included. A config the checker cannot use is shown as one CPL001 at 1:1.
stdout is the JSON-RPC channel: nothing else is ever written to it.
"""

from __future__ import annotations

import logging
import os
import re
import string
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace.position_codec import PositionCodec

from couplint_ast import __version__
from couplint_ast.checking import Checker, CheckError, Selection, apply_baseline, source_lines
from couplint_ast.engine import CONFIG_ERROR, NOQA
from couplint_ast.model import Diagnostic

SOURCE = "couplint"
CONFIG_PREFIX = "config error: "
# The line breaks of the LSP (Python's splitlines() knows more, which would shift lines).
LINE_BREAK = re.compile(r"\r\n|\r|\n")
CODE_SEPARATORS = string.whitespace + ","

R = TypeVar("R")


def serve(config_path: str | None) -> None:
    """Serve over stdio until the client says `exit`; exit 1 when it never said `shutdown`."""
    channel = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the JSON-RPC channel
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="couplint server: %(message)s"
    )
    server, session = build_server(config_path)
    server.start_io(stdin=sys.stdin.buffer, stdout=channel)
    if not session.shut_down:
        sys.exit(1)


def build_server(config_path: str | None) -> tuple[LanguageServer, Session]:
    """A server whose features delegate to one `Session`."""
    server = LanguageServer("couplint", __version__)
    session = Session(server, config_path)

    @server.feature(types.INITIALIZED)
    def initialized(params: types.InitializedParams) -> None:
        session.guarded("initialized", session.start, None)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        session.guarded("didOpen", lambda: session.opened(params.text_document.uri), None)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        session.guarded("didSave", session.saved, None)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        session.guarded("didClose", lambda: session.closed(params.text_document.uri), None)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
        return session.guarded("codeAction", lambda: session.code_actions(params), [])

    @server.feature(types.SHUTDOWN)
    def shutdown(params: None) -> None:
        session.shut_down = True

    return server, session


class Session:
    """What the server knows: the workspace root, the last check's findings, open files."""

    def __init__(self, server: LanguageServer, config_path: str | None) -> None:
        self.server = server
        # Made absolute now: the server works from the workspace root once it knows it.
        self.config_path = None if config_path is None else os.path.abspath(config_path)
        self.root = os.getcwd()
        self.found: dict[str, list[Diagnostic]] = {}
        self.error: str | None = None
        self.open: dict[str, str] = {}
        self.shut_down = False
        self.checker: Checker | None = None

    def start(self) -> None:
        """Work from the workspace root and index the whole workspace once."""
        self.root = workspace_root(self.server, self.root)
        os.chdir(self.root)
        self.check()

    def check(self) -> None:
        """Check the whole workspace; keep its findings per file, or the config error."""
        try:
            # Built once (it reads flake8's config); again after an error, which may be
            # flake8's config the user has just fixed.
            if self.checker is None:
                self.checker = Checker(self.config_path, Selection())
            run = self.checker.run([Path(self.root)], jobs=1)
            apply_baseline(run, None, None, source_lines())
        except CheckError as exc:
            self.checker = None
            self.error = str(exc).removeprefix(CONFIG_PREFIX)
            self.found = {}
            return
        self.error = None
        self.found = {}
        for d in run.found:
            self.found.setdefault(os.path.realpath(d.path), []).append(d)

    def opened(self, uri: str) -> None:
        """Show the findings of a file just opened (from the last check)."""
        path = to_fs_path(uri)
        if path is not None:
            self.open[uri] = os.path.realpath(path)
            self.publish(uri)

    def saved(self) -> None:
        """Check again, then refresh every open file: a save can change findings elsewhere."""
        self.check()
        for uri in self.open:
            self.publish(uri)

    def closed(self, uri: str) -> None:
        """Clear a closed file's findings and forget it."""
        if self.open.pop(uri, None) is not None:
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )

    def publish(self, uri: str) -> None:
        """Send an open file's diagnostics; an empty list clears stale ones."""
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=self.diagnostics_for(uri))
        )

    def diagnostics_for(self, uri: str) -> list[types.Diagnostic]:
        """An open file's findings as LSP diagnostics, or the config error."""
        if self.error is not None:
            return [config_error(self.error)]
        lines = self.lines_of(uri)
        codec = self.server.workspace.position_codec
        return [lsp_diagnostic(d, lines, codec) for d in self.found.get(self.open[uri], [])]

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        """A `# noqa: CPLnnn` quick fix for each couplint finding the client asks about."""
        uri = params.text_document.uri
        lines = self.lines_of(uri)
        codec = self.server.workspace.position_codec
        fixes: dict[tuple[int, str], types.CodeAction] = {}
        for diagnostic in params.context.diagnostics:
            code = silenceable_code(diagnostic)
            if code is None or (diagnostic.range.start.line, code) in fixes:
                continue
            fixes[diagnostic.range.start.line, code] = noqa_fix(uri, diagnostic, code, lines, codec)
        return list(fixes.values())

    def lines_of(self, uri: str) -> list[str]:
        """The current text of a document (the editor's, when open), line by line."""
        return LINE_BREAK.split(self.server.workspace.get_text_document(uri).source)

    def guarded(self, what: str, action: Callable[[], R], fallback: R) -> R:
        """Run a handler's work; an unexpected error is logged in one line, not raised."""
        try:
            return action()
        except Exception as exc:
            message = f"couplint server: {what} failed: {type(exc).__name__}: {exc}"
            print(message, file=sys.stderr)
            self.server.window_log_message(
                types.LogMessageParams(type=types.MessageType.Error, message=message)
            )
            return fallback


def workspace_root(server: LanguageServer, default: str) -> str:
    """The client's root: rootUri (or rootPath), else its first workspace folder."""
    workspace = server.workspace
    root = cast("str | None", workspace.root_path)
    if root is None:
        folders = cast("dict[str, types.WorkspaceFolder]", workspace.folders)
        first = next(iter(folders.values()), None)
        root = None if first is None else to_fs_path(first.uri)
    return default if root is None else root


def lsp_diagnostic(d: Diagnostic, lines: list[str], codec: PositionCodec) -> types.Diagnostic:
    """A couplint finding from its line's column to the end of that line."""
    line = max(d.line - 1, 0)
    text = lines[line] if line < len(lines) else ""
    start = types.Position(line=line, character=client_units(codec, text[: d.col]))
    end = types.Position(line=line, character=max(client_units(codec, text), start.character))
    return types.Diagnostic(
        range=types.Range(start=start, end=end),
        message=d.message,
        severity=types.DiagnosticSeverity.Warning,
        code=d.code,
        source=SOURCE,
    )


def config_error(message: str) -> types.Diagnostic:
    """The one diagnostic of an open file when the config cannot be used."""
    at = types.Position(line=0, character=0)
    return types.Diagnostic(
        range=types.Range(start=at, end=at),
        message=f"couplint config error: {message}",
        severity=types.DiagnosticSeverity.Error,
        code=CONFIG_ERROR,
        source=SOURCE,
    )


def silenceable_code(diagnostic: types.Diagnostic) -> str | None:
    """The code of a couplint finding a `# noqa` can silence; None for any other."""
    code = diagnostic.code
    if diagnostic.source != SOURCE or not isinstance(code, str):
        return None
    return code if code.startswith("CPL") and code != CONFIG_ERROR else None


def noqa_fix(
    uri: str, diagnostic: types.Diagnostic, code: str, lines: list[str], codec: PositionCodec
) -> types.CodeAction:
    """The quick fix that makes the diagnostic's line say `# noqa: <code>`."""
    line = diagnostic.range.start.line
    text = lines[line] if line < len(lines) else ""
    at, insert = noqa_insertion(text, code)
    position = types.Position(line=line, character=client_units(codec, text[:at]))
    edit = types.TextEdit(range=types.Range(start=position, end=position), new_text=insert)
    return types.CodeAction(
        title=f'Add "# noqa: {code}"',
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        edit=types.WorkspaceEdit(changes={uri: [edit]}),
    )


def noqa_insertion(text: str, code: str) -> tuple[int, str]:
    """Where in `text`, and what, to insert: `,CODE` after the codes of a `# noqa: X`
    already there, else `  # noqa: CODE` at the end of the line."""
    match = NOQA.search(text)
    codes = match.group("codes") if match is not None else None
    if match is None or not codes:
        return len(text), f"  # noqa: {code}"
    return match.start("codes") + len(codes.rstrip(CODE_SEPARATORS)), f",{code}"


def client_units(codec: PositionCodec, text: str) -> int:
    """The length of `text` in the client's position encoding (UTF-16 by default)."""
    return int(codec.client_num_units(text))
