"""Keycloak's sign-in pages in Chinese under the hotline's name (issue 33, item 9): the realm's locale zh-CN (its
only one, whatever the browser asks for) and the platform's own login theme, set by `hotline sso sync` and checked
by ``verify_realm``; the page a person signs in on, as Keycloak serves it."""

from __future__ import annotations

import re

import httpx
import pytest

from infra.settings import Settings
from sso.realm import CONSOLE_CLIENT, HOTLINE_NAME, LOGIN_THEME, admin_client, sync_realm, theme_installed, verify_realm
from tests.services import ServiceSet


@pytest.fixture(scope="module")
def realm(services: ServiceSet, keycloak: str) -> Settings:
    return services.settings


def _sign_in_page(settings: Settings, accept_language: str) -> str:
    """The page Keycloak answers the console's sign-in with (the authorization request `/auth/login` sends)."""
    response = httpx.get(f"{settings.issuer}/protocol/openid-connect/auth", headers={
        "Accept-Language": accept_language}, params={
        "client_id": CONSOLE_CLIENT, "response_type": "code", "scope": "openid",
        "redirect_uri": f"{settings.effective_console_url}/auth/callback", "code_challenge": "c" * 43,
        "code_challenge_method": "S256", "state": "s"})
    assert response.status_code == 200, response.text[:500]
    return response.text


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_realm_speaks_chinese_only_in_the_platforms_theme(realm: Settings) -> None:
    kc = admin_client(realm)
    held = kc.get_realm(realm.keycloak_realm)
    assert held["internationalizationEnabled"] is True
    assert held["supportedLocales"] == ["zh-CN"] and held["defaultLocale"] == "zh-CN"
    assert held["loginTheme"] == LOGIN_THEME and held["displayName"] == HOTLINE_NAME
    assert theme_installed(kc)


def test_the_sign_in_page_is_chinese_under_the_hotlines_name_whatever_the_browser_asks(realm: Settings) -> None:
    for language in ("en-US,en;q=0.9", "zh-CN,zh;q=0.9", "fr"):
        html = _sign_in_page(realm, language)
        assert re.search(r'<html[^>]*\blang="zh-CN"', html), language
        title = re.search(r"<title>(.*?)</title>", html, re.S)
        assert title and HOTLINE_NAME in title.group(1), language
        text = _visible_text(html)
        for words in ("登录", "用户名", "密码"):
            assert words in text, (language, text)
        assert not re.search(r"\b(Sign in|Username|Password|Forgot)\b", text), (language, text)
        assert "/login/hotline/css/hotline.css" in html  # the platform's own stylesheet
        # The fields the browser tests (and password managers) find them by.
        assert 'id="username"' in html and 'id="password"' in html and 'id="kc-login"' in html


def test_a_realm_put_back_to_english_is_found_and_set_right_by_sync(realm: Settings) -> None:
    kc = admin_client(realm)
    kc.update_realm(realm.keycloak_realm, {"defaultLocale": "en", "supportedLocales": ["en", "zh-CN"],
                                           "loginTheme": "keycloak.v2"})
    try:
        found = verify_realm(realm, kc)
        assert {"realm defaultLocale", "realm supportedLocales", "realm loginTheme"} <= set(found), found
    finally:
        report = sync_realm(realm)
    assert any("loginTheme" in write for write in report.writes), report.writes
    assert verify_realm(realm) == []
