import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

# core.publishing.Task lets the outbox relay publish with bounded timeouts (core/publishing.py).
app = Celery("oms", task_cls="core.publishing:Task")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
