"""Every table of the application, for migrations and tests: import the models of each domain."""

from __future__ import annotations

from comptoir.audit import models as audit_models
from comptoir.catalog import models as catalog_models
from comptoir.compliance import models as compliance_models
from comptoir.files import models as file_models
from comptoir.identity import models as identity_models
from comptoir.kit import sequences as sequence_models
from comptoir.kit.db import Base
from comptoir.ledger import models as ledger_models
from comptoir.mail import models as mail_models
from comptoir.notifications import models as notification_models
from comptoir.outbox import models as outbox_models
from comptoir.parties import models as party_models
from comptoir.purchases import models as purchase_models
from comptoir.sales import models as sales_models
from comptoir.server import models as server_models
from comptoir.tax import models as tax_models
from comptoir.webhooks import models as webhook_models

MODEL_MODULES = (
    identity_models,
    audit_models,
    mail_models,
    outbox_models,
    ledger_models,
    server_models,
    tax_models,
    party_models,
    sequence_models,
    catalog_models,
    sales_models,
    notification_models,
    file_models,
    purchase_models,
    webhook_models,
    compliance_models,
)
metadata = Base.metadata
