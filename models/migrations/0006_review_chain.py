from tortoise import migrations
from tortoise.migrations import operations as ops
from models.declaration import DeclarationAction, DeclarationStatus
from tortoise import fields
from models.migration_ops import AlterEnumChoices

class Migration(migrations.Migration):
    dependencies = [('models', '0005_login_throttle')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Campaign',
            name='city_review',
            field=fields.BooleanField(default=True, db_default=True),
        ),
        ops.AddField(
            model_name='Campaign',
            name='late_return_days',
            field=fields.IntField(default=7, db_default=7),
        ),
        AlterEnumChoices(
            model_name='Declaration',
            name='status',
            field=fields.CharEnumField(default=DeclarationStatus.DRAFT, description='NOT_STARTED: not_started\nDRAFT: draft\nSUBMITTED: submitted\nCITY_APPROVED: city_approved\nRETURNED: returned\nACCEPTED: accepted', enum_type=DeclarationStatus, max_length=16),
        ),
        ops.AddField(
            model_name='Declaration',
            name='city_approved_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        AlterEnumChoices(
            model_name='DeclarationEvent',
            name='action',
            field=fields.CharEnumField(description='SUBMIT: submit\nWITHDRAW: withdraw\nAPPROVE: approve\nRETURN: return\nACCEPT: accept\nREOPEN: reopen', enum_type=DeclarationAction, max_length=16),
        ),
        AlterEnumChoices(
            model_name='DeclarationEvent',
            name='from_status',
            field=fields.CharEnumField(description='NOT_STARTED: not_started\nDRAFT: draft\nSUBMITTED: submitted\nCITY_APPROVED: city_approved\nRETURNED: returned\nACCEPTED: accepted', enum_type=DeclarationStatus, max_length=16),
        ),
        AlterEnumChoices(
            model_name='DeclarationEvent',
            name='to_status',
            field=fields.CharEnumField(description='NOT_STARTED: not_started\nDRAFT: draft\nSUBMITTED: submitted\nCITY_APPROVED: city_approved\nRETURNED: returned\nACCEPTED: accepted', enum_type=DeclarationStatus, max_length=16),
        ),
        AlterEnumChoices(
            model_name='PerformanceReport',
            name='status',
            field=fields.CharEnumField(default=DeclarationStatus.DRAFT, description='NOT_STARTED: not_started\nDRAFT: draft\nSUBMITTED: submitted\nCITY_APPROVED: city_approved\nRETURNED: returned\nACCEPTED: accepted', enum_type=DeclarationStatus, max_length=16),
        ),
        ops.AddField(
            model_name='PerformanceReport',
            name='city_approved_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        AlterEnumChoices(
            model_name='ReportEvent',
            name='action',
            field=fields.CharEnumField(description='SUBMIT: submit\nWITHDRAW: withdraw\nAPPROVE: approve\nRETURN: return\nACCEPT: accept\nREOPEN: reopen', enum_type=DeclarationAction, max_length=16),
        ),
        AlterEnumChoices(
            model_name='ReportEvent',
            name='from_status',
            field=fields.CharEnumField(description='NOT_STARTED: not_started\nDRAFT: draft\nSUBMITTED: submitted\nCITY_APPROVED: city_approved\nRETURNED: returned\nACCEPTED: accepted', enum_type=DeclarationStatus, max_length=16),
        ),
        AlterEnumChoices(
            model_name='ReportEvent',
            name='to_status',
            field=fields.CharEnumField(description='NOT_STARTED: not_started\nDRAFT: draft\nSUBMITTED: submitted\nCITY_APPROVED: city_approved\nRETURNED: returned\nACCEPTED: accepted', enum_type=DeclarationStatus, max_length=16),
        ),
    ]
