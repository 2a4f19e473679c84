"""Every insert into the outbox notifies the relay process (core.outbox.outbox_listen) when it commits.

PostgreSQL only: a statement trigger calls pg_notify on the `core_outbox` channel (a transaction's
notifications on one channel with the same payload are delivered once, at its commit; none for a
rollback). Other databases have no relay process (OUTBOX_RELAY_PROCESS applies to PostgreSQL only).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION core_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('core_outbox', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_outbox_notify AFTER INSERT ON core_outboxevent
    FOR EACH STATEMENT EXECUTE FUNCTION core_outbox_notify();
"""
DROP = """
DROP TRIGGER IF EXISTS core_outbox_notify ON core_outboxevent;
DROP FUNCTION IF EXISTS core_outbox_notify();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("core", "0006_notifications")]

    operations = [migrations.RunPython(create, drop)]
