"""An organisation's contact fields, readable and editable by the organisation itself and by
those above it (the scoping rule `manages`)."""

from __future__ import annotations

import strawberry

from gql.compiled.declare import Column, declare
from gql.context import Info
from gql.errors import UserError
from gql.org.types import Organization
from models import Organization as OrganizationModel
from models import contacts
from models.errors import Code, DomainError
from permissions.classes import IsActiveUser
from permissions.scoping import managed_organizations


@strawberry.type(description="联系人, 电话, 邮箱: where reminders are e-mailed.")
class Contact:
    name: str
    phone: str
    email: str


@strawberry.type
class ContactPayload:
    organization: Organization | None
    contact: Contact | None
    errors: list[UserError]


def contact_of(m: OrganizationModel) -> Contact:
    return Contact(**CONTACT_SQL.values(m))


# What each field reads, for both paths (gql/compiled/declare.py): columns of the
# organisation's own row.
CONTACT_SQL = declare("Contact", "organization", name=Column("contact_name"),
                      phone=Column("contact_phone"), email=Column("contact_email"))


@strawberry.type
class ContactQueries:
    @strawberry.field(description="An organisation's contact; null unless the caller manages it"
                      " (the organisation itself, its city bureau, the province office).",
                      permission_classes=[IsActiveUser])
    async def organization_contact(self, info: Info, organization_code: str
                                   ) -> Contact | None:
        assert info.context.principal is not None
        org = await managed_organizations(info.context.principal).get_or_none(
            code=organization_code.strip())
        return contact_of(org) if org else None


@strawberry.type
class ContactMutations:
    @strawberry.mutation(description="Set an organisation's contact (the organisation itself or"
                         " a unit above it). Empty strings clear a field.",
                         permission_classes=[IsActiveUser])
    async def update_organization_contact(
        self, info: Info, organization_code: str, contact_name: str, contact_phone: str,
        contact_email: str,
    ) -> ContactPayload:
        assert info.context.principal is not None
        org = await managed_organizations(info.context.principal).get_or_none(
            code=organization_code.strip())
        if org is None:
            return ContactPayload(organization=None, contact=None, errors=[UserError(
                field=["organizationCode"], code=Code.NOT_FOUND, message="单位不存在")])
        try:
            await contacts.update(org, contact_name, contact_phone, contact_email)
        except DomainError as e:
            return ContactPayload(organization=None, contact=None, errors=[UserError.of(e)])
        info.context.reset_loaders()
        return ContactPayload(organization=Organization.of(org), contact=contact_of(org),
                              errors=[])
