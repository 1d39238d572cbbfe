from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_performance')]

    initial = False

    operations = [
        ops.CreateModel(
            name='InitialCredential',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='initial_credential', on_delete=OnDelete.CASCADE)),
                ('password', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('handed_out_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('handed_out_by', fields.ForeignKeyField('models.User', source_field='handed_out_by_id', null=True, db_constraint=True, to_field='id', related_name='handed_out_credentials', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'initial_credential', 'app': 'models', 'pk_attr': 'id', 'table_description': "An imported account's one-time password, waiting for the province office to hand it"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='User',
            name='one_time_password_expires_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
