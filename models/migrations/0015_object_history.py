from tortoise import migrations
from tortoise.migrations import operations as ops
from models.object_history import HistoryEvent
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_audit_log')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ObjectEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subject', fields.CharField(db_index=True, max_length=60)),
                ('event', fields.CharEnumField(description='EXTENSION_GRANTED: extension_granted\nEXTENSION_REVOKED: extension_revoked\nREPORT_EXTENSION_GRANTED: report_extension_granted\nENTRY_ADDED: entry_added\nENTRY_CHANGED: entry_changed\nENTRY_RETIRED: entry_retired\nENTRY_RESTORED: entry_restored\nLINE_SAVED: line_saved\nEVIDENCE_UPLOADED: evidence_uploaded\nEVIDENCE_DELETED: evidence_deleted\nPASSWORD_RESET: password_reset', enum_type=HistoryEvent, max_length=32)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='object_events', on_delete=OnDelete.SET_NULL)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reason', fields.TextField(null=True, unique=False)),
                ('until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('item_number', fields.CharField(null=True, max_length=20)),
                ('file_name', fields.CharField(null=True, max_length=200)),
                ('changes', fields.TextField(default='[]', unique=False)),
            ],
            options={'table': 'object_event', 'app': 'models', 'pk_attr': 'id', 'table_description': "One event in an object's history (models/object_history.py)."},
            bases=['Model'],
        ),
    ]
