#!/usr/bin/env bash
# Proves that this tree's migrations apply on a database holding an older release's data: the older
# commit (default c0979dc, before pricing left finance and the API tables left core) migrates a scratch PostgreSQL database and
# loads the small demo business; this tree then migrates the same database. The prices, customer
# prices, shipping rates, content types and every group's and user's permissions must come through
# unchanged (permissions of the moved models under their new app label, with the same ids).
#
#   scripts/check_upgrade.sh [old-commit]
#
# SCRATCH_DB names the database (default oms_upgrade_check); it is DROPPED and recreated on the
# server of PGHOST/PGUSER (default postgres@127.0.0.1). Needs psql and .venv.
set -euo pipefail

OLD=${1:-c0979dc}
DB=${SCRATCH_DB:-oms_upgrade_check}
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres}
HERE=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
OLD_TREE="$WORK/old"
trap 'git -C "$HERE" worktree remove --force "$OLD_TREE" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT

export DATABASE_URL="postgres://$PGUSER@$PGHOST:5432/$DB"
# DEBUG: newer demo_data commands refuse to run without it.
export CELERY_BROKER_URL=memory:// OMS_VAR_DIR="$WORK/var" DJANGO_SETTINGS_MODULE=config.settings.base DEBUG=true
PYTHON="$HERE/.venv/bin/python"

psql -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
git -C "$HERE" worktree add --quiet --detach "$OLD_TREE" "$OLD"

