from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_review_chain')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IdempotentRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='idempotent_requests', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=100)),
                ('request_hash', fields.CharField(max_length=64)),
                ('status_code', fields.IntField()),
                ('response', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'idempotent_request', 'app': 'models', 'unique_together': (('user_id', 'key'),), 'pk_attr': 'id', 'table_description': "A request's first answer under its client's key, for one user, until it expires."},
            bases=['Model'],
        ),
    ]
