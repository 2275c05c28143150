"""The purchases API: bills, supplier payments, expenses, approvals, aged payables."""

from fastapi import APIRouter

from comptoir.purchases.api import approval_rules

router = APIRouter()
router.include_router(approval_rules.router)

__all__ = ["router"]
