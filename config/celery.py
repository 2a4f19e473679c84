import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.core.signals import setting_changed
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")


class DjangoSettingsSource(Mapping):
    """Django's settings as Celery's configuration source, with the names Django lacks remembered.

    Celery looks each option up under up to three names (CELERY_X, x and the old name) in each of its
    sources, and most options are not Django settings: through Django's lazy settings every miss
    raises twice (~10 µs), so option lookups cost a task's publish ~0.4 ms. Here a miss is remembered
    until a setting changes (override_settings and pytest-django's `settings` send `setting_changed`);
    a hit is Django's own lookup, as with `config_from_object("django.conf:settings")`.
    """

    def __init__(self) -> None:
        self._missing: set[str] = set()
        setting_changed.connect(self._forget_missing, weak=False)

    def _forget_missing(self, **kwargs: Any) -> None:
        self._missing = set()

    def __getitem__(self, key: str) -> Any:
        missing = self._missing
        if key in missing:
            raise KeyError(key)
        try:
            return getattr(settings, key)
        except AttributeError:
            missing.add(key)
            raise KeyError(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(dir(settings))

    def __len__(self) -> int:
        return len(dir(settings))


django_settings = DjangoSettingsSource()

# core.publishing.Task lets the outbox relay publish with bounded timeouts (core/publishing.py);
# core.publishing.AMQP writes the reprs of plain task arguments without celery's slower saferepr.
app = Celery("oms", task_cls="core.publishing:Task", amqp="core.publishing:AMQP")
app.config_from_object("config.celery:django_settings", namespace="CELERY")
app.autodiscover_tasks()

# kombu's filesystem transport neither creates its folders nor the parents of its control folder.
FILESYSTEM_BROKER_FOLDERS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


@app.on_after_configure.connect
def create_filesystem_broker_folders(sender: Celery, **kwargs) -> None:
    """Create the trial broker's folders when a process first configures the app (web or worker),
    so settings never touch the disk at import."""
    if not str(sender.conf.broker_url or "").startswith("filesystem"):
        return
    options = sender.conf.broker_transport_options or {}
    for key in FILESYSTEM_BROKER_FOLDERS:
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@task_prerun.connect
@task_postrun.connect
def close_old_database_connections(sender=None, task=None, **kwargs) -> None:
    """Around each task, close the database connections that are broken or older than CONN_MAX_AGE, as
    Django does around each request (the fixup no longer closes them all: CELERY_DB_REUSE_MAX).
    Not for a task run eagerly, inside its caller's request or transaction."""
    if getattr(getattr(task, "request", None), "is_eager", False):
        return
    close_old_connections()
