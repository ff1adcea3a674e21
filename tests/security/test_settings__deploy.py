"""Production settings come from the environment and are safe: no public SECRET_KEY, HTTPS-only
cookies, HSTS and the proxy's scheme header when asked for, a Content Security Policy on every page,
and ``manage.py check --deploy`` clean in a production configuration.

The settings module is read once per process, so each configuration runs in a subprocess with its
own environment."""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_KEY = "flowdesk-insecure-local-key-change-me-in-production"  # the old built-in default
CONFIG = {
    "SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "FLOWDESK_DATA_DIR", "FLOWDESK_TEST_DB_NAME",
    "FLOWDESK_SECURE", "FLOWDESK_BEHIND_PROXY", "FLOWDESK_SSL_REDIRECT", "FLOWDESK_HSTS_SECONDS", "FLOWDESK_HSTS_PRELOAD",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # the browser tests' conftest sets it in this process; no deployment does
}


def environment(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CONFIG}
    env.update(PYTHONUNBUFFERED="1", **values)
    return env


def production(tmp_path: Path, **values: str) -> dict[str, str]:
    """What a deployment sets: a long random key, DEBUG off, its database and host, HTTPS only."""
    defaults = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "ALLOWED_HOSTS": "flowdesk.example.com",
        "FLOWDESK_SECURE": "1",
        "FLOWDESK_DATA_DIR": str(tmp_path),
    }
    return environment(**{**defaults, **values})


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def read_settings(env: dict[str, str], *names: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- check --deploy -------------------------------------------------------------------------------


def test_check_deploy_is_clean_in_a_production_configuration(tmp_path):
    result = manage(production(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


def test_check_deploy_is_also_clean_behind_a_tls_terminating_proxy_with_preload(tmp_path):
    env = production(tmp_path, FLOWDESK_BEHIND_PROXY="1", FLOWDESK_HSTS_PRELOAD="1")
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_names_what_is_missing_without_production_settings(tmp_path):
    env = production(tmp_path)
    del env["FLOWDESK_SECURE"]
    output = manage(env, "check", "--deploy").stderr
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in output


# --- the secret key ------------------------------------------------------------------------------


def test_a_deployment_without_a_secret_key_refuses_to_start(tmp_path):
    env = production(tmp_path)
    del env["SECRET_KEY"]
    result = manage(env, "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr


def test_the_embedded_run_generates_its_key_once_keeps_it_private_and_warns_on_deploy_checks(tmp_path):
    env = environment(FLOWDESK_DATA_DIR=str(tmp_path))  # no DATABASE_URL: the embedded run
    first = read_settings(env, "SECRET_KEY")["SECRET_KEY"]
    second = read_settings(env, "SECRET_KEY")["SECRET_KEY"]
    assert first == second != PUBLIC_KEY
    assert len(first) >= 50 and len(set(first)) >= 5  # what Django's check W009 asks
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    other = tmp_path / "elsewhere"
    assert read_settings(environment(FLOWDESK_DATA_DIR=str(other)), "SECRET_KEY")["SECRET_KEY"] != first

    assert "flowdesk.W001" in manage(env, "check", "--deploy").stderr
    plain = manage(env, "check")
    assert plain.returncode == 0 and "flowdesk.W001" not in plain.stdout + plain.stderr


# --- HTTPS settings ------------------------------------------------------------------------------

SECURITY = (
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER",
)


def test_the_local_defaults_serve_plain_http(tmp_path):
    values = read_settings(environment(FLOWDESK_DATA_DIR=str(tmp_path)), *SECURITY)
    assert values == {
        "SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False, "SECURE_SSL_REDIRECT": False, "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False, "SECURE_HSTS_PRELOAD": False, "SECURE_PROXY_SSL_HEADER": None,
    }


def test_flowdesk_secure_turns_on_https_only_cookies_the_redirect_and_hsts(tmp_path):
    values = read_settings(production(tmp_path, FLOWDESK_BEHIND_PROXY="1"), *SECURITY)
    assert values == {
        "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True, "SECURE_SSL_REDIRECT": True, "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }
    tuned = read_settings(production(tmp_path, FLOWDESK_SSL_REDIRECT="0", FLOWDESK_HSTS_SECONDS="600"), *SECURITY)
    assert tuned["SECURE_SSL_REDIRECT"] is False and tuned["SECURE_HSTS_SECONDS"] == 600
    assert tuned["SECURE_PROXY_SSL_HEADER"] is None  # the proxy's header is trusted only when asked


@pytest.mark.e2e
def test_a_production_server_behind_a_proxy_redirects_to_https_and_sends_hsts_and_secure_cookies(tmp_path, django_db_setup, django_db_blocker):
    from tests.e2e.conftest import Web, database_url

    env = production(tmp_path, FLOWDESK_BEHIND_PROXY="1", ALLOWED_HOSTS="127.0.0.1")
    with django_db_blocker.unblock():
        env["DATABASE_URL"] = database_url()
        web = Web(tmp_path)
        web.env = env
        web.start()
    try:
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as plain:
            opener.open(f"{web.url}/login/", timeout=30)
        assert plain.value.code == 301 and plain.value.headers["Location"].startswith("https://127.0.0.1")

        request = urllib.request.Request(f"{web.url}/login/", headers={"X-Forwarded-Proto": "https"})
        with opener.open(request, timeout=30) as response:
            assert response.status == 200
            assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
            cookies = response.headers.get_all("Set-Cookie")
            assert any(c.startswith("csrftoken=") and "Secure" in c for c in cookies), cookies
            assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    finally:
        web.stop()


# --- the Content Security Policy -----------------------------------------------------------------


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
def test_every_page_sends_a_policy_without_inline_scripts(client, admin_user):
    pages = ["/login/"]
    client.force_login(admin_user)
    pages += ["/", "/designer/", "/admin/", "/admin/workflows/instance/"]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        directives = policy(response)
        assert directives["default-src"] == ["'self'"], page
        assert directives["script-src"] == ["'self'"], page  # no inline scripts, no eval, no CDN
        assert "'unsafe-inline'" not in directives.get("style-src", []), page
        assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"], page


@pytest.mark.django_db
def test_the_api_docs_load_swagger_ui_from_this_server_and_the_policy_names_no_other_origin(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/api/docs/")
    docs = policy(response)
    assert docs["script-src"] == ["'self'"] and docs["style-src"][0] == "'self'"
    assert all(source.startswith("'") or source == "data:" for sources in docs.values() for source in sources)
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html and "cdn." not in html
