"""Formerly the role groups; now a no-op kept because databases have it applied and later core
migrations depend on it.

Roles are defined in crm/roles.py and applied by `manage.py sync_roles`, which `migrate` runs at
its end (crm.apps), once every app's permissions exist.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = []
