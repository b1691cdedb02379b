"""All tables, one module per capability.

Times are the store's wall clock (China keeps one time zone), stored naive.
 Importing this package registers them all
on ``SQLModel.metadata`` (which Alembic reads)."""

from sqlmodel import SQLModel

from store.models.core import (  # noqa: F401
    AuditLog,
    Customer,
    ImportJournal,
    SearchTerm,
    Setting,
    Staff,
    Store,
    Vehicle,
    Visit,
)
from store.models.club import (  # noqa: F401
    BenefitUse,
    CatalogItem,
    ClubEntry,
    Membership,
    MembershipEvent,
    Pitch,
    PointsAccount,
    PointsEntry,
    Referral,
    StoredValueEntry,
    Tier,
    TierBenefit,
)
from store.models.care import (  # noqa: F401
    Adoption,
    Appointment,
    CallLog,
    CareTask,
    Complaint,
    ComplaintStep,
    SatisfactionScore,
)
from store.models.insurance import InsurancePolicy  # noqa: F401
from store.models.events import (  # noqa: F401
    ClubEvent,
    CustomerInterest,
    EventInvitation,
    EventSignup,
    Interest,
)

metadata = SQLModel.metadata
