from tortoise import migrations
from tortoise.migrations import operations as ops
from decimal import Decimal
from models.enums import CityCategory, OrgKind, Role, SchoolType, TaskLevel
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Campaign',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=40)),
                ('name', fields.CharField(max_length=200)),
                ('declaration_opens_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('declaration_closes_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'campaign', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An action plan round: its declaration window and the years it reports on.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Organization',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=20)),
                ('name', fields.CharField(max_length=200)),
                ('kind', fields.CharEnumField(description='PROVINCE: province\nCITY: city\nSCHOOL: school', enum_type=OrgKind, max_length=16)),
                ('parent', fields.ForeignKeyField('models.Organization', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('school_type', fields.CharEnumField(null=True, description='HIGHER: higher\nSECONDARY: secondary\nUNIVERSITY: university', enum_type=SchoolType, max_length=16)),
                ('city_category', fields.CharEnumField(null=True, description='PREFECTURE: prefecture\nDEMONSTRATION_ZONE: demonstration_zone\nDIRECT_COUNTY: direct_county', enum_type=CityCategory, max_length=24)),
                ('must_undertake_all', fields.BooleanField(default=False)),
                ('is_demo', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'organization', 'app': 'models', 'indexes': [Index(fields=['parent_id', 'kind'])], 'pk_attr': 'id', 'table_description': 'One node of the tree.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReportingRound',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('models.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='reporting_rounds', on_delete=OnDelete.CASCADE)),
                ('year', fields.IntField()),
                ('opens_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closes_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reporting_round', 'app': 'models', 'unique_together': (('campaign_id', 'year'),), 'pk_attr': 'id', 'table_description': 'One year-end performance collection (执行绩效) of a campaign.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TaskEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('models.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.CASCADE)),
                ('number', fields.CharField(max_length=16)),
                ('sort_key', fields.CharField(max_length=40)),
                ('parent', fields.ForeignKeyField('models.TaskEntry', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('is_group', fields.BooleanField(default=False)),
                ('title', fields.TextField(null=True, unique=False)),
                ('level', fields.CharEnumField(null=True, description='PROVINCE: province\nSCHOOL: school', enum_type=TaskLevel, max_length=16)),
                ('target_quantity', fields.IntField(null=True)),
                ('target_unit', fields.CharField(null=True, max_length=8)),
                ('for_higher', fields.BooleanField(default=True)),
                ('for_secondary', fields.BooleanField(default=True)),
                ('for_university', fields.BooleanField(default=True)),
                ('retired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'task_entry', 'app': 'models', 'unique_together': (('campaign_id', 'number'),), 'pk_attr': 'id', 'table_description': 'A catalog entry: a group heading (no text of its own) or a task item.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Undertaking',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='undertakings', on_delete=OnDelete.RESTRICT)),
                ('item', fields.ForeignKeyField('models.TaskEntry', source_field='item_id', db_constraint=True, to_field='id', related_name='undertakings', on_delete=OnDelete.RESTRICT)),
                ('quantity', fields.IntField()),
                ('school_self', fields.DecimalField(default=Decimal('0'), max_digits=14, decimal_places=2)),
                ('enterprise', fields.DecimalField(default=Decimal('0'), max_digits=14, decimal_places=2)),
                ('sponsor', fields.DecimalField(default=Decimal('0'), max_digits=14, decimal_places=2)),
                ('local_gov', fields.DecimalField(default=Decimal('0'), max_digits=14, decimal_places=2)),
                ('provincial', fields.DecimalField(default=Decimal('0'), max_digits=14, decimal_places=2)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'undertaking', 'app': 'models', 'unique_together': (('organization_id', 'item_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(unique=True, max_length=64)),
                ('display_name', fields.CharField(default='', max_length=200)),
                ('password_hash', fields.CharField(max_length=255)),
                ('previous_password_hash', fields.CharField(null=True, max_length=255)),
                ('role', fields.CharEnumField(description='PROVINCE_OFFICE: province_office\nCITY_BUREAU: city_bureau\nSCHOOL: school', enum_type=Role, max_length=24)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.RESTRICT)),
                ('is_active', fields.BooleanField(default=True)),
                ('must_change_password', fields.BooleanField(default=True)),
                ('failed_login_count', fields.IntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_login_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('password_changed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'app_user', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AccessToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('client_address', fields.CharField(null=True, max_length=64)),
            ],
            options={'table': 'access_token', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A bearer token, stored only as its SHA-256: a leaked table grants nothing.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoginAttempt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(max_length=64)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='login_attempts', on_delete=OnDelete.CASCADE)),
                ('success', fields.BooleanField()),
                ('reason', fields.CharField(max_length=32)),
                ('client_address', fields.CharField(null=True, max_length=64)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'login_attempt', 'app': 'models', 'indexes': [Index(fields=['username', 'at'])], 'pk_attr': 'id', 'table_description': 'Every login, failed or not, with its time and client address.'},
            bases=['Model'],
        ),
    ]
