"""End to end: a login that lasts, and ends when it must (issue 15), in Debian's Chromium.

A reload keeps the session (the token travels in the ``redwood_session`` cookie, never in
the URL; the store keeps only its SHA-256); signing out ends it on the server, so that the
old cookie no longer opens anything; disabling an account ends its session at the next
click; a deep link (``/chain?chain=…&lang=en``, ``/firms?firm=…``, ``/orgs?org=…``) opened
before the sign-in shows that record, in that language, right after it.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from tests.e2e.conftest import log_in
from tests.e2e.test_browser import AS_OF, no_exception
from tracker import auth
from tracker.model import Chain, ChainMembership, CoverageLink, Firm, PartyOrg, UserSession
from tracker.store import get_engine

pytestmark = pytest.mark.e2e

SIGN_OUT = re.compile("^(退出登录|Sign out)$")
SIGN_IN = re.compile("^(登录|Sign in)$")


def _cookie(page) -> dict | None:
    return next((c for c in page.context.cookies() if c["name"] == "redwood_session"), None)


def _rows(url: str, token: str) -> int:
    digest = hashlib.sha256(token.encode()).hexdigest()
    with Session(get_engine(url)) as session:
        return len(session.exec(select(UserSession).where(UserSession.token_hash == digest)).all())


def _wait_cookie(page) -> dict:
    page.wait_for_function("() => document.cookie.includes('redwood_session=')")
    cookie = _cookie(page)
    assert cookie is not None and cookie["value"]
    return cookie


def test_a_reload_keeps_the_session(served_store, page, shots):
    base, url = served_store
    log_in(page, f"{base}/liaisons?as_of={AS_OF}")
    cookie = _wait_cookie(page)
    assert cookie["path"] == "/" and cookie["sameSite"] == "Strict"
    assert cookie["expires"] == -1  # ends with the browser; the server decides the idle time
    assert cookie["value"] not in page.url and "token" not in page.url
    assert _rows(url, cookie["value"]) == 1  # only its hash is stored
    with Session(get_engine(url)) as session:
        stored = session.exec(select(UserSession.token_hash)).all()
    assert cookie["value"] not in stored

    page.reload()
    page.get_by_role("button", name=SIGN_OUT).wait_for()
    expect(page.get_by_role("button", name=SIGN_IN)).to_have_count(0, timeout=60_000)
    assert "/liaisons" in page.url and f"as_of={AS_OF}" in page.url
    no_exception(page)

    # Another tab of the same browser is signed in too, on any page.
    other = page.context.new_page()
    other.goto(f"{base}/plan?as_of={AS_OF}")
    other.get_by_role("button", name=SIGN_OUT).wait_for()
    other.screenshot(path=str(shots / "session-second-tab.png"), full_page=True)
    other.close()


def test_signing_out_ends_the_session_on_the_server(served_store, page, browser):
    base, url = served_store
    log_in(page, f"{base}/?as_of={AS_OF}")
    token = _wait_cookie(page)["value"]
    assert _rows(url, token) == 1

    page.get_by_role("button", name=SIGN_OUT).click()
    page.get_by_role("button", name=SIGN_IN).wait_for()
    assert _rows(url, token) == 0
    page.wait_for_function("() => !document.cookie.includes('redwood_session=')")
    page.reload()  # the browser no longer holds the login
    page.get_by_role("button", name=SIGN_IN).wait_for()
    expect(page.get_by_role("button", name=SIGN_OUT)).to_have_count(0, timeout=60_000)

    # The old cookie, replayed by another browser, opens nothing.
    host = base.split("//", 1)[1].split(":")[0]
    thief = browser.new_context(locale="zh-CN")
    thief.add_cookies([{"name": "redwood_session", "value": token, "domain": host, "path": "/"}])
    other = thief.new_page()
    other.goto(f"{base}/firms?as_of={AS_OF}")
    other.get_by_role("button", name=SIGN_IN).wait_for()
    expect(other.get_by_role("button", name=SIGN_OUT)).to_have_count(0, timeout=60_000)
    thief.close()


def test_a_disabled_account_is_out_at_its_next_click(served_store, page, shots):
    base, url = served_store
    engine = get_engine(url)
    auth.add_user(engine, "li_viewer", "viewer", "li's long secret")
    log_in(page, f"{base}/?as_of={AS_OF}", "li_viewer", "li's long secret")
    token = _wait_cookie(page)["value"]

    auth.disable_user(engine, "li_viewer")  # as `tracker user disable li_viewer` does
    assert _rows(url, token) == 0
    page.get_by_role("link", name=re.compile("^(联络员|Liaisons)$")).click()
    page.get_by_role("button", name=SIGN_IN).wait_for()
    expect(page.get_by_role("button", name=SIGN_OUT)).to_have_count(0, timeout=60_000)
    page.get_by_text(re.compile("登录已过期|session has ended")).wait_for()
    page.screenshot(path=str(shots / "session-disabled.png"), full_page=True)
    page.reload()  # nor does the cookie bring it back
    page.get_by_role("button", name=SIGN_IN).wait_for()


def _records(url: str) -> dict:
    """A chain, one of its firms and the organisation covering a firm, from the store."""
    with Session(get_engine(url)) as session:
        chain = session.exec(select(Chain).where(Chain.code == "BIO")).one()
        firm = session.exec(select(Firm).join(ChainMembership, ChainMembership.firm_id == Firm.id)
                            .where(ChainMembership.chain_id == chain.id)
                            .order_by(Firm.credit_code)).first()
        org = session.exec(select(PartyOrg).join(CoverageLink, CoverageLink.org_id == PartyOrg.id)
                           .where(CoverageLink.end.is_(None))
                           .order_by(PartyOrg.code)).first()
        return {"chain": chain, "firm": firm, "org": org}


def _heading(page, name: str, code: str) -> None:
    """Wait for the record's own heading (its name and code), not a row of a list."""
    page.locator("h2, h3", has_text=code).filter(has_text=name).first.wait_for()


