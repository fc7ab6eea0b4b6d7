"""Every rule's own examples are its tests: VALID stays silent, INVALID reports exactly."""

from __future__ import annotations

import pytest

from couplint_ast import testing
from couplint_ast.rules import ALL_RULES
from couplint_ast.rules.base import DOC_SECTIONS, FileRule
from tests.conftest import ROOT

VALID = [(r, ex) for r in ALL_RULES for ex in r.VALID]
INVALID = [(r, ex) for r in ALL_RULES for ex in r.INVALID]


def lint(rule: type[FileRule], code: str) -> list[tuple[int, int, str]]:
    """(line, col, message) of one rule, the prefilter on and off agreeing."""
    return [(line, col, m) for line, col, _, m in testing.lint(code, (rule.code,))]


@pytest.mark.parametrize(("rule", "example"), VALID, ids=lambda x: getattr(x, "code", "")[:40])
def test_valid_examples_are_silent(rule: type[FileRule], example) -> None:
    assert lint(rule, example.code) == []


@pytest.mark.parametrize(("rule", "example"), INVALID, ids=lambda x: getattr(x, "code", "")[:40])
def test_invalid_examples_report_exactly(rule: type[FileRule], example) -> None:
    expected = [(example.line, example.col, example.message)]
    assert lint(rule, example.code) == expected


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_rule_is_documented_with_examples(rule: type[FileRule]) -> None:
    doc = rule.__doc__ or ""
    missing = [section for section in DOC_SECTIONS if section not in doc]
    assert missing == [], f"{rule.code} docstring lacks {missing}"
    assert rule.VALID and rule.INVALID, f"{rule.code} needs VALID and INVALID examples"
    assert not rule.message.endswith("."), "messages have no trailing period"
    assert rule.code not in rule.message
    assert rule.code in (ROOT / "CHANGELOG.md").read_text(), f"{rule.code} missing from CHANGELOG"
    assert rule.code in (ROOT / "README.md").read_text(), f"{rule.code} missing from README"


def test_codes_are_unique_and_well_formed() -> None:
    codes = [rule.code for rule in ALL_RULES]
    assert len(codes) == len(set(codes))
    assert all(len(c) == 6 and c.startswith("CPL") and c[3:].isdigit() for c in codes)
