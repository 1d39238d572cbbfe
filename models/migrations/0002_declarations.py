from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.declaration import DeclarationAction, DeclarationStatus, RowAction
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Declaration',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='declarations', on_delete=OnDelete.RESTRICT)),
                ('campaign', fields.ForeignKeyField('models.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='declarations', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=DeclarationStatus.DRAFT, description='NOT_STARTED: not_started\nDRAFT: draft\nSUBMITTED: submitted\nRETURNED: returned\nACCEPTED: accepted', enum_type=DeclarationStatus, max_length=16)),
                ('version', fields.IntField(default=1)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('returned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('return_reason', fields.TextField(null=True, unique=False)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'declaration', 'app': 'models', 'unique_together': (('organization_id', 'campaign_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeclarationEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('declaration', fields.ForeignKeyField('models.Declaration', source_field='declaration_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('action', fields.CharEnumField(description='SUBMIT: submit\nWITHDRAW: withdraw\nRETURN: return\nACCEPT: accept', enum_type=DeclarationAction, max_length=16)),
                ('from_status', fields.CharEnumField(description='NOT_STARTED: not_started\nDRAFT: draft\nSUBMITTED: submitted\nRETURNED: returned\nACCEPTED: accepted', enum_type=DeclarationStatus, max_length=16)),
                ('to_status', fields.CharEnumField(description='NOT_STARTED: not_started\nDRAFT: draft\nSUBMITTED: submitted\nRETURNED: returned\nACCEPTED: accepted', enum_type=DeclarationStatus, max_length=16)),
                ('reason', fields.TextField(null=True, unique=False)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', db_constraint=True, to_field='id', related_name='declaration_events', on_delete=OnDelete.RESTRICT)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'declaration_event', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A status change: who, when, from what to what, and why.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Extension',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('models.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='extensions', on_delete=OnDelete.CASCADE)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='extensions', on_delete=OnDelete.CASCADE)),
                ('until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reason', fields.TextField(null=True, unique=False)),
                ('granted_by', fields.ForeignKeyField('models.User', source_field='granted_by_id', db_constraint=True, to_field='id', related_name='extensions_granted', on_delete=OnDelete.RESTRICT)),
                ('granted_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'declaration_extension', 'app': 'models', 'unique_together': (('campaign_id', 'organization_id'),), 'pk_attr': 'id', 'table_description': "An extension of one organisation's declaration deadline, granted by the province."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UndertakingChange',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('declaration', fields.ForeignKeyField('models.Declaration', source_field='declaration_id', db_constraint=True, to_field='id', related_name='row_changes', on_delete=OnDelete.CASCADE)),
                ('item', fields.ForeignKeyField('models.TaskEntry', source_field='item_id', db_constraint=True, to_field='id', related_name='row_changes', on_delete=OnDelete.RESTRICT)),
                ('action', fields.CharEnumField(description='CREATE: create\nUPDATE: update\nDELETE: delete', enum_type=RowAction, max_length=16)),
                ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', db_constraint=True, to_field='id', related_name='row_changes', on_delete=OnDelete.RESTRICT)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'undertaking_change', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A row of a declaration before and after one change (null before a creation, null'},
            bases=['Model'],
        ),
    ]
