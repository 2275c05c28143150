"""Web pages of sales: invoices, quotes, credit notes, payments, the public quote page and
the customer portal."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)

__all__ = ["router"]