# Both trees read the same tables by SQL, so one snapshot works for old and new code.
SNAPSHOT='
import json, sys
from django.db import connection
def rows(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [list(map(str, row)) for row in cursor.fetchall()]
print(json.dumps({
    "tierdiscount": rows("SELECT * FROM finance_tierdiscount ORDER BY id"),
    "customerprice": rows("SELECT * FROM finance_customerprice ORDER BY id"),
    "shippingrate": rows("SELECT * FROM finance_shippingrate ORDER BY id"),
    "apitoken": rows("SELECT id, user_id, prefix, digest, revoked_at FROM core_apitoken ORDER BY id"),
    "content_types": rows("SELECT id, app_label, model FROM django_content_type ORDER BY id"),
    "group_perms": rows(
        "SELECT g.name, ct.app_label, p.codename, p.id FROM auth_group g"
        " JOIN auth_group_permissions gp ON gp.group_id = g.id JOIN auth_permission p ON p.id = gp.permission_id"
        " JOIN django_content_type ct ON ct.id = p.content_type_id ORDER BY 1, 2, 3"),
    "user_perms": rows(
        "SELECT u.username, ct.app_label, p.codename, p.id FROM auth_user u"
        " JOIN auth_user_user_permissions up ON up.user_id = u.id JOIN auth_permission p ON p.id = up.permission_id"
        " JOIN django_content_type ct ON ct.id = p.content_type_id ORDER BY 1, 2, 3"),
}))
'

echo "== $OLD: migrate, demo data"
(cd "$OLD_TREE" && ln -s "$HERE/.venv" .venv && "$PYTHON" manage.py migrate --noinput -v 0 \
    && "$PYTHON" manage.py demo_data --size small >/dev/null \
    && "$PYTHON" manage.py shell --no-imports -v 0 -c "$SNAPSHOT" >"$WORK/before.json")
# A permission granted to one user directly must survive the move too.
psql -q -d "$DB" -c "INSERT INTO auth_user_user_permissions (user_id, permission_id)
    SELECT (SELECT min(id) FROM auth_user), p.id FROM auth_permission p JOIN django_content_type ct
    ON ct.id = p.content_type_id WHERE ct.app_label = 'finance' AND p.codename = 'change_shippingrate'"
# And a permission an administrator gave a role group by hand: a deploy never takes it away.
psql -q -d "$DB" -c "INSERT INTO auth_group_permissions (group_id, permission_id)
    SELECT g.id, p.id FROM auth_group g, auth_permission p JOIN django_content_type ct
    ON ct.id = p.content_type_id WHERE g.name = 'Sales rep' AND ct.app_label = 'finance'
    AND p.codename = 'view_invoice'"
# So do a dealer's API tokens (their table moved from core to restapi).
(cd "$OLD_TREE" && "$PYTHON" manage.py create_api_token dealer.huatai >/dev/null)
(cd "$OLD_TREE" && "$PYTHON" manage.py shell --no-imports -v 0 -c "$SNAPSHOT" >"$WORK/before.json")

echo "== $(git -C "$HERE" rev-parse --short HEAD) (this tree): migrate"
(cd "$HERE" && "$PYTHON" manage.py migrate --noinput -v 1 | grep -E "Apply|Role" || true)
(cd "$HERE" && "$PYTHON" manage.py shell --no-imports -v 0 -c "$SNAPSHOT" >"$WORK/after.json")

echo "== compare"
(cd "$HERE" && "$PYTHON" manage.py shell --no-imports -v 0 -c "
import json
from django.contrib.auth.models import Group
from crm.roles import ROLES
from pricing.models import CustomerPrice, ShippingRate, TierDiscount
from restapi.models import ApiToken
from inventory.models import StockMovement
from inventory.selectors import stock_drift
before, after = (json.load(open('$WORK/' + name)) for name in ('before.json', 'after.json'))
MOVED = {('finance', 'tierdiscount'): 'pricing', ('finance', 'customerprice'): 'pricing',
         ('finance', 'shippingrate'): 'pricing', ('core', 'apitoken'): 'restapi',
         ('core', 'idempotencykey'): 'restapi'}
# Models that did not exist in the older release: their content types and role permissions are new.
NEW = {
    ('core', 'outboxevent'), ('core', 'processedevent'),
    ('axes', 'accessattempt'), ('axes', 'accessattemptexpiration'), ('axes', 'accesslog'),
    ('axes', 'accessfailurelog'), ('inventory', 'stockmovement'),
    ('inventory', 'stocktransfer'), ('inventory', 'stocktransferline'), ('inventory', 'stocktransferevent'),
    ('inventory', 'stockalert'), ('inventory', 'expectedreceipt'), ('inventory', 'warehouseshippingcost'),
    ('orders', 'lineallocation'), ('core', 'notification'), ('orders', 'priorityfactor'),
    ('orders', 'reviewrule'), ('orders', 'orderapproval'),
    ('crm', 'customercreditevent'), ('finance', 'dunninglevel'), ('finance', 'invoicereminder'),
    ('finance', 'receivablesageing'),
    ('production', 'productfamily'), ('production', 'familycategory'), ('production', 'plantday'),
    ('production', 'productionline'), ('production', 'routingstage'), ('production', 'bomline'),
    ('production', 'workorderload'), ('production', 'workorderstage'), ('production', 'workordermaterial'),
    ('production', 'workorderevent'), ('production', 'shopfloordevice'), ('production', 'shopfloorevent'),
    ('production', 'productionbatch'), ('production', 'serialnumber'),
    ('orders', 'committeddemand'),
    # Not a model: crm.credit_hold_customer, a permission new on an old model (model_of reads 'hold_customer').
    ('crm', 'hold_customer'),
}
def moved(label, model):
    return MOVED.get((label, model), label)
def model_of(codename):
    return codename.split('_', 1)[1]
# A release may grant a role more (a new role, a workflow permission on an old model); each such grant
# must be one crm.roles lists, and every grant of before must stay with its id.
after_old = [row for row in after['group_perms'] if (row[1], model_of(row[2])) not in NEW]
before_kept = sorted([g, moved(label, model_of(code)), code, i] for g, label, code, i in before['group_perms'])
checks = {
    'prices, customer prices and shipping rates unchanged': all(
        before[t] == after[t] for t in ('tierdiscount', 'customerprice', 'shippingrate')),
    'and read through pricing.models': [TierDiscount.objects.count(), CustomerPrice.objects.count(),
        ShippingRate.objects.count()] == [len(after[t]) for t in ('tierdiscount', 'customerprice', 'shippingrate')],
    'API tokens unchanged and read through restapi.models': before['apitoken'] == after['apitoken']
        and len(before['apitoken']) > 0
        and sorted(ApiToken.objects.values_list('digest', flat=True)) == sorted(r[3] for r in after['apitoken']),
    'content types renamed in place, none added but for new models': (
        [row for row in after['content_types'] if (row[1], row[2]) not in NEW]
        == [[i, moved(label, model), model] for i, label, model in before['content_types']]),
    'group permissions kept (same ids), new ones only for new models or new grants of crm.roles': (
        all(row in after_old for row in before_kept)
        and all(f'{label}.{code}' in ROLES.get(g, ()) for g, label, code, _i in after_old
                if [g, label, code, _i] not in before_kept)),
    'user permissions kept (same ids)': after['user_perms'] == sorted(
        [u, moved(label, model_of(code)), code, i] for u, label, code, i in before['user_perms']),
    'every role holds at least crm.roles.ROLES': all(
        {f'{p.content_type.app_label}.{p.codename}' for p in Group.objects.get(name=name).permissions.all()}
        >= perms for name, perms in ROLES.items()),
    'a grant added by hand is kept': ['Sales rep', 'finance', 'view_invoice'] in [
        row[:3] for row in after['group_perms']],
    'stock balances have opening movements and equal the ledger': StockMovement.objects.exists()
        and stock_drift() == [],
}
print('  rows:', {t: len(after[t]) for t in ('tierdiscount', 'customerprice', 'shippingrate')},
      'group permissions:', len(after['group_perms']), 'user permissions:', len(after['user_perms']),
      'content types:', len(after['content_types']))
for name, ok in checks.items():
    print('  OK  ' if ok else '  FAIL', name)
raise SystemExit(0 if all(checks.values()) else 1)
")
psql -q -d postgres -c "DROP DATABASE $DB"
