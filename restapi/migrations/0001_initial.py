"""ApiToken and IdempotencyKey, taken over from core with their tables (state only, issue #6)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("core", "0004_move_api_models"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ApiToken',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(blank=True, max_length=100, verbose_name='name')),
                        ('prefix', models.CharField(db_index=True, editable=False, max_length=12, verbose_name='prefix')),
                        ('digest', models.CharField(editable=False, max_length=64, unique=True, verbose_name='digest')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                        ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last used at')),
                        ('revoked_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='revoked at')),
                        ('created_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                    ],
                    options={
                        'verbose_name': 'API token',
                        'verbose_name_plural': 'API tokens',
                        'ordering': ['-created_at'],
                        'db_table': 'core_apitoken',
                    },
                ),
                migrations.CreateModel(
                    name='IdempotencyKey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('scope', models.CharField(max_length=64, verbose_name='scope')),
                        ('key', models.CharField(max_length=255, verbose_name='key')),
                        ('request_hash', models.CharField(max_length=64, verbose_name='request hash')),
                        ('response_status', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='response status')),
                        ('response_body', models.JSONField(blank=True, null=True, verbose_name='response body')),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='created at')),
                    ],
                    options={
                        'verbose_name': 'idempotency key',
                        'verbose_name_plural': 'idempotency keys',
                        'db_table': 'core_idempotencykey',
                        'constraints': [models.UniqueConstraint(fields=('scope', 'key'), name='core_idempotency_scope_key_uniq')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
