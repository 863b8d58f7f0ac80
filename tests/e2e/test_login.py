"""End to end: the login page of the demo store in Debian's Chromium.

The demo login is shown on the login page; a wrong password is refused in Chinese; the
demo login opens the page the link asked for (the token stays in the browser session,
never in the URL); the logout goes back to the login form. Screenshots go to the test
artefacts (``test-artifacts/e2e/login-*.png``) to be looked at for missing CJK glyphs.
"""

from __future__ import annotations

import pytest

from tests.e2e.test_browser import AS_OF, no_exception, settle

pytestmark = pytest.mark.e2e


def test_demo_login(served_app, page, shots):
    page.goto(f"{served_app}/chain?as_of={AS_OF}")
    page.locator("h1", has_text="登录").first.wait_for()
    page.get_by_role("button", name="登录").wait_for()
    settle(page)
    body = page.inner_text("body")
    assert "redwood-demo" in body and "demo" in body, "the demo store shows its demo login"
    page.screenshot(path=str(shots / "login-form.png"), full_page=True)

    page.get_by_label("用户名").fill("demo")
    page.get_by_label("密码").fill("not the password")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("用户名或密码错误").wait_for()
    page.screenshot(path=str(shots / "login-wrong-password.png"), full_page=True)

    page.get_by_label("密码").fill("redwood-demo")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出登录").wait_for()
    settle(page, AS_OF)
    no_exception(page)
    page.locator("h1", has_text="生物技术").first.wait_for()  # the page the link asked for
    assert "当前用户：demo（管理员）" in page.inner_text("body")
    assert "token" not in page.url and "redwood-demo" not in page.url
    page.screenshot(path=str(shots / "login-done-chain.png"), full_page=True)

    page.get_by_role("button", name="退出登录").click()
    page.locator("h1", has_text="登录").first.wait_for()
    assert "您已退出登录" in page.inner_text("body")
