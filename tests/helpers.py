"""Building small service repositories in tmp_path for end-to-end tests."""

from __future__ import annotations

from pathlib import Path

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


def make_repo(root: Path, files: dict[str, str], config: str = CONFIG) -> Path:
    """Write `pyproject.toml` and `files` (relative paths) under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(config)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
