"""Web pages of sales: invoices, quotes, credit notes, payments, the public quote page and
the customer portal."""

from fastapi import APIRouter

from comptoir.sales.views import (
    credit_notes,
    editor,
    invoices,
    payments,
    portal,
    public,
    quotes,
    reports,
    settings,
    statements,
)

router = APIRouter(include_in_schema=False)
router.include_router(portal.router)
router.include_router(public.router)
router.include_router(editor.router)
router.include_router(invoices.router)
router.include_router(credit_notes.router)
router.include_router(payments.router)
router.include_router(quotes.router)
router.include_router(reports.router)
router.include_router(settings.router)
router.include_router(statements.router)

__all__ = ["router"]
