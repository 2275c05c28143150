"""The purchases API: bills, supplier payments, expenses, approvals, aged payables."""

from fastapi import APIRouter

from comptoir.purchases.api import approval_rules
from comptoir.purchases.api import bills as bills_api
from comptoir.purchases.api import expenses as expenses_api
from comptoir.purchases.api import receipts as receipts_api
from comptoir.purchases.api import supplier_payments as supplier_payments_api

router = APIRouter()
router.include_router(approval_rules.router)
router.include_router(bills_api.router)
router.include_router(expenses_api.router)
router.include_router(receipts_api.router)
router.include_router(supplier_payments_api.router)

__all__ = ["router"]
