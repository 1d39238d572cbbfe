from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_initial_passwords')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='LoginAttempt',
            index=Index(fields=['client_address', 'at']),
        ),
        ops.AddField(
            model_name='User',
            name='failures_cleared_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
