from tortoise import migrations
from tortoise.migrations import operations as ops
from models.mandatory import BreakSource
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_password_policy')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MandatoryConfirmation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('models.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='mandatory_confirmations', on_delete=OnDelete.CASCADE)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='mandatory_confirmations', on_delete=OnDelete.CASCADE)),
                ('item', fields.ForeignKeyField('models.TaskEntry', source_field='item_id', db_constraint=True, to_field='id', related_name='mandatory_confirmations', on_delete=OnDelete.CASCADE)),
                ('source', fields.CharEnumField(description='CATALOG: catalog\nCHANGE_REQUEST: change_request', enum_type=BreakSource, max_length=16)),
                ('reason', fields.TextField(unique=False)),
                ('confirmed_by', fields.ForeignKeyField('models.User', source_field='confirmed_by_id', db_constraint=True, to_field='id', related_name='mandatory_confirmations', on_delete=OnDelete.RESTRICT)),
                ('confirmed_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'mandatory_confirmation', 'app': 'models', 'unique_together': (('organization_id', 'item_id'),), 'pk_attr': 'id', 'table_description': "The province's confirmation that one bound school may lack one item, and why."},
            bases=['Model'],
        ),
    ]
