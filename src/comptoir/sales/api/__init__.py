"""The sales API: quotes, invoices, credit notes, payments, aged receivables."""

from fastapi import APIRouter

from comptoir.sales.api import (
    callbacks,
    documents,
    mailing,
    payments,
    providers,
    quotes,
    recurring,
    settings,
    statements,
)

router = APIRouter()
router.include_router(documents.router)
router.include_router(payments.router)
router.include_router(quotes.router)
router.include_router(callbacks.router)
router.include_router(providers.router)
router.include_router(settings.router)
router.include_router(statements.router)
router.include_router(mailing.router)
router.include_router(recurring.router)

__all__ = ["router"]
