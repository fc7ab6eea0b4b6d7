from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "fixtures" / "shop"


@pytest.fixture
def shop() -> Path:
    """The example system in fixtures/shop."""
    return SHOP
