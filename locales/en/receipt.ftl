# The fixed wording of the receipt (PDF): column and field labels, statuses, the foot note.

receipt-label_application = Application No.
receipt-label_submitted = Submitted
receipt-label_state = Status as of
receipt-kyiv = Kyiv time
receipt-label_applicant = Applicant
receipt-label_event = Life event
receipt-services_heading = Services in the bundle
receipt-no_services = No services in the bundle
receipt-next_heading = Next steps
receipt-col_number = №
receipt-col_service = Service
receipt-col_authority = Authority
receipt-col_status = Status
receipt-code = code
receipt-status_succeeded = Completed
receipt-status_in_progress = In progress
receipt-status_failed = Failed
receipt-status_blocked = Blocked
receipt-verify_heading = Verify this receipt
receipt-verify_note = This receipt was generated automatically. Scan the QR code or open the link to see the current status of each service and compare the check codes.
receipt-page = Page { $page } of { $pages }
