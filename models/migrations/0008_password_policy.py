from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

from models.migration_ops import DropColumn

class Migration(migrations.Migration):
    dependencies = [('models', '0007_idempotency')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PasswordHistory',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='password_history', on_delete=OnDelete.CASCADE)),
                ('password_hash', fields.CharField(max_length=255)),
                ('retired_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'password_history', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A password a user replaced, as its hash: the policy refuses it while it is among the'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='AccessToken',
            name='last_seen_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        # The one previous password kept so far opens the history.
        ops.RunSQL("INSERT INTO password_history (user_id, password_hash, retired_at) "
                   "SELECT id, previous_password_hash, COALESCE(password_changed_at, created_at) "
                   "FROM app_user WHERE previous_password_hash IS NOT NULL"),
        DropColumn(model_name='User', name='failed_login_count', table='app_user'),
        DropColumn(model_name='User', name='previous_password_hash', table='app_user'),
    ]
