"""Files people upload (receipts of expenses and bills), kept in one storage behind one
interface: a local directory, or an S3-compatible bucket."""
