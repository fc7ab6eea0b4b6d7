"""Building small service repositories in tmp_path for end-to-end tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CONFIG = """
[tool.couplint]
shared-domain-packages = ["acme_domain"]

[tool.couplint.services.orders]
paths = ["orders"]
packages = ["orders"]

[tool.couplint.services.billing]
paths = ["billing"]
packages = ["billing"]
"""


# A function that calls `http://<host>/x` synchronously, its call at 5:12.
SYNC_CALL = (
    'import requests\n\n\ndef handler():\n    return requests.get("http://{}/x", timeout=2)\n'
)


def cycle_config(first: str, second: str) -> str:
    """Two services reached at `<name>-api`, only the workspace rules (CPL5xx) selected."""
    return '[tool.couplint]\nselect = ["CPL5"]\n' + "".join(
        f'[tool.couplint.services.{name}]\npaths = ["{name}"]\nhosts = ["{name}-api"]\n'
        for name in (first, second)
    )


# One call whose target no config resolves: an env var that no service's hosts lists.
UNRESOLVED_CALL = {
    "orders/orders/cart.py": (
        "import os\nimport requests\n\nrequests.get(os.environ['CART_URL'] + '/carts', timeout=2)\n"
    ),
    "billing/billing/__init__.py": "",
}


def make_repo(root: Path, files: dict[str, str], config: str = CONFIG) -> Path:
    """Write `pyproject.toml` and `files` (relative paths) under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(config)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def cli_runner() -> Any:
    """A click test runner that keeps stderr apart from stdout on every click version
    (8.1 mixes them unless told not to; 8.2 removed the option and never mixes)."""
    from click.testing import CliRunner

    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()
