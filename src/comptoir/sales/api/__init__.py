"""The sales API: invoices, credit notes, payments, aged receivables."""

from fastapi import APIRouter

from comptoir.sales.api import documents, payments

router = APIRouter()
router.include_router(documents.router)
router.include_router(payments.router)

__all__ = ["router"]
