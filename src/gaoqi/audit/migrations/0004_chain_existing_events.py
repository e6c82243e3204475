"""Chain the events recorded before the hash chain existed, in id order, and keep their firm's code and name."""

from django.conf import settings
from django.db import migrations

from gaoqi.audit.chain import GENESIS, event_hash, fields_of


FIELDS = ["actor_name", "enterprise_code", "enterprise_name", "seq", "prev_hash", "hash"]


def chain_existing(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    Enterprise = apps.get_model("registry", "Enterprise")
    Head = apps.get_model("audit", "AuditChainHead")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    users = dict(User.objects.values_list("pk", "username"))
    firms = dict(Enterprise.objects.values_list("pk", "credit_code"))
    names = dict(Enterprise.objects.values_list("pk", "name"))
    prev, seq, batch = GENESIS, 0, []
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        seq += 1
        event.actor_name = users.get(event.actor_id, "")
        event.enterprise_code = firms.get(event.enterprise_id, "")
        event.enterprise_name = names.get(event.enterprise_id, "")
        event.seq, event.prev_hash = seq, prev
        event.hash = prev = event_hash(fields_of(event))
        batch.append(event)
        if len(batch) >= 2000:
            AuditEvent.objects.bulk_update(batch, FIELDS)
            batch = []
    if batch:
        AuditEvent.objects.bulk_update(batch, FIELDS)
    Head.objects.update_or_create(pk=1, defaults={"seq": seq, "hash": prev})


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_hash_chain"), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [migrations.RunPython(chain_existing, migrations.RunPython.noop)]
