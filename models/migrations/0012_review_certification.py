from tortoise import migrations
from tortoise.migrations import operations as ops
from models.performance import CertificationResult
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0011_review_comments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CertificationRound',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('models.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='certification_rounds', on_delete=OnDelete.CASCADE)),
                ('year', fields.IntField()),
                ('opens_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closes_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'certification_round', 'app': 'models', 'unique_together': (('campaign_id', 'year'),), 'pk_attr': 'id', 'table_description': "The selection and certification (遴选认定) of a campaign's undertakings in one year"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CertificationEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('undertaking', fields.ForeignKeyField('models.Undertaking', source_field='undertaking_id', db_constraint=True, to_field='id', related_name='certification_events', on_delete=OnDelete.CASCADE)),
                ('round', fields.ForeignKeyField('models.CertificationRound', source_field='round_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('result', fields.CharEnumField(description='CERTIFIED: certified\nNOT_CERTIFIED: not_certified\nPENDING: pending', enum_type=CertificationResult, max_length=16)),
                ('certified_quantity', fields.IntField(null=True)),
                ('remarks', fields.TextField(default='', unique=False)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', db_constraint=True, to_field='id', related_name='certification_events', on_delete=OnDelete.RESTRICT)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'certification_event', 'app': 'models', 'pk_attr': 'id', 'table_description': "One certification decision, for the undertaking's history."},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='Certification',
            options={'table': 'certification', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The current certification result of one undertaking (遴选认定); every decision is'},
        ),
        ops.AddField(
            model_name='Certification',
            name='certified_quantity',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Certification',
            name='round',
            field=fields.ForeignKeyField('models.CertificationRound', source_field='round_id', null=True, db_constraint=True, to_field='id', related_name='certifications', on_delete=OnDelete.RESTRICT),
        ),
    ]
