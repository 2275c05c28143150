"""Events about supplier bills and credit notes, payments to suppliers, expenses and their
reimbursement, and approvals. Amounts are in minor units of their currency (45365 is
453.65 EUR)."""

from __future__ import annotations

from typing import Any

from comptoir.outbox.catalog import EventType


def _bill(status: str, **changes: Any) -> dict[str, Any]:
    return {
        "id": "01939d2f-0a11-7b22-8c33-9d44ea55fb66",
        "kind": "bill",
        "status": status,
        "supplier_id": "01939d2e-7a10-7d42-8e11-4c2a9b0f3d77",
        "supplier_number": "MS-2026-0412",
        "issue_date": "2026-10-07",
        "due_date": "2026-11-06",
        "currency": "EUR",
        "net": 43000,
        "tax": 2365,
        "gross": 45365,
        "settled": 0,
        "amount_due": 45365,
        "project": None,
        "rejection_reason": None,
        **changes,
    }


def _expense(status: str, **changes: Any) -> dict[str, Any]:
    return {
        "id": "01939d2f-1b22-7c33-9d44-ae55fb66a077",
        "status": status,
        "date": "2026-11-09",
        "supplier_id": None,
        "supplier_name": "Brasserie Georges",
        "amount": 4800,
        "net": 4364,
        "tax": 436,
        "currency": "EUR",
        "category": "625",
        "paid_by": "employee",
        "employee_id": "01939d2f-2c33-7d44-ae55-bf66a077b188",
        "project": None,
        "rejection_reason": None,
        **changes,
    }


def _approval_request(subject_id: str) -> dict[str, Any]:
    return {"id": subject_id, "step": 1, "steps": 2, "role": "admin"}


_SUPPLIER_PAYMENT = {
    "id": "01939d2f-3d44-7e55-af66-c077b188c299",
    "supplier_id": "01939d2e-7a10-7d42-8e11-4c2a9b0f3d77",
    "direction": "out",
    "date": "2026-11-01",
    "amount": 45365,
    "currency": "EUR",
    "method": "bank_transfer",
    "reference": "VIR MS-2026-0412",
    "allocated": 45365,
}
_REJECTED = "Wrong VAT rate: ask the supplier for a corrected bill."

EVENTS: tuple[EventType, ...] = (
    EventType("bill.created", "A supplier bill was recorded as a draft.", _bill("draft")),
    EventType("bill.submitted", "A bill was submitted for approval.", _bill("submitted")),
    EventType(
        "bill.approval_requested",
        "A bill waits for an approver of the given role at the given step.",
        _approval_request("01939d2f-0a11-7b22-8c33-9d44ea55fb66"),
    ),
    EventType("bill.approved", "A bill was approved and posted to the ledger.", _bill("posted")),
    EventType(
        "bill.rejected",
        "An approver rejected a bill; the reason is in the payload.",
        {**_bill("rejected", rejection_reason=_REJECTED), "reason": _REJECTED},
    ),
    EventType(
        "bill.paid",
        "A bill was settled in full.",
        _bill("paid", settled=45365, amount_due=0),
    ),
    EventType(
        "bill.cancelled",
        "A bill was cancelled by a supplier credit note for its full amount.",
        _bill("cancelled", amount_due=0),
    ),
    EventType(
        "supplier_credit_note.posted",
        "A credit note from a supplier was recorded and posted to the ledger.",
        _bill("posted", kind="credit_note", supplier_number="MS-AV-2026-0031", due_date=None),
    ),
    EventType("supplier_payment.made", "A payment to a supplier was recorded.", _SUPPLIER_PAYMENT),
    EventType(
        "supplier_payment.refunded",
        "A refund from a supplier was recorded.",
        {**_SUPPLIER_PAYMENT, "direction": "in", "reference": "REMB MS-AV-2026-0031"},
    ),
    EventType("expense.submitted", "An expense was submitted for approval.", _expense("submitted")),
    EventType(
        "expense.approval_requested",
        "An expense waits for an approver of the given role at the given step.",
        _approval_request("01939d2f-1b22-7c33-9d44-ae55fb66a077"),
    ),
    EventType(
        "expense.approved", "An expense was approved and posted to the ledger.", _expense("posted")
    ),
    EventType(
        "expense.rejected",
        "An approver rejected an expense; the reason is in the payload.",
        _expense("rejected", rejection_reason="No receipt attached."),
    ),
    EventType(
        "expense.reimbursed",
        "Expenses an employee paid were reimbursed to them in one payment.",
        {
            "id": "01939d2f-4e55-7f66-b077-d188c299d3aa",
            "employee_id": "01939d2f-2c33-7d44-ae55-bf66a077b188",
            "amount": 7250,
            "currency": "EUR",
            "expense_ids": [
                "01939d2f-1b22-7c33-9d44-ae55fb66a077",
                "01939d2f-5f66-7077-c188-e299d3aae4bb",
            ],
        },
    ),
    # A settings change, kept in the audit trail; integrators read the rules through the API.
    EventType(
        "approval_rules.changed",
        "The approval rules of expenses or bills changed.",
        {
            "applies_to": "bill",
            "from": None,
            "to": [{"up_to": "1000.00", "steps": ["admin"]}, {"up_to": None, "steps": ["owner"]}],
        },
        public=False,
    ),
)
