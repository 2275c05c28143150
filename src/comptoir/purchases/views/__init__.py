"""The purchases pages: bills, supplier payments, expenses, approvals and their settings."""

from fastapi import APIRouter

from comptoir.purchases.views import (
    approval_rules,
    bills,
    credit_notes,
    expenses,
    inbox,
    payments,
    receipts,
    reimbursements,
)

router = APIRouter()
router.include_router(approval_rules.router)
router.include_router(bills.router)
router.include_router(expenses.router)
router.include_router(inbox.router)
router.include_router(payments.router)
router.include_router(receipts.router)
router.include_router(credit_notes.router)
router.include_router(reimbursements.router)

__all__ = ["router"]
