"""The dependency audit's verdicts (.ci/audit, run by ./seedbed check): a known vulnerability with a fix
fails; an exception with a reason and an unexpired date accepts it; an expired one fails again."""

from __future__ import annotations

import datetime as dt
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def audit() -> ModuleType:
    return SourceFileLoader("seedbed_audit", str(ROOT / ".ci" / "audit")).load_module()


PIP_REPORT = {
    "dependencies": [
        {
            "name": "django",
            "version": "5.2.0",
            "vulns": [{"id": "PYSEC-2099-1", "fix_versions": ["5.2.1"], "aliases": ["CVE-2099-1"]}],
        },
        {"name": "lxml", "version": "6.0", "vulns": [{"id": "GHSA-aaaa-bbbb-cccc", "fix_versions": [], "aliases": []}]},
        {"name": "celery", "version": "5.7.0", "vulns": []},
    ]
}
NPM_REPORT = {
    "vulnerabilities": {
        "axios": {
            "name": "axios",
            "range": "<1.8.2",
            "fixAvailable": {"name": "axios", "version": "1.8.2"},
            "via": [{"source": 1103617, "url": "https://github.com/advisories/GHSA-jr5f-v2jv-69x6", "title": "SSRF"}],
        },
        "wrapper": {"name": "wrapper", "range": "*", "fixAvailable": True, "via": ["axios"]},
    }
}
TODAY = dt.date(2026, 12, 7)


def test_a_vulnerability_with_a_fix_fails_and_one_without_is_reported(audit) -> None:
    findings = audit.pip_audit_findings(PIP_REPORT) + audit.npm_audit_findings(NPM_REPORT)
    assert len(findings) == 3
    failures, notes = audit.decide(findings, [], TODAY)
    assert len(failures) == 2
    assert any("django" in f and "PYSEC-2099-1" in f for f in failures)
    assert any("axios" in f and "GHSA-jr5f-v2jv-69x6" in f for f in failures)
    assert notes == [n for n in notes if "no fix published yet" in n and "lxml" in n] and len(notes) == 1


def test_an_exception_accepts_a_finding_until_it_expires(audit) -> None:
    findings = audit.pip_audit_findings(PIP_REPORT)
    allow = [
        {
            "id": "CVE-2099-1",
            "package": "Django",
            "reason": "only the GIS part; unused",
            "expires": dt.date(2027, 1, 31),
        }
    ]
    failures, notes = audit.decide(findings, allow, TODAY)
    assert failures == []
    assert any("accepted until 2027-01-31" in n for n in notes)
    failures, _ = audit.decide(findings, allow, dt.date(2027, 2, 1))
    assert failures and "expired" in failures[0]


def test_an_exception_needs_a_reason_and_a_date(audit) -> None:
    failures, _ = audit.decide([], [{"id": "CVE-2099-1", "package": "django"}], TODAY)
    assert failures == ["audit-allowlist.toml: CVE-2099-1 needs a reason and an expiry date"]


def test_an_unreachable_advisory_service_is_not_a_clean_report(audit) -> None:
    with pytest.raises(audit.Unavailable):
        audit.npm_audit_findings({"error": {"summary": "audit endpoint returned an error"}})


def test_the_allowlist_in_the_repository_is_well_formed(audit) -> None:
    failures, _ = audit.decide([], audit.load_allowlist(), TODAY)
    assert failures == []
