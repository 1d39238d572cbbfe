from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from decimal import Decimal
from json import dumps, loads
from models.declaration import DeclarationAction, DeclarationStatus
from models.performance import CertificationResult, ChangeKind, ProgressStatus, RequestStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_declarations')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Certification',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('undertaking', fields.OneToOneField('models.Undertaking', source_field='undertaking_id', db_constraint=True, to_field='id', related_name='certification', on_delete=OnDelete.RESTRICT)),
                ('result', fields.CharEnumField(description='CERTIFIED: certified\nNOT_CERTIFIED: not_certified\nPENDING: pending', enum_type=CertificationResult, max_length=16)),
                ('remarks', fields.TextField(default='', unique=False)),
                ('decided_by', fields.ForeignKeyField('models.User', source_field='decided_by_id', db_constraint=True, to_field='id', related_name='certifications', on_delete=OnDelete.RESTRICT)),
                ('decided_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'certification', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The 2024 assessment of one undertaking (遴选认定).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChangeRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('undertaking', fields.ForeignKeyField('models.Undertaking', source_field='undertaking_id', db_constraint=True, to_field='id', related_name='change_requests', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='CHANGE: change\nWITHDRAW: withdraw', enum_type=ChangeKind, max_length=16)),
                ('proposed', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reason', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=RequestStatus.PENDING, description='PENDING: pending\nAPPROVED: approved\nREJECTED: rejected', enum_type=RequestStatus, max_length=16)),
                ('requested_by', fields.ForeignKeyField('models.User', source_field='requested_by_id', db_constraint=True, to_field='id', related_name='change_requests', on_delete=OnDelete.RESTRICT)),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('decided_by', fields.ForeignKeyField('models.User', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='change_decisions', on_delete=OnDelete.RESTRICT)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decision_reason', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'change_request', 'app': 'models', 'pk_attr': 'id', 'table_description': "A school's request to change an accepted undertaking after the deadline."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PerformanceReport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='reports', on_delete=OnDelete.RESTRICT)),
                ('round', fields.ForeignKeyField('models.ReportingRound', source_field='round_id', db_constraint=True, to_field='id', related_name='reports', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=DeclarationStatus.DRAFT, description='NOT_STARTED: not_started\nDRAFT: draft\nSUBMITTED: submitted\nRETURNED: returned\nACCEPTED: accepted', enum_type=DeclarationStatus, max_length=16)),
                ('version', fields.IntField(default=1)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('returned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('return_reason', fields.TextField(null=True, unique=False)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'performance_report', 'app': 'models', 'unique_together': (('organization_id', 'round_id'),), 'pk_attr': 'id', 'table_description': "One organisation's report for one year, submitted and reviewed as a whole."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PerformanceEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('report', fields.ForeignKeyField('models.PerformanceReport', source_field='report_id', db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.CASCADE)),
                ('undertaking', fields.ForeignKeyField('models.Undertaking', source_field='undertaking_id', db_constraint=True, to_field='id', related_name='performance', on_delete=OnDelete.RESTRICT)),
                ('completed_quantity', fields.IntField(default=0)),
                ('school_self', fields.DecimalField(default=Decimal('0'), max_digits=14, decimal_places=2)),
                ('enterprise', fields.DecimalField(default=Decimal('0'), max_digits=14, decimal_places=2)),
                ('sponsor', fields.DecimalField(default=Decimal('0'), max_digits=14, decimal_places=2)),
                ('local_gov', fields.DecimalField(default=Decimal('0'), max_digits=14, decimal_places=2)),
                ('provincial', fields.DecimalField(default=Decimal('0'), max_digits=14, decimal_places=2)),
                ('progress', fields.CharEnumField(default=ProgressStatus.ON_TRACK, description='ON_TRACK: on_track\nDELAYED: delayed\nCOMPLETED: completed', enum_type=ProgressStatus, max_length=16)),
                ('narrative', fields.TextField(default='', unique=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'performance_entry', 'app': 'models', 'unique_together': (('report_id', 'undertaking_id'),), 'pk_attr': 'id', 'table_description': 'What one undertaking achieved and spent, to date, at one year end.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Evidence',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('entry', fields.ForeignKeyField('models.PerformanceEntry', source_field='entry_id', db_constraint=True, to_field='id', related_name='evidence', on_delete=OnDelete.CASCADE)),
                ('filename', fields.CharField(max_length=200)),
                ('content_type', fields.CharField(max_length=100)),
                ('size', fields.IntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('uploaded_by', fields.ForeignKeyField('models.User', source_field='uploaded_by_id', db_constraint=True, to_field='id', related_name='evidence', on_delete=OnDelete.RESTRICT)),
                ('uploaded_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'evidence', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A file attached to a performance entry, stored by its SHA-256 (models/evidence.py).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReportEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('report', fields.ForeignKeyField('models.PerformanceReport', source_field='report_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('action', fields.CharEnumField(description='SUBMIT: submit\nWITHDRAW: withdraw\nRETURN: return\nACCEPT: accept', enum_type=DeclarationAction, max_length=16)),
                ('from_status', fields.CharEnumField(description='NOT_STARTED: not_started\nDRAFT: draft\nSUBMITTED: submitted\nRETURNED: returned\nACCEPTED: accepted', enum_type=DeclarationStatus, max_length=16)),
                ('to_status', fields.CharEnumField(description='NOT_STARTED: not_started\nDRAFT: draft\nSUBMITTED: submitted\nRETURNED: returned\nACCEPTED: accepted', enum_type=DeclarationStatus, max_length=16)),
                ('reason', fields.TextField(null=True, unique=False)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', db_constraint=True, to_field='id', related_name='report_events', on_delete=OnDelete.RESTRICT)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'report_event', 'app': 'models', 'pk_attr': 'id', 'table_description': "A report's status change: who, when, from what to what, and why."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RoundExtension',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('round', fields.ForeignKeyField('models.ReportingRound', source_field='round_id', db_constraint=True, to_field='id', related_name='extensions', on_delete=OnDelete.CASCADE)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='round_extensions', on_delete=OnDelete.CASCADE)),
                ('until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('granted_by', fields.ForeignKeyField('models.User', source_field='granted_by_id', db_constraint=True, to_field='id', related_name='round_extensions_granted', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'round_extension', 'app': 'models', 'unique_together': (('round_id', 'organization_id'),), 'pk_attr': 'id', 'table_description': "An organisation's extension of a reporting round's deadline, granted by the province."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Undertaking',
            name='withdrawn_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
