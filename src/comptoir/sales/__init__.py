"""The sales cycle: quotes, invoices, credit notes, payments received, receivables."""