def test_a_deep_link_opens_its_record_after_the_sign_in(served_store, page, shots):
    base, url = served_store
    records = _records(url)
    chain, firm, org = records["chain"], records["firm"], records["org"]

    # Language given by its code, as a colleague writes a link by hand.
    log_in(page, f"{base}/chain?chain={chain.code}&as_of={AS_OF}&lang=en")
    page.locator("h1", has_text=chain.name_en).first.wait_for()
    assert "lang=English" in page.url and f"chain={chain.code}" in page.url
    assert f"as_of={AS_OF}" in page.url
    assert page.get_by_role("button", name="Sign out").count() == 1
    no_exception(page)
    page.screenshot(path=str(shots / "session-deep-link-chain-en.png"), full_page=True)

    # Signed in (the cookie): links open their record directly, without the form.
    page.goto(f"{base}/firms?firm={firm.credit_code}&as_of={AS_OF}")
    _heading(page, firm.name, firm.credit_code)
    assert f"firm={firm.credit_code}" in page.url
    no_exception(page)
    page.goto(f"{base}/orgs?org={org.code}&as_of={AS_OF}&lang=en")
    _heading(page, org.name, org.code)
    assert f"org={org.code}" in page.url and "lang=English" in page.url
    no_exception(page)
    page.screenshot(path=str(shots / "session-deep-link-org-en.png"), full_page=True)


def test_a_deep_link_to_a_firm_opens_it_after_the_sign_in(served_store, page):
    base, url = served_store
    firm = _records(url)["firm"]
    log_in(page, f"{base}/firms?firm={firm.credit_code}&as_of={AS_OF}")
    _heading(page, firm.name, firm.credit_code)
    assert f"firm={firm.credit_code}" in page.url
    no_exception(page)
