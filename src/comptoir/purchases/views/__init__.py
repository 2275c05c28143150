"""The purchases pages: bills, supplier payments, expenses, approvals and their settings."""

from fastapi import APIRouter

from comptoir.purchases.views import approval_rules

router = APIRouter()
router.include_router(approval_rules.router)

__all__ = ["router"]
