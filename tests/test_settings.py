"""Settings come from the environment, with defaults that run a fresh clone without any server.

Each case imports the settings in a fresh interpreter with a clean environment, so nothing here
depends on (or disturbs) the settings of the test process.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST", ""), "port": db.get("PORT", ""),
    "language": settings.LANGUAGE_CODE, "time_zone": settings.TIME_ZONE,
    "celery_tz": settings.CELERY_TIMEZONE,
    "currency": settings.DEFAULT_CURRENCY, "tax_rate": str(settings.DEFAULT_TAX_RATE),
    "debug": settings.DEBUG,
    "broker": settings.CELERY_BROKER_URL, "cache": settings.CACHES["default"]["BACKEND"],
    "allowed_hosts": settings.ALLOWED_HOSTS,
}))
"""


def _settings(**env: str) -> dict:
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults_need_no_server():
    values = _settings()

    assert values["engine"] == "django.db.backends.sqlite3"
    assert Path(values["name"]) == ROOT / "var" / "oms.sqlite3"
    assert values["broker"] == "filesystem://"
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["debug"] is False


def test_locale_and_money_defaults_are_chinese_business_defaults():
    values = _settings()

    assert (values["language"], values["time_zone"], values["celery_tz"]) == (
        "en",
        "Asia/Shanghai",
        "Asia/Shanghai",
    )
    assert (values["currency"], values["tax_rate"]) == ("CNY", "0.13")


def test_var_dir_moves_the_default_database(tmp_path):
    values = _settings(OMS_VAR_DIR=str(tmp_path))

    assert Path(values["name"]) == tmp_path / "oms.sqlite3"


def test_everything_is_overridden_from_the_environment():
    values = _settings(
        DATABASE_URL="postgres://oms:secret@db.internal:5433/oms_prod",
        LANGUAGE_CODE="zh-hans",
        TIME_ZONE="UTC",
        DEFAULT_CURRENCY="USD",
        CELERY_BROKER_URL="redis://cache:6379/0",
        CACHE_URL="redis://cache:6379/1",
        DEBUG="1",
        ALLOWED_HOSTS="a.example.com, b.example.com",
    )

    assert (values["engine"], values["name"], values["host"], values["port"]) == (
        "django.db.backends.postgresql",
        "oms_prod",
        "db.internal",
        5433,
    )
    assert (values["language"], values["time_zone"], values["currency"]) == ("zh-hans", "UTC", "USD")
    assert values["broker"] == "redis://cache:6379/0"
    assert values["cache"] == "config.cache.RedisCache"
    assert values["debug"] is True
    assert values["allowed_hosts"] == ["a.example.com", "b.example.com"]


def _run_python(code: str, *, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=clean, capture_output=True, text=True, timeout=60
    )


def test_importing_the_settings_creates_no_folder(tmp_path):
    var = tmp_path / "var"

    result = _run_python("import django; django.setup()", cwd=tmp_path, OMS_VAR_DIR=str(var))

    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_filesystem_broker_keeps_every_file_under_var(tmp_path):
    # given a process that has not touched the disk yet (web or worker, any working directory)
    var = tmp_path / "var"
    publish = "import django; django.setup()\nfrom config.celery import app\napp.send_task('oms.probe')"

    # when it publishes a task on the trial's filesystem broker
    result = _run_python(publish, cwd=tmp_path, OMS_VAR_DIR=str(var))

    # then the broker's folders were created on the way, and its message and exchange table are in them
    assert result.returncode == 0, result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["var"]
    assert len(list((var / "broker" / "out").glob("*.msg"))) == 1
    assert (var / "broker" / "control" / "celery.exchange").is_file()
    assert (var / "broker" / "processed").is_dir()


def test_a_publish_timeout_above_one_second_is_refused_at_start():
    # The fast path publishes inside the request: a longer wait would let a hung broker hold requests.
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "OUTBOX_PUBLISH_TIMEOUT_SECONDS": "5",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )

    assert result.returncode != 0
    assert "OUTBOX_PUBLISH_TIMEOUT_SECONDS must be above 0 and at most 1" in result.stderr


SESSION_PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "idle": settings.SESSION_IDLE_TIMEOUT_SECONDS, "absolute": settings.SESSION_ABSOLUTE_MAX_SECONDS,
    "cookie_age": settings.SESSION_COOKIE_AGE,
    "renderers": settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"],
}))
"""


def _probe(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_sessions_time_out_after_30_idle_minutes_and_12_hours_by_default_and_from_the_environment():
    default = json.loads(_probe(SESSION_PROBE).stdout)
    custom = json.loads(
        _probe(SESSION_PROBE, SESSION_IDLE_TIMEOUT_SECONDS="600", SESSION_ABSOLUTE_MAX_SECONDS="3600").stdout
    )

    assert (default["idle"], default["absolute"], default["cookie_age"]) == (1800, 43200, 1800)
    assert (custom["idle"], custom["absolute"], custom["cookie_age"]) == (600, 3600, 600)


def test_an_idle_timeout_longer_than_the_absolute_maximum_is_refused_at_start():
    result = _probe(SESSION_PROBE, SESSION_IDLE_TIMEOUT_SECONDS="7200", SESSION_ABSOLUTE_MAX_SECONDS="3600")

    assert result.returncode != 0
    assert (
        "SESSION_IDLE_TIMEOUT_SECONDS must be above 0 and at most SESSION_ABSOLUTE_MAX_SECONDS"
        in result.stderr
    )


def test_the_browsable_api_is_offered_only_with_debug_on():
    assert json.loads(_probe(SESSION_PROBE).stdout)["renderers"] == ["rest_framework.renderers.JSONRenderer"]
    assert json.loads(_probe(SESSION_PROBE, DEBUG="1").stdout)["renderers"] == [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ]
