"""What leaves the machine on paper or as files: notice PDFs, QR codes, signatures, ledger spreadsheets.

Takes plain data (rows, dicts, bytes), never a database session, and never imports `inspect_app`
or `textual` (shared/design/architecture.md).
"""
