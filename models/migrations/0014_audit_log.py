from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import Role
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0013_evidence_store')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditHead',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('seq', fields.IntField()),
                ('hash', fields.CharField(max_length=64)),
            ],
            options={'table': 'audit_chain_head', 'app': 'models', 'pk_attr': 'id', 'table_description': "The chain's last position and hash (one row, id 1)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditRecord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('seq', fields.IntField(unique=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('kind', fields.CharField(max_length=16)),
                ('operation', fields.CharField(db_index=True, max_length=64)),
                ('outcome', fields.CharField(max_length=40)),
                ('user_id', fields.IntField(null=True)),
                ('username', fields.CharField(default='', db_index=True, max_length=64)),
                ('role', fields.CharField(null=True, max_length=24)),
                ('organization_id', fields.IntField(null=True)),
                ('organization_code', fields.CharField(null=True, db_index=True, max_length=20)),
                ('client_address', fields.CharField(null=True, max_length=64)),
                ('targets', fields.TextField(default='{}', unique=False)),
                ('detail', fields.TextField(default='{}', unique=False)),
                ('prev_hash', fields.CharField(max_length=64)),
                ('hash', fields.CharField(max_length=64)),
            ],
            options={'table': 'audit_record', 'app': 'models', 'indexes': [Index(fields=['at', 'seq'])], 'pk_attr': 'id', 'table_description': 'One entry of the operation log: never updated, deleted only by a purge.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='User',
            name='role',
            field=fields.CharEnumField(description='PROVINCE_OFFICE: province_office\nCITY_BUREAU: city_bureau\nSCHOOL: school\nAUDITOR: auditor', enum_type=Role, max_length=24),
        ),
    ]
