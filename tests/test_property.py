"""Generated programs: couplint never crashes and never invents a finding.

CI runs a bounded number of examples; run more by hand with
`COUPLINT_EXAMPLES=2000 python -m pytest tests/test_property.py`.
"""

from __future__ import annotations

import os

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from couplint_ast.engine import Linter
from couplint_ast.rules.base import EXAMPLE_CONFIG, EXAMPLE_PATH

EXAMPLES = int(os.environ.get("COUPLINT_EXAMPLES", "40"))
RELAXED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
UNFILTERED = Linter(EXAMPLE_CONFIG, prefilter=False)
FILTERED = Linter(EXAMPLE_CONFIG)


def _coupling_free(source: str) -> bool:
    # Programs without a configured name can hold no finding at all.
    names = ("acme_domain", "orders", "inventory", "warehouse", "stock", "INVENTORY", "ORDERS")
    return not any(name in source for name in names)


# hypothesmith compiles the programs it generates; their SyntaxWarnings are its own.
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@RELAXED
@given(hypothesmith.from_grammar() | hypothesmith.from_node())
def test_generated_programs_never_crash(source: str) -> None:
    found = UNFILTERED.lint_source(EXAMPLE_PATH, source)
    assert FILTERED.lint_source(EXAMPLE_PATH, source) == found
    if _coupling_free(source):
        assert found == []


@RELAXED
@given(st.text(max_size=400))
def test_arbitrary_text_never_crashes(source: str) -> None:
    assert UNFILTERED.lint_source(EXAMPLE_PATH, source) == FILTERED.lint_source(
        EXAMPLE_PATH, source
    )
