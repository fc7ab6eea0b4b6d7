"""`couplint server` end to end: the real server in a subprocess, spoken to in JSON-RPC."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import SYNC_CALL, cycle_config, make_repo

pytest.importorskip("pygls")

TIMEOUT = 30.0
Message = dict[str, Any]

IMPORT = "import billing.invoices\n"
IMPORT_FILES = {"orders/orders/api.py": IMPORT, "billing/billing/invoices.py": "X = 1\n"}
CPL102 = "imports 'billing.invoices' from package 'billing' of service 'billing'"

CYCLE_CONFIG = cycle_config("orders", "billing")
CYCLE_FILES = {
    "orders/app.py": SYNC_CALL.format("billing-api"),
    "billing/app.py": SYNC_CALL.format("orders-api"),
}


class Client:
    """A minimal LSP client: Content-Length framing, a reader thread, timeouts."""

    def __init__(self, root: Path, stderr: Path) -> None:
        self.root = root
        self.stderr = stderr.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "couplint", "server"],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
        )
        self.incoming: queue.Queue[Message | None] = queue.Queue()
        self.pending: list[Message] = []
        self.last_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        """Put each message of the server on the queue; None when its stdout closes."""
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = None
            while True:
                header = stdout.readline()
                if not header:
                    self.incoming.put(None)
                    return
                if not header.strip():
                    break
                name, _, value = header.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            assert length is not None
            self.incoming.put(json.loads(stdout.read(length)))

    def send(self, message: Message) -> None:
        """Write one framed message to the server's stdin."""
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        """Send a notification."""
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any) -> Any:
        """Send a request and return its result (failing on an error response)."""
        self.last_id += 1
        sent = self.last_id
        self.send({"id": sent, "method": method, "params": params})
        response = self.wait_for(lambda m: m.get("id") == sent and "method" not in m)
        assert "error" not in response, response
        return response["result"]

    def wait_for(self, wanted: Callable[[Message], bool]) -> Message:
        """The first message, already received or still to come, that `wanted` accepts."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            for message in self.pending:
                if wanted(message):
                    self.pending.remove(message)
                    return message
            try:
                received = self.incoming.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                pytest.fail(f"no expected message from the server within {TIMEOUT} s")
            if received is None:
                pytest.fail("the server closed its stdout")
            self.pending.append(received)

    def diagnostics(self, name: str) -> list[Message]:
        """The next diagnostics published for file `name` of the repository."""
        uri = self.uri(name)
        message = self.wait_for(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
            )
        )
        return list(message["params"]["diagnostics"])

    def uri(self, name: str) -> str:
        """The file URI of file `name` of the repository."""
        return (self.root / name).as_uri()

    def start(self) -> None:
        """initialize, then initialized, with the repository as the root."""
        result = self.request(
            "initialize",
            {"processId": None, "rootUri": self.root.as_uri(), "capabilities": {}},
        )
        assert result["serverInfo"]["name"] == "couplint"
        self.notify("initialized", {})

    def open(self, name: str) -> None:
        """didOpen of file `name`, with its text on disk."""
        text = (self.root / name).read_text()
        document = {"uri": self.uri(name), "languageId": "python", "version": 1, "text": text}
        self.notify("textDocument/didOpen", {"textDocument": document})

    def save(self, name: str, text: str) -> None:
        """Write file `name` on disk and say didSave (the editor's save)."""
        (self.root / name).write_text(text)
        self.notify("textDocument/didSave", {"textDocument": {"uri": self.uri(name)}})

    def stop(self) -> int:
        """shutdown, then exit; the server's exit code."""
        assert self.request("shutdown", None) is None
        self.notify("exit", None)
        return self.process.wait(timeout=TIMEOUT)

    def close(self) -> None:
        """Make sure the server is gone."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=TIMEOUT)
        self.stderr.close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Callable[[dict[str, str], str | None], Client]]:
    """Build a repository in tmp_path, start a server in it and initialize it."""
    started: list[Client] = []

    def start(files: dict[str, str], config: str | None = None) -> Client:
        root = tmp_path / "repo"
        if config is None:
            make_repo(root, files)
        else:
            make_repo(root, files, config)
        started.append(Client(root, tmp_path / "stderr.txt"))
        started[-1].start()
        return started[-1]

    yield start
    for each in started:
        each.close()


def diagnostic(
    line: int, start: int, end: int, code: str, message: str, severity: int = 2
) -> Message:
    """An LSP diagnostic as the server sends it."""
    return {
        "range": {
            "start": {"line": line, "character": start},
            "end": {"line": line, "character": end},
        },
        "message": message,
        "severity": severity,
        "code": code,
        "source": "couplint",
    }


def test_open_file_shows_its_finding(client: Callable[..., Client]) -> None:
    lsp = client(IMPORT_FILES)
    lsp.open("orders/orders/api.py")
    assert lsp.diagnostics("orders/orders/api.py") == [diagnostic(0, 0, 23, "CPL102", CPL102)]
    lsp.open("billing/billing/invoices.py")
    assert lsp.diagnostics("billing/billing/invoices.py") == []


def test_workspace_cycle_reaches_the_editor(client: Callable[..., Client]) -> None:
    lsp = client(CYCLE_FILES, CYCLE_CONFIG)
    lsp.open("orders/app.py")
    assert lsp.diagnostics("orders/app.py") == [
        diagnostic(4, 11, 58, "CPL502", "synchronous call cycle: orders -> billing -> orders")
    ]


def test_save_clears_a_fixed_finding(client: Callable[..., Client]) -> None:
    lsp = client(IMPORT_FILES)
    lsp.open("orders/orders/api.py")
    assert len(lsp.diagnostics("orders/orders/api.py")) == 1
    lsp.save("orders/orders/api.py", "X = 2\n")
    assert lsp.diagnostics("orders/orders/api.py") == []
    lsp.save("orders/orders/api.py", IMPORT)
    assert lsp.diagnostics("orders/orders/api.py") == [diagnostic(0, 0, 23, "CPL102", CPL102)]


def test_save_in_one_file_refreshes_another(client: Callable[..., Client]) -> None:
    lsp = client(CYCLE_FILES, CYCLE_CONFIG)
    lsp.open("orders/app.py")
    lsp.open("billing/app.py")
    assert [d["code"] for d in lsp.diagnostics("orders/app.py")] == ["CPL502"]
    assert lsp.diagnostics("billing/app.py") == [
        diagnostic(4, 11, 57, "CPL502", "synchronous call cycle: billing -> orders -> billing")
    ]
    lsp.save("billing/app.py", "def handler():\n    return None\n")
    assert lsp.diagnostics("orders/app.py") == []
    assert lsp.diagnostics("billing/app.py") == []


def test_close_clears_and_forgets(client: Callable[..., Client]) -> None:
    lsp = client(IMPORT_FILES)
    lsp.open("orders/orders/api.py")
    assert len(lsp.diagnostics("orders/orders/api.py")) == 1
    lsp.notify("textDocument/didClose", {"textDocument": {"uri": lsp.uri("orders/orders/api.py")}})
    assert lsp.diagnostics("orders/orders/api.py") == []
    lsp.open("billing/billing/invoices.py")
    assert lsp.diagnostics("billing/billing/invoices.py") == []
    lsp.save("billing/billing/invoices.py", "X = 2\n")
    assert lsp.diagnostics("billing/billing/invoices.py") == []
    # Whatever the save sent came before the answer to shutdown: nothing for the closed file.
    assert lsp.stop() == 0
    assert not [m for m in lsp.pending if m.get("method") == "textDocument/publishDiagnostics"]


@pytest.mark.parametrize(
    ("text", "edit_at", "new_text"),
    [
        (IMPORT, 23, "  # noqa: CPL102"),
        ("import billing.invoices  # noqa: CPL101  (legacy)\n", 39, ",CPL102"),
    ],
)
def test_code_action_adds_noqa(
    client: Callable[..., Client], text: str, edit_at: int, new_text: str
) -> None:
    lsp = client({**IMPORT_FILES, "orders/orders/api.py": text})
    lsp.open("orders/orders/api.py")
    (found,) = lsp.diagnostics("orders/orders/api.py")
    foreign = {**found, "source": "pyflakes", "code": "F401"}
    uri = lsp.uri("orders/orders/api.py")
    actions = lsp.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": uri},
            "range": found["range"],
            "context": {"diagnostics": [found, foreign, found]},
        },
    )
    at = {"line": 0, "character": edit_at}
    assert actions == [
        {
            "title": 'Add "# noqa: CPL102"',
            "kind": "quickfix",
            "diagnostics": [found],
            "edit": {"changes": {uri: [{"range": {"start": at, "end": at}, "newText": new_text}]}},
        }
    ]


def test_broken_config_is_shown_not_fatal(client: Callable[..., Client]) -> None:
    broken = "[tool.couplint]\nfoo = 1\n" + CYCLE_CONFIG.replace("[tool.couplint]\n", "", 1)
    lsp = client(CYCLE_FILES, broken)
    lsp.open("orders/app.py")
    message = "couplint config error: pyproject.toml: tool.couplint.foo: unknown key"
    assert lsp.diagnostics("orders/app.py") == [diagnostic(0, 0, 0, "CPL001", message, 1)]
    (lsp.root / "pyproject.toml").write_text(CYCLE_CONFIG)
    lsp.save("orders/app.py", CYCLE_FILES["orders/app.py"])
    assert [d["code"] for d in lsp.diagnostics("orders/app.py")] == ["CPL502"]
    assert lsp.stop() == 0


def test_handler_error_is_logged_not_fatal(client: Callable[..., Client], tmp_path: Path) -> None:
    lsp = client(IMPORT_FILES)
    missing = (tmp_path / "missing.py").as_uri()
    context = {"diagnostics": [diagnostic(0, 0, 1, "CPL102", CPL102)]}
    params = {"textDocument": {"uri": missing}, "range": context["diagnostics"][0]["range"]}
    assert lsp.request("textDocument/codeAction", {**params, "context": context}) == []
    logged = lsp.wait_for(lambda m: m.get("method") == "window/logMessage")
    assert logged["params"]["message"].startswith(
        "couplint server: codeAction failed: FileNotFoundError: "
    )
    assert lsp.stop() == 0
    assert (tmp_path / "stderr.txt").read_text().splitlines() == [logged["params"]["message"]]
