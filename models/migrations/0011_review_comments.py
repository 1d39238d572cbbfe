from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_notices')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RowComment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('undertaking', fields.ForeignKeyField('models.Undertaking', source_field='undertaking_id', db_constraint=True, to_field='id', related_name='comments', on_delete=OnDelete.CASCADE)),
                ('year', fields.IntField(null=True)),
                ('text', fields.TextField(unique=False)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', db_constraint=True, to_field='id', related_name='row_comments', on_delete=OnDelete.RESTRICT)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'row_comment', 'app': 'models', 'indexes': [Index(fields=['undertaking_id', 'year'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Campaign',
            name='median_factor',
            field=fields.IntField(default=5, db_default=5),
        ),
    ]
