from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0015_object_history')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AuditHead',
            name='prev_hash',
            field=fields.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64),
        ),
    ]
