from tortoise import migrations
from tortoise.migrations import operations as ops
from models.notice import Audience
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_review_rules')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sender_org', fields.ForeignKeyField('models.Organization', source_field='sender_org_id', db_constraint=True, to_field='id', related_name='sent_notices', on_delete=OnDelete.RESTRICT)),
                ('sender_user', fields.ForeignKeyField('models.User', source_field='sender_user_id', null=True, db_constraint=True, to_field='id', related_name='sent_notices', on_delete=OnDelete.RESTRICT)),
                ('title', fields.CharField(max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('audience', fields.CharEnumField(description='ALL: all\nSCHOOL_TYPE: school_type\nEXPLICIT: explicit\nCHASE: chase\nREMINDER: reminder', enum_type=Audience, max_length=16)),
                ('audience_label', fields.CharField(default='', max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notice', 'app': 'models', 'indexes': [Index(fields=['sender_org_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeAttachment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('models.Notice', source_field='notice_id', db_constraint=True, to_field='id', related_name='attachments', on_delete=OnDelete.CASCADE)),
                ('filename', fields.CharField(max_length=120)),
                ('content_type', fields.CharField(max_length=100)),
                ('size', fields.IntField()),
                ('sha256', fields.CharField(max_length=64)),
            ],
            options={'table': 'notice_attachment', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A file sent with a notice, stored by its SHA-256 beside the evidence files.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeReceipt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('models.Notice', source_field='notice_id', db_constraint=True, to_field='id', related_name='receipts', on_delete=OnDelete.CASCADE)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='notice_receipts', on_delete=OnDelete.RESTRICT)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('read_by', fields.ForeignKeyField('models.User', source_field='read_by_id', null=True, db_constraint=True, to_field='id', related_name='notices_read', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'notice_receipt', 'app': 'models', 'unique_together': (('notice_id', 'organization_id'),), 'indexes': [Index(fields=['organization_id', 'read_at'])], 'pk_attr': 'id', 'table_description': 'One recipient organisation of a notice, and who of it read the notice first, when.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxEmail',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('to_address', fields.CharField(max_length=254)),
                ('subject', fields.CharField(max_length=300)),
                ('body', fields.TextField(unique=False)),
                ('notice', fields.ForeignKeyField('models.Notice', source_field='notice_id', null=True, db_constraint=True, to_field='id', related_name='emails', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('leased_by', fields.CharField(null=True, max_length=100)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('failed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbox_email', 'app': 'models', 'indexes': [Index(fields=['sent_at', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'A message waiting for the SMTP server. Requests only add rows, a worker sends them'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Reminder',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sender_org', fields.ForeignKeyField('models.Organization', source_field='sender_org_id', db_constraint=True, to_field='id', related_name='reminders', on_delete=OnDelete.RESTRICT)),
                ('campaign', fields.ForeignKeyField('models.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='reminders', on_delete=OnDelete.CASCADE)),
                ('round', fields.ForeignKeyField('models.ReportingRound', source_field='round_id', null=True, db_constraint=True, to_field='id', related_name='reminders', on_delete=OnDelete.CASCADE)),
                ('days_before', fields.IntField()),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', db_constraint=True, to_field='id', related_name='reminders', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_by', fields.CharField(null=True, max_length=100)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('notice', fields.ForeignKeyField('models.Notice', source_field='notice_id', null=True, db_constraint=True, to_field='id', related_name='reminders', on_delete=OnDelete.SET_NULL)),
                ('outcome', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'reminder', 'app': 'models', 'unique_together': (('sender_org_id', 'campaign_id', 'round_id', 'days_before'),), 'indexes': [Index(fields=['claimed_at'])], 'pk_attr': 'id', 'table_description': "An automatic reminder `days_before` days before the close of a campaign's declaration"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Organization',
            name='contact_email',
            field=fields.CharField(default='', db_default='', max_length=254),
        ),
        ops.AddField(
            model_name='Organization',
            name='contact_name',
            field=fields.CharField(default='', db_default='', max_length=50),
        ),
        ops.AddField(
            model_name='Organization',
            name='contact_phone',
            field=fields.CharField(default='', db_default='', max_length=30),
        ),
    ]
