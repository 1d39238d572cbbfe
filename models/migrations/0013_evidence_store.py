from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_review_certification')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EvidenceBlob',
            fields=[
                ('sha256', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('content', fields.BinaryField()),
                ('size', fields.IntField()),
                ('stored_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'evidence_blob', 'app': 'models', 'pk_attr': 'sha256', 'table_description': "An evidence file's bytes, by their SHA-256 (EVIDENCE_STORE=database)."},
            bases=['Model'],
        ),
    ]
